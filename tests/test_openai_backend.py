"""`mllm_judge_openai` without a server: the setup mistakes it names before any request, and how its portable
probability route reads an answer's log-probabilities. Against a real vLLM server: tests/test_vllm_backend.py."""

from __future__ import annotations

import pytest

from conftest import closed_port


def test_an_openai_judge_names_an_unreachable_server_and_an_unset_key(monkeypatch):
    """Before any request: a base_url nobody answers on, and a key variable that is not set, each in one line."""
    from mllm_judge_tasks.models.mllm_judge_openai import MLLMJudgeOpenAI
    from mllm_judge_tasks.models.preflight import SetupError

    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(SetupError, match=rf"mllm_judge_openai: cannot reach {url}/models \(ConnectError"):
        MLLMJudgeOpenAI(base_url=url, model="judge", use_cache=False)
    monkeypatch.delenv("JUDGE_KEY", raising=False)
    with pytest.raises(SetupError, match="api_key_env=JUDGE_KEY names an environment variable that is not set"):
        MLLMJudgeOpenAI(base_url=url, model="judge", api_key_env="JUDGE_KEY", use_cache=False)


def test_probabilities_are_read_at_the_token_after_the_verdict_opening():
    """The portable probability route reads the answer's own log-probabilities: at the first token after "[[" that
    follows "Judgement:", renormalised over the options; an answer without the opening gives none (a fallback)."""
    import math

    from openai.types.chat.chat_completion import ChoiceLogprobs
    from openai.types.chat.chat_completion_token_logprob import ChatCompletionTokenLogprob, TopLogprob

    from mllm_judge_tasks.models.endpoint import verdict_token_weights

    def answer(tokens: list[str], tops: dict[str, float]) -> ChoiceLogprobs:
        entries = [ChatCompletionTokenLogprob(token=token, logprob=math.log(0.9), top_logprobs=[
            TopLogprob(token=name, logprob=math.log(p)) for name, p in (tops if token == "A" else {token: 0.9}).items()])
            for token in tokens]
        return ChoiceLogprobs(content=entries)

    tops = {"A": 0.5, " B": 0.25, "x": 0.2, "C": 0.05}  # " B": a token's text is read without its spaces
    early = ["[[", "A", "]]", " so", "\n", "Judgement", ":", " [[", "A", "]]"]  # an "[[A" before the key is not it
    weights = verdict_token_weights(answer(early, tops), ["A", "B", "C"])
    assert weights == pytest.approx([0.5 / 0.8, 0.25 / 0.8, 0.05 / 0.8])
    assert verdict_token_weights(answer(["[[", "A", "]]"], tops), ["A", "B", "C"]) is None
    assert verdict_token_weights(answer(["Judgement", ":", " [[", "A"], {"x": 0.9}), ["A", "B", "C"]) is None
