"""Load an open-weight MLLM judge: any `AutoModelForImageTextToText` with a processor and chat template.

Dtype, device placement and attention follow the hardware: bf16 (fp16 where bf16
is missing) on GPU, fp32 on CPU; `device_map` for sharding one large model over
several GPUs; SDPA attention, or flash-attention 2 when asked for and installed.
Remote code runs only when the user passes `trust_remote_code`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch
from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

from mllm_judge_tasks.problems import UserError


class NotAJudgeModel(UserError):
    """The checkpoint cannot serve as a multimodal judge (wrong architecture or no chat template)."""


@dataclass
class LoadedJudge:
    model: torch.nn.Module
    processor: object
    device: torch.device
    dtype: torch.dtype


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """"auto": bf16 on GPUs that have it, else fp16 on GPU, fp32 on CPU."""
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def resolve_attention(attn_implementation: str, device: torch.device) -> str:
    """"auto" picks flash-attention 2 on GPU when the package is installed, SDPA otherwise."""
    has_flash = importlib.util.find_spec("flash_attn") is not None
    if attn_implementation == "auto":
        return "flash_attention_2" if has_flash and device.type == "cuda" else "sdpa"
    if attn_implementation == "flash_attention_2" and not has_flash:
        raise NotAJudgeModel("attn_implementation=flash_attention_2 needs the flash-attn package: pip install 'mllm-judge[gpu]'")
    return attn_implementation


def rank_placement(accelerator, device: str | None, device_map: str | None) -> tuple[str | None, str | None]:
    """Data parallel on GPUs: one full model per GPU (lmms-eval gives each rank its share of documents). An explicit
    device (`device=cpu`) or device map is the user's and is kept."""
    if accelerator.num_processes > 1 and torch.cuda.is_available() and device in (None, "cuda") and device_map in (None, "auto"):
        return f"cuda:{accelerator.local_process_index}", None
    return device, device_map


def load_processor(pretrained: str, *, revision: str | None = None, trust_remote_code: bool = False):
    """The checkpoint's processor, which every backend renders prompts with: it needs a tokenizer and a chat template."""
    processor = AutoProcessor.from_pretrained(pretrained, revision=revision, trust_remote_code=trust_remote_code)
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:
        raise NotAJudgeModel(f"{pretrained}: the processor has no tokenizer")
    if not (getattr(processor, "chat_template", None) or getattr(tokenizer, "chat_template", None)):
        raise NotAJudgeModel(f"{pretrained}: no chat template in the processor or tokenizer; the judge prompts are chat messages")
    # Decoder-only generation in batches needs the padding on the left.
    tokenizer.padding_side = "left"
    return processor


def load_judge(
    pretrained: str,
    *,
    revision: str | None = None,
    device: str | None = None,
    device_map: str | None = None,
    dtype: str = "auto",
    attn_implementation: str = "sdpa",
    trust_remote_code: bool = False,
) -> LoadedJudge:
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    common = {"revision": revision, "trust_remote_code": trust_remote_code}
    config = AutoConfig.from_pretrained(pretrained, **common)
    if type(config) not in AutoModelForImageTextToText._model_mapping:
        raise NotAJudgeModel(
            f"{pretrained}: model type '{config.model_type}' is not an image-text-to-text model "
            "(AutoModelForImageTextToText does not know it); mllm_judge_hf needs a vision-language model"
        )
    processor = load_processor(pretrained, revision=revision, trust_remote_code=trust_remote_code)
    torch_dtype = resolve_dtype(dtype, target)
    model = AutoModelForImageTextToText.from_pretrained(
        pretrained,
        dtype=torch_dtype,
        device_map=device_map,
        attn_implementation=resolve_attention(attn_implementation, target),
        **common,
    ).eval()
    if device_map is None:
        model.to(target)
    return LoadedJudge(model=model, processor=processor, device=target, dtype=torch_dtype)
