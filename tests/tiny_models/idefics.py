"""Idefics3 and SmolVLM: a SigLIP-style tower whose patches are pixel-shuffled into fewer image tokens.

Images are not split into tiles (`do_image_splitting=False`): one 32×32 view, 4 tokens.
SmolVLM's processor spells numbers with `num2words`, a dependency of this package.
"""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import IMAGE_SIZE, PATCH, chat_template, save, text_sizes, train_tokenizer, vision_sizes

TOKENS = ["<fake_token_around_image>", "<image>", "<global-img>", "<end_of_utterance>"]
SCALE_FACTOR = 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH) ** 2 // SCALE_FACTOR**2
ONE_VIEW = {"longest_edge": IMAGE_SIZE}


def _build(directory: Path, family: str) -> Path:
    """`family` is the class-name prefix: "Idefics3" or "SmolVLM" (whose processor also takes a video processor)."""
    import transformers
    from transformers import LlamaConfig

    def part(name: str):
        return getattr(transformers, family + name)

    tokenizer = train_tokenizer(TOKENS, {"image_token": "<image>"})
    config = part("Config")(
        vision_config=part("VisionConfig")(**vision_sizes()), text_config=LlamaConfig(**text_sizes(tokenizer)),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"), scale_factor=SCALE_FACTOR,
    )
    image_processor = part("ImageProcessor")(do_image_splitting=False, size=ONE_VIEW, max_image_size=ONE_VIEW)
    videos = {"video_processor": part("VideoProcessor")()} if family == "SmolVLM" else {}
    processor = part("Processor")(image_processor=image_processor, tokenizer=tokenizer, image_seq_len=IMAGE_SEQ_LEN,
                                  chat_template=chat_template("<image>"), **videos)
    return save(directory, part("ForConditionalGeneration"), config, processor)


def build_idefics3(directory: Path) -> Path:
    return _build(directory, "Idefics3")


def build_smolvlm(directory: Path) -> Path:
    return _build(directory, "SmolVLM")
