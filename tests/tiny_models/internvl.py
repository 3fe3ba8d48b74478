"""InternVL (the transformers-native checkpoints, `OpenGVLab/InternVL3-*-hf`): InternViT, pixel shuffle, Qwen2."""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import IMAGE_SIZE, PATCH, chat_template, save, text_sizes, train_tokenizer, vision_sizes

# The processor finds these on the tokenizer by name.
TOKENS = {"start_image_token": "<img>", "end_image_token": "</img>", "context_image_token": "<IMG_CONTEXT>",
          "video_token": "<video>"}


def build_internvl(directory: Path) -> Path:
    from transformers import (GotOcr2ImageProcessor, InternVLConfig, InternVLForConditionalGeneration, InternVLProcessor,
                              InternVLVideoProcessor, InternVLVisionConfig, Qwen2Config)

    tokenizer = train_tokenizer(list(TOKENS.values()), TOKENS)
    image_seq_length = (IMAGE_SIZE // PATCH) ** 2 // 4  # pixel shuffle halves each side
    config = InternVLConfig(
        vision_config=InternVLVisionConfig(**vision_sizes(image_size=[IMAGE_SIZE, IMAGE_SIZE], patch_size=[PATCH, PATCH])),
        text_config=Qwen2Config(**text_sizes(tokenizer)), image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=image_seq_length, downsample_ratio=0.5, vision_feature_layer=-1,
    )
    image_processor = GotOcr2ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, crop_to_patches=False)
    processor = InternVLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=InternVLVideoProcessor(),
                                  image_seq_length=image_seq_length, chat_template=chat_template("<IMG_CONTEXT>"))
    return save(directory, InternVLForConditionalGeneration, config, processor)
