"""From a release directory to the rows of every config, with stable ids and joined labels.

Ids: benchmark rows keep the release's row ids (`score-<score_id>`,
`pair-<pair_id>`, `batch-<id>`; different batch records share an `id` in the
release, so the second one becomes `batch-<id>-2`). Lite, HQ and Hard rows are
matched to their benchmark row by `mllm_judge_tasks.record_match` (instruction
id plus responder names, the answers break a tie), take its id so results join across configs, and take
its human label when they carry none. `pair_id` is not used across files:
the release reuses it for different pairs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mllm_judge_tasks import protocol
from mllm_judge_tasks.problems import Problem, UserError
from mllm_judge_tasks.record_match import RowMatcher

from .images import ImageFolder, find_image_problems
from .release import FileRead, ReleaseRecord, read_release_file
from .release_layout import RELEASE_FILES, find_images_dir, find_release_files



@dataclass
class Assembly:
    rows: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    report: dict[str, dict] = field(default_factory=dict)
    images: ImageFolder | None = None
    missing_files: dict[str, list[str]] = field(default_factory=dict)  # config → the paths looked for


class ReleaseNotFound(UserError):
    pass


def assemble_release(release_dir: Path) -> Assembly:
    """Every valid row of every config the release holds, and a problem for each invalid record."""
    release_dir = Path(release_dir)
    files = find_release_files(release_dir)
    images_dir = find_images_dir(release_dir)
    if not files:
        raise ReleaseNotFound(
            f"{release_dir}: no release files found; expected e.g. Dataset/Benchmark/pair.jsonl or Benchmark/pair.jsonl"
        )
    if images_dir is None:
        raise ReleaseNotFound(f"{release_dir}: no images folder found (looked for Dataset/image, image, images)")
    assembly = Assembly(images=ImageFolder(images_dir))
    assembly.missing_files = {config: list(RELEASE_FILES[config]) for config in RELEASE_FILES if config not in files}
    reads = {
        config: read_release_file(config, path, str(path.relative_to(release_dir)))
        for config, path in files.items()
    }
    _drop_records_with_bad_images(reads, assembly.images)
    benchmark: dict[str, list[ReleaseRecord]] = {}
    for config, read in reads.items():
        task = protocol.task_of_config(config)
        is_subset = config != task
        if is_subset:
            kept, joined = _join_subset(read, benchmark.get(task, []))
        else:
            kept, joined = _assign_benchmark_ids(read), 0
            benchmark[task] = kept
        assembly.rows[config] = [record.row for record in kept]
        assembly.problems.extend(read.problems)
        assembly.report[config] = {
            "file": read.file,
            "rows": len(kept),
            "skipped": len(read.problems),
            "exact_duplicate_lines_dropped": read.duplicate_lines,
            "labels_taken_from_benchmark": joined,
            "normalised": dict(sorted(read.normalised.items())),
        }
    return assembly


def _drop_records_with_bad_images(reads: dict[str, FileRead], images: ImageFolder) -> None:
    names = {record.row["image_file"] for read in reads.values() for record in read.records}
    bad = find_image_problems(images, names)
    if not bad:
        return
    for read in reads.values():
        keep = []
        for record in read.records:
            reason = bad.get(record.row["image_file"])
            if reason is None:
                keep.append(record)
            else:
                read.problems.append(Problem(record.file, record.line, "image_path", f"{record.row['image_file']}: {reason}"))
        read.records = keep


def _assign_benchmark_ids(read: FileRead) -> list[ReleaseRecord]:
    task = protocol.task_of_config(read.config)
    kept: list[ReleaseRecord] = []
    used: dict[str, int] = {}
    batch_copies: Counter[str] = Counter()
    for record in read.records:
        row_id = protocol.row_id(task, record.release_id)
        if task == "batch":
            # Different batch records share an `id`: number the later ones.
            batch_copies[row_id] += 1
            if batch_copies[row_id] > 1:
                row_id = f"{row_id}-{batch_copies[row_id]}"
        elif row_id in used:
            key = "score_id" if task == "score" else "pair_id"
            read.problems.append(
                Problem(read.file, record.line, key, f"{key} {record.release_id} is already used by line {used[row_id]}")
            )
            continue
        used[row_id] = record.line
        record.row["id"] = row_id
        kept.append(record)
    return kept


def _join_subset(read: FileRead, benchmark: list[ReleaseRecord]) -> tuple[list[ReleaseRecord], int]:
    """Subset records with the id (and, where missing, the label) of their benchmark row."""
    task = protocol.task_of_config(read.config)
    spec = protocol.SPECS[task]
    prefix = read.config[: -len(task)].replace("_", "-")
    matcher = RowMatcher()
    by_id = {record.row["id"]: record for record in benchmark}
    for record in benchmark:
        matcher.add(record.row["id"], *record.join_key, record.responses)
    kept: list[ReleaseRecord] = []
    used: dict[str, int] = {}
    joined = 0
    for record in read.records:
        # Not the record's own id: the release reuses `pair_id` for different pairs across files.
        match = matcher.match(*record.join_key, record.responses)
        label = record.row[spec.label_field]
        if match.row_id is not None:
            record.row["id"] = match.row_id
            if label is None:
                for key in spec.label_fields:
                    record.row[key] = by_id[match.row_id].row[key]
                joined += 1
        elif label is None:
            instruction_id, responders = record.join_key
            read.problems.append(
                Problem(
                    read.file,
                    record.line,
                    "human_answer",
                    f"no human label, and {'several' if match.candidates else 'no'} benchmark records with id "
                    f"{instruction_id} and responders {', '.join(responders)} to take it from",
                )
            )
            continue
        elif record.release_id is None:
            read.problems.append(Problem(read.file, record.line, "id", "no row id and no matching benchmark record"))
            continue
        else:
            record.row["id"] = protocol.row_id(task, record.release_id, prefix=prefix)
        if record.row["id"] in used:
            read.problems.append(
                Problem(read.file, record.line, "id", f"same item as line {used[record.row['id']]} ({record.row['id']})")
            )
            continue
        used[record.row["id"]] = record.line
        kept.append(record)
    return kept, joined

