"""Bad input: a clear error naming file, line and field, and nothing written; or, with
--skip-invalid, the build goes on and reports what it skipped and why."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from dataset_scripts.build import build_from_release
from mllm_judge_tasks.problems import InvalidInput
from conftest import EXCERPT, lay_out_release
from hand_made import cli_in_process

PAIR_FILE = "Dataset/Benchmark/pair.jsonl"


def pair_lines() -> list[dict]:
    return [json.loads(line) for line in (EXCERPT / "pair.jsonl").read_text(encoding="utf-8").splitlines()]


def release_with(tmp_path: Path, line_3: str | dict) -> Path:
    """A release whose pair file has the excerpt's 7 records, the third replaced by `line_3`."""
    records = [json.dumps(record, ensure_ascii=False) for record in pair_lines()]
    records[2] = line_3 if isinstance(line_3, str) else json.dumps(line_3)
    return lay_out_release(tmp_path / "release", {PAIR_FILE: records})


def changed(**changes) -> dict:
    record = pair_lines()[2]
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return record


CASES = {
    "malformed JSON": ('{"id": 2, "pair_id": 16,', None, "malformed JSON"),
    "not an object": ("[1, 2, 3]", None, "expected a JSON object"),
    "missing field": (changed(instruction=None), "instruction", "missing"),
    "mistyped field": (changed(id="two"), "id", "expected int, got str 'two'"),
    "mistyped answer": (changed(answer1="gpt4: yes"), "answer1", "expected dict"),
    "label out of range": (changed(human_answer="D"), "human_answer", "expected 'A', 'B' or 'C' (tie)"),
    "missing label": (changed(human_answer=None), "human", "missing (also looked for human_answer)"),
    "missing image path": (changed(image_path=None), "image_path", "missing"),
    "unknown image": (changed(image_path="no-such-image.jpg"), "image_path", "no such file"),
    "escaping image path": (changed(image_path="../../../etc/passwd"), "image_path", "escapes the images folder"),
    "absolute image path": (changed(image_path="/etc/passwd"), "image_path", "escapes the images folder"),
}


def assert_nothing_written(out: Path) -> None:
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")] == []


@pytest.mark.parametrize("case", CASES)
def test_bad_record_is_named_by_file_line_and_field_and_nothing_is_written(tmp_path, case):
    line, field, message = CASES[case]
    release = release_with(tmp_path, line)
    out = tmp_path / "out"
    with pytest.raises(InvalidInput) as raised:
        build_from_release(release, out)
    (problem,) = raised.value.problems
    assert (problem.file, problem.line, problem.field) == (PAIR_FILE, 3, field)
    assert message in problem.message
    assert f"{PAIR_FILE}:3:" in str(raised.value)
    assert_nothing_written(out)


def test_corrupt_image_is_named(tmp_path):
    release = release_with(tmp_path, changed())
    image = release / "Dataset" / "image" / "2.jpg"
    image.write_bytes(image.read_bytes()[:200])  # truncated JPEG
    with pytest.raises(InvalidInput) as raised:
        build_from_release(release, tmp_path / "out")
    (problem,) = raised.value.problems
    assert (problem.line, problem.field) == (3, "image_path")
    assert "2.jpg: image does not decode" in problem.message
    assert_nothing_written(tmp_path / "out")


def test_symlink_out_of_the_images_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"not for the dataset")
    release = release_with(tmp_path, changed(image_path="link.jpg"))
    os.symlink(secret, release / "Dataset" / "image" / "link.jpg")
    with pytest.raises(InvalidInput) as raised:
        build_from_release(release, tmp_path / "out")
    assert "escapes the images folder" in raised.value.problems[0].message


def test_invalid_utf8_is_named(tmp_path):
    release = release_with(tmp_path, changed())
    path = release / PAIR_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b"coco", b"co\xffco")
    path.write_bytes(b"".join(lines))
    with pytest.raises(InvalidInput) as raised:
        build_from_release(release, tmp_path / "out")
    (problem,) = raised.value.problems
    assert problem.line == 5 and "not valid UTF-8" in problem.message


def test_every_problem_is_reported_at_once(tmp_path):
    records = [json.dumps(record) for record in pair_lines()]
    records[0] = "{broken"
    records[5] = json.dumps({**pair_lines()[5], "human": 3})
    release = lay_out_release(tmp_path / "release", {PAIR_FILE: records})
    with pytest.raises(InvalidInput) as raised:
        build_from_release(release, tmp_path / "out")
    assert [(p.line, p.field) for p in raised.value.problems] == [(1, None), (6, "human")]


def test_skip_invalid_goes_on_and_reports_what_it_skipped(tmp_path):
    release = release_with(tmp_path, changed(human_answer="D"))
    result = build_from_release(release, tmp_path / "out", skip_invalid=True)
    assert result.configs["pair"].num_examples == 6
    report = json.loads((tmp_path / "out" / "build_report.json").read_text())
    assert report["configs"]["pair"]["skipped"] == 1 and report["configs"]["pair"]["rows"] == 6
    (skipped,) = report["skipped"]
    assert skipped["file"] == PAIR_FILE and skipped["line"] == 3 and skipped["field"] == "human_answer"
    assert "1 invalid records skipped" in (tmp_path / "out" / "README.md").read_text()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return cli_in_process(*args)


def test_cli_prints_the_problem_and_exits_1(tmp_path):
    release = release_with(tmp_path, changed(id="two"))
    done = run_cli("build", str(release), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert f"{PAIR_FILE}:3: field 'id': expected int, got str 'two'" in done.stderr
    assert "--skip-invalid" in done.stderr and "Traceback" not in done.stderr
    assert_nothing_written(tmp_path / "out")


def test_cli_skip_invalid_builds_and_says_so(tmp_path):
    release = release_with(tmp_path, changed(id="two"))
    done = run_cli("build", str(release), "--out", str(tmp_path / "out"), "--skip-invalid")
    assert done.returncode == 0, done.stderr
    assert "skipped 1 invalid record(s)" in done.stdout


def test_missing_release_files_is_a_clear_error(tmp_path):
    done = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "no release files found" in done.stderr
