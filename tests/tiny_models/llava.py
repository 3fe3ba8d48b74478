"""LLaVA-style judges: a vision tower, a projector, a decoder (LLaVA-NeXT, LLaVA-OneVision, Pixtral, Mistral 3,
Aya Vision; LLaVA 1.5 is the demo's, in mllm_judge_tasks.tiny_judge)."""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import (IMAGE_SIZE, PATCH, PINPOINTS, chat_template, save, text_sizes, train_tokenizer,
                                         vision_sizes)


def build_llava_next(directory: Path) -> Path:
    """LLaVA-NeXT: a base view plus any-resolution tiles."""
    from transformers import (CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration,
                              LlavaNextImageProcessor, LlavaNextProcessor)

    tokenizer = train_tokenizer(["<image>"], {"image_token": "<image>"})
    config = LlavaNextConfig(
        vision_config=CLIPVisionConfig(**vision_sizes(), projection_dim=32), text_config=LlamaConfig(**text_sizes(tokenizer)),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-1,
        vision_feature_select_strategy="default", image_grid_pinpoints=PINPOINTS, image_seq_length=(IMAGE_SIZE // PATCH) ** 2,
    )
    image_processor = LlavaNextImageProcessor(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_grid_pinpoints=PINPOINTS,
    )
    processor = LlavaNextProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH, vision_feature_select_strategy="default",
        num_additional_image_tokens=1, chat_template=chat_template("<image>"),
    )
    return save(directory, LlavaNextForConditionalGeneration, config, processor)


def build_llava_onevision(directory: Path) -> Path:
    """LLaVA-OneVision (LLaVA-Critic's family): SigLIP tower, Qwen2 decoder, any-resolution tiles."""
    from transformers import (LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionImageProcessor,
                              LlavaOnevisionProcessor, LlavaOnevisionVideoProcessor, Qwen2Config, SiglipVisionConfig)

    tokens = {"image_token": "<image>", "video_token": "<video>"}
    tokenizer = train_tokenizer(list(tokens.values()), tokens)
    config = LlavaOnevisionConfig(
        vision_config=SiglipVisionConfig(**vision_sizes()), text_config=Qwen2Config(**text_sizes(tokenizer)),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        vision_feature_layer=-1, vision_feature_select_strategy="full", image_grid_pinpoints=PINPOINTS,
    )
    image_processor = LlavaOnevisionImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_grid_pinpoints=PINPOINTS)
    processor = LlavaOnevisionProcessor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=LlavaOnevisionVideoProcessor(),
        num_image_tokens=(IMAGE_SIZE // PATCH) ** 2, vision_feature_select_strategy="full", chat_template=chat_template("<image>"),
    )
    return save(directory, LlavaOnevisionForConditionalGeneration, config, processor)


PIXTRAL_TOKENS = {"image_token": "[IMG]", "image_break_token": "[IMG_BREAK]", "image_end_token": "[IMG_END]"}


def _pixtral_parts(spatial_merge_size: int):
    """Pixtral's tokenizer, vision config and processor (rows of [IMG] tokens ended by [IMG_BREAK])."""
    from transformers import PixtralImageProcessor, PixtralProcessor, PixtralVisionConfig

    tokenizer = train_tokenizer(list(PIXTRAL_TOKENS.values()))
    vision = PixtralVisionConfig(**vision_sizes(), head_dim=16)
    processor = PixtralProcessor(
        image_processor=PixtralImageProcessor(size={"longest_edge": IMAGE_SIZE}, patch_size=PATCH), tokenizer=tokenizer,
        patch_size=PATCH, spatial_merge_size=spatial_merge_size, chat_template=chat_template("[IMG]"), **PIXTRAL_TOKENS,
    )
    return tokenizer, vision, processor


def build_pixtral(directory: Path) -> Path:
    """Pixtral: a LLaVA model with Pixtral's vision tower and a Mistral decoder."""
    from transformers import LlavaConfig, LlavaForConditionalGeneration, MistralConfig

    tokenizer, vision, processor = _pixtral_parts(spatial_merge_size=1)
    config = LlavaConfig(
        vision_config=vision, text_config=MistralConfig(**text_sizes(tokenizer), head_dim=16),
        image_token_id=tokenizer.convert_tokens_to_ids("[IMG]"), vision_feature_layer=-1, vision_feature_select_strategy="full",
    )
    return save(directory, LlavaForConditionalGeneration, config, processor)


def build_mistral3(directory: Path) -> Path:
    """Mistral 3 (Mistral-Small-3.1): Pixtral's tower with 2×2 patch merging."""
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration, MistralConfig

    tokenizer, vision, processor = _pixtral_parts(spatial_merge_size=2)
    config = Mistral3Config(
        vision_config=vision, text_config=MistralConfig(**text_sizes(tokenizer), head_dim=16),
        image_token_index=tokenizer.convert_tokens_to_ids("[IMG]"), spatial_merge_size=2, vision_feature_layer=-1,
    )
    return save(directory, Mistral3ForConditionalGeneration, config, processor)


def build_aya_vision(directory: Path) -> Path:
    """Aya Vision: SigLIP tower, pixel-shuffle downsampling by 2, a Cohere 2 decoder."""
    from transformers import AyaVisionConfig, AyaVisionForConditionalGeneration, AyaVisionProcessor, Cohere2Config, GotOcr2ImageProcessor, SiglipVisionConfig

    tokens = ["<image>", "<|START_OF_IMG|>", "<|END_OF_IMG|>", "<|IMG_PATCH|>", "<|IMG_LINE_BREAK|>"]
    tokenizer = train_tokenizer(tokens)
    config = AyaVisionConfig(
        vision_config=SiglipVisionConfig(**vision_sizes()),
        text_config=Cohere2Config(**text_sizes(tokenizer), head_dim=16, sliding_window=4096, layer_types=["full_attention"] * 2),
        image_token_index=tokenizer.convert_tokens_to_ids("<|IMG_PATCH|>"), downsample_factor=2, vision_feature_layer=-1,
    )
    image_processor = GotOcr2ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, crop_to_patches=False)
    processor = AyaVisionProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH, img_size=IMAGE_SIZE, downsample_factor=2,
        chat_template=chat_template("<image>"),
    )
    return save(directory, AyaVisionForConditionalGeneration, config, processor)
