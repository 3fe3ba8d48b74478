"""Judge settings → chat messages, following the paper's protocol in our own words.

Settings (Chen et al. study each): `plain` (analyse, then the verdict),
`cot_figure` (describe the image first), `cot_instruction` (work out what the
instruction asks first), `cot_both`, `no_figure` (text only, no image), and
`vision_expert` (a text description of the image in place of the image).
Messages are standard chat messages (`{"type": "image"}` / `{"type": "text"}`
content parts), so any backend that takes chat messages can run them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import protocol

SETTINGS = ("plain", "cot_figure", "cot_instruction", "cot_both", "no_figure", "vision_expert")
WITH_IMAGE = {"plain", "cot_figure", "cot_instruction", "cot_both"}

_ROLE = (
    "You are a careful and impartial judge. An AI assistant, or several, answered a user's instruction "
    "about an image. Judge the answers by how well they follow the instruction and how accurate they are "
    "about the image; do not let the length of an answer or the order in which answers are shown sway you."
)
_TASK = {
    "score": (
        "Rate the response on a scale of 1 to 5 (1: useless or wrong, 3: partly right, 5: right, complete "
        "and grounded in the image). Finish with your verdict exactly in the form: Judgement: [[N]], where N is 1 to 5."
    ),
    "pair": (
        "Decide which response is better. Finish with your verdict exactly in the form: Judgement: [[A]] if "
        "response A is better, [[B]] if response B is better, or [[C]] if they are equally good."
    ),
    "batch": (
        "Rank all the responses from best to worst. Finish with your verdict exactly in the form: "
        "Judgement: {example}, listing every response letter once, best first."
    ),
}
_STEPS = {
    "plain": "Give a short analysis, then your verdict.",
    "cot_figure": "First describe the image in detail; then analyse the responses against it; then give your verdict.",
    "cot_instruction": (
        "First work out what the instruction asks for and what a good answer must contain; then analyse the "
        "responses against that; then give your verdict."
    ),
    "cot_both": (
        "First describe the image in detail; then work out what the instruction asks for and what a good answer "
        "must contain; then analyse the responses; then give your verdict."
    ),
    "no_figure": "You cannot see the image; judge from the text alone. Give a short analysis, then your verdict.",
    "vision_expert": (
        "You cannot see the image, but a vision expert described it for you. Rely on that description. "
        "Give a short analysis, then your verdict."
    ),
}


class MissingDescription(ValueError):
    """The vision-expert setting needs a description of the image, and none was found."""


def _responses_block(task: str, doc: Mapping[str, Any]) -> str:
    responses = protocol.SPECS[task].responses(doc)
    if task == "score":
        return f"[Response]\n{responses[0]}\n[End of response]"
    return "\n\n".join(
        f"[Response {letter}]\n{text}\n[End of response {letter}]" for letter, text in zip(protocol.BATCH_LETTERS, responses)
    )


def judge_prompt(task: str, doc: Mapping[str, Any], setting: str = "plain", description: str | None = None) -> str:
    """The text of the judge's user turn for one dataset row."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown judge setting {setting!r}; expected one of {', '.join(SETTINGS)}")
    instruction = _TASK[task]
    if task == "batch":
        letters = protocol.BATCH_LETTERS[: protocol.SPECS[task].answer_count(doc)]
        instruction = instruction.format(example=protocol.SPECS[task].verdict_string(letters[::-1]))
    parts = [_ROLE]
    if setting == "vision_expert":
        text = description if description is not None else doc.get("image_description")
        if not text:
            raise MissingDescription(
                f"row {doc.get('id')}: the vision_expert setting needs an image description; the dataset has none "
                "for this image, so pass a description file"
            )
        parts.append(f"[Image description by a vision expert]\n{text}\n[End of description]")
    parts += [f"[Instruction]\n{doc['instruction']}\n[End of instruction]", _responses_block(task, doc), instruction, _STEPS[setting]]
    return "\n\n".join(parts)


def judge_messages(task: str, doc: Mapping[str, Any], setting: str = "plain", description: str | None = None) -> list[dict]:
    """Chat messages for one row: the image (in the settings that show it) and the prompt."""
    content: list[dict] = []
    if setting in WITH_IMAGE:
        content.append({"type": "image", "url": doc["image"].convert("RGB")})
    content.append({"type": "text", "text": judge_prompt(task, doc, setting, description)})
    return [{"role": "user", "content": content}]


def reward_messages(instruction: str, response: str, image_count: int) -> list[dict]:
    """What a reward model reads of one response: the user's turn (the images, then the instruction, as
    Skywork-VL-Reward's card renders it) and the response as the assistant's turn; no judge prompt."""
    content = [{"type": "image"}] * image_count + [{"type": "text", "text": instruction}]
    return [{"role": "user", "content": content}, {"role": "assistant", "content": response}]
