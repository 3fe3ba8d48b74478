"""Submissions, validation, scoring and the paper's judges. The leaderboard page: test_leaderboard_page.py."""

import json
from pathlib import Path

import pytest

from dataset_scripts.build import build_from_release
from mllm_judge_tasks.leaderboard import submission as submission_format
from mllm_judge_tasks.leaderboard.benchmark_index import load_index
from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.papers_judges import papers_judges
from mllm_judge_tasks.leaderboard.scoring import score_submission
from mllm_judge_tasks.leaderboard.submission import read_submission, write_submission
from conftest import EXCERPT, lay_out_release
from hand_made import HAND_PREDICTIONS, METADATA, answer, hand_submission, problems_of, run_cli

def test_the_hand_made_submission_is_valid(tmp_path, index):
    assert problems_of(hand_submission(tmp_path / "s"), index) == []


def test_score_of_a_hand_made_submission_against_hand_computed_metrics(tmp_path, index):
    report = score_submission(read_submission(hand_submission(tmp_path / "s")), index, resamples=200)
    pair = report.tasks["pair"].full
    # No-tie items: pair-1 right, pair-2 wrong, pair-3 right (its submitted "A" ignored); pair-4 is a human tie.
    assert pair.value == pair.average["accuracy_no_tie"] == pytest.approx(2 / 3)
    assert pair.average["no_tie_coverage"] == pytest.approx(3 / 4)
    assert pair.average["accuracy_with_tie"] == pytest.approx(2 / 4)
    assert report.tasks["pair"].subsets["HQ"].value == pytest.approx(1.0)  # pair-1, pair-3
    # Judge 1, 2, 5, 4 against human 1, 2, 4, 5: covariance 9 over variance 10.
    assert report.tasks["score"].full.average["pearson"] == pytest.approx(0.9)
    batch = report.tasks["batch"].full
    assert batch.average["edit_distance"] == pytest.approx(0.0) and batch.parse_rate == pytest.approx(0.5)
    assert batch.no_verdict_reasons == {"the judge refused": 1}
    # Longer answers: B in pairs 1-3 (pair 4 equal); the judge picks B in pairs 2 and 3.
    assert report.tasks["pair"].full.bias["length"]["judge_prefers_longer"] == pytest.approx(2 / 3)
    assert report.tasks["pair"].verdict_routes == {"parsed from the text": 4}


def broken(tmp_path: Path, **changes) -> Path:
    lines = [dict(line) for line in HAND_PREDICTIONS]
    for number, line in changes.items():
        lines[int(number.removeprefix("line"))] = line
    return hand_submission(tmp_path / "s", lines=lines)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"line0": {"task": "pairs", "id": "pair-1", "output": "[[A]]"}}, (1, "task", "expected one of score, pair, batch")),
        ({"line0": {"task": "pair", "id": "pair-99", "output": "[[A]]"}}, (1, "id", "unknown pair id 'pair-99'")),
        ({"line1": {"task": "pair", "id": "pair-1", "output": "[[B]]"}}, (2, "id", "duplicate of line 1")),
        ({"line0": {"task": "pair", "id": "pair-1", "output": "  "}}, (1, "output", "empty")),
        ({"line0": {"task": "pair", "id": "pair-1", "output": 3}}, (1, "output", "expected the judge's text, got int")),
        ({"line0": {"task": "pair", "id": 1, "output": "[[A]]"}}, (1, "id", "expected a row id string")),
        ({"line0": {"task": "score", "id": "score-1", "output": "[[1]]", "order": "swapped"}}, (1, "order", "only pair items")),
    ],
)
def test_each_prediction_error_names_file_line_and_field(tmp_path, index, change, expected):
    problems = problems_of(broken(tmp_path, **change), index)
    located = [(p.file, p.line, p.field) for p in problems]
    line, field, message = expected
    assert ("predictions.jsonl", line, field) in located
    assert any(message in p.message for p in problems if (p.line, p.field) == (line, field))


def test_missing_ids_of_a_submitted_task_are_reported(tmp_path, index):
    problems = problems_of(hand_submission(tmp_path / "s", lines=HAND_PREDICTIONS[1:]), index)
    assert [(p.field, p.message) for p in problems] == [("id", "1 pair ids missing: pair-1")]


