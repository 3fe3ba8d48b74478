"""`mllm_judge_vllm` through the real lmms-eval CLI on vLLM's CPU build, against `mllm_judge_hf` on the same model.

Runs in the vLLM virtual environment (`bash .ci/make_vllm_venv`; the "vllm" stage of `.ci/run`); in the main
environment, without vLLM, it is skipped with that reason. Each CLI run starts an engine (about a minute on
a 2-core CPU), so the checks share runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("vllm", reason="vLLM is not installed here: bash .ci/make_vllm_venv, then run this file in .venv-vllm")

from mllm_judge_tasks.models.tiny import build_qwen2_vl  # noqa: E402
from mllm_judge_tasks.verdicts import read_verdict_probabilities  # noqa: E402

LIMIT = 8


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    return build_qwen2_vl(tmp_path_factory.mktemp("vllm-model") / "qwen2_vl", width=64)  # heads of 32 for vLLM on CPU


def run(backend: str, model, tasks: str, out, mini_repo, *model_args: str) -> dict[str, list[dict]]:
    """One lmms-eval run; the logged samples per task."""
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(out) + ".sqlite",
           "VLLM_CPU_KVCACHE_SPACE": "1"}
    args = ",".join([f"pretrained={model}", "dtype=float32", "max_new_tokens=12", *model_args])
    done = subprocess.run(
        [sys.executable, "-m", "lmms_eval", "--model", backend, "--model_args", args, "--tasks", tasks, "--batch_size", "8",
         "--limit", str(LIMIT), "--log_samples", "--output_path", str(out)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=1200,
    )
    results = sorted(out.rglob("*results.json"))
    assert results, done.stderr[-4000:]
    samples = {path.name.split("_samples_")[1].removesuffix(".jsonl"): [json.loads(line) for line in path.read_text().splitlines()]
               for path in out.rglob("*_samples_*.jsonl")}
    return {task: sorted(rows, key=lambda row: row["doc_id"]) for task, rows in samples.items()} | {
        "_results": json.loads(results[-1].read_text())["results"], "_stderr": done.stderr}


def texts(samples: list[dict]) -> list[str]:
    return [row["filtered_resps"][0] for row in samples]


def test_free_generation_equals_the_transformers_backend(qwen, mini_repo, tmp_path):
    ours = run("mllm_judge_vllm", qwen, "mllm_judge_pair", tmp_path / "vllm", mini_repo)
    reference = run("mllm_judge_hf", qwen, "mllm_judge_pair", tmp_path / "hf", mini_repo)
    assert len(set(texts(reference["mllm_judge_pair"]))) > LIMIT // 2  # documents get different answers
    assert texts(ours["mllm_judge_pair"]) == texts(reference["mllm_judge_pair"])
    assert f"mllm_judge_vllm: {LIMIT} requests: 0 from cache, {LIMIT} generated, 0 failed" in ours["_stderr"]


def test_constrained_mode_parses_every_verdict_of_the_three_tasks(qwen, mini_repo, tmp_path):
    ours = run("mllm_judge_vllm", qwen, "mllm_judge", tmp_path / "vllm", mini_repo, "verdict_mode=constrained")
    for task in ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch"):
        assert ours["_results"][task]["parse_rate,none"] == 1.0
        assert ours["_results"][task]["details,none"]["n"] == LIMIT


def test_verdict_probabilities_equal_the_transformers_backend(qwen, mini_repo, tmp_path):
    ours = run("mllm_judge_vllm", qwen, "mllm_judge_score", tmp_path / "vllm", mini_repo, "verdict_mode=probability")
    reference = run("mllm_judge_hf", qwen, "mllm_judge_score", tmp_path / "hf", mini_repo, "verdict_mode=probability")
    got = [read_verdict_probabilities(text)["probabilities"] for text in texts(ours["mllm_judge_score"])]
    expected = [read_verdict_probabilities(text)["probabilities"] for text in texts(reference["mllm_judge_score"])]
    assert expected[0] != expected[1]  # the documents are told apart
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-4)
