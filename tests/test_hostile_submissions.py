"""Numbers a hostile or unlucky submission cannot bend: verdicts, roles, headlines, intervals, files. What its
strings can do to the board and its renderings: test_hostile_board.py."""

import json
import os
import random
from pathlib import Path

import pytest

from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.scoring import judged_items, score_submission
from mllm_judge_tasks.leaderboard.submission import Submission, read_submission, write_submission
from mllm_judge_tasks.leaderboard.validate import validate_submission
from mllm_judge_tasks.metrics.agreement import pair_metrics
from mllm_judge_tasks.metrics.report import task_report
from mllm_judge_tasks.leaderboard.benchmark_index import BenchmarkIndex
from mllm_judge_tasks.leaderboard.references import reference_submissions
from hand_made import HAND_PREDICTIONS, METADATA, SWAPPED, hand_submission, problems_of, run_cli


# --- headlines, intervals and ranks -----------------------------------------------------------------

def test_the_pair_headline_ignores_swapped_pairs(tmp_path, index):
    plain = read_submission(hand_submission(tmp_path / "plain"))
    both = read_submission(hand_submission(tmp_path / "both", lines=HAND_PREDICTIONS + SWAPPED))
    # The swapped judgements alone score differently, so pooling them would move the headline.
    swapped_items = [item for item in judged_items(both, index)[0]["pair"] if item.order == "swapped"]
    original_items = [item for item in judged_items(both, index)[0]["pair"] if item.order == "original"]
    pooled = pair_metrics([i.verdict for i in swapped_items + original_items], [i.human for i in swapped_items + original_items])
    alone = pair_metrics([i.verdict for i in original_items], [i.human for i in original_items])
    assert pooled["accuracy_no_tie"] != alone["accuracy_no_tie"]
    reports = [score_submission(s, index, resamples=300).tasks["pair"].full for s in (plain, both)]
    for key in ("average", "pooled", "per_source", "ci95_pooled", "ci95_average", "parse_rate", "n", "confusion"):
        assert getattr(reports[0], key) == getattr(reports[1], key), key
    assert "position" in reports[1].bias and "position" not in reports[0].bias
    other = read_submission(hand_submission(tmp_path / "other", metadata={**METADATA, "judge_model": "other"},
                                            lines=[{**l, "output": "[[B]]"} if l["task"] == "pair" else l for l in HAND_PREDICTIONS]))
    ranks = []
    for mine in (plain, both):
        rows = {row.name: row for row in build_board([mine, other], index, resamples=200, references=False)}
        cell = rows[METADATA["judge_model"]].cells["pair"]
        ranks.append((cell.value, cell.ci95, cell.rank))
    assert ranks[0] == ranks[1]


def test_intervals_do_not_depend_on_item_order(tmp_path, index):
    submission = read_submission(hand_submission(tmp_path / "s", lines=HAND_PREDICTIONS + SWAPPED))
    items = judged_items(submission, index)[0]
    for task, task_items in items.items():
        shuffled = list(task_items)
        random.Random(7).shuffle(shuffled)
        assert [i.id for i in shuffled] != [i.id for i in task_items] or len(task_items) < 3
        first, second = (task_report(task, order, resamples=300, seed=0) for order in (task_items, shuffled))
        assert first.ci95_average == second.ci95_average and first.ci95_pooled == second.ci95_pooled, task
        assert first.average == second.average, task


# --- verdicts and roles are ours alone ---------------------------------------------------------------

def test_a_submitted_verdict_is_refused_and_never_counted(tmp_path, index, hand_dataset):
    lines = [{**line, "output": "", "verdict": "A", "verdict_source": "release_field"} for line in HAND_PREDICTIONS]
    directory = hand_submission(tmp_path / "s", lines=lines)
    problems = problems_of(directory, index)
    assert any(p.field == "verdict" and "cannot carry verdicts" in p.message for p in problems)
    assert any(p.field == "verdict_source" for p in problems)
    submission = read_submission(directory)
    assert submission.predictions == [] and submission.release_verdicts == {}
    assert run_cli("score", str(directory), dataset=hand_dataset).returncode == 1


@pytest.mark.parametrize("value", [float("nan"), [1], "A", True])
def test_a_verdict_field_of_any_type_cannot_reach_the_scores(tmp_path, index, value):
    line = {"task": "pair", "id": "pair-1", "output": "[[B]]", "verdict": value}
    directory = hand_submission(tmp_path / "s", lines=[line, *HAND_PREDICTIONS[1:]])
    problems = problems_of(directory, index)
    assert any(p.line == 1 and (p.field == "verdict" or "NaN" in p.message) for p in problems), problems
    assert all(prediction.line != 1 for prediction in read_submission(directory).predictions)


