"""A request's protocol task, chat messages → model inputs, and free generation with stop strings."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import torch
from PIL import Image, ImageFile

from mllm_judge_tasks.protocol import TASKS

from .cache import image_digest
from .preflight import SetupError


def protocol_task(doc_to_messages) -> str:
    """The protocol task ("score", "pair", "batch") a request's task YAML names (`lmms_eval_specific_kwargs`).

    lmms-eval hands a chat model its Task's bound `doc_to_messages`, and the Task
    holds the YAML's kwargs, so the task travels with every request: nothing is
    guessed from which fields a document has.
    """
    kwargs = getattr(getattr(doc_to_messages, "__self__", None), "lmms_eval_specific_kwargs", None)
    task = kwargs.get("task") if isinstance(kwargs, dict) else None
    if task not in TASKS:
        raise SetupError("a request's task YAML names no protocol task (lmms_eval_specific_kwargs: task: score, pair "
                         "or batch); the mllm_judge backends judge the mllm_judge tasks")
    return task


@dataclass
class JudgeRequest:
    """One item to judge: the rendered prompt and images, and what its verdict must be (its task, answer count)."""

    prompt: str  # the chat template applied, generation prompt included
    images: list[Image.Image]
    task: str  # "score", "pair" or "batch", from the task YAML
    answer_count: int  # responses shown: a ranking's options depend on it
    item_id: str = ""  # the row's id, for messages
    messages: list[dict] | None = None  # for a server: the chat messages, images as placeholders in `images`' order
    harness_task: str = ""  # the lmms-eval task asking (mllm_judge_pair, ...), for usage counts
    conversations: list[str] | None = None  # for a reward model: each shown response's rendered conversation

    @cached_property
    def image_digests(self) -> list[str]:
        """Each image's pixel digest, computed once: the cache key's part, and what groups requests sharing an image."""
        return [image_digest(image) for image in self.images]


@contextmanager
def whole_images_only() -> Iterator[None]:
    """Within it, an image file cut short fails to decode (OSError "image file is truncated").

    lmms-eval's task module sets PIL's global `ImageFile.LOAD_TRUNCATED_IMAGES` on import (for one truncated
    image in NoCaps), so in every lmms-eval run a truncated image would decode with its missing rows filled grey
    and be judged as if humans had seen that picture. Our backends render documents within this, so such an
    item is a judge failure instead; lmms-eval's own models keep lmms-eval's choice.
    """
    allowed = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = allowed


def cap_pixels(image: Image.Image, max_pixels: int | None) -> Image.Image:
    """Shrink (never enlarge) an image to at most `max_pixels`, keeping its aspect ratio,
    so one huge image cannot blow up a batch."""
    image = image.convert("RGB")
    if max_pixels is None or image.width * image.height <= max_pixels:
        return image
    scale = math.sqrt(max_pixels / (image.width * image.height))
    return image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))), Image.BICUBIC)


def split_images(messages: list[dict], max_pixels: int | None) -> tuple[list[dict], list[Image.Image]]:
    """The messages with each image part replaced by a placeholder `{"type": "image"}`, and the images in order,
    each capped to `max_pixels`."""
    images, rendered = [], []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            rendered.append(message)
            continue
        parts = []
        for part in content:
            if part.get("type") == "image":
                image = part.get("url", part.get("image"))
                if not isinstance(image, Image.Image):
                    raise ValueError(f"image content part holds {type(image).__name__}, expected a PIL image")
                images.append(cap_pixels(image, max_pixels))
                parts.append({"type": "image"})
            else:
                parts.append(part)
        rendered.append({**message, "content": parts})
    return rendered, images


def to_request(processor, messages: list[dict], max_pixels: int | None, *, task: str, answer_count: int,
               item_id: str = "") -> JudgeRequest:
    """Take the images out of the content parts and render the chat template around placeholders."""
    rendered, images = split_images(messages, max_pixels)
    prompt = processor.apply_chat_template(rendered, add_generation_prompt=True, tokenize=False)
    return JudgeRequest(prompt=prompt, images=images, task=task, answer_count=answer_count, item_id=item_id)


def encode(processor, prompts: Sequence[str], images: Sequence[list[Image.Image]], device, dtype) -> dict:
    """A left-padded batch; pixel values in the model's dtype."""
    kwargs = {"text": list(prompts), "padding": True, "return_tensors": "pt"}
    if any(images):
        kwargs["images"] = [list(sample) for sample in images]
    batch = processor(**kwargs)
    return {
        key: value.to(device=device, dtype=dtype) if torch.is_floating_point(value) else value.to(device)
        for key, value in batch.items()
    }


def cut_at_stop(text: str, stop_strings: Sequence[str]) -> str:
    """The text up to the first stop string (generation includes the string it stopped on)."""
    positions = [text.find(stop) for stop in stop_strings if stop and stop in text]
    return text[: min(positions)] if positions else text


def generate_texts(
    judge, batch: dict, *, max_new_tokens: int, stop_strings: Sequence[str], temperature: float = 0.0, **extra
) -> list[str]:
    """Greedy unless the task asks for a temperature above 0."""
    tokenizer = judge.processor.tokenizer
    sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
    with torch.inference_mode():
        output = judge.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            **sampling,
            stop_strings=list(stop_strings) or None,
            tokenizer=tokenizer if stop_strings else None,
            pad_token_id=tokenizer.pad_token_id,
            **extra,
        )
    new_tokens = output[:, batch["input_ids"].shape[1]:]
    texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return [cut_at_stop(text, stop_strings) for text in texts]
