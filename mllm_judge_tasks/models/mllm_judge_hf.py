"""`mllm_judge_hf`: a batched transformers backend for local open-weight MLLM judges.

lmms-eval's generic `huggingface` backend fails with transformers 5 and, before
that, never padded left, never sorted by length and generated up to 4096 tokens.
This one renders the task's chat messages with the processor's chat template,
sorts requests by prompt length, runs left-padded batches and returns answers
in the original order. Answers are cached after every batch (resume after a
kill), and `verdict_mode` can force every verdict into the protocol.

    lmms-eval --model mllm_judge_hf --model_args pretrained=Qwen/Qwen2.5-VL-7B-Instruct \
        --tasks mllm_judge --batch_size 8
"""

from __future__ import annotations

import torch

from .inputs import JudgeRequest, encode, generate_texts
from .fingerprint import fingerprint
from .judge_backend import JudgeBackend
from .loading import load_judge, rank_placement
from .settings import truthy
from .verdict_modes import choose, option_probabilities


class MLLMJudgeHF(JudgeBackend):
    name = "mllm_judge_hf"

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        batch_size: int | str = 8,
        device: str | None = None,
        device_map: str | None = None,
        dtype: str = "auto",
        attn_implementation: str = "sdpa",
        max_pixels: int | None = 1024 * 1024,
        max_new_tokens: int | None = None,
        verdict_mode: str = "free",
        cache: str | None = None,
        use_cache: bool | str = True,
        trust_remote_code: bool | str = False,
        **kwargs,
    ) -> None:
        super().__init__(pretrained=pretrained, batch_size=batch_size, max_pixels=max_pixels, max_new_tokens=max_new_tokens,
                         verdict_mode=verdict_mode, cache=cache, use_cache=use_cache, unknown_args=kwargs)
        device, device_map = rank_placement(self.accelerator, device, device_map)
        self.judge = load_judge(
            pretrained, revision=revision, device=device, device_map=device_map, dtype=dtype,
            attn_implementation=attn_implementation, trust_remote_code=truthy(trust_remote_code),
        )
        self.processor = self.judge.processor
        # Everything besides the request that changes an answer: weights, numerics and kernels.
        self.model_identity = {
            "pretrained": pretrained, "revision": revision, "files": fingerprint(pretrained, revision),
            "dtype": str(self.judge.dtype), "device": str(self.judge.device), "attn_implementation": attn_implementation,
            "max_pixels": self.max_pixels,
        }

    @property
    def device(self) -> torch.device:
        return self.judge.device

    def _generate(self, requests: list[JudgeRequest], settings: dict, stops: list[str]) -> list[str]:
        batch = encode(self.judge.processor, [r.prompt for r in requests], [r.images for r in requests],
                       self.judge.device, self.judge.dtype)
        sampling = {key: settings[key] for key in ("top_p", "top_k") if key in settings}
        return generate_texts(self.judge, batch, max_new_tokens=settings["max_new_tokens"], stop_strings=stops,
                              temperature=settings["temperature"], **sampling)

    def _choose(self, requests: list[JudgeRequest], continuations: list[str], choices: list[list[str]]) -> list[str]:
        prefixes = [r.prompt + continuation for r, continuation in zip(requests, continuations)]
        return choose(self.judge, prefixes, [r.images for r in requests], choices)

    def _option_probabilities(self, requests: list[JudgeRequest], options: list[list[str]], settings: dict) -> list[list[float]]:
        return option_probabilities(self.judge, [r.prompt for r in requests], [r.images for r in requests], options)
