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


class NegatedClassifier:
    """An adapter (`adapter=tiny_models.reward:NegatedClassifier`) of the interface the README documents: it loads
    a one-label classifier itself and reports the negated logit, so a test can tell its rewards from the layout's."""

    def __init__(self, pretrained, *, revision, device, dtype, attn_implementation):
        from transformers import AutoModelForSequenceClassification, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(pretrained, revision=revision)
        self.processor.tokenizer.padding_side = "right"
        self.model = AutoModelForSequenceClassification.from_pretrained(
            pretrained, revision=revision, dtype=dtype, attn_implementation=attn_implementation).to(device).eval()
        self.device, self.dtype = device, dtype

    def rewards(self, batch: dict) -> torch.Tensor:
        return -self.model(**batch).logits[:, 0].float()
