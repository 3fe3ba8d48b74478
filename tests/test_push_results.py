"""`mllm-judge push-results` against a local stand-in for the Hub API (tests/fake_hub.py): the code under test,
huggingface_hub's client included, is real; only the server is a stand-in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fake_hub import FakeHub
from hand_made import METADATA, hand_submission, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory, hand_dataset) -> Path:
    """A board with a Hub target: two judges, so three uploads are planned (eval.yaml, results, one model's PR)."""
    root = tmp_path_factory.mktemp("push")
    hand_submission(root / "subs" / "acme")
    hand_submission(root / "subs" / "other", metadata={**METADATA, "judge_model": "no repo id"})
    done = run_cli("leaderboard", str(root / "subs"), "--out", str(root / "board"), "--resamples", "20",
                   "--no-references", "--hub-dataset", "org/bench", dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    return root / "board"


@pytest.fixture
def board(built, tmp_path) -> Path:
    shutil.copytree(built, tmp_path / "board")
    return tmp_path / "board"


@pytest.fixture
def hub():
    server = FakeHub()
    yield server
    server.close()


def push(board: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_fake", "HF_HUB_OFFLINE": "0",
           "HF_HUB_DISABLE_TELEMETRY": "1"}
    return subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "push-results", str(board), *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=300)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """Our one line; before it only huggingface_hub's own notes that it retries a 5xx."""
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    *before, line = done.stderr.strip().splitlines()
    assert all("Retry" in note or "thrown while requesting" in note for note in before), before
    return line


def test_a_push_sends_each_upload_once_and_a_rerun_sends_nothing(board, hub):
    done = push(board, hub.url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [(c["repo"], c["pr"]) for c in hub.commits] == [
        ("datasets/org/bench", False), ("datasets/org/bench-results", False), ("models/acme/judge-7b", True)]
    assert hub.commits[0]["paths"] == ["eval.yaml"] and "acme-judge-7b/results.json" in hub.commits[1]["paths"]
    again = push(board, hub.url)
    assert again.returncode == 0 and len(hub.commits) == 3
    assert again.stdout.count("already sent:") == 3


def test_a_push_that_fails_half_way_is_finished_by_a_rerun_without_duplicates(board, hub):
    hub.refuse_repo = "datasets/org/bench-results"
    line = one_line_error(push(board, hub.url))
    hub.refuse_repo = None
    assert line.startswith("mllm-judge push-results: results/ -> dataset org/bench-results failed: ")
    assert "1 of 3 uploads are done and recorded in" in line and "run the same command again" in line
    done = push(board, hub.url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [c["repo"] for c in hub.commits] == ["datasets/org/bench", "datasets/org/bench-results", "models/acme/judge-7b"]
    assert "already sent: benchmark/eval.yaml" in done.stdout


@pytest.mark.parametrize("status", [401, 500])
def test_a_hub_that_refuses_is_one_line(board, status):
    server = FakeHub(status=status)
    try:
        line = one_line_error(push(board, server.url))
    finally:
        server.close()
    assert "benchmark/eval.yaml -> dataset org/bench failed:" in line and "0 of 3 uploads are done" in line


def test_an_unreachable_hub_is_one_line(board):
    line = one_line_error(push(board, "http://127.0.0.1:9"))  # the discard port: nothing listens
    assert "failed:" in line and "run the same command again" in line


def test_a_board_of_a_local_build_has_no_target(tmp_path, hand_dataset):
    hand_submission(tmp_path / "subs" / "acme")
    assert run_cli("leaderboard", str(tmp_path / "subs"), "--out", str(tmp_path / "board"), "--resamples", "0",
                   dataset=hand_dataset).returncode == 0
    line = one_line_error(push(tmp_path / "board", "http://127.0.0.1:9", "--dry-run"))
    assert "was scored on a local build of the benchmark (local build sha256:" in line
    assert "rebuild it with `mllm-judge leaderboard ... --hub-dataset OWNER/NAME`" in line


TAMPERED = {
    "uploads null": lambda m: {**m, "uploads": None},
    "uploads a number": lambda m: {**m, "uploads": 7},
    "NUL in a path": lambda m: {**m, "uploads": [{**m["uploads"][0], "local": "benchmark/eval.yaml\u0000x"}, *m["uploads"][1:]]},
    "a Space's app.py": lambda m: {**m, "uploads": [*m["uploads"], {**m["uploads"][0], "repo_type": "space", "path_in_repo": "app.py"}]},
    "a ../ path": lambda m: {**m, "uploads": [{**m["uploads"][0], "local": "../../etc/passwd"}, *m["uploads"][1:]]},
    "the whole hub folder": lambda m: {**m, "uploads": [{**m["uploads"][1], "local": "."}, *m["uploads"][2:]]},
    "another repo": lambda m: {**m, "uploads": [{**m["uploads"][0], "repo_id": "someone/else"}, *m["uploads"][1:]]},
}


@pytest.mark.parametrize("tamper", TAMPERED, ids=list(TAMPERED))
def test_a_tampered_manifest_is_refused(board, tamper):
    path = board / "hub" / "manifest.json"
    path.write_text(json.dumps(TAMPERED[tamper](json.loads(path.read_text()))))
    line = one_line_error(push(board, "http://127.0.0.1:9", "--dry-run"))
    assert "field 'uploads' does not match the board's own files" in line


def test_a_deeply_nested_manifest_is_refused(board):
    (board / "hub" / "manifest.json").write_text("[" * 100_000)
    assert "nested too deeply" in one_line_error(push(board, "http://127.0.0.1:9", "--dry-run"))
