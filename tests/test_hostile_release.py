"""A hostile or broken release: each input is reported (file, line, field) or counted, never a traceback or a hang,
and the output directory is only ever replaced when an earlier build made it."""

import fcntl
import json
import os
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from dataset_scripts.build import BUILD_MARKER, REPORT_FILE, build_from_release, build_mini
from mllm_judge_tasks.problems import UserError
from conftest import lay_out_release
from hand_made import cli_in_process
from test_bad_input import PAIR_FILE, changed, pair_lines, release_with


def build_cli(*args: str) -> subprocess.CompletedProcess:
    return cli_in_process("build", *args)


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels (its data is a few bytes: a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\nshowpage\n"


def with_image(tmp_path: Path, make) -> Path:
    """A release whose third pair names `hostile.jpg`, made by `make(path)` inside the images folder."""
    release = release_with(tmp_path, changed(image_path="hostile.jpg"))
    make(release / "Dataset" / "image" / "hostile.jpg")
    return release


IMAGE_CASES = {
    "30000x30000 PNG": (lambda path: path.write_bytes(huge_png_header(30000, 30000)), "more than 64,000,000"),
    "EPS named .jpg": (lambda path: path.write_bytes(EPS), "not an image in one of the accepted formats"),
    "FIFO": (lambda path: os.mkfifo(path), "not a regular file"),
    "character device": (lambda path: os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5)), "not a regular file"),
    "directory": (lambda path: path.mkdir(), "not a regular file"),
}


@pytest.mark.parametrize("case", IMAGE_CASES)
def test_hostile_images_are_skipped_with_a_reason(tmp_path, case):
    make, reason = IMAGE_CASES[case]
    try:
        release = with_image(tmp_path, make)
    except PermissionError:
        pytest.skip("this user may not make device files")
    done = build_cli(str(release), "--out", str(tmp_path / "out"), "--skip-invalid")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    skipped = json.loads((tmp_path / "out" / REPORT_FILE).read_text())["skipped"]
    assert [(s["line"], s["field"]) for s in skipped] == [(3, "image_path")]
    assert reason in skipped[0]["message"]


RECORD_CASES = {
    "id beyond int64": (json.dumps(changed(id=2**70)), "id", "between 0 and 2**63-1"),
    "negative pair id": (json.dumps(changed(pair_id=-1)), "pair_id", "between 0 and 2**63-1"),
    "NUL in image_path": (json.dumps(changed(image_path="1\u0000.jpg")), "image_path", "not a plain file name"),
    "lone surrogate": (json.dumps(changed(instruction="x")).replace('"x"', '"\\ud800"'), None, "lone surrogate"),
    "deep nesting": ("[" * 100_000, None, "nested too deeply"),
    "NaN id": (json.dumps(changed(id=1)).replace('"id": 1', '"id": NaN'), None, "NaN is not a JSON number"),
    "huge image_path": (json.dumps(changed(image_path="a" * 5000 + ".jpg")), "image_path", "not a plain file name"),
}


@pytest.mark.parametrize("case", RECORD_CASES)
def test_hostile_records_are_reported_without_a_traceback(tmp_path, case):
    line, field, message = RECORD_CASES[case]
    release = release_with(tmp_path, line)
    done = build_cli(str(release), "--out", str(tmp_path / "refused"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "pair.jsonl:3:" in done.stderr and message in done.stderr
    assert not (tmp_path / "refused").exists()
    done = build_cli(str(release), "--out", str(tmp_path / "out"), "--skip-invalid")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    skipped = json.loads((tmp_path / "out" / REPORT_FILE).read_text())["skipped"]
    assert [(s["line"], s["field"]) for s in skipped] == [(3, field)]


# --- silent decisions, made loud ------------------------------------------------------------------

def test_a_cr_only_file_loses_no_record(tmp_path):
    records = [json.dumps(record) for record in pair_lines()]
    records[2] = '{"id": 2, "pair_id": 16,'
    release = lay_out_release(tmp_path / "release", {PAIR_FILE: records})
    (release / PAIR_FILE).write_bytes("\r".join(records).encode() + b"\r")
    result = build_from_release(release, tmp_path / "out", skip_invalid=True)
    assert result.configs["pair"].num_examples == len(records) - 1
    assert [s["line"] for s in result.report["skipped"]] == [3]


def test_conflicting_labels_are_counted_on_the_report_and_card(tmp_path):
    record = changed(human_answer="A")
    record["human"] = "B"
    result = build_from_release(release_with(tmp_path, record), tmp_path / "out")
    what = "conflicting 'human' and 'human_answer' labels: 'human' kept"
    assert result.report["configs"]["pair"]["normalised"] == {what: 1}
    assert f"1 × {what}" in (tmp_path / "out" / "README.md").read_text()


def test_missing_release_files_are_reported(tmp_path):
    result = build_from_release(release_with(tmp_path, changed()), tmp_path / "out")
    missing = result.report["missing_files"]
    assert "score" in missing and "batch" in missing and "pair" not in missing
    card = (tmp_path / "out" / "README.md").read_text()
    assert "- `score`: not built, the release has no `Dataset/Benchmark/score.jsonl`" in card


# --- the output directory -------------------------------------------------------------------------

def test_overwrite_replaces_only_a_directory_a_build_made(tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work")
    done = build_cli("--mini", "--out", str(thesis), "--overwrite")
    assert done.returncode == 1 and "not made by `mllm-judge build`" in done.stderr and "Traceback" not in done.stderr
    assert (thesis / "chapter1.tex").read_text() == "years of work"
    built = build_mini(tmp_path / "built").out_dir
    assert (built / BUILD_MARKER).is_file()
    assert build_mini(built, overwrite=True).out_dir == built  # a build's own directory may be replaced


def test_out_dot_is_refused_cleanly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "build", "--mini", "--out", ".", "--overwrite"],
                          capture_output=True, text=True, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_killed_build_are_cleaned(tmp_path):
    for leftover in (".out.building-abc123", ".out.old-def456"):
        (tmp_path / leftover / "config").mkdir(parents=True)
        (tmp_path / leftover / "config" / "part.parquet").write_bytes(b"x" * 1000)
    build_mini(tmp_path / "out")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


def test_two_builds_into_one_place_do_not_both_succeed(tmp_path):
    descriptor = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a build in progress holds this lock
        with pytest.raises(UserError, match="another `mllm-judge build` into"):
            build_mini(tmp_path / "out")
    finally:
        os.close(descriptor)
    assert not (tmp_path / "out").exists()


def test_a_built_dataset_follows_the_umask(tmp_path):
    mask = os.umask(0o022)
    try:
        out = build_mini(tmp_path / "out").out_dir
    finally:
        os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