def test_a_submission_cannot_claim_a_reserved_role(tmp_path, index):
    directory = hand_submission(tmp_path / "s", metadata={**METADATA, "reference": True, "role": "paper"})
    problems = problems_of(directory, index)
    assert sorted(p.field for p in problems) == ["reference", "role"]
    submission = read_submission(directory)
    assert submission.role == "submission"
    rows = build_board([submission], index, resamples=0, references=False)
    assert [row.role for row in rows] == ["submission"]


# --- strict reading -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, field, message",
    [
        ('{"judge_model": "\\ud800x"}', None, "lone surrogate"),
        ('{"parameters": {"temperature": NaN}}', None, "NaN is not a JSON number"),
        ('{"parameters": {"top_p": Infinity}}', None, "Infinity is not a JSON number"),
        ("[" * 50_000, None, "nested too deeply"),
        ('{"license": "MIT", "license": "proprietary"}', None, "the key 'license' appears twice in one object"),
        # Parseable, yet deep enough to exhaust the recursion of any code that walks it later (the redaction did).
        ('{"parameters": ' + '{"a": ' * 500 + "1" + "}" * 501, None, "nested deeper than 64 levels"),
        ('{"date": "2026-11-24 and then some"}', "date", "is not an ISO date"),
        ('{"usage": [1, 2]}', "usage", "expected dict, got list"),
        ('{"usage": {"verdicts": 10, "prompt_tokens": 5}}', "usage", "expected exactly the keys verdicts, "),
        ('{"usage": {"verdicts": true, "prompt_tokens": 5, "completion_tokens": 1, "price_in": 1, "price_out": 2}}',
         "usage", "verdicts: expected a whole number"),
        ('{"usage": {"verdicts": 10, "prompt_tokens": -5, "completion_tokens": 1, "price_in": 1, "price_out": 2}}',
         "usage", "prompt_tokens: expected a whole number from 0"),
        ('{"usage": {"verdicts": 10, "prompt_tokens": 5, "completion_tokens": 1, "price_in": "1", "price_out": 2}}',
         "usage", "price_in: expected null or a price"),
        ('{"usage": {"verdicts": 10, "prompt_tokens": 5, "completion_tokens": 1, "price_in": 1, "price_out": 1e300}}',
         "usage", "price_out: expected null or a price"),
        ('{"tie_margin": -0.5}', "tie_margin", "expected a finite number >= 0"),
        ('{"tie_margin": "0.1"}', "tie_margin", "expected int or float, got str"),
        ('{"tie_margin": true}', "tie_margin", "expected int or float, got bool"),
    ],
)
def test_metadata_is_strict_json(tmp_path, index, raw, field, message):
    directory = hand_submission(tmp_path / "s")
    if raw.startswith("{") and field:
        metadata = {**METADATA, **json.loads(raw)}
        (directory / "metadata.json").write_text(json.dumps(metadata))
    elif raw.startswith("{"):
        rest = {key: value for key, value in METADATA.items() if key not in json.loads(raw)}
        (directory / "metadata.json").write_text(json.dumps(rest)[:-1] + ", " + raw[1:])
    else:
        (directory / "metadata.json").write_text(raw)
    problems = problems_of(directory, index)
    assert any(p.file == "metadata.json" and p.field == field and message in p.message for p in problems), problems


def test_lone_surrogates_and_deep_nesting_in_predictions_are_problems(tmp_path, index):
    directory = hand_submission(tmp_path / "s")
    path = directory / "predictions.jsonl"
    lines = path.read_bytes().splitlines()
    lines[0] = b'{"task": "pair", "id": "pair-1", "output": "[[A]] \\udc00"}'
    lines[1] = b"[" * 100_000
    path.write_bytes(b"\n".join(lines) + b"\n")
    problems = [(p.line, p.message) for p in problems_of(directory, index) if p.line]
    assert (1, "a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)") in problems
    assert (2, "malformed JSON: nested too deeply") in problems


def test_an_empty_submission_is_not_valid(tmp_path, index):
    directory = hand_submission(tmp_path / "s", lines=[])
    assert [(p.file, p.message) for p in problems_of(directory, index)] == [("predictions.jsonl", "holds no predictions")]


