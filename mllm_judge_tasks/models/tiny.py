"""Tiny random-weight vision-language models, built on the spot with no download.

For tests, benchmarks and the demo: they exercise the whole judge path (chat
template, processor, batching, generation) in seconds on a CPU; their
verdicts mean nothing.

Each is made from a config, a byte-level BPE tokenizer trained on the spot
with `tokenizers`, the architecture's own image processor and processor, and
a chat template; it is saved with `save_pretrained` so tests load it the way a
user loads a real checkpoint. Known quirks: LLaVA counts one extra (CLS)
image token (`num_additional_image_tokens=1`); Idefics3 must not split images
(`do_image_splitting=False`); Gemma 3's image tokens are extra special tokens
of its tokenizer; Qwen2-VL's rotary sections (`mrope_section`) must add up to
half the head size, and its processor refuses images whose aspect ratio
exceeds 200 (as the real checkpoints' processors do).
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

CORPUS = [
    "Judgement: [[1]] [[2]] [[3]] [[4]] [[5]] [[A]] [[B]] [[C]] [[D]], [[A]], [[B]]",
    "You are a careful and impartial judge. Rate the response. Response A is better than response B.",
    "How many circles are in the image? What colour is the large square? Rank the responses from best to worst.",
    "The answer is correct and grounded in the image. It is hard to tell. user assistant",
]
IMAGE_SIZE, PATCH = 32, 8
ARCHITECTURES = ("llava", "idefics3", "gemma3", "qwen2_vl")


def _template(image_placeholder: str) -> str:
    return (
        "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: "
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        "{% for part in message['content'] %}{% if part['type'] == 'image' %}" + image_placeholder +
        "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}"
    )


def train_tokenizer(special: list[str], extra: dict[str, str] | None = None) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500, special_tokens=["<unk>", "<s>", "</s>", "<pad>", *special], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        extra_special_tokens=extra or {}, padding_side="left",
    )


def _text_sizes(tokenizer) -> dict:
    return dict(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )


def _vision_sizes() -> dict:
    return dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                image_size=IMAGE_SIZE, patch_size=PATCH)


def build_llava(directory: Path) -> Path:
    from transformers import CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tokenizer = train_tokenizer(["<image>"], {"image_token": "<image>"})
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(**_vision_sizes(), projection_dim=32), text_config=LlamaConfig(**_text_sizes(tokenizer)),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = LlavaProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH, vision_feature_select_strategy="default",
        num_additional_image_tokens=1, chat_template=_template("<image>"),
    )
    return _save(directory, LlavaForConditionalGeneration(config), processor)


def build_idefics3(directory: Path) -> Path:
    from transformers import (Idefics3Config, Idefics3ForConditionalGeneration, Idefics3ImageProcessor, Idefics3Processor,
                              Idefics3VisionConfig, LlamaConfig)

    special = ["<fake_token_around_image>", "<image>", "<global-img>", "<end_of_utterance>"]
    tokenizer = train_tokenizer(special, {"image_token": "<image>"})
    scale_factor = 2
    config = Idefics3Config(
        vision_config=Idefics3VisionConfig(**_vision_sizes()), text_config=LlamaConfig(**_text_sizes(tokenizer)),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"), scale_factor=scale_factor,
    )
    image_processor = Idefics3ImageProcessor(
        do_image_splitting=False, size={"longest_edge": IMAGE_SIZE}, max_image_size={"longest_edge": IMAGE_SIZE},
    )
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer,
        image_seq_len=(IMAGE_SIZE // PATCH) ** 2 // scale_factor**2, chat_template=_template("<image>"),
    )
    return _save(directory, Idefics3ForConditionalGeneration(config), processor)


def build_gemma3(directory: Path) -> Path:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessor, Gemma3Processor, Gemma3TextConfig, SiglipVisionConfig

    tokens = {"boi_token": "<start_of_image>", "image_token": "<image_soft_token>", "eoi_token": "<end_of_image>"}
    tokenizer = train_tokenizer(list(tokens.values()), tokens)
    sizes = _text_sizes(tokenizer)
    text = Gemma3TextConfig(**sizes, head_dim=16, sliding_window=64)
    tokens_per_image = 4
    config = Gemma3Config(
        text_config=text, vision_config=SiglipVisionConfig(**_vision_sizes()), mm_tokens_per_image=tokens_per_image,
        image_token_index=tokenizer.convert_tokens_to_ids(tokens["image_token"]),
        boi_token_index=tokenizer.convert_tokens_to_ids(tokens["boi_token"]),
        eoi_token_index=tokenizer.convert_tokens_to_ids(tokens["eoi_token"]),
    )
    image_processor = Gemma3ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = Gemma3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_length=tokens_per_image,
        chat_template=_template(tokens["boi_token"]),
    )
    return _save(directory, Gemma3ForConditionalGeneration(config), processor)


def build_qwen2_vl(directory: Path) -> Path:
    from transformers import (Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLImageProcessor, Qwen2VLProcessor,
                              Qwen2VLVideoProcessor)

    tokens = {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
              "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"}
    tokenizer = train_tokenizer(list(tokens.values()), tokens)
    token_ids = {f"{name}_id": tokenizer.convert_tokens_to_ids(token) for name, token in tokens.items()}
    head_dim = 32 // 2
    config = Qwen2VLConfig(
        text_config=dict(**_text_sizes(tokenizer),
                         rope_parameters={"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0}),
        vision_config=dict(depth=2, embed_dim=32, hidden_size=32, num_heads=2, mlp_ratio=2, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, in_channels=3),
        **token_ids,
    )
    assert sum(config.text_config.rope_parameters["mrope_section"]) == head_dim // 2
    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28, max_pixels=56 * 56, patch_size=14, merge_size=2,
                                            temporal_patch_size=2)
    processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor(),
                                 chat_template=_template("<|vision_start|><|image_pad|><|vision_end|>"))
    return _save(directory, Qwen2VLForConditionalGeneration(config), processor)


def _save(directory: Path, model, processor) -> Path:
    torch.manual_seed(0)
    model.apply(model._init_weights)
    model.eval().save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


BUILDERS = {"llava": build_llava, "idefics3": build_idefics3, "gemma3": build_gemma3, "qwen2_vl": build_qwen2_vl}
