"""A judge's numbers do not depend on which command printed them.

For a free, a constrained and a probability-mode run of the whole mini benchmark through lmms-eval's real CLI
(called in this process), every metric of results.json equals the one `mllm-judge score` writes for the packed
run, the leaderboard's, and a recomputation from the Hub per-sample rows, to 1e-12.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lmms_eval_run import lmms_eval_in_process
from mllm_judge_app import cli
from mllm_judge_tasks.judged import JudgedItem
from mllm_judge_tasks.metrics.report import task_report
from mllm_judge_tasks.protocol import HEADLINE, TASKS

JUDGE = "tiny judge"  # no responder family in the name: no self-preference figure on either path
AGREEMENT = ("n", "parsed", "parse_rate", "no_verdict_reasons", "average", "pooled", "per_source", "ci95")


@pytest.fixture(scope="module", params=["free", "constrained", "probability"])
def judged(request, tiny_model, mini_repo, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp(f"same-{request.param}")
    env = {"MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(root / "cache.sqlite")}
    done = lmms_eval_in_process(
        ["--model", "mllm_judge_hf", "--model_args",
         f"pretrained={tiny_model('llava')},verdict_mode={request.param},max_new_tokens=16", "--tasks", "mllm_judge",
         "--batch_size", "16", "--log_samples", "--output_path", str(root / "run")], env)
    results = sorted((root / "run").rglob("*results.json"))
    assert results, done.stderr[-3000:]
    submission = root / "submissions" / "tiny"
    assert cli.main(["submission", "pack", str(root / "run"), "--out", str(submission), "--contact", "tests",
                     "--license", "MIT", "--judge-model", JUDGE]) == 0
    assert cli.main(["score", str(submission), "--dataset", str(mini_repo)]) == 0
    assert cli.main(["leaderboard", str(submission.parent), "--out", str(root / "board"), "--dataset", str(mini_repo),
                     "--no-references"]) == 0
    board = json.loads((root / "board" / "leaderboard.json").read_text())
    return {"mode": request.param, "results": json.loads(results[-1].read_text())["results"],
            "score": json.loads((submission / "score.json").read_text()), "board": board[0], "hub": root / "board" / "hub"}


def assert_same(first, second, where: str = "") -> None:
    """Equal structure; numbers equal to 1e-12 (None and NaN only with their like)."""
    if isinstance(first, dict):
        assert isinstance(second, dict) and first.keys() == second.keys(), where
        for key in first:
            assert_same(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, (list, tuple)):
        assert isinstance(second, (list, tuple)) and len(first) == len(second), where
        for k, (a, b) in enumerate(zip(first, second)):
            assert_same(a, b, f"{where}[{k}]")
    elif isinstance(first, float) and isinstance(second, (int, float)) and not isinstance(second, bool):
        assert (math.isnan(first) and math.isnan(second)) or abs(first - second) <= 1e-12, where
    else:
        assert first == second, where


def hub_items(hub: Path, task: str) -> list[JudgedItem]:
    """The judge's items as the Hub per-sample rows publish them."""
    (path,) = (hub / "results").glob(f"*/{task}.parquet")
    return [JudgedItem(id=r["id"], source=r["source"], human=r["human"], verdict=r["verdict"], reason=r["reason"],
                       order=r["order"]) for r in pq.read_table(path).to_pylist()]


@pytest.mark.parametrize("task", TASKS)
def test_every_path_reports_the_same_numbers(judged, task):
    harness = judged["results"][f"mllm_judge_{task}"]["details,none"]
    scored = judged["score"]["tasks"][task]["full"]
    assert_same(harness, scored, f"{judged['mode']} {task}: results.json vs score.json")
    (published,) = (judged["hub"] / "results").glob("*/results.json")  # the Hub's copy of the judge's report
    assert_same(json.loads(published.read_text())["tasks"][task], judged["score"]["tasks"][task],
                f"{judged['mode']} {task}: score.json vs the Hub's results.json")
    headline = harness["average"][HEADLINE[task]]
    assert judged["results"][f"mllm_judge_{task}"][f"{HEADLINE[task]},none"] == headline
    assert judged["board"]["judge"] == JUDGE and judged["board"][task]["value"] == headline
    recomputed = task_report(task, hub_items(judged["hub"], task)).to_json()
    assert_same({key: harness[key] for key in AGREEMENT}, {key: recomputed[key] for key in AGREEMENT},
                f"{judged['mode']} {task}: results.json vs the Hub rows")
    if judged["mode"] != "free":  # every verdict is in the protocol: the numbers compared are real numbers
        assert harness["parse_rate"] == 1.0 and harness["pooled"][HEADLINE[task]] is not None


def test_probability_mode_scores_the_expected_score_on_every_path(judged):
    if judged["mode"] != "probability":
        pytest.skip("probability mode only")
    items = hub_items(judged["hub"], "score")
    assert any(item.verdict != round(item.verdict) for item in items)  # real-valued: the expected scores
    (path,) = (judged["hub"] / "results").glob("*/score.parquet")
    most_likely = [JudgedItem(r["id"], r["source"], r["human"], r["most_likely"]) for r in pq.read_table(path).to_pylist()]
    # The most likely score would give another Pearson: the paths must all use the expected one.
    by_most_likely = task_report("score", most_likely, resamples=10).pooled["pearson"]
    assert by_most_likely != judged["results"]["mllm_judge_score"]["details,none"]["pooled"]["pearson"]
