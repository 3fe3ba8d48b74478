"""The generation settings a request is judged with: only what every engine applies, never one recorded unapplied.

They come from the task's `generation_kwargs` and lmms-eval's `--gen_kwargs`
(which results.json and a packed submission record). Sampling is on exactly
when `temperature > 0`; `top_p` and `top_k` then shape it, the same on every
engine (top-k off unless given: transformers' own default of 50 would make the
engines differ). A key no engine applies, or a combination that contradicts
itself (`do_sample=false` with a temperature, `top_p` while greedy), is
refused with the supported keys, rather than written into results as if it
had been used.
"""

from __future__ import annotations

from collections.abc import Mapping

from mllm_judge_tasks.protocol import effective_mode

from .preflight import SetupError

SUPPORTED = ("max_new_tokens", "temperature", "until", "do_sample", "top_p", "top_k")
DEFAULT_MAX_NEW_TOKENS = 512


def truthy(value) -> bool:
    """A truthy model or generation argument as lmms-eval passes it (a bool, or a string such as "true")."""
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


def _number(name: str, value, kind, low: float, high: float):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SetupError(f"generation setting {name}={value!r} is not a number") from None
    if not low <= number <= high:
        raise SetupError(f"generation setting {name}={value!r} is outside {low}..{high}")
    return number


def generation_settings(gen_kwargs: Mapping, *, task: str, verdict_mode: str, max_new_tokens: int | None) -> dict:
    """The settings of one request: its cache key's part and what the engine is told.

    `verdict_mode` is the backend's; the item's own mode follows from its task
    (`protocol.effective_mode`). `max_new_tokens` from the model arguments wins
    over the task's.
    """
    unknown = sorted(set(gen_kwargs) - set(SUPPORTED))
    if unknown:
        raise SetupError(f"generation settings {', '.join(unknown)} are not applied by the mllm_judge backends; "
                         f"supported: {', '.join(SUPPORTED)}")
    temperature = _number("temperature", gen_kwargs.get("temperature") or 0, float, 0.0, 100.0)
    sampling = temperature > 0
    if gen_kwargs.get("do_sample") is not None and truthy(gen_kwargs["do_sample"]) != sampling:
        raise SetupError(f"do_sample={gen_kwargs['do_sample']} contradicts temperature={temperature}: "
                         "sampling is on exactly when temperature > 0")
    top_p, top_k = gen_kwargs.get("top_p"), gen_kwargs.get("top_k")
    if not sampling and (top_p is not None or top_k is not None):
        raise SetupError("top_p and top_k apply only when sampling: set temperature > 0, or leave them out")
    until = gen_kwargs.get("until") or []
    settings = {
        "max_new_tokens": max_new_tokens or int(gen_kwargs.get("max_new_tokens") or DEFAULT_MAX_NEW_TOKENS),
        "stop_strings": [until] if isinstance(until, str) else list(until),
        "temperature": temperature,
        "verdict_mode": effective_mode(verdict_mode, task),
    }
    if sampling:
        settings["top_p"] = 1.0 if top_p is None else _number("top_p", top_p, float, 0.0, 1.0)
        settings["top_k"] = 0 if top_k is None else _number("top_k", top_k, int, 0, 10**6)  # 0: off
    return settings
