"""Build a dataset repo directory from the official release or from the synthetic mini benchmark.

A build is atomic: everything is written to a temporary sibling directory that
is renamed into place only when complete, so a failing build leaves nothing
behind and an existing build is replaced whole or not at all. It is also
deterministic: the same input gives byte-identical parquet files.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mllm_judge_tasks import protocol, schema
from mllm_judge_tasks.files import directory_mode
from mllm_judge_tasks.problems import InvalidInput, UserError

from .assemble import assemble_release
from .card import render_card
from .parquet_writer import ConfigFiles, write_config

DEFAULT_OUT = Path("mllm-judge")
REPORT_FILE = "build_report.json"
BUILD_MARKER = ".mllm-judge-build"


@dataclass
class BuildResult:
    out_dir: Path
    configs: dict[str, ConfigFiles]
    report: dict


class OutputExists(UserError):
    pass


@contextmanager
def atomic_directory(out_dir: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary directory that replaces `out_dir` when the block completes, and vanishes if it fails.

    Safe against the user's own data: `--overwrite` replaces only a directory
    an earlier build made (it holds BUILD_MARKER); a lock next to it stops two
    builds into one place; and the hidden work directories of a build that was
    killed are removed by the next build into the same place.
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.is_symlink():
        raise OutputExists(f"{out_dir} is a symbolic link; give the real directory")
    if out_dir.exists() and not overwrite:
        raise OutputExists(f"{out_dir} already exists; pass --overwrite to replace it")
    if out_dir.exists() and not (out_dir / BUILD_MARKER).is_file():
        raise OutputExists(f"{out_dir} was not made by `mllm-judge build` (no {BUILD_MARKER} in it); refusing to replace it")
    if Path.cwd().resolve().is_relative_to(out_dir.resolve()):
        raise OutputExists(f"{out_dir} holds the current directory; refusing to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(out_dir):
        for stage in ("building", "old"):  # what a killed build left: its work and the build it was replacing
            for leftover in out_dir.parent.glob(f".{out_dir.name}.{stage}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
        os.chmod(work, directory_mode())  # mkdtemp makes 0700; a dataset is shared like any directory
        try:
            yield work
            (work / BUILD_MARKER).write_text("made by mllm-judge build; --overwrite may replace this directory\n")
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
            work.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out_dir)


@contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the output's parent directory (flock on the directory: no lock file left behind)."""
    descriptor = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputExists(f"another build into {out_dir.parent} is running; try again when it ends") from None
        yield
    finally:
        os.close(descriptor)


def write_repo(
    out_dir: Path,
    rows: Mapping[str, list[dict]],
    images: Mapping[str, bytes],
    report: dict,
    *,
    mini: bool,
    overwrite: bool,
    mini_summary: str = "",
) -> BuildResult:
    """Parquet per config, the dataset card and the build report, written atomically."""
    configs = {name: rows[name] for name in protocol.CONFIGS if rows.get(name)}
    with atomic_directory(out_dir, overwrite) as work:
        written = {
            name: write_config(work, name, config_rows, schema.FEATURES[protocol.task_of_config(name)], images)
            for name, config_rows in configs.items()
        }
        (work / "README.md").write_text(
            render_card(written, mini=mini, build_summary=_summary(report), mini_summary=mini_summary),
            encoding="utf-8",
        )
        (work / REPORT_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return BuildResult(out_dir=Path(out_dir), configs=written, report=report)


def build_from_release(
    release_dir: Path, out_dir: Path = DEFAULT_OUT, *, skip_invalid: bool = False, overwrite: bool = False
) -> BuildResult:
    """Convert the official release; invalid records stop the build unless `skip_invalid`."""
    assembly = assemble_release(Path(release_dir))
    if assembly.problems and not skip_invalid:
        raise InvalidInput(
            assembly.problems,
            hint="Nothing was written. Fix the records, or pass --skip-invalid to leave them out "
            f"(they are then listed in {REPORT_FILE}).",
        )
    report = {
        "source": "official release",
        "configs": assembly.report,
        "missing_files": assembly.missing_files,
        "skipped": [problem.to_dict() for problem in assembly.problems],
    }
    return write_repo(out_dir, assembly.rows, assembly.images, report, mini=False, overwrite=overwrite)


def build_mini(out_dir: Path = DEFAULT_OUT, *, overwrite: bool = False) -> BuildResult:
    """The embedded synthetic mini benchmark, made on the spot (no download)."""
    from .mini import MINI_SUMMARY, make_mini_benchmark

    rows, images = make_mini_benchmark()
    report = {
        "source": "synthetic mini benchmark",
        "configs": {name: {"rows": len(config_rows)} for name, config_rows in rows.items()},
        "skipped": [],
    }
    return write_repo(out_dir, rows, images, report, mini=True, overwrite=overwrite, mini_summary=MINI_SUMMARY)


def _summary(report: dict) -> str:
    lines = [f"Built from the {report['source']}."]
    for name, entry in report["configs"].items():
        parts = [f"{entry['rows']} rows"]
        if entry.get("file"):
            parts.insert(0, f"from `{entry['file']}`")
        if entry.get("exact_duplicate_lines_dropped"):
            parts.append(f"{len(entry['exact_duplicate_lines_dropped'])} exact duplicate lines dropped")
        if entry.get("labels_taken_from_benchmark"):
            parts.append(f"{entry['labels_taken_from_benchmark']} human labels joined from the benchmark")
        for what, count in entry.get("normalised", {}).items():
            parts.append(f"{count} × {what}")
        if entry.get("skipped"):
            parts.append(f"{entry['skipped']} invalid records skipped")
        lines.append(f"- `{name}`: " + ", ".join(parts))
    for name, looked_for in report.get("missing_files", {}).items():
        lines.append(f"- `{name}`: not built, the release has no {' or '.join(f'`{path}`' for path in looked_for)}")
    if report["skipped"]:
        lines.append(f"\nSkipped records and the reasons are listed in `{REPORT_FILE}`.")
    return "\n".join(lines)
