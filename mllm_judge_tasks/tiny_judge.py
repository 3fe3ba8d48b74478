"""The demo's judge: a tiny random-weight LLaVA built on the spot, with no download.

`mllm-judge demo` runs the whole judge path (chat template, processor,
batching, generation) on it in seconds on a CPU; its verdicts mean nothing. It
is made from a config, a byte-level BPE tokenizer trained on the spot, CLIP's
image processor and LLaVA's processor, and a chat template, and saved with
`save_pretrained`, so it loads the way a user's checkpoint does. Weights are
drawn wide enough that different documents get different greedy answers
(`spread_weights`). The tests' builders for the other families (tests/tiny_models,
not installed) share these helpers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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
# Any-resolution families tile an image on this grid (one to four 32×32 tiles).
PINPOINTS = [[IMAGE_SIZE, IMAGE_SIZE], [IMAGE_SIZE, 2 * IMAGE_SIZE], [2 * IMAGE_SIZE, IMAGE_SIZE], [2 * IMAGE_SIZE, 2 * IMAGE_SIZE]]
HIDDEN, HEADS = 32, 2
# Random weights drawn with this gain (std = gain / sqrt(fan_in)) make the output depend on the prompt:
# with the usual std 0.02 a 2-layer model gives every document the same text, and a test comparing
# batched with unbatched answers would compare identical strings.
WEIGHT_GAIN = 2.0


def chat_template(image_placeholder: str, bos: str = "{{ bos_token }}") -> str:
    """A plain role-prefixed template that puts the family's image placeholder where each image is."""
    return (
        bos + "{% for message in messages %}{{ message['role'] }}: "
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        "{% for part in message['content'] %}{% if part['type'] == 'image' %}" + image_placeholder +
        "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}"
    )


def train_tokenizer(special: list[str], extra: dict[str, str] | None = None, **names: str) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer over the judge vocabulary; `special` tokens are never split.

    `extra` names special tokens the family's processor looks up on the tokenizer
    (`tokenizer.image_token`); `names` overrides bos/eos/pad/unk (PaliGemma's `<bos>`).
    """
    roles = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", **names}
    tokenizer = Tokenizer(models.BPE(unk_token=roles["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500, special_tokens=[*dict.fromkeys(roles.values()), *special], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, extra_special_tokens=extra or {}, padding_side="left", **roles)


def token_ids(tokenizer, tokens: dict[str, str], suffix: str = "_id") -> dict[str, int]:
    """Config keyword arguments (`image_token_id=...`) for named special tokens."""
    return {f"{name}{suffix}": tokenizer.convert_tokens_to_ids(token) for name, token in tokens.items()}


def text_sizes(tokenizer, **overrides) -> dict:
    """A 2-layer decoder of width 32; special token ids from the tokenizer."""
    return dict(
        vocab_size=len(tokenizer), hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=HEADS, num_key_value_heads=HEADS, max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    ) | overrides


def vision_sizes(**overrides) -> dict:
    """A 2-layer ViT over 32×32 images in 8×8 patches (16 patches)."""
    return dict(hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=HEADS,
                image_size=IMAGE_SIZE, patch_size=PATCH) | overrides


def spread_weights(model: torch.nn.Module, gain: float = WEIGHT_GAIN) -> None:
    """Redraw every matrix (std = gain/√fan_in), so that different prompts get different greedy answers.

    Vectors (norm scales, biases) keep the model's own initialisation.
    """
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() >= 2:
                fan_in = parameter[0].numel()
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * (gain / math.sqrt(fan_in)))


def save(directory: Path, model_class, config, processor, adjust: Callable[[torch.nn.Module], None] | None = None) -> Path:
    """Make the model (seeded: some weights, e.g. CLIP's class embedding, are drawn when the model is made),
    spread (then `adjust`) its weights and save it with its processor as a user's checkpoint directory."""
    torch.manual_seed(0)
    model = model_class(config)
    model.apply(model._init_weights)
    spread_weights(model)
    if adjust is not None:
        adjust(model)
    model.eval().save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


def build_llava(directory: Path, width: int = HIDDEN) -> Path:
    """LLaVA 1.5; its processor counts one extra (CLS) image token. `width=64` gives heads of 32 (vLLM on CPU)."""
    from transformers import CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tokenizer = train_tokenizer(["<image>"], {"image_token": "<image>"})
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(**vision_sizes(hidden_size=width), projection_dim=width),
        text_config=LlamaConfig(**text_sizes(tokenizer, hidden_size=width)),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = LlavaProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH, vision_feature_select_strategy="default",
        num_additional_image_tokens=1, chat_template=chat_template("<image>"),
    )
    save(directory, LlavaForConditionalGeneration, config, processor)
    return _name_vision_weights_as_on_the_hub(directory)


def _name_vision_weights_as_on_the_hub(directory: Path) -> Path:
    """Write the CLIP tower's weights as `vision_tower.vision_model.*`, as llava-hf checkpoints on the Hub do.

    transformers 5 saves them as `vision_tower.*` and reads either; vLLM reads only the Hub's names.
    """
    from safetensors.torch import load_file, save_file

    path = directory / "model.safetensors"
    weights = load_file(path)
    prefix = "vision_tower."
    renamed = {prefix + "vision_model." + name[len(prefix):] if name.startswith(prefix) and not name.startswith(prefix + "vision_model.")
               else name: tensor for name, tensor in weights.items()}
    save_file(renamed, path, metadata={"format": "pt"})
    return directory
