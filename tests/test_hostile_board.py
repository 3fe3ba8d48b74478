"""The board under hostile submissions: submitted strings reach no other parser (CSV, Markdown, HTML, YAML, paths),
a board that fails to render leaves the old one whole, no local path is published, and the `leaderboard` command
leaves invalid submissions out with their problems."""

import json
import re
from pathlib import Path

import pytest
import yaml
from datasets import get_dataset_config_names

from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.board_dir import write_board
from mllm_judge_tasks.leaderboard.pack import _public_model_args
from mllm_judge_tasks.leaderboard.page import write_leaderboard
from mllm_judge_tasks.leaderboard.submission import read_submission
from hand_made import HAND_PREDICTIONS, METADATA, SWAPPED, hand_submission, run_cli

HOSTILE_NAMES = ["$\\frac{1}{0$", "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx",
                 "<img src=x onerror=alert(1)>", "**bold** [link](http://x) `code` | pipe", "x" * 400]


def test_hostile_names_on_every_rendering(tmp_path, index):
    submissions = [read_submission(hand_submission(tmp_path / f"s{i}", metadata={**METADATA, "judge_model": name}))
                   for i, name in enumerate(HOSTILE_NAMES)]
    out = tmp_path / "board"
    page = write_leaderboard(build_board(submissions, index, resamples=20), out, "hand", "rev-1")
    csv_text = (out / "leaderboard.csv").read_text()
    for name in HOSTILE_NAMES[1:6]:
        assert "\n'" + name.split('"')[0] in csv_text.replace('"', "") or "'" + name in csv_text
    for line in csv_text.splitlines()[1:]:
        assert not line.lstrip('"').startswith(("=", "+", "-", "@", "\t"))
    markdown = (out / "leaderboard.md").read_text()
    assert "<img" not in markdown and "&lt;img src=x onerror=alert\\(1\\)&gt;" in markdown
    assert "**bold**" not in markdown and "\\*\\*bold\\*\\*" in markdown and "\\$\\\\frac" in markdown
    html = page.read_text()
    assert "<img src=x" not in html and html.count("data:image/png;base64,") >= 3
    assert json.loads((out / "leaderboard.json").read_text())[0]["judge"] in HOSTILE_NAMES


def test_a_board_that_fails_to_render_leaves_the_old_one_whole(tmp_path, index, monkeypatch):
    out = tmp_path / "board"
    rows = build_board([read_submission(hand_submission(tmp_path / "s"))], index, resamples=0)
    write_board(rows, index, out)
    def files():
        return {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()}

    before = files()
    assert "judges/acme-judge-7b.html" in before
    from mllm_judge_tasks.leaderboard import page as page_module

    def broken(rows):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(page_module, "all_charts", broken)
    with pytest.raises(RuntimeError):
        write_board(rows[:1], index, out)
    assert files() == before


def test_no_local_path_on_the_page_or_in_packed_metadata(tmp_path, index, hand_dataset):
    hand_submission(tmp_path / "subs" / "acme")
    done = run_cli("leaderboard", str(tmp_path / "subs"), "--out", str(tmp_path / "board"), "--resamples", "0",
                   dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "board" / "index.html").read_text()
    assert str(hand_dataset) not in html and str(Path.home()) + "/" not in html
    assert f'<span id="dataset">{hand_dataset.name}</span>' in html and "local build sha256:" in html
    args = _public_model_args({"pretrained": str(tmp_path / "judge"), "dtype": "bfloat16", "cache": "/home/me/c.sqlite"})
    assert args == "pretrained=judge,dtype=bfloat16,cache=c.sqlite"


def test_the_leaderboard_command_over_a_hostile_corpus(tmp_path, index, hand_dataset):
    """Invalid submissions are left out with their problems; valid ones with hostile names are shown as text."""
    corpus = tmp_path / "submissions"
    for number, name in enumerate(HOSTILE_NAMES):
        hand_submission(corpus / f"name{number}", metadata={**METADATA, "judge_model": name})
    invalid = {
        "forged": [{**line, "verdict": "A", "verdict_source": "release_field"} for line in HAND_PREDICTIONS],
        "empty": [],
        "swapped-only": SWAPPED,
    }
    for name, lines in invalid.items():
        hand_submission(corpus / name, lines=lines)
    hand_submission(corpus / "reference", metadata={**METADATA, "reference": True})
    (corpus / "nested").mkdir()
    (corpus / "nested" / "predictions.jsonl").write_text("[" * 100_000 + "\n")
    (corpus / "nested" / "metadata.json").write_text("{" * 50_000)
    linked = hand_submission(corpus / "linked")
    (linked / "metadata.json").unlink()
    (linked / "metadata.json").symlink_to(tmp_path / "nowhere.json")
    out = tmp_path / "board"
    done = run_cli("leaderboard", str(corpus), "--out", str(out), "--resamples", "50", dataset=hand_dataset)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    for name in (*invalid, "reference", "nested", "linked"):
        assert f"left out {corpus / name}:" in done.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    assert sorted(row["judge"] for row in board if row["role"] == "submission") == sorted(HOSTILE_NAMES)
    assert sorted(path.name for path in out.iterdir()) == [
        ".mllm-judge-board", "hub", "index.html", "judges", "leaderboard.csv", "leaderboard.json", "leaderboard.md"]
    # Hostile names reach paths only as slugs, and YAML only through its dumper: each reads back as written.
    written = [path for path in out.rglob("*") if path.is_file()]
    assert all(path.resolve().is_relative_to(out.resolve()) for path in written)
    assert all(re.fullmatch(r"[a-z0-9-]+\.html", path.name) for path in (out / "judges").iterdir())
    judges = {yaml.safe_load((path / "model-index.yaml").read_text())["model-index"][0]["name"] if (path / "model-index.yaml").is_file()
              else None for path in (out / "hub" / "models").iterdir()}
    assert judges == set(HOSTILE_NAMES)
    results = str(out / "hub" / "results")
    assert len(get_dataset_config_names(results)) == 3 * len(HOSTILE_NAMES)