def test_malformed_lines_and_encoding_are_reported_all_at_once(tmp_path, index):
    directory = hand_submission(tmp_path / "s")
    path = directory / "predictions.jsonl"
    lines = path.read_bytes().splitlines()
    lines[2] = b'{"task": "pair", "id": '
    lines[4] = b'{"task": "score", "id": "score-1", "output": "\xff\xfe"}'
    lines[6] = b'["not", "an", "object"]'
    path.write_bytes(b"\n".join(lines) + b"\n")
    problems = problems_of(directory, index)
    assert [(p.line, p.message.split(" (")[0].split(":")[0]) for p in problems if p.line] == [
        (3, "malformed JSON"), (5, "not valid UTF-8"), (7, "expected a JSON object, got list")]


@pytest.mark.parametrize(
    "metadata, field, message",
    [
        ({k: v for k, v in METADATA.items() if k != "contact"}, "contact", "missing"),
        ({**METADATA, "parameters": "temperature 0"}, "parameters", "expected dict, got str"),
        ({**METADATA, "revision": 7}, "revision", "expected str or null, got int"),
        ({**METADATA, "judge_setting": "zero-shot"}, "judge_setting", "is not one of plain"),
        ({**METADATA, "date": "last tuesday"}, "date", "is not an ISO date"),
        ({**METADATA, "license": ""}, "license", "empty"),
    ],
)
def test_each_metadata_error_names_the_field(tmp_path, index, metadata, field, message):
    problems = problems_of(hand_submission(tmp_path / "s", metadata=metadata), index)
    assert [(p.file, p.field) for p in problems] == [("metadata.json", field)]
    assert message in problems[0].message


def test_missing_files_and_size_limits(tmp_path, index, monkeypatch):
    directory = hand_submission(tmp_path / "s")
    (directory / "metadata.json").unlink()
    assert [(p.file, p.message) for p in problems_of(directory, index)] == [("metadata.json", "missing")]
    monkeypatch.setattr(submission_format, "MAX_PREDICTIONS_BYTES", 100)
    problems = problems_of(hand_submission(tmp_path / "t"), index)
    assert [(p.file, p.message) for p in problems] == [("predictions.jsonl", "larger than 100 bytes")]


