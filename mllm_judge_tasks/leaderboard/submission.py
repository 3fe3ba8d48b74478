"""The submission format, and reading it without trusting it.

A submission is a directory with
- `predictions.jsonl`: one `{"task", "id", "output"}` object per line; `task` is
  score, pair or batch, `id` the dataset row id, `output` the raw judge text. An
  optional `"order": "swapped"` marks a pair judged with A and B swapped, for
  the position-bias figures. No other field is accepted: a verdict is always
  our parser's reading of `output`, never a value the submitter writes.
- `metadata.json`: judge model and revision, parameters, judge setting, date,
  contact, license of the outputs; no other key (roles such as a reference row
  or the paper's own judges are given by our code, never by a file).
Both are read only as regular files inside the directory (a link is refused),
as strict JSON (no NaN, no lone surrogates, bounded nesting). Every problem is
collected with file, line and field, all at once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mllm_judge_tasks import protocol
from mllm_judge_tasks.files import write_text_atomic
from mllm_judge_tasks.problems import Problem, UserError, json_object
from mllm_judge_tasks.protocol import ORDERS, ORIGINAL, SWAPPED
from mllm_judge_tasks.prompts import SETTINGS

from .usage import usage_problem

PREDICTIONS = "predictions.jsonl"
METADATA = "metadata.json"
MAX_PREDICTIONS_BYTES = 512 * 2**20
MAX_METADATA_BYTES = 64 * 2**10
MAX_OUTPUT_CHARS = 100_000
MAX_METADATA_TEXT = 500  # characters of one metadata string (a name, a contact)
PREDICTION_FIELDS = ("task", "id", "output", "order")

# Field → (accepted types, required). `parameters` holds the generation settings and backend arguments.
METADATA_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "judge_model": ((str,), True),
    "revision": ((str, type(None)), True),
    "parameters": ((dict,), True),
    "judge_setting": ((str,), True),
    "date": ((str,), True),
    "contact": ((str,), True),
    "license": ((str,), True),
    "usage": ((dict,), False),  # tokens and prices of the run (usage.py); pack writes it when the run logged them
    "tie_margin": ((int, float), False),  # a reward model's: pairs within it are ties (protocol.reward_verdict)
}


@dataclass(frozen=True)
class Prediction:
    line: int
    task: str
    id: str
    output: str
    order: str = ORIGINAL


class Role(StrEnum):
    """Who a board row is: set by our code only, never read from a file."""

    SUBMISSION = "submission"
    PAPER = "paper"  # the paper's judges, read from the release by `papers_judges`
    REFERENCE = "reference"  # a baseline computed on the same data (`references`)


@dataclass
class Submission:
    """A judge's outputs. `role` and `release_verdicts` are set by our code only (see `papers_judges`, `references`).

    `release_verdicts` maps (task, id) to the verdict the release recorded in
    its own judge field, for the paper's judges whose text holds none.
    """

    directory: Path
    metadata: dict = field(default_factory=dict)
    predictions: list[Prediction] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    role: Role = Role.SUBMISSION
    release_verdicts: dict[tuple[str, str], object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.metadata.get("judge_model") or self.directory.name)


def regular_file(directory: Path, name: str, problems: list[Problem]) -> Path | None:
    """`directory/name` if it is a regular file (not a link, FIFO or device), else None with the problem noted."""
    path = directory / name
    if path.is_symlink():
        problems.append(Problem(name, None, None, "is a symbolic link; a submission is read from regular files only"))
    elif not path.exists():
        problems.append(Problem(name, None, None, "missing"))
    elif not path.is_file():
        problems.append(Problem(name, None, None, "not a regular file"))
    else:
        return path
    return None


def _metadata_text(name: str, value: object, problems: list[Problem]) -> None:
    if isinstance(value, str) and name != "revision" and not value.strip():
        problems.append(Problem(METADATA, None, name, "empty"))
    elif isinstance(value, str) and len(value) > MAX_METADATA_TEXT:
        problems.append(Problem(METADATA, None, name, f"longer than {MAX_METADATA_TEXT} characters"))


def _date_problem(value: str) -> str | None:
    try:
        dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not an ISO date (YYYY-MM-DD) or date-time"
    return None


def _read_metadata(directory: Path, submission: Submission) -> None:
    problems = submission.problems
    path = regular_file(directory, METADATA, problems)
    if path is None:
        return
    if path.stat().st_size > MAX_METADATA_BYTES:
        problems.append(Problem(METADATA, None, None, f"larger than {MAX_METADATA_BYTES} bytes"))
        return
    metadata = json_object(path.read_bytes(), METADATA, None)
    if isinstance(metadata, Problem):
        problems.append(metadata)
        return
    for name in sorted(set(metadata) - set(METADATA_FIELDS)):
        problems.append(Problem(METADATA, None, name[:80], f"unknown key; allowed: {', '.join(METADATA_FIELDS)}"))
    for name, (types, required) in METADATA_FIELDS.items():
        if name not in metadata:
            if required:
                problems.append(Problem(METADATA, None, name, "missing"))
            continue
        value = metadata[name]
        if not isinstance(value, types) or isinstance(value, bool):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            problems.append(Problem(METADATA, None, name, f"expected {expected}, got {type(value).__name__}"))
        else:
            _metadata_text(name, value, problems)
    if isinstance(metadata.get("usage"), dict) and (problem := usage_problem(metadata["usage"])):
        problems.append(Problem(METADATA, None, "usage", problem))
    margin = metadata.get("tie_margin")
    if type(margin) in (int, float) and not (protocol.is_real_number(margin) and margin >= 0):  # its type is checked above
        problems.append(Problem(METADATA, None, "tie_margin", f"expected a finite number >= 0, got {margin!r}"))
    setting = metadata.get("judge_setting")
    if isinstance(setting, str) and setting.strip() and setting not in SETTINGS:
        problems.append(Problem(METADATA, None, "judge_setting", f"{setting[:80]!r} is not one of {', '.join(SETTINGS)}"))
    date = metadata.get("date")
    if isinstance(date, str) and date.strip() and (problem := _date_problem(date[:40])):
        problems.append(Problem(METADATA, None, "date", problem))
    submission.metadata = metadata


def _prediction(number: int, record: dict, problems: list[Problem]) -> Prediction | None:
    ok = True
    for name in sorted(set(record) - set(PREDICTION_FIELDS)):
        why = ("a submission cannot carry verdicts: the board parses `output`" if name in ("verdict", "verdict_source")
               else f"unknown field; allowed: {', '.join(PREDICTION_FIELDS)}")
        problems.append(Problem(PREDICTIONS, number, name[:80], why))
        ok = False
    task, row_id, output = record.get("task"), record.get("id"), record.get("output")
    if task not in protocol.TASKS:
        problems.append(Problem(PREDICTIONS, number, "task", f"expected one of {', '.join(protocol.TASKS)}, got {str(task)[:80]!r}"))
        ok = False
    if not isinstance(row_id, str) or not row_id or len(row_id) > 100:
        problems.append(Problem(PREDICTIONS, number, "id", f"expected a row id string, got {str(row_id)[:80]!r}"))
        ok = False
    if not isinstance(output, str):
        problems.append(Problem(PREDICTIONS, number, "output", f"expected the judge's text, got {type(output).__name__}"))
        ok = False
    elif not output.strip():
        problems.append(Problem(PREDICTIONS, number, "output", "empty"))
        ok = False
    elif len(output) > MAX_OUTPUT_CHARS:
        problems.append(Problem(PREDICTIONS, number, "output", f"longer than {MAX_OUTPUT_CHARS} characters"))
        ok = False
    order = record.get("order", ORIGINAL)
    if order not in ORDERS:
        problems.append(Problem(PREDICTIONS, number, "order", f"expected 'original' or 'swapped', got {str(order)[:80]!r}"))
        ok = False
    elif order == SWAPPED and task != "pair":
        problems.append(Problem(PREDICTIONS, number, "order", "only pair items can be swapped"))
        ok = False
    if not ok:
        return None
    return Prediction(number, task, row_id, output, order)


def read_submission(directory: Path) -> Submission:
    """The submission at `directory` with every format problem found (ids are checked by `validate`)."""
    directory = Path(directory)
    submission = Submission(directory=directory)
    _read_metadata(directory, submission)
    path = regular_file(directory, PREDICTIONS, submission.problems)
    if path is None:
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
    if not submission.predictions and not any(problem.file == PREDICTIONS for problem in submission.problems):
        submission.problems.append(Problem(PREDICTIONS, None, None, "holds no predictions"))
    return submission


def write_submission(directory: Path, metadata: dict, lines: list[dict]) -> Path:
    """Write a submission directory (used by `pack`), each file atomically and never through a link."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomic(directory / METADATA, json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(directory / PREDICTIONS, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return directory


def submission_folders(root: Path, *, with_papers_judges: bool = False) -> list[Path]:
    """The submissions under `root`, refusing the mistakes that would build a board of reference rows only
    (`with_papers_judges`: the paper's judges come too, so an empty folder is fine)."""
    if not root.is_dir():
        raise UserError(f"{root}: no such folder; pass the folder that holds one folder per submission")
    if (root / PREDICTIONS).exists():
        raise UserError(f"{root} is a submission itself; pass the folder that holds it ({root.parent})")
    folders = sorted(path.parent for path in root.glob(f"*/{PREDICTIONS}"))
    if not folders and not with_papers_judges:
        raise UserError(f"{root}: no submissions in it (folders holding {PREDICTIONS}); "
                        "make one with `mllm-judge submission pack`")
    return folders
