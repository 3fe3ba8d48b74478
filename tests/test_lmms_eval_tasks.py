"""The real lmms-eval CLI runs our tasks over the mini benchmark with the dummy model;
every metric is read from results.json (the CLI exits 0 even when a run crashes). The CLI is called in this
process (tests/lmms_eval_run.py), but where the test is about how a new process finds our tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmms_eval_run import lmms_eval_in_process
from mllm_judge_tasks.tasks import TASKS_DIR

# One fixed answer that states one verdict in each of the three tasks: [[A]] after the last key for pair (no other
# letter marker disagrees), the ranking A B C D after "Ranking:" for batch, the only score marker [[3]] for score.
# (No commas: lmms-eval splits --model_args on them.)
DUMMY_RESPONSE = "Ranking: A B C D. Judgement: [[A]] overall [[3]]"


def run_lmms_eval(tmp_path: Path, mini_repo: Path, *args: str, env: dict | None = None, new_process: bool = False,
                  response: str = DUMMY_RESPONSE) -> dict:
    """lmms-eval's dummy model on our tasks; in this process unless the test is about how a process starts."""
    out = tmp_path / "out"
    argv = ["--model", "dummy", "--model_args", f"response={response}", "--output_path", str(out), "--log_samples", *args]
    env = {"MLLM_JUDGE_DATASET": str(mini_repo), **(env or {})}
    if new_process:
        done = subprocess.run([sys.executable, "-m", "lmms_eval", *argv], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, cwd=tmp_path, timeout=900, env={**os.environ, **env})
    else:
        done = lmms_eval_in_process(argv, env)
    results = sorted(out.rglob("*results.json"))
    assert results, f"no results.json; lmms-eval said:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return {"results": json.loads(results[-1].read_text()), "samples": sorted(out.rglob("*samples_*.jsonl"))}


@pytest.fixture(scope="module")
def group_run(tmp_path_factory, mini_repo):
    return run_lmms_eval(tmp_path_factory.mktemp("lmms"), mini_repo, "--tasks",
                         "mllm_judge,mllm_judge_pair_swap,mllm_judge_batch_shuffled", "--repeats", "2")


def test_every_metric_lands_in_results_json(group_run):
    results = group_run["results"]["results"]
    score, pair, batch = results["mllm_judge_score"], results["mllm_judge_pair"], results["mllm_judge_batch"]
    assert score["parse_rate,none"] == pair["parse_rate,none"] == batch["parse_rate,none"] == 1.0
    # A constant score of 3 has no correlation: reported as undefined, not as 0.
    assert score["pearson,none"] is None
    assert score["details,none"]["pooled"]["mae"] > 0
    details = pair["details,none"]
    assert pair["accuracy_no_tie,none"] == pytest.approx(details["average"]["accuracy_no_tie"])
    confusion = details["confusion"]["rows_human_columns_judge"]
    # The judge always says A: only the first column is filled, with every pair.
    assert [row[1] + row[2] for row in confusion] == [0, 0, 0]
    assert sum(row[0] for row in confusion) == 300
    assert set(details["per_source"]) == {"mini-chart", "mini-color", "mini-count", "mini-text"}
    low, high = details["ci95"]["average"]
    assert low <= pair["accuracy_no_tie,none"] <= high
    assert 0 < batch["edit_distance,none"] < 1
    assert batch["details,none"]["pooled"]["top1_agreement"] >= 0


def test_bias_and_consistency_figures_land_in_results_json(group_run):
    results = group_run["results"]["results"]
    swap = results["mllm_judge_pair_swap"]["details,none"]
    # Headlines count the released order only: the swap task reports the pair task's numbers, plus the bias.
    assert swap["n"] == 300
    assert results["mllm_judge_pair_swap"]["accuracy_no_tie,none"] == results["mllm_judge_pair"]["accuracy_no_tie,none"]
    # Always "A": the first slot every time, so the two orders never agree.
    assert swap["bias"]["position"] == {"pairs_judged_in_both_orders": 300, "position_consistency": 0.0,
                                        "first_slot_rate": 1.0, "swap_consistent_accuracy": 0.0}
    assert swap["bias"]["majority_consistency"] == 1.0  # two repeats, same answer
    assert results["mllm_judge_pair"]["details,none"]["bias"]["length"]["human_prefers_longer"] is not None
    shuffled = results["mllm_judge_batch_shuffled"]
    assert shuffled["edit_distance,none"] != results["mllm_judge_batch"]["edit_distance,none"]


def test_sample_lines_carry_the_parsed_verdict(group_run):
    lines = [json.loads(line) for path in group_run["samples"] if path.name.endswith("_samples_mllm_judge_batch.jsonl") for line in path.read_text().splitlines()]
    assert len(lines) == 50
    item = lines[0]["details"]
    assert item["verdict"] in ("ABCD", "ABC") and item["reason"] is None


def test_include_path_and_the_plugins_variable_keep_working(tmp_path, mini_repo):
    run = run_lmms_eval(tmp_path, mini_repo, "--tasks", "mllm_judge_pair_no_figure", "--include_path", str(TASKS_DIR),
                        env={"LMMS_EVAL_PLUGINS": "mllm_judge_tasks"}, new_process=True)
    assert run["results"]["results"]["mllm_judge_pair_no_figure"]["parse_rate,none"] == 1.0


def test_aggregations_are_registered_by_name_when_lmms_eval_starts():
    code = ("import lmms_eval.models; from lmms_eval.api.registry import get_aggregation; "
            "print(get_aggregation('mllm_judge_pair_accuracy_no_tie')([{'id': '1', 'source': 's', 'human': 'A', "
            "'verdict': 'A', 'reason': None, 'verdicts': ['A'], 'lengths': [1, 2], 'responders': ['x', 'y'], 'order': 'original'}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.stdout.strip().splitlines()[-1] == "1.0", done.stderr[-2000:]


def test_judge_failures_are_their_own_reason_and_pack_refuses_them(tmp_path, mini_repo, capsys):
    """A backend that could not judge an item writes a judge-failure output (here lmms-eval's dummy model writes
    it for every item): results.json names the reason, and pack refuses the run and says how to redo only those."""
    from mllm_judge_app import cli

    out = tmp_path / "out"
    run = run_lmms_eval(tmp_path, mini_repo, "--tasks", "mllm_judge_pair", "--limit", "3",
                        response='{"mode": "judge_failed"}')
    details = run["results"]["results"]["mllm_judge_pair"]["details,none"]
    assert details["no_verdict_reasons"] == {"judge failed: unknown error": 3} and details["parse_rate"] == 0.0
    assert cli.main(["submission", "pack", str(out), "--out", str(tmp_path / "sub"), "--contact", "t",
                     "--license", "MIT"]) == 1
    error = capsys.readouterr().err
    assert "the judge failed on 3 item(s), which would count as no verdict:\n  pair pair-0: unknown error\n" in error
    assert "Run the same lmms-eval command again" in error and not (tmp_path / "sub").exists()
