"""Judges with multimodal rotary positions and merged patches: Qwen2-VL, Qwen2.5-VL, Qwen3-VL, GLM-4.1V.

Their rotary sections (`mrope_section`) must add up to half the head size (8 for
heads of 16), and their processors refuse images whose aspect ratio exceeds 200,
as the real checkpoints' processors do.
"""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import HEADS, HIDDEN, chat_template, save, text_sizes, token_ids, train_tokenizer

QWEN_TOKENS = {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
               "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"}
QWEN_IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"


def _mrope(sections: list[int], rotary_fraction: float = 1.0, width: int = HIDDEN, **extra) -> dict:
    """Rotary settings whose sections cover half the rotated part of each head."""
    assert sum(sections) == int(width // HEADS * rotary_fraction) // 2
    if rotary_fraction != 1.0:
        extra["partial_rotary_factor"] = rotary_fraction
    return {"rope_type": "default", "mrope_section": sections, "rope_theta": 10000.0, **extra}


def _qwen_image_processor(patch_size: int):
    from transformers import Qwen2VLImageProcessor

    side = patch_size * 2
    return Qwen2VLImageProcessor(min_pixels=side * side, max_pixels=4 * side * side, patch_size=patch_size, merge_size=2,
                                 temporal_patch_size=2)


def _build_qwen(directory: Path, family: str, vision: dict, patch_size: int, video_family: str, width: int = HIDDEN,
                **text) -> Path:
    """`family` is the class-name prefix ("Qwen2VL", "Qwen2_5_VL", "Qwen3VL"); `vision` its vision-tower sizes."""
    import transformers

    tokenizer = train_tokenizer(list(QWEN_TOKENS.values()), QWEN_TOKENS)
    config = getattr(transformers, family + "Config")(
        text_config=dict(**text_sizes(tokenizer, hidden_size=width), **text),
        vision_config=dict(depth=2, hidden_size=width, num_heads=HEADS, patch_size=patch_size, spatial_merge_size=2,
                           temporal_patch_size=2, in_channels=3, **vision),
        **token_ids(tokenizer, QWEN_TOKENS),
    )
    processor = getattr(transformers, family + "Processor")(
        image_processor=_qwen_image_processor(patch_size), tokenizer=tokenizer,
        video_processor=getattr(transformers, video_family + "VideoProcessor")(), chat_template=chat_template(QWEN_IMAGE),
    )
    return save(directory, getattr(transformers, family + "ForConditionalGeneration"), config, processor)


def build_qwen2_vl(directory: Path, width: int = HIDDEN) -> Path:
    """`width=64` gives heads of 32, the least vLLM's CPU attention takes."""
    sections = [2 * width // HIDDEN, 3 * width // HIDDEN, 3 * width // HIDDEN]
    return _build_qwen(directory, "Qwen2VL", dict(embed_dim=width, mlp_ratio=2), 14, "Qwen2VL", width=width,
                       rope_parameters=_mrope(sections, width=width))


def build_qwen2_5_vl(directory: Path) -> Path:
    """Qwen2.5-VL (UnifiedReward, Skywork-VL-Reward, R1-Reward): windowed vision attention."""
    vision = dict(intermediate_size=64, out_hidden_size=HIDDEN, window_size=56, fullatt_block_indexes=[1])
    return _build_qwen(directory, "Qwen2_5_VL", vision, 14, "Qwen2VL", rope_parameters=_mrope([2, 3, 3]))


def build_qwen3_vl(directory: Path) -> Path:
    """Qwen3-VL: 16-pixel patches, learned position embeddings and deepstack visual features."""
    vision = dict(intermediate_size=64, out_hidden_size=HIDDEN, num_position_embeddings=64, deepstack_visual_indexes=[0])
    return _build_qwen(directory, "Qwen3VL", vision, 16, "Qwen3VL", head_dim=HIDDEN // HEADS,
                       rope_parameters=_mrope([2, 3, 3], mrope_interleaved=True))


GLM_TOKENS = {"image_token": "<|image|>", "video_token": "<|video|>", "image_start_token": "<|begin_of_image|>",
              "image_end_token": "<|end_of_image|>", "video_start_token": "<|begin_of_video|>",
              "video_end_token": "<|end_of_video|>"}


def build_glm4v(directory: Path) -> Path:
    """GLM-4.1V: Qwen-style merged patches, a GLM-4 decoder."""
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration, Glm4vImageProcessor, Glm4vProcessor, Glm4vVideoProcessor

    tokenizer = train_tokenizer(list(GLM_TOKENS.values()), {"image_token": GLM_TOKENS["image_token"], "video_token": GLM_TOKENS["video_token"]})
    config = Glm4vConfig(
        text_config=dict(**text_sizes(tokenizer), rope_parameters=_mrope([1, 1, 2], rotary_fraction=0.5)),
        vision_config=dict(depth=2, hidden_size=HIDDEN, intermediate_size=64, num_heads=HEADS, out_hidden_size=HIDDEN,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, image_size=56, in_channels=3),
        **token_ids(tokenizer, GLM_TOKENS),
    )
    image_processor = Glm4vImageProcessor(size={"shortest_edge": 28 * 28, "longest_edge": 56 * 56}, patch_size=14, merge_size=2,
                                          temporal_patch_size=2)
    processor = Glm4vProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=Glm4vVideoProcessor(),
                               chat_template=chat_template("<|begin_of_image|><|image|><|end_of_image|>"))
    return save(directory, Glm4vForConditionalGeneration, config, processor)