def test_validate_and_score_commands_exit_codes(tmp_path, hand_dataset):
    good = hand_submission(tmp_path / "good")
    done = run_cli("validate", str(good), dataset=hand_dataset)
    assert done.returncode == 0 and "valid, 10 predictions" in done.stdout
    bad = broken(tmp_path / "bad", line0={"task": "pair", "id": "pair-99", "output": ""})
    done = run_cli("validate", str(bad), dataset=hand_dataset)
    assert done.returncode == 1
    assert "predictions.jsonl:1: field 'output': empty" in done.stderr
    assert "1 pair ids missing: pair-1" in done.stderr
    done = run_cli("score", str(good), "--resamples", "100", dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    report = json.loads((good / "score.json").read_text())
    assert report["tasks"]["score"]["full"]["average"]["pearson"] == pytest.approx(0.9)
    assert run_cli("score", str(bad), dataset=hand_dataset).returncode == 1


# --- the paper's judges, from the release -----------------------------------------------------------

def excerpt_records(name: str) -> list[dict]:
    return [json.loads(line) for line in (EXCERPT / name).read_text(encoding="utf-8").splitlines()]


def release_with_judge_files(root: Path) -> Path:
    """Benchmark rows for every judged item of the excerpt, and the judges' step3 files."""
    raw = {("score", r["score_id"]): r for r in excerpt_records("judge_outputs_score_raw.jsonl")}
    raw.update({("pair", r["pair_id"]): r for r in excerpt_records("judge_outputs_pair_raw.jsonl")})
    benchmark: dict[str, dict] = {"score": {}, "pair": {}, "batch": {}}
    step3: dict[str, list[str]] = {}
    for task in ("score", "pair", "batch"):
        for record in excerpt_records(f"judge_outputs_{task}.jsonl"):
            ids = record["ids"]
            key = (task, ids.get("score_id", ids.get("pair_id")))
            if record["record_form"] == "full":
                line = raw[key]
            else:
                line = {**ids, "original_dataset": record["original_dataset"], "result": record["result"]}
            step3.setdefault(f"Dataset/raw_data/step3/{task.capitalize()}/{record['judge_file']}", []).append(json.dumps(line, ensure_ascii=False))
            row = {k: v for k, v in raw.get(key, {}).items() if k not in ("result", "gpt_output")} or {
                **ids, "original_dataset": record["original_dataset"], "instruction": "stand-in", "image_path": "1.jpg",
                "name": "gpt4", "answer": "stand-in",
                "answer1": answer("gpt4", "a"), "answer2": answer("llava", "b"),
                "answers": [answer(n, n) for n in ("gpt4", "gemini", "llava", "qwen")]}
            row = {**row, {"score": "human", "pair": "human", "batch": "human_answer"}[task]: {"score": 3, "pair": "A", "batch": "ABCD"}[task]}
            row = {k: v for k, v in row.items() if not (task != "score" and k in ("name", "answer"))
                   and not (task != "pair" and k in ("answer1", "answer2")) and not (task != "batch" and k == "answers")}
            benchmark[task][json.dumps(ids, sort_keys=True)] = row
    files = {f"Dataset/Benchmark/{task}.jsonl": [json.dumps(r, ensure_ascii=False) for r in rows.values()]
             for task, rows in benchmark.items()}
    lay_out_release(root, {**files, **step3})
    return root


def test_the_papers_judges_from_the_real_judge_output_excerpt(tmp_path):
    release = release_with_judge_files(tmp_path / "release")
    dataset = build_from_release(release, tmp_path / "mllm-judge").out_dir
    index = load_index(str(dataset))
    submissions, report = papers_judges(release, index)
    by_judge = {submission.name: submission for submission in submissions}
    assert sorted(by_judge) == ["CogVLM", "Gemini", "LLaVA"]
    assert {submission.role for submission in submissions} == {"paper"}
    routes = {judge: entry["verdict_routes"] for judge, entry in report.items()}
    # Gemini's pair texts argue in prose and hold no verdict: the release's judge field stands in, and is counted.
    assert routes["Gemini"] == {"batch: verdict from the text": 1, "pair: verdict from the release's judge field": 4,
                                "score: verdict from the text": 1}
    assert routes["CogVLM"] == {"pair: verdict from the text": 1, "score: verdict from the text": 3}
    assert routes["LLaVA"] == {"batch: verdict from the text": 1, "score: verdict from the text": 2}
    scored = score_submission(by_judge["Gemini"], index, resamples=0)
    assert scored.tasks["pair"].verdict_routes == {"release's judge field": 4}
    assert scored.tasks["pair"].full.parse_rate == 1.0
    cogvlm = {p.id: p.output for p in by_judge["CogVLM"].predictions}
    assert cogvlm["score-2278"] == "1</s>"  # the `oral` text of the {name, judge, oral} shape
    # The same lines as a submission directory carry text only: its verdicts are what our parser reads.
    gemini = by_judge["Gemini"]
    copied = read_submission(write_submission(tmp_path / "copy", METADATA, [
        {"task": p.task, "id": p.id, "output": p.output} for p in gemini.predictions]))
    assert copied.release_verdicts == {} and copied.role == "submission"
    assert score_submission(copied, index, resamples=0).tasks["pair"].full.parse_rate == 0.0
    # Published per-sample results say where each of the paper's verdicts came from; no model entries for them.
    from datasets import load_dataset
    from mllm_judge_tasks.leaderboard.hub_results import write_hub_results

    hub = write_hub_results(build_board([copied], index, resamples=0, papers_judges=submissions), index, tmp_path / "board")
    gemini_pairs = load_dataset(str(hub / "results"), "paper-gemini__pair", split="latest")
    assert set(gemini_pairs["verdict_from"]) == {"release's judge field"} and None not in gemini_pairs["verdict"]
    copied_pairs = load_dataset(str(hub / "results"), "acme-judge-7b__pair", split="latest")
    assert set(copied_pairs["verdict"]) == {None} and set(copied_pairs["output"]) == set(gemini_pairs["output"])
    assert sorted(path.name for path in (hub / "models").iterdir()) == ["acme-judge-7b"]
