"""A judge's published identity is its own: no later submission re-points a link, a page or a Hub config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from huggingface_hub import parse_eval_result_entries

from mllm_judge_tasks.leaderboard.identity import judge_slug
from mllm_judge_tasks.leaderboard.push_results import planned_uploads
from mllm_judge_tasks.leaderboard.submission import Submission
from hand_made import METADATA, hand_submission, run_cli


def slug(name: str, setting: str = "plain", role: str = "submission") -> str:
    return judge_slug(Submission(Path("subs/x"), {"judge_model": name, "judge_setting": setting}, [], role=role))


def test_a_slug_depends_on_the_submission_alone():
    assert [slug(n) for n in ("A/B", "a b", "a-b-2", "../..", "!!!", "Ünïcode")] == ["a-b", "a-b", "a-b-2", "judge", "judge", "unicode"]
    assert slug("Acme/Judge", "cot_both") == "acme-judge--cot-both" != slug("Acme/Judge cot both")  # a setting cannot be forged by a name
    assert slug("Gemini", role="paper") == "paper-gemini" and slug("Gemini") == "gemini"
    assert slug("reference: always A", role="reference") == "reference-always-a"
    assert len(slug("x" * 500)) == 80


def files_of(board: Path, slug: str) -> dict[str, bytes]:
    """Everything the board published for one judge: its page, its Hub folder, its results configs."""
    paths = [board / "judges" / f"{slug}.html", *(board / "hub" / "models" / slug).rglob("*"),
             *(board / "hub" / "results" / slug).rglob("*")]
    return {str(path.relative_to(board)): path.read_bytes() for path in paths if path.is_file()}


def board(subs: Path, out: Path, dataset: Path, *args: str):
    return run_cli("leaderboard", str(subs), "--out", str(out), "--resamples", "50", "--no-references", *args,
                   dataset=dataset)


def test_a_twin_added_later_changes_nothing_already_published(tmp_path, hand_dataset):
    subs, out = tmp_path / "subs", tmp_path / "board"
    hand_submission(subs / "b-first", metadata={**METADATA, "judge_model": "OrgA/JudgeOne"})
    assert board(subs, out, hand_dataset).returncode == 0
    before = files_of(out, "orga-judgeone")
    assert len(before) > 4 and any("results/orga-judgeone/" in path for path in before)
    # The twin sorts first: made unique by folder order, it would have taken the slug or shifted it.
    hand_submission(subs / "a-twin", metadata={**METADATA, "judge_model": "orga_judgeone"},
                    lines=[{"task": "pair", "id": f"pair-{i}", "output": "[[B]]"} for i in range(1, 5)])
    hand_submission(subs / "c-other", metadata={**METADATA, "judge_model": "Other judge"})
    done = board(subs, out, hand_dataset)
    assert done.returncode == 0, done.stderr
    assert files_of(out, "orga-judgeone") == before
    assert f"{subs / 'a-twin'}/metadata.json: field 'judge_model': its model slug 'orga-judgeone' is taken by " \
           f"{subs / 'b-first'} under another name (published under it already)" in done.stderr
    assert (out / "judges" / "other-judge.html").is_file() and not (out / "judges" / "orga-judgeone-2.html").exists()


def test_twins_on_a_new_board_are_both_left_out_and_reserved_names_refused(tmp_path, hand_dataset):
    subs = tmp_path / "subs"
    hand_submission(subs / "one", metadata={**METADATA, "judge_model": "OrgA/JudgeOne"})
    hand_submission(subs / "two", metadata={**METADATA, "judge_model": "orga_judgeone"})
    hand_submission(subs / "fake", metadata={**METADATA, "judge_model": "Paper: Gemini"})
    hand_submission(subs / "kept", metadata={**METADATA, "judge_model": "Gemini"})  # the name alone is not reserved
    done = board(subs, tmp_path / "board", hand_dataset)
    assert done.returncode == 0, done.stderr
    assert f"its model slug 'orga-judgeone' is taken by {subs / 'two'} under another name (also submitted)" in done.stderr
    assert f"its model slug 'orga-judgeone' is taken by {subs / 'one'} under another name (also submitted)" in done.stderr
    assert "its slug 'paper-gemini' starts with 'paper-', reserved for the paper's judges" in done.stderr
    assert sorted(path.name for path in (tmp_path / "board" / "judges").iterdir()) == ["gemini.html"]
    hand_submission(subs / "three", metadata={**METADATA, "judge_model": "Gemini", "date": "2026-11-25"})
    done = board(subs, tmp_path / "new board", hand_dataset)  # on a new board, exact twins are both left out too
    assert f"its slug 'gemini' is taken by {subs / 'three'} (also submitted)" in done.stderr
    assert not (tmp_path / "new board" / "judges" / "gemini.html").exists()


@pytest.mark.parametrize("setting", ["cot_both", "no_figure"])
def test_one_model_in_two_settings_has_two_identities(tmp_path, hand_dataset, setting):
    subs = tmp_path / "subs"
    hand_submission(subs / "plain")
    hand_submission(subs / "other", metadata={**METADATA, "judge_setting": setting})
    done = board(subs, tmp_path / "board", hand_dataset, "--hub-dataset", "org/bench")
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in (tmp_path / "board" / "judges").iterdir())
    assert names == sorted(["acme-judge-7b.html", f"acme-judge-7b--{setting.replace('_', '-')}.html"])
    # One model repo: one .eval_results file, an entry per setting and task that says which, one pull request.
    models = tmp_path / "board" / "hub" / "models"
    assert [path.name for path in models.iterdir()] == ["acme-judge-7b"]
    entries = parse_eval_result_entries(yaml.safe_load((models / "acme-judge-7b" / ".eval_results/mllm-judge.yaml").read_text()))
    keys = [(entry.task_id, entry.notes.split(";")[0], entry.source_url.rsplit("/", 2)[1]) for entry in entries]
    assert len(keys) == len(set(keys)) == 8  # 4 task ids (score, pair, HQ pair, batch) in 2 settings
    assert {note for _, note, _ in keys} == {"judge setting plain", f"judge setting {setting}"}
    uploads = [upload for upload in planned_uploads(tmp_path / "board") if upload.repo_type == "model"]
    assert [upload.repo_id for upload in uploads] == ["acme/judge-7b"]


def test_leaderboard_refuses_a_folder_that_is_not_one_of_submissions(tmp_path, hand_dataset):
    single = hand_submission(tmp_path / "subs" / "acme")
    (tmp_path / "empty").mkdir()
    cases = {tmp_path / "missing": "no such folder", tmp_path / "empty": "no submissions in it",
             single: f"is a submission itself; pass the folder that holds it ({tmp_path / 'subs'})"}
    for folder, message in cases.items():
        done = board(folder, tmp_path / "board", hand_dataset)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "board").exists()
    assert board(tmp_path / "subs", tmp_path / "board", hand_dataset).returncode == 0  # the parent is right


def test_score_on_an_lmms_eval_output_folder_points_to_pack(tmp_path, hand_dataset):
    run = tmp_path / "run" / "model"
    run.mkdir(parents=True)
    (run / "20261202_samples_mllm_judge_pair.jsonl").write_text("{}\n")
    done = run_cli("score", str(tmp_path / "run"), dataset=hand_dataset)
    assert done.returncode == 1 and "is the output of an lmms-eval run, not a submission" in done.stderr
    assert f"mllm-judge submission pack {tmp_path / 'run'} --out SUBMISSION_DIR" in done.stderr
