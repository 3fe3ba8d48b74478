"""Data parallel on CPU: two processes under torchrun give the one-process run's answers, sample by sample.

lmms-eval splits each task's documents over the ranks and gathers them; with an
odd item count the ranks get unequal shares. `device=cpu` must be kept under
several processes (it used to be replaced by `cuda:N`, crashing both ranks).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

TASKS = ("mllm_judge_pair", "mllm_judge_score")
LIMIT = 7  # odd: the two ranks get 4 and 3 documents


def run_lmms_eval(launcher: list[str], model, out, env, backend: str = "mllm_judge_hf",
                  args: str = ",max_new_tokens=8") -> subprocess.CompletedProcess:
    command = [*launcher, "-m", "lmms_eval", "--model", backend, "--model_args",
               f"pretrained={model},device=cpu{args}", "--tasks", ",".join(TASKS), "--batch_size", "3",
               "--limit", str(LIMIT), "--log_samples", "--output_path", str(out)]
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=900)


def samples_and_metrics(out) -> tuple[dict, dict]:
    samples = {}
    for task in TASKS:
        for line in next(out.rglob(f"*samples_{task}.jsonl")).read_text().splitlines():
            sample = json.loads(line)
            key = (task, sample["doc_id"])
            assert key not in samples, f"{key} logged twice"
            samples[key] = sample["filtered_resps"]
    results = json.loads(next(out.rglob("*results.json")).read_text())["results"]
    return samples, {task: {k: v for k, v in results[task].items() if k != "alias"} for task in TASKS}


def test_two_processes_on_cpu_equal_one_process(tiny_model, mini_repo, tmp_path):
    model = tiny_model("llava")
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(tmp_path / "cache.sqlite"),
           "OMP_NUM_THREADS": "1"}
    one = run_lmms_eval([sys.executable], model, tmp_path / "one", {**env, "MLLM_JUDGE_CACHE": str(tmp_path / "one.sqlite")})
    assert one.returncode == 0, one.stderr[-3000:]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    two = run_lmms_eval(torchrun, model, tmp_path / "two", {**env, "MLLM_JUDGE_CACHE": str(tmp_path / "two.sqlite")})
    assert two.returncode == 0, two.stderr[-3000:]
    # Both ranks loaded the model and generated (each prints its own count).
    assert len(re.findall(r"mllm_judge_hf: \d+ requests: 0 from cache, \d+ generated, 0 failed", two.stderr)) == 2, two.stderr[-3000:]
    single_samples, single_metrics = samples_and_metrics(tmp_path / "one")
    parallel_samples, parallel_metrics = samples_and_metrics(tmp_path / "two")
    assert sorted(single_samples) == [(task, i) for task in TASKS for i in range(LIMIT)]
    assert len({str(answer) for answer in single_samples.values()}) > LIMIT  # answers differ across documents
    assert parallel_samples == single_samples
    assert parallel_metrics == single_metrics


def test_a_reward_model_in_two_processes_equals_one_process(tmp_path, mini_repo):
    from tiny_models.reward import build_value_head_reward

    model = build_value_head_reward(tmp_path / "reward-model")
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    runs = {}
    for name, launcher in (("one", [sys.executable]), ("two", torchrun)):
        done = run_lmms_eval(launcher, model, tmp_path / name, {**env, "MLLM_JUDGE_CACHE": str(tmp_path / f"{name}.sqlite")},
                             backend="mllm_judge_rm", args="")
        assert done.returncode == 0, done.stderr[-3000:]
        runs[name] = samples_and_metrics(tmp_path / name)
    assert len(re.findall(r"mllm_judge_rm: \d+ responses: \d+ scored", done.stderr)) == 2, done.stderr[-3000:]
    (single, single_metrics), (parallel, parallel_metrics) = runs["one"], runs["two"]
    rewards = {key: json.loads(answer[0])["rewards"] for key, answer in single.items()}
    assert len({str(value) for value in rewards.values()}) > LIMIT  # rewards differ across documents
    # Other batches, other padding: the same rewards within float32 rounding, and so the same verdicts.
    assert {key: json.loads(answer[0])["rewards"] for key, answer in parallel.items()} == {
        key: pytest.approx(value, abs=1e-5) for key, value in rewards.items()}
    for task, metrics in single_metrics.items():
        numbers = {key: value for key, value in metrics.items() if isinstance(value, float)}
        assert numbers and {key: parallel_metrics[task][key] for key in numbers} == pytest.approx(numbers, abs=1e-6)
