"""The mllm_judge_hf backend: decoding faults, refused checkpoints, the three tasks end to end, resume.

Every family's batching and verdict modes are tested in test_families.py."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kill_and_resume
from datasets import load_dataset
from PIL import Image

from mllm_judge_tasks import harness_requests
from mllm_judge_tasks.models.loading import NotAJudgeModel, load_judge
from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
from tiny_models import build_llava, train_tokenizer
from mllm_judge_tasks.verdicts import NoVerdict, parse_verdict, read_verdict_probabilities


@pytest.fixture(scope="session")
def pair_rows(mini_repo):
    return load_dataset(str(mini_repo), "pair", split="test").select(range(10))


def judge_requests(model, rows, task: str = "pair", setting: str = "plain", max_new_tokens: int = 12):
    return harness_requests.judge_requests(model, rows, task, setting, max_new_tokens)


def judge(path: Path, batch_size: int, **kwargs) -> MLLMJudgeHF:
    return MLLMJudgeHF(pretrained=str(path), batch_size=batch_size, use_cache=False, **kwargs)


def test_an_image_that_fails_to_decode_is_reported_and_the_run_goes_on(tiny_model, pair_rows, tmp_path, capfd):
    """Also in the state of every lmms-eval run, whose task module lets PIL decode a truncated file (rows filled
    grey): the judge must not judge a picture nobody saw."""
    import lmms_eval.api.task  # noqa: F401  (sets ImageFile.LOAD_TRUNCATED_IMAGES, as in an lmms-eval run)

    broken = tmp_path / "broken.jpg"
    Image.effect_noise((64, 64), 80).convert("RGB").save(broken)
    broken.write_bytes(broken.read_bytes()[:-2000])  # the header reads, the pixels do not
    assert Image.open(broken).convert("RGB").size == (64, 64)  # what lmms-eval's setting alone would let through
    rows = [dict(row) for row in pair_rows.select(range(3))]
    rows[1]["image"] = Image.open(broken)  # decoding fails only when the pixels are read
    model = judge(tiny_model("llava"), batch_size=2)
    answers = model.generate_until(judge_requests(model, rows))
    failed = parse_verdict("pair", answers[1])
    assert failed.reason is NoVerdict.JUDGE_FAILED and failed.reason_text.startswith("judge failed: OSError: image file is truncated")
    assert parse_verdict("pair", answers[0]).reason is not NoVerdict.JUDGE_FAILED and answers[2]
    assert "skipped, mllm_judge_pair doc 1 (pair-1): OSError" in capfd.readouterr().err


def test_a_text_only_model_is_refused_with_a_clear_error(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_tokenizer([])
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(NotAJudgeModel, match="'llama' is not an image-text-to-text model"):
        load_judge(str(tmp_path))


def test_a_model_without_chat_template_is_refused(tmp_path):
    path = build_llava(tmp_path / "llava")
    for name in ("chat_template.jinja", "chat_template.json"):
        (path / name).unlink(missing_ok=True)
    config = json.loads((path / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    processor_config = path / "processor_config.json"
    if processor_config.exists():
        data = json.loads(processor_config.read_text())
        data.pop("chat_template", None)
        processor_config.write_text(json.dumps(data))
    with pytest.raises(NotAJudgeModel, match="no chat template"):
        load_judge(str(path))


def lmms_eval_command(model_path: Path, out: Path, tasks: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "lmms_eval", "--model", "mllm_judge_hf", "--model_args",
            f"pretrained={model_path},verdict_mode=constrained,max_new_tokens=8", "--tasks", tasks,
            "--output_path", str(out), *extra]


def test_lmms_eval_runs_the_three_tasks_with_our_backend(tiny_model, mini_repo, tmp_path):
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(tmp_path / "cache.sqlite")}
    done = subprocess.run(lmms_eval_command(tiny_model("idefics3"), tmp_path / "out", "mllm_judge", "--batch_size", "4",
                                            "--limit", "8", "--log_samples"),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=900)
    results = sorted((tmp_path / "out").rglob("*results.json"))
    assert results, done.stderr[-3000:]
    data = json.loads(results[-1].read_text())
    for task in ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch"):
        assert data["results"][task]["parse_rate,none"] == 1.0  # constrained: every verdict valid
        assert data["results"][task]["details,none"]["n"] == 8
    assert "verdict_mode=constrained" in data["config"]["model_args"]  # the results say which mode made them
    assert "mllm_judge_hf: 24 requests: 0 from cache, 24 generated, 0 failed" in done.stderr


def test_a_killed_run_resumes_from_the_cache(tiny_model, mini_repo, tmp_path):
    """Kill lmms-eval after a few batches of 2; the rerun (in batches of 20: the cache keys no batch size) sends
    only the unfinished requests to generate."""
    cache = tmp_path / "cache.sqlite"
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(cache)}
    command = [sys.executable, "-m", "lmms_eval", "--model", "mllm_judge_hf", "--model_args",
               f"pretrained={tiny_model('llava')},max_new_tokens=400", "--tasks", "mllm_judge_pair",
               "--batch_size", "2", "--limit", "40", "--output_path", str(tmp_path / "out")]
    kill_and_resume(command, env, cache, "mllm_judge_hf", requests=40, rerun_batch_size=20)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_the_vllm_backend_without_vllm_says_how_to_install_it(tiny_model):
    from mllm_judge_tasks.models.mllm_judge_vllm import MLLMJudgeVLLM
    from mllm_judge_tasks.problems import UserError

    with pytest.raises(UserError, match=r"mllm_judge_vllm needs vLLM .*pip install vllm.*make_vllm_venv"):
        MLLMJudgeVLLM(pretrained=str(tiny_model("qwen2_vl")), use_cache=False)


def test_probability_mode_is_decided_per_item_in_one_mixed_call(tiny_model, mini_repo):
    """lmms-eval sends every task's requests in one call, sorted by length: a ranking sharing a batch with score and
    pair items must not pull them into constrained mode (it falls back alone)."""
    model = judge(tiny_model("llava"), batch_size=8, verdict_mode="probability")
    rows = {task: load_dataset(str(mini_repo), task, split="test").select(range(3)) for task in ("score", "batch", "pair")}
    requests = [request for task, task_rows in rows.items() for request in harness_requests.judge_requests(model, task_rows, task, max_new_tokens=8)]
    answers = model.generate_until(requests)  # 9 requests, batches of 8: the rankings' long prompts share the first
    with_probabilities = [read_verdict_probabilities(answer) is not None for answer in answers]
    assert with_probabilities == [True] * 3 + [False] * 3 + [True] * 3
    for answer, row in zip(answers[3:6], rows["batch"]):
        assert "\nJudgement: [[" in answer and parse_verdict("batch", answer, len(row["responses"])).ok  # constrained
    scores = [parse_verdict("score", answer) for answer in answers[:3]]
    assert all(isinstance(s.verdict, float) and s.most_likely in range(1, 6) for s in scores)  # the expected score
    alone = [model.generate_until(harness_requests.judge_requests(model, rows["pair"].select([i]), "pair", max_new_tokens=8))[0]
             for i in range(3)]
    for mixed, single in zip(answers[6:], alone):  # mixing changed nothing for the pairs (padding moves the 6th digit)
        got, expected = read_verdict_probabilities(mixed)["probabilities"], read_verdict_probabilities(single)["probabilities"]
        assert got.keys() == expected.keys() and all(abs(got[k] - expected[k]) < 1e-4 for k in got)
