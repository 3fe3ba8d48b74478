import pytest
from PIL import Image

from mllm_judge_tasks.prompts import SETTINGS, MissingDescription, judge_messages, judge_prompt
from mllm_judge_tasks.verdicts import parse_batch_verdict

PAIR = {"id": "pair-1", "image": Image.new("RGB", (8, 8)), "instruction": "Count the dogs.",
        "response_a": "Two dogs.", "response_b": "Three dogs.", "image_description": None}
BATCH = {"id": "batch-1", "image": Image.new("RGB", (8, 8)), "instruction": "Count.", "responses": ["1", "2", "3"], "image_description": "Three dogs."}


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_builds_standard_chat_messages(setting):
    (message,) = judge_messages("batch", BATCH, setting)
    kinds = [part["type"] for part in message["content"]]
    assert message["role"] == "user"
    assert kinds == (["image", "text"] if setting in {"plain", "cot_figure", "cot_instruction", "cot_both"} else ["text"])
    text = message["content"][-1]["text"]
    assert "[Response C]" in text and "[Response D]" not in text
    assert ("Three dogs." in text) == (setting == "vision_expert")


def test_the_example_verdict_in_the_prompt_parses():
    text = judge_prompt("batch", BATCH)
    example = text.split("Judgement: ")[1].split(", listing")[0]
    assert parse_batch_verdict(example, n_responses=3).verdict == "CBA"


def test_vision_expert_without_a_description_is_a_clear_error():
    with pytest.raises(MissingDescription, match="pair-1"):
        judge_prompt("pair", PAIR, "vision_expert")
    assert "a cat" in judge_prompt("pair", PAIR, "vision_expert", description="a cat")


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError):
        judge_prompt("pair", PAIR, "cot_everything")


def test_vision_expert_reads_a_description_file(tmp_path, monkeypatch):
    from mllm_judge_tasks.tasks import hooks

    descriptions = tmp_path / "descriptions.jsonl"
    descriptions.write_text('{"image_file": "7.jpg", "description": "A red kite over a beach."}\n')
    monkeypatch.setenv("MLLM_JUDGE_DESCRIPTIONS", str(descriptions))
    hooks._descriptions.cache_clear()
    try:
        text = hooks.doc_to_text({**PAIR, "image_file": "7.jpg"}, {"task": "pair", "setting": "vision_expert"})
        assert "A red kite over a beach." in text
        assert hooks.doc_to_no_visual(PAIR) == []
        descriptions.write_text('{"image_file": "7.jpg"}\n')
        hooks._descriptions.cache_clear()
        with pytest.raises(ValueError, match="descriptions.jsonl:1"):
            hooks.doc_to_text({**PAIR, "image_file": "7.jpg"}, {"task": "pair", "setting": "vision_expert"})
    finally:
        hooks._descriptions.cache_clear()


@pytest.mark.parametrize("setting", SETTINGS)
def test_messages_validate_as_lmms_eval_chat_messages(setting):
    """lmms-eval's chat backends (vllm, sglang, openai, ...) read task messages through this protocol."""
    from lmms_eval.protocol import ChatMessages

    chat = ChatMessages(messages=judge_messages("batch", BATCH, setting))
    kinds = [type(part).__name__ for part in chat.messages[0].content]
    assert kinds[-1] == "ChatTextContent"
    assert ("ChatImageContent" in kinds) == (setting in {"plain", "cot_figure", "cot_instruction", "cot_both"})
    images, _, _ = chat.extract_media()
    assert len(images) == kinds.count("ChatImageContent")
