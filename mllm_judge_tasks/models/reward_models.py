"""Scalar multimodal reward models: the layouts that load, and the interface an adapter for another layout implements.

A reward model reads an image, an instruction and one response, and returns one number. Two layouts load:

- **value head** (Skywork-VL-Reward's layout): an image-text-to-text checkpoint plus `value_head.safetensors`
  holding `v_head.summary.weight` ([1, hidden]) and `v_head.summary.bias`; the reward is that linear head, in
  fp32, on the final layer's hidden state at the last real token. The head is read from its file directly:
  the card's loader (`trl.AutoModelForCausalLMWithValueHead`) no longer exists in TRL.
- **sequence classification**: an `AutoModelForSequenceClassification` checkpoint with one label (Gemma 3,
  Qwen 3.5 in transformers 5 take `pixel_values`); the logit is the reward.

Any other layout is an adapter (`adapter=package.module:Class`, the user's own code): a class made with
`Class(pretrained, revision=..., device=..., dtype=..., attn_implementation=...)` whose objects have
`processor` (with a tokenizer and chat template), `device`, `dtype` and `rewards(batch) -> Tensor[batch]`,
where `batch` is the processor's output for the rendered conversations, right-padded. See the README.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

import torch
from transformers import AutoConfig, AutoModelForImageTextToText, AutoModelForSequenceClassification

from .loading import NotAJudgeModel, load_processor, resolve_attention, resolve_dtype

VALUE_HEAD_FILE = "value_head.safetensors"
VALUE_HEAD_WEIGHT, VALUE_HEAD_BIAS = "v_head.summary.weight", "v_head.summary.bias"
LAYOUTS = ("auto", "value_head", "sequence_classification")


class RewardModel(Protocol):
    """What the backend needs of a reward model, whatever its layout."""

    processor: object
    device: torch.device
    dtype: torch.dtype

    def rewards(self, batch: dict) -> torch.Tensor:
        """One reward per row of a right-padded batch, as float32."""


def last_token_states(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Each row's hidden state at its last real token, whichever side the padding is on."""
    width = attention_mask.shape[1]
    last = width - 1 - attention_mask.flip(-1).int().argmax(-1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last.to(hidden.device)]


def _value_head_file(pretrained: str, revision: str | None) -> Path | None:
    """The checkpoint's value-head file, or None where it has none (a local folder, or a Hub repo)."""
    local = Path(pretrained).expanduser()
    if local.is_dir():
        return local / VALUE_HEAD_FILE if (local / VALUE_HEAD_FILE).is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return Path(hf_hub_download(pretrained, VALUE_HEAD_FILE, revision=revision))
    except EntryNotFoundError:
        return None


class _Loaded:
    def __init__(self, model: torch.nn.Module, processor, device: torch.device, dtype: torch.dtype, device_map):
        self.model, self.processor, self.device, self.dtype = model.eval(), processor, device, dtype
        if device_map is None:
            self.model.to(device)


class ValueHeadReward(_Loaded):
    """An image-text-to-text model and a linear value head on its last hidden state (Skywork-VL-Reward)."""

    def __init__(self, model, processor, device, dtype, device_map, head: Path):
        super().__init__(model, processor, device, dtype, device_map)
        from safetensors.torch import load_file  # tensors only: nothing in the file is executed

        weights = load_file(str(head))
        missing = {VALUE_HEAD_WEIGHT, VALUE_HEAD_BIAS} - set(weights)
        if missing:
            raise NotAJudgeModel(f"{head}: no {', '.join(sorted(missing))}; a value head holds {VALUE_HEAD_WEIGHT} "
                                 f"[1, hidden] and {VALUE_HEAD_BIAS} [1]")
        self.weight = weights[VALUE_HEAD_WEIGHT].float().to(device)
        self.bias = weights[VALUE_HEAD_BIAS].float().to(device)

    def rewards(self, batch: dict) -> torch.Tensor:
        # The base model (no language-model head): its last hidden state is the final layer's, after the norm.
        hidden = self.model.model(**batch).last_hidden_state
        states = last_token_states(hidden, batch["attention_mask"]).float()
        return (states.to(self.weight.device) @ self.weight.T + self.bias)[:, 0]


class SequenceClassificationReward(_Loaded):
    """A sequence-classification model with one label: the logit at the last real token is the reward."""

    def rewards(self, batch: dict) -> torch.Tensor:
        return self.model(**batch).logits[:, 0].float()


def _adapter_class(reference: str):
    module, _, name = reference.partition(":")
    if not module or not name:
        raise NotAJudgeModel(f"adapter={reference}: expected package.module:Class")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise NotAJudgeModel(f"adapter={reference}: {error}") from None


def load_reward_model(pretrained: str, *, layout: str = "auto", adapter: str | None = None, revision: str | None = None,
                      device: str | None = None, device_map: str | None = None, dtype: str = "auto",
                      attn_implementation: str = "sdpa") -> RewardModel:
    """The reward model at `pretrained` in `layout` ("auto": a value-head file decides, else the config's
    architecture), or made by the user's `adapter`."""
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch_dtype = resolve_dtype(dtype, target)
    attention = resolve_attention(attn_implementation, target)
    if adapter:
        return _adapter_class(adapter)(pretrained, revision=revision, device=target, dtype=torch_dtype,
                                       attn_implementation=attention)
    if layout not in LAYOUTS:
        raise NotAJudgeModel(f"layout={layout}: expected one of {', '.join(LAYOUTS)}, or an adapter=package.module:Class")
    config = AutoConfig.from_pretrained(pretrained, revision=revision)
    head = _value_head_file(pretrained, revision) if layout in ("auto", "value_head") else None
    classifier = type(config) in AutoModelForSequenceClassification._model_mapping and any(
        name.endswith("ForSequenceClassification") for name in config.architectures or ())
    if layout == "value_head" and head is None:
        raise NotAJudgeModel(f"{pretrained}: layout=value_head, but there is no {VALUE_HEAD_FILE}")
    if head is None and not classifier:
        raise NotAJudgeModel(
            f"{pretrained}: not a reward model this backend loads: no {VALUE_HEAD_FILE} and architectures "
            f"{config.architectures} name no ...ForSequenceClassification; write an adapter (README: reward models)")
    processor = load_processor(pretrained, revision=revision)
    processor.tokenizer.padding_side = "right"  # every real token keeps the position it has alone
    common = {"revision": revision, "dtype": torch_dtype, "device_map": device_map, "attn_implementation": attention}
    if head is not None:
        model = AutoModelForImageTextToText.from_pretrained(pretrained, **common)
        return ValueHeadReward(model, processor, target, torch_dtype, device_map, head)
    model = AutoModelForSequenceClassification.from_pretrained(pretrained, **common)
    if model.config.num_labels != 1:
        raise NotAJudgeModel(f"{pretrained}: a sequence classifier with {model.config.num_labels} labels; a reward "
                             "model has one")
    return SequenceClassificationReward(model, processor, target, torch_dtype, device_map)
