"""Tiny random-weight vision-language models of every family we test, built on the spot with no download.

Test support (not installed): tests and benchmarks import it; the demo's LLaVA and the helpers every builder
shares live in the package (`mllm_judge_tasks.tiny_judge`). They exercise the whole judge path (chat
template, processor, batching, generation) in seconds on a CPU; their verdicts
mean nothing. Each is made from a config, a byte-level BPE tokenizer trained on
the spot, the family's own image processor and processor, and a chat template,
and saved with `save_pretrained`, so tests load it the way a user loads a real
checkpoint. Weights are drawn wide enough that different documents get
different greedy answers (see `mllm_judge_tasks.tiny_judge.spread_weights`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mllm_judge_tasks.tiny_judge import build_llava, train_tokenizer

from .gemma import build_gemma3, build_paligemma
from .idefics import build_idefics3, build_smolvlm
from .internvl import build_internvl
from .llava import build_aya_vision, build_llava_next, build_llava_onevision, build_mistral3, build_pixtral
from .mllama import build_mllama
from .qwen import build_glm4v, build_qwen2_5_vl, build_qwen2_vl, build_qwen3_vl

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "qwen2_5_vl": build_qwen2_5_vl,
    "qwen2_vl": build_qwen2_vl,
    "qwen3_vl": build_qwen3_vl,
    "llava_onevision": build_llava_onevision,
    "idefics3": build_idefics3,
    "smolvlm": build_smolvlm,
    "internvl": build_internvl,
    "gemma3": build_gemma3,
    "llava": build_llava,
    "llava_next": build_llava_next,
    "mllama": build_mllama,
    "paligemma": build_paligemma,
    "mistral3": build_mistral3,
    "pixtral": build_pixtral,
    "aya_vision": build_aya_vision,
    "glm4v": build_glm4v,
}
ARCHITECTURES = tuple(BUILDERS)

__all__ = ["ARCHITECTURES", "BUILDERS", "train_tokenizer", *(builder.__name__ for builder in BUILDERS.values())]
