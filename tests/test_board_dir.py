"""The board's --out is one unit: never a folder of the user's own, never half of two boards, even under kills."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mllm_judge_tasks.leaderboard.board_dir import BOARD_MARKER
from mllm_judge_tasks.leaderboard.push_results import PUSHED
from hand_made import METADATA, hand_submission


def command(subs: Path, out: Path, dataset: Path) -> list[str]:
    return [sys.executable, "-m", "mllm_judge_app.cli", "leaderboard", str(subs), "--out", str(out), "--resamples",
            "20", "--no-references", "--dataset", str(dataset)]


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory) -> tuple[Path, Path]:
    """Two folders of submissions whose boards share no judge: a mix of the two is visible at once."""
    root = tmp_path_factory.mktemp("sets")
    for folder, name in (("a", "Alpha judge"), ("b", "Beta judge")):
        hand_submission(root / folder / name.split()[0].lower(), metadata={**METADATA, "judge_model": name})
    return root / "a", root / "b"


def board_slugs(out: Path) -> set[str]:
    """The judges of the board at `out`, after checking that its page, judge pages and Hub files agree."""
    slugs = {record["slug"] for record in json.loads((out / "leaderboard.json").read_text())}
    assert {path.stem for path in (out / "judges").glob("*.html")} == slugs
    assert {path.name for path in (out / "hub" / "results").iterdir() if path.is_dir()} == slugs
    assert (out / BOARD_MARKER).is_file() and (out / "hub" / "manifest.json").is_file()
    return slugs


def test_a_folder_of_the_users_own_is_refused_and_left_as_it_was(tmp_path, two_sets, hand_dataset):
    out = tmp_path / "mine"
    for name in ("index.html", "leaderboard.md", "judges/alice.html", "hub/results/mydata.csv"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"my own {name}")
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    done = subprocess.run(command(two_sets[0], out, hand_dataset), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "was not made by `mllm-judge leaderboard`" in done.stderr and "Traceback" not in done.stderr
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine"]  # no work directory left beside it
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    assert subprocess.run(command(two_sets[0], tmp_path / "empty", hand_dataset), capture_output=True).returncode == 0
    assert board_slugs(tmp_path / "empty") == {"alpha-judge"}


def test_a_rebuild_replaces_the_board_whole_and_keeps_the_push_record(tmp_path, two_sets, hand_dataset):
    out = tmp_path / "board"
    assert subprocess.run(command(two_sets[0], out, hand_dataset), capture_output=True).returncode == 0
    (out / PUSHED).write_text("{}\n")
    assert subprocess.run(command(two_sets[1], out, hand_dataset), capture_output=True).returncode == 0
    assert board_slugs(out) == {"beta-judge"} and (out / PUSHED).read_text() == "{}\n"


def test_concurrent_boards_into_one_folder_never_mix(tmp_path, two_sets, hand_dataset):
    out = tmp_path / "board"
    for _ in range(4):
        runs = [subprocess.Popen(command(subs, out, hand_dataset), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True) for subs in two_sets]
        results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
        assert any(code == 0 for code, _ in results), results
        for code, stderr in results:
            assert code == 0 or "another `mllm-judge leaderboard` into" in stderr, stderr
        assert board_slugs(out) in ({"alpha-judge"}, {"beta-judge"})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["board"]


def test_a_killed_board_leaves_the_previous_one_whole_and_the_next_cleans_up(tmp_path, two_sets, hand_dataset):
    out = tmp_path / "board"
    started = time.monotonic()
    assert subprocess.run(command(two_sets[0], out, hand_dataset), capture_output=True).returncode == 0
    duration = time.monotonic() - started  # kills land in its second half, where the board is written
    chance = random.Random(4)
    for round_ in range(6):
        run = subprocess.Popen(command(two_sets[round_ % 2], out, hand_dataset), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(chance.uniform(0.5, 1.0) * duration)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
        assert board_slugs(out) in ({"alpha-judge"}, {"beta-judge"})
    assert subprocess.run(command(two_sets[1], out, hand_dataset), capture_output=True).returncode == 0
    assert board_slugs(out) == {"beta-judge"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["board"]  # no .board.building-* or .board.old-*
