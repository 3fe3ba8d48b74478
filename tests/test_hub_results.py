"""The board's Hub-native outputs, read back with huggingface_hub's and datasets' own readers, offline."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from datasets import get_dataset_config_names, get_dataset_split_names, load_dataset
from huggingface_hub import parse_eval_result_entries
from huggingface_hub.repocard_data import model_index_to_eval_results

from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.board_dir import write_board
from mllm_judge_tasks.leaderboard.hub_results import write_hub_results
from mllm_judge_tasks.location import DatasetIdentity
from mllm_judge_tasks.leaderboard.hub_samples import UnpublishableResults, results_record
from mllm_judge_tasks.leaderboard.push_results import planned_uploads
from mllm_judge_tasks.leaderboard.submission import read_submission
from mllm_judge_tasks.judged import JudgedItem
from hand_made import HAND_PREDICTIONS, METADATA, hand_submission

WEAKER = [{**line, "output": "[[B]]"} if line["task"] == "pair" else line for line in HAND_PREDICTIONS]
HOSTILE = "<b>x</b> | [link](javascript:alert(1)) ../../etc"


@pytest.fixture(scope="module")
def rows(tmp_path_factory, index):
    root = tmp_path_factory.mktemp("subs")
    submissions = [
        read_submission(hand_submission(root / "acme")),
        read_submission(hand_submission(root / "hostile", metadata={**METADATA, "judge_model": HOSTILE}, lines=WEAKER)),
    ]
    board = build_board(submissions, index, resamples=100, references=False)
    return sorted(board, key=lambda row: row.name != "acme/judge-7b")  # acme first, then the hostile name


@pytest.fixture(scope="module")
def hub(tmp_path_factory, rows, index) -> Path:
    return write_hub_results(rows, index, tmp_path_factory.mktemp("board"))


def test_eval_yaml_declares_a_task_per_headline_and_subset_the_dataset_holds(hub, hand_dataset):
    declared = yaml.safe_load((hub / "benchmark" / "eval.yaml").read_text())
    assert declared["name"] == "MLLM-as-a-Judge"
    assert [task["id"] for task in declared["tasks"]] == [
        "score_pearson", "pair_accuracy_no_tie", "hq_pair_accuracy_no_tie", "batch_one_minus_edit_distance"]
    configs = set(get_dataset_config_names(str(hand_dataset)))
    for task in declared["tasks"]:
        assert task["config"] in configs and task["split"] in get_dataset_split_names(str(hand_dataset), task["config"])
        assert task["id"] in declared["description"]


def read_entries(hub: Path, slug: str):
    return parse_eval_result_entries(yaml.safe_load((hub / "models" / slug / ".eval_results/mllm-judge.yaml").read_text()))


def test_eval_results_read_back_with_huggingface_hub(hub, rows):
    acme, hostile = rows
    assert (acme.slug, hostile.slug) == ("acme-judge-7b", "b-x-b-link-javascript-alert-1-etc")
    entries = {entry.task_id: entry for entry in read_entries(hub, acme.slug)}
    # Hand-computed in test_leaderboard: pair 2/3, HQ pair 1, Pearson 0.9, batch distance 0 (published as 1 - 0).
    assert {task: entry.value for task, entry in entries.items()} == {
        "score_pearson": 0.9, "pair_accuracy_no_tie": 0.6667, "hq_pair_accuracy_no_tie": 1.0,
        "batch_one_minus_edit_distance": 1.0}
    weaker = {entry.task_id: entry.value for entry in read_entries(hub, hostile.slug)}
    assert weaker["pair_accuracy_no_tie"] != entries["pair_accuracy_no_tie"].value  # the two judges differ
    pair = entries["pair_accuracy_no_tie"]
    # A local build has no Hub target: never the real benchmark's id, and every entry says which build it was.
    assert pair.dataset_id == "local-build/no-hub-target" and pair.dataset_revision is None
    assert "local build sha256:" in pair.notes and "parse rate 1.000 of 4 items" in pair.notes
    assert pair.date == "2026-11-24T00:00:00"
    assert pair.source_url.endswith("/local-build/no-hub-target-results/viewer/acme-judge-7b__pair/latest")
    _, results = model_index_to_eval_results(yaml.safe_load((hub / "models/acme-judge-7b/model-index.yaml").read_text())["model-index"])
    assert all("a local build of the benchmark" in result.source_name for result in results)
    assert "mllm-as-a-judge" not in "".join(path.read_text() for path in hub.rglob("*.yaml"))


def test_entries_pin_the_hub_revision_of_a_hub_dataset(tmp_path, rows, index):
    sha = "0123456789abcdef0123456789abcdef01234567"
    on_hub = dataclasses.replace(index, dataset=DatasetIdentity("org/bench", sha, hub_id="org/bench", commit=sha))
    hub = write_hub_results(rows, on_hub, tmp_path)
    entry = read_entries(hub, "acme-judge-7b")[0]
    assert (entry.dataset_id, entry.dataset_revision) == ("org/bench", sha)
    assert "local build" not in entry.notes and "org/bench-results" in entry.source_url
    name, results = model_index_to_eval_results(yaml.safe_load((hub / "models/acme-judge-7b/model-index.yaml").read_text())["model-index"])
    assert name == "acme/judge-7b"
    assert {(r.dataset_config, r.metric_type, r.metric_value, r.dataset_revision) for r in results} >= {
        ("pair", "pair_accuracy_no_tie", 0.6667, sha), ("hq_pair", "hq_pair_accuracy_no_tie", 1.0, sha)}


def test_per_sample_results_load_with_datasets(hub, rows):
    results = str(hub / "results")
    assert set(get_dataset_config_names(results)) == {f"{row.slug}__{task}" for row in rows for task in ("score", "pair", "batch")}
    assert set(get_dataset_split_names(results, "acme-judge-7b__pair")) == {"latest", "2026_11_24T00_00_00"}
    batch = load_dataset(results, "acme-judge-7b__batch", split="latest").to_list()
    assert [(r["id"], r["verdict"], r["matches_human"], r["edit_distance"], r["reason"]) for r in batch] == [
        ("batch-10", "ABCD", True, 0.0, None), ("batch-11", None, None, None, "the judge refused")]
    assert batch[1]["output"] == "I cannot rank these." and batch[1]["human"] == "DCBA"
    score = load_dataset(results, "acme-judge-7b__score", split="latest")
    # A judge's score may be real-valued (probability mode's expected score); the human score stays an integer.
    assert score.features["verdict"].dtype == "float64" and score.features["human"].dtype == "int32"
    assert score["verdict"] == [1, 2, 5, 4] and score["human"] == [1, 2, 4, 5] and score["most_likely"] == [None] * 4
    pairs = {row.slug: load_dataset(results, f"{row.slug}__pair", split="latest")["verdict"] for row in rows}
    assert pairs == {"acme-judge-7b": ["A", "B", "B", "A"], rows[1].slug: ["B", "B", "B", "B"]}
    card = (hub / "results" / "README.md").read_text()
    assert HOSTILE not in card and "\\<" not in card and "&lt;b&gt;x&lt;/b&gt; \\| \\[link\\]" in card


def test_results_that_would_mislead_are_refused_and_leave_the_folder_as_it_was(tmp_path, rows, index):
    with pytest.raises(UnpublishableResults, match="pair item 'p1': no verdict and no reason"):
        results_record("pair", JudgedItem("p1", "coco", "A", None))
    with pytest.raises(UnpublishableResults, match="verdict 7 is not a score verdict"):
        results_record("score", JudgedItem("s1", "coco", 3, 7))
    page, hub = write_board(rows, index, tmp_path / "board")
    before = {str(p.relative_to(tmp_path)): p.read_bytes() for p in (tmp_path / "board").rglob("*") if p.is_file()}
    bad = dataclasses.replace(rows[0], items={**rows[0].items, "pair": [JudgedItem("p1", "coco", "A", "Z")]})
    with pytest.raises(UnpublishableResults):
        write_board([bad, rows[1]], index, tmp_path / "board")
    assert {str(p.relative_to(tmp_path)): p.read_bytes() for p in (tmp_path / "board").rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["board"]  # no work folder left behind


def test_a_link_where_the_hub_folder_goes_is_replaced_not_followed(tmp_path, rows, index):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, hub = write_board(rows, index, tmp_path / "board")
    shutil.rmtree(hub)
    hub.symlink_to(elsewhere)
    _, hub = write_board(rows, index, tmp_path / "board")
    assert not hub.is_symlink() and (hub / "manifest.json").is_file() and list(elsewhere.iterdir()) == []


def test_leaderboard_and_push_results_dry_run_from_the_command_line(tmp_path, hand_dataset):
    hand_submission(tmp_path / "subs" / "acme")
    hand_submission(tmp_path / "subs" / "hostile", metadata={**METADATA, "judge_model": HOSTILE}, lines=WEAKER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, env=env)

    done = cli("leaderboard", str(tmp_path / "subs"), "--out", str(tmp_path / "board"), "--dataset", str(hand_dataset),
               "--resamples", "50", "--hub-dataset", "org/bench")
    assert done.returncode == 0, done.stderr
    done = cli("push-results", str(tmp_path / "board"), "--dry-run")
    assert done.returncode == 0, done.stderr
    uploads = [line for line in done.stdout.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    lines = [line.split("  (")[0] for line in uploads]  # without the size, which the listed files below give
    assert lines[:2] == ["  benchmark/eval.yaml -> commit to dataset org/bench: eval.yaml",
                         "  results/ -> commit to dataset org/bench-results: the repo root"]
    assert ("  models/acme-judge-7b/.eval_results/mllm-judge.yaml -> pull request to model acme/judge-7b: "
            ".eval_results/mllm-judge.yaml") in lines[2:]
    assert "    README.md  (" in done.stdout  # the results dataset's files, each listed with its size
    assert sum(line.endswith("(skipped: not a Hub repo id)") for line in uploads) == 1
    assert sorted(u.skipped or "" for u in planned_uploads(tmp_path / "board")) == ["", "", "", "not a Hub repo id"]
    json.loads((tmp_path / "board" / "hub" / "manifest.json").read_text())
    missing = cli("push-results", str(tmp_path / "nothing"), "--dry-run")
    assert missing.returncode == 1 and "write the board with `mllm-judge leaderboard` first" in missing.stderr
