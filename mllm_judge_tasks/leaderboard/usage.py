"""What a judge's verdicts cost: the tokens of its run and its prices, as a submission carries them, and the
cost per 1,000 verdicts the judge's page shows beside its accuracy.

The backend logs one usage record per verdict it generated (an item's requests together; answers from the
cache cost nothing and are not counted), which lmms-eval sums into results.json's `usage`; `pack` copies the
totals and the run's `price_in`/`price_out` (per million tokens) into the submission's metadata. A submission is
untrusted: every value is checked here, and a price nobody gave stays unknown (no cost is shown).
"""

from __future__ import annotations

from mllm_judge_tasks.protocol import is_real_number

COUNTS = ("verdicts", "prompt_tokens", "completion_tokens")
PRICES = ("price_in", "price_out")
MAX_COUNT = 10**15
MAX_PRICE = 10**6  # per million tokens


def usage_from_run(results: dict, model_args: dict) -> dict | None:
    """The metadata's `usage` from an lmms-eval results.json and the run's model arguments; None when the run
    logged no usage (a local backend)."""
    total = results.get("usage", {}).get("total") if isinstance(results.get("usage"), dict) else None
    if not isinstance(total, dict) or not total.get("n_api_calls"):
        return None
    usage = {"verdicts": total.get("n_api_calls"), "prompt_tokens": total.get("input_tokens"),
             "completion_tokens": total.get("output_tokens")}
    for name in PRICES:
        try:
            usage[name] = float(model_args[name]) if model_args.get(name) else None
        except ValueError:
            usage[name] = None  # lmms-eval would have refused the run; a hand-edited results.json names no price
    return usage if usage_problem(usage) is None else None


def usage_problem(usage: object) -> str | None:
    """What is wrong with a submission's `usage`, or None."""
    if not isinstance(usage, dict):
        return f"expected an object, got {type(usage).__name__}"
    if set(usage) != set(COUNTS + PRICES):
        return f"expected exactly the keys {', '.join(COUNTS + PRICES)}"
    for name in COUNTS:
        value = usage[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            return f"{name}: expected a whole number from 0 to {MAX_COUNT}"
    for name in PRICES:
        value = usage[name]
        if value is not None and not (is_real_number(value) and 0 <= value <= MAX_PRICE):
            return f"{name}: expected null or a price per million tokens from 0 to {MAX_PRICE}"
    return None


def cost_per_1000_verdicts(usage: object) -> float | None:
    """(prompt tokens × price_in + completion tokens × price_out) / 10⁶ per verdict, × 1,000; None unless the
    usage is valid, counts a verdict and names both prices."""
    if usage_problem(usage) is not None or not usage["verdicts"] or None in (usage["price_in"], usage["price_out"]):
        return None
    cost = (usage["prompt_tokens"] * usage["price_in"] + usage["completion_tokens"] * usage["price_out"]) / 1e6
    return 1000 * cost / usage["verdicts"]
