"""Gemma 3 and PaliGemma: SigLIP tower, Gemma decoder.

Gemma 3 normalises each block's output and scales the token embeddings up, so
at this size the last token decides the next one and every document gets the
same answer. Three settings give the prompt its say: a sliding window wider
than any judge prompt (a narrower one shows every document the same last
tokens), sharp attention (`query_pre_attn_scalar=1`), and block outputs scaled
up (its zero-centred post-norm weights set to 3, i.e. ×4). PaliGemma's processor appends "\\n" to the prompt (and may add a
second BOS); the backend reads verdict probabilities at the end of the verdict
key, not at the last token.
"""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.tiny_judge import IMAGE_SIZE, PATCH, chat_template, save, text_sizes, train_tokenizer, vision_sizes

GEMMA3_TOKENS = {"boi_token": "<start_of_image>", "image_token": "<image_soft_token>", "eoi_token": "<end_of_image>"}


def build_gemma3(directory: Path) -> Path:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessor, Gemma3Processor, Gemma3TextConfig, SiglipVisionConfig

    tokenizer = train_tokenizer(list(GEMMA3_TOKENS.values()), GEMMA3_TOKENS)
    sizes = text_sizes(tokenizer)
    text = Gemma3TextConfig(**sizes, head_dim=16, query_pre_attn_scalar=1, sliding_window=sizes["max_position_embeddings"])
    tokens_per_image = 4
    config = Gemma3Config(
        text_config=text, vision_config=SiglipVisionConfig(**vision_sizes()), mm_tokens_per_image=tokens_per_image,
        image_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_TOKENS["image_token"]),
        boi_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_TOKENS["boi_token"]),
        eoi_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_TOKENS["eoi_token"]),
    )
    processor = Gemma3Processor(
        image_processor=Gemma3ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}), tokenizer=tokenizer,
        image_seq_length=tokens_per_image, chat_template=chat_template(GEMMA3_TOKENS["boi_token"]),
    )
    return save(directory, Gemma3ForConditionalGeneration, config, processor, adjust=_amplify_blocks)


def _amplify_blocks(model) -> None:
    for name, parameter in model.named_parameters():
        if name.endswith(("post_attention_layernorm.weight", "post_feedforward_layernorm.weight")):
            parameter.data.fill_(3.0)


def build_paligemma(directory: Path) -> Path:
    from transformers import GemmaConfig, PaliGemmaConfig, PaliGemmaForConditionalGeneration, PaliGemmaProcessor, SiglipImageProcessor, SiglipVisionConfig

    tokenizer = train_tokenizer(["<image>"], {"image_token": "<image>"}, bos_token="<bos>", eos_token="<eos>")
    image_processor = SiglipImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    image_processor.image_seq_length = (IMAGE_SIZE // PATCH) ** 2
    # The processor adds PaliGemma's location and segmentation tokens: size the vocabulary after it.
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template("<image>", bos=""))
    config = PaliGemmaConfig(
        vision_config=SiglipVisionConfig(**vision_sizes(), projection_dim=32),
        text_config=GemmaConfig(**text_sizes(tokenizer), head_dim=16),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), vocab_size=len(tokenizer), projection_dim=32,
        hidden_size=32,
    )
    return save(directory, PaliGemmaForConditionalGeneration, config, processor)
