"""Llama 3.2 Vision (Mllama): the image enters through cross-attention layers, not as prompt tokens."""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import HEADS, HIDDEN, IMAGE_SIZE, PATCH, chat_template, save, text_sizes, train_tokenizer


def build_mllama(directory: Path) -> Path:
    from transformers import MllamaConfig, MllamaForConditionalGeneration, MllamaImageProcessor, MllamaProcessor

    tokenizer = train_tokenizer(["<|image|>", "<|python_tag|>"], {"image_token": "<|image|>"})
    text = text_sizes(tokenizer, cross_attention_layers=[1])
    text.pop("num_key_value_heads")
    config = MllamaConfig(
        vision_config=dict(hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_global_layers=1,
                           attention_heads=HEADS, image_size=IMAGE_SIZE, patch_size=PATCH, max_num_tiles=1,
                           intermediate_layers_indices=[0], vision_output_dim=2 * HIDDEN,
                           supported_aspect_ratios=[[1, 1]]),
        text_config=dict(**text, num_key_value_heads=HEADS),
        image_token_index=tokenizer.convert_tokens_to_ids("<|image|>"),
    )
    image_processor = MllamaImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, max_image_tiles=1)
    processor = MllamaProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template("<|image|>"))
    return save(directory, MllamaForConditionalGeneration, config, processor)