def test_validate_caps_what_it_prints(tmp_path, index, hand_dataset):
    directory = hand_submission(tmp_path / "s", lines=HAND_PREDICTIONS + [HAND_PREDICTIONS[0]] * 20_000)
    done = run_cli("validate", str(directory), dataset=hand_dataset)
    assert done.returncode == 1
    assert "20000 problem(s)" in done.stderr and "... and 19950 more:" in done.stderr
    assert "19950 in predictions.jsonl field 'id'" in done.stderr
    assert len(done.stderr.splitlines()) < 60


# --- files: never through a link, never half written --------------------------------------------------

def test_links_in_a_submission_are_neither_read_nor_written_through(tmp_path, index, hand_dataset):
    directory = hand_submission(tmp_path / "s")
    secret = tmp_path / "victim.txt"
    secret.write_text("precious\n")
    (directory / "score.json").symlink_to(secret)
    done = run_cli("score", str(directory), "--resamples", "10", dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    assert secret.read_text() == "precious\n"
    assert not (directory / "score.json").is_symlink() and json.loads((directory / "score.json").read_text())["tasks"]
    linked = hand_submission(tmp_path / "t")
    (linked / "predictions.jsonl").rename(tmp_path / "elsewhere.jsonl")
    (linked / "predictions.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    assert [p.message for p in problems_of(linked, index)] == ["is a symbolic link; a submission is read from regular files only"]


def test_a_fifo_is_not_read(tmp_path, index):
    directory = hand_submission(tmp_path / "s")
    (directory / "metadata.json").unlink()
    os.mkfifo(directory / "metadata.json")
    assert [p.message for p in problems_of(directory, index)] == ["not a regular file"]


def test_a_bad_out_is_a_clear_error(tmp_path, index, hand_dataset):
    directory = hand_submission(tmp_path / "s")
    done = run_cli("score", str(directory), "--out", str(tmp_path / "no" / "such" / "dir" / "score.json"), dataset=hand_dataset)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "cannot use" in done.stderr
    (tmp_path / "file").write_text("x")
    done = run_cli("leaderboard", str(tmp_path), "--out", str(tmp_path / "file"), "--resamples", "0", dataset=hand_dataset)
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_an_unknown_submission_field_is_named(tmp_path, index):
    directory = hand_submission(tmp_path / "s", lines=[{**HAND_PREDICTIONS[0], "score": 1.0}, *HAND_PREDICTIONS[1:]])
    assert [(p.line, p.field) for p in problems_of(directory, index)] == [(1, "score"), (None, "id")]  # pair-1 then missing


def test_reference_and_paper_roles_come_from_code_only():
    assert Submission(directory=Path("x")).role == "submission"
    assert {s.role for s in reference_submissions(BenchmarkIndex())} == {"reference"}


def test_pack_then_validate_round_trip_keeps_text_only(tmp_path, index):
    directory = write_submission(tmp_path / "s", METADATA, HAND_PREDICTIONS)
    assert validate_submission(read_submission(directory), index) == []
    umask = os.umask(0)
    os.umask(umask)
    for name in ("predictions.jsonl", "metadata.json"):  # the umask's mode, as open() gives, not mkstemp's 0600
        assert oct(os.stat(directory / name).st_mode & 0o777) == oct(0o666 & ~umask), name


def test_a_reward_models_tie_margin_must_be_the_one_its_outputs_were_judged_with(tmp_path, index):
    """The board shows metadata's tie margin beside the reward model's verdicts: outputs judged with another
    margin (or none) are named, line by line; matching ones pass."""
    rewards = {"pair-1": [0.2, 0.1], "pair-2": [0.1, 0.9], "pair-3": [0.5, 0.5], "pair-4": [1.0, -1.0]}
    lines = [{"task": "pair", "id": row_id, "output": json.dumps({"mode": "reward", "rewards": pair, "tie_margin": 0.5})}
             for row_id, pair in rewards.items()]
    assert problems_of(hand_submission(tmp_path / "ok", {**METADATA, "tie_margin": 0.5}, lines), index) == []
    claimed = problems_of(hand_submission(tmp_path / "claimed", {**METADATA, "tie_margin": 0.0}, lines), index)
    assert [(p.line, p.field) for p in claimed] == [(1, "output"), (2, "output"), (3, "output"), (4, "output")]
    assert "tie_margin 0.5 is not metadata.json's tie_margin 0.0" in claimed[0].message
    unnamed = problems_of(hand_submission(tmp_path / "unnamed", METADATA, lines), index)
    assert len(unnamed) == 4 and "tie_margin None" in unnamed[0].message
