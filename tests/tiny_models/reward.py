"""Tiny reward models in the two layouts `mllm_judge_rm` loads: a value head beside an image-text-to-text
checkpoint (Skywork-VL-Reward's layout, on a tiny Qwen2-VL) and a one-label `Gemma3ForSequenceClassification`."""

from __future__ import annotations

from pathlib import Path

import torch

from mllm_judge_tasks.tiny_judge import HIDDEN, save

from .gemma import build_gemma3
from .qwen import build_qwen2_vl


def build_value_head_reward(directory: Path) -> Path:
    """A tiny Qwen2-VL and `value_head.safetensors` with Skywork's tensor names and shapes."""
    from safetensors.torch import save_file

    build_qwen2_vl(directory)
    generator = torch.Generator().manual_seed(1)
    head = {"v_head.summary.weight": torch.randn(1, HIDDEN, generator=generator) / HIDDEN**0.5,
            "v_head.summary.bias": torch.randn(1, generator=generator)}
    save_file(head, directory / "value_head.safetensors")
    return directory


def build_gemma3_classifier(directory: Path) -> Path:
    """A tiny Gemma 3 with a one-label classification head (`Gemma3ForSequenceClassification`)."""
    from transformers import AutoConfig, AutoProcessor, Gemma3ForSequenceClassification

    generative = build_gemma3(directory / "generative")
    config = AutoConfig.from_pretrained(generative)
    config.num_labels = 1
    config.architectures = ["Gemma3ForSequenceClassification"]
    return save(directory / "classifier", Gemma3ForSequenceClassification, config, AutoProcessor.from_pretrained(generative))
