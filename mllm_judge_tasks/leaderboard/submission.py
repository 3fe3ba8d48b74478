"""The submission format, and reading it without trusting it.

A submission is a directory with
- `predictions.jsonl`: one `{"task", "id", "output"}` object per line; `task` is
  score, pair or batch, `id` the dataset row id, `output` the raw judge text. A
  parsed `verdict` may be present and is never trusted, except on lines that
  say `"verdict_source": "release_field"` (official judges imported from the
  release, whose text holds no verdict; those are counted on the page). An
  optional `"order": "swapped"` marks a pair judged with A and B swapped, for
  the position-bias figures.
- `metadata.json`: judge model and revision, parameters, judge setting, date,
  contact, license of the outputs.
Every problem is collected with file, line and field, all at once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from mllm_judge_tasks import schema
from mllm_judge_tasks.problems import Problem, json_object
from mllm_judge_tasks.prompts import SETTINGS

PREDICTIONS = "predictions.jsonl"
METADATA = "metadata.json"
MAX_PREDICTIONS_BYTES = 512 * 2**20
MAX_METADATA_BYTES = 64 * 2**10
MAX_OUTPUT_CHARS = 100_000
ORDERS = ("original", "swapped")
RELEASE_FIELD = "release_field"

# Field → (accepted types, required). `parameters` holds the generation settings and backend arguments.
METADATA_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "judge_model": ((str,), True),
    "revision": ((str, type(None)), True),
    "parameters": ((dict,), True),
    "judge_setting": ((str,), True),
    "date": ((str,), True),
    "contact": ((str,), True),
    "license": ((str,), True),
}


@dataclass(frozen=True)
class Prediction:
    line: int
    task: str
    id: str
    output: str
    order: str = "original"
    release_verdict: object = None  # only for lines imported from the release's own verdict field


@dataclass
class Submission:
    directory: Path
    metadata: dict = field(default_factory=dict)
    predictions: list[Prediction] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.metadata.get("judge_model") or self.directory.name)


def _read_metadata(directory: Path, submission: Submission) -> None:
    path = directory / METADATA
    if not path.is_file():
        submission.problems.append(Problem(METADATA, None, None, "missing"))
        return
    if path.stat().st_size > MAX_METADATA_BYTES:
        submission.problems.append(Problem(METADATA, None, None, f"larger than {MAX_METADATA_BYTES} bytes"))
        return
    try:
        metadata = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        submission.problems.append(Problem(METADATA, None, None, f"not valid UTF-8 ({error.reason})"))
        return
    except json.JSONDecodeError as error:
        submission.problems.append(Problem(METADATA, error.lineno, None, f"malformed JSON: {error.msg}"))
        return
    if not isinstance(metadata, dict):
        submission.problems.append(Problem(METADATA, None, None, "expected a JSON object"))
        return
    for name, (types, required) in METADATA_FIELDS.items():
        if name not in metadata:
            if required:
                submission.problems.append(Problem(METADATA, None, name, "missing"))
            continue
        value = metadata[name]
        if not isinstance(value, types) or isinstance(value, bool):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            submission.problems.append(Problem(METADATA, None, name, f"expected {expected}, got {type(value).__name__}"))
        elif isinstance(value, str) and name != "revision" and not value.strip():
            submission.problems.append(Problem(METADATA, None, name, "empty"))
    setting = metadata.get("judge_setting")
    if isinstance(setting, str) and setting.strip() and setting not in SETTINGS:
        submission.problems.append(Problem(METADATA, None, "judge_setting", f"{setting!r} is not one of {', '.join(SETTINGS)}"))
    date = metadata.get("date")
    if isinstance(date, str) and date.strip():
        try:
            dt.date.fromisoformat(date[:10])
        except ValueError:
            submission.problems.append(Problem(METADATA, None, "date", f"{date!r} is not an ISO date (YYYY-MM-DD)"))
    submission.metadata = metadata


def _prediction(number: int, record: dict, problems: list[Problem]) -> Prediction | None:
    ok = True
    task, row_id, output = record.get("task"), record.get("id"), record.get("output")
    if task not in schema.TASKS:
        problems.append(Problem(PREDICTIONS, number, "task", f"expected one of {', '.join(schema.TASKS)}, got {task!r}"))
        ok = False
    if not isinstance(row_id, str) or not row_id:
        problems.append(Problem(PREDICTIONS, number, "id", f"expected a row id string, got {row_id!r}"))
        ok = False
    release_verdict = record.get("verdict") if record.get("verdict_source") == RELEASE_FIELD else None
    if not isinstance(output, str):
        problems.append(Problem(PREDICTIONS, number, "output", f"expected the judge's text, got {type(output).__name__}"))
        ok = False
    elif not output.strip() and release_verdict is None:
        problems.append(Problem(PREDICTIONS, number, "output", "empty"))
        ok = False
    elif len(output) > MAX_OUTPUT_CHARS:
        problems.append(Problem(PREDICTIONS, number, "output", f"longer than {MAX_OUTPUT_CHARS} characters"))
        ok = False
    order = record.get("order", "original")
    if order not in ORDERS:
        problems.append(Problem(PREDICTIONS, number, "order", f"expected 'original' or 'swapped', got {order!r}"))
        ok = False
    elif order == "swapped" and task != "pair":
        problems.append(Problem(PREDICTIONS, number, "order", "only pair items can be swapped"))
        ok = False
    if not ok:
        return None
    return Prediction(number, task, row_id, output, order, release_verdict)


def read_submission(directory: Path) -> Submission:
    """The submission at `directory` with every format problem found (ids are checked by `validate`)."""
    directory = Path(directory)
    submission = Submission(directory=directory)
    _read_metadata(directory, submission)
    path = directory / PREDICTIONS
    if not path.is_file():
        submission.problems.append(Problem(PREDICTIONS, None, None, "missing"))
        return submission
    if path.stat().st_size > MAX_PREDICTIONS_BYTES:
        submission.problems.append(Problem(PREDICTIONS, None, None, f"larger than {MAX_PREDICTIONS_BYTES} bytes"))
        return submission
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            record = json_object(raw, PREDICTIONS, number)
            if isinstance(record, Problem):
                submission.problems.append(record)
                continue
            prediction = _prediction(number, record, submission.problems)
            if prediction is not None:
                submission.predictions.append(prediction)
    return submission


def write_submission(directory: Path, metadata: dict, lines: list[dict]) -> Path:
    """Write a submission directory (used by `pack` and `import-official`), replacing one there."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / METADATA).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary = directory / (PREDICTIONS + ".partial")
    with temporary.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    temporary.replace(directory / PREDICTIONS)
    return directory
