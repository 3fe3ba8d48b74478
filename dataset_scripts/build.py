"""Build a dataset repo directory from the official release or from the synthetic mini benchmark.

A build is atomic: everything is written to a temporary sibling directory that
is renamed into place only when complete, so a failing build leaves nothing
behind and an existing build is replaced whole or not at all. It is also
deterministic: the same input gives byte-identical parquet files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mllm_judge_tasks import protocol, schema
from mllm_judge_tasks.files import OutputExists, atomic_directory  # noqa: F401 (OutputExists: the build's error)
from mllm_judge_tasks.problems import InvalidInput

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
    with atomic_directory(out_dir, marker=BUILD_MARKER, made_by="mllm-judge build", replace=overwrite) as work:
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
