"""Reader of the official MLLM-as-a-Judge release.

Turns every record of a release file (found by `release_layout`) into the
canonical schema of `mllm_judge_tasks.schema`, normalising the release's quirks: label keys that change between records
(`human` / `human_answer`), labels as ints or strings, `C` for a tie, answers as
a list or as `answer0..answer3` keys, three or four answers, image paths with or
without an `image/` prefix, exact duplicate lines, and HQ/Hard records that
carry no human label and are joined to the benchmark by instruction id plus
responder names. Problems are collected with file, line and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from mllm_judge_tasks import protocol
from mllm_judge_tasks.problems import Problem, json_object

# Prefixes the release puts before an image file name ("image/200.jpg").
_IMAGE_PATH_PREFIXES = ("image/", "images/", "Dataset/image/")
LABEL_KEYS = ("human", "human_answer")


class FieldError(ValueError):
    """A record's field is missing, mistyped or out of range."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class ReleaseRecord:
    """One normalised record, still without image bytes and maybe without a label."""

    config: str
    file: str
    line: int
    row: dict[str, Any]
    release_id: int | None  # score_id / pair_id / instruction id for batch

    @property
    def join_key(self) -> tuple:
        """Instruction id plus responders: how subsets find their benchmark row."""
        spec = protocol.SPECS[protocol.task_of_config(self.config)]
        return (self.row["instruction_id"], tuple(spec.responders(self.row)))

    @property
    def responses(self) -> tuple[str, ...]:
        return tuple(protocol.SPECS[protocol.task_of_config(self.config)].responses(self.row))


@dataclass
class FileRead:
    """What reading one release file gave: records, problems and what was dropped."""

    config: str
    file: str
    records: list[ReleaseRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicate_lines: list[int] = field(default_factory=list)
    normalised: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.normalised[what] = self.normalised.get(what, 0) + 1


def image_file_name(raw_path: object) -> str:
    """The path of an image inside the images folder, from a record's `image_path`.

    Rejects paths that would leave the folder (absolute, `..`, backslashes), so a
    hostile record cannot make the build read arbitrary files.
    """
    if not isinstance(raw_path, str) or not raw_path.strip():
        raise FieldError("image_path", f"expected a file name such as 'image/12.jpg', got {raw_path!r}")
    path = raw_path.strip()
    for prefix in _IMAGE_PATH_PREFIXES:
        if path.startswith(prefix):
            path = path[len(prefix):]
            break
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts):
        raise FieldError("image_path", f"{_short(raw_path)} escapes the images folder")
    if any(ord(character) < 32 or character == "\x7f" for character in path) or len(path) > 255:
        raise FieldError("image_path", f"{_short(raw_path)} is not a plain file name (control characters or too long)")
    return path


class _Fields:
    """Takes fields out of a raw record one by one; what is left over is kept as `extra`."""

    def __init__(self, record: dict[str, Any]):
        self._record = record
        self._left = dict(record)

    def take(self, *keys: str, kind: type | tuple = str, required: bool = True) -> Any:
        for key in keys:
            if key in self._left:
                value = self._left.pop(key)
                if kind is int and isinstance(value, bool) or not isinstance(value, kind):
                    names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
                    raise FieldError(key, f"expected {names}, got {type(value).__name__} {_short(value)}")
                if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 2**63:
                    raise FieldError(key, f"expected an id between 0 and 2**63-1, got {_short(value)}")
                return value
        if required:
            raise FieldError(keys[0], "missing" if len(keys) == 1 else f"missing (also looked for {', '.join(keys[1:])})")
        return None

    def has(self, key: str) -> bool:
        return key in self._left

    def peek(self, *keys: str) -> Any:
        """The value of the first present key, left in place."""
        return next((self._left[key] for key in keys if key in self._left), None)

    def extra_json(self) -> str:
        return json.dumps(self._left, ensure_ascii=False, sort_keys=True)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _answer(fields: _Fields, key: str) -> tuple[str, str]:
    """A `{name, answer}` object of the release as (responder, response)."""
    value = fields.take(key, kind=dict)
    name, answer = value.get("name"), value.get("answer")
    if not isinstance(name, str) or not name.strip():
        raise FieldError(f"{key}.name", f"expected the responder's name, got {_short(name)}")
    if not isinstance(answer, str):
        raise FieldError(f"{key}.answer", f"expected text, got {type(answer).__name__} {_short(answer)}")
    return name.strip(), answer


def _common(fields: _Fields) -> dict[str, Any]:
    return {
        "instruction_id": fields.take("id", kind=int),
        "image_file": image_file_name(fields.take("image_path")),
        "instruction": fields.take("instruction"),
        "source": fields.take("original_dataset"),
        "image_description": fields.take("image_description", kind=str, required=False),
    }


def _label(fields: _Fields, labelled: bool, normalise: Callable[[Any], Any], read: FileRead) -> Any:
    """The human label under whichever key the record uses, or None where a subset may lack it.

    A record holding both keys with different labels keeps `human` (the newer
    key) and is counted in the report, never decided silently.
    """
    present = [key for key in LABEL_KEYS if fields.has(key)]
    if len(present) > 1 and fields.peek(LABEL_KEYS[0]) != fields.peek(LABEL_KEYS[1]):
        read.count(f"conflicting {LABEL_KEYS[0]!r} and {LABEL_KEYS[1]!r} labels: {LABEL_KEYS[0]!r} kept")
    for key in present:
        value = fields.take(key, kind=(str, int))
        try:
            return normalise(value)
        except ValueError as error:
            raise FieldError(key, str(error)) from None
    if labelled:
        raise FieldError(LABEL_KEYS[0], f"missing (also looked for {LABEL_KEYS[1]})")
    return None


def _score_row(fields: _Fields, labelled: bool, read: FileRead) -> tuple[dict, int | None]:
    score_id = fields.take("score_id", kind=int, required=labelled)
    common = _common(fields)
    row = {
        **common,
        "score_id": score_id,
        "responder": fields.take("name").strip(),
        "response": fields.take("answer"),
        "human_score": _label(fields, labelled, protocol.normalize_score_label, read),
    }
    return row, score_id


def _pair_row(fields: _Fields, labelled: bool, read: FileRead) -> tuple[dict, int | None]:
    pair_id = fields.take("pair_id", kind=int, required=labelled)
    common = _common(fields)
    responder_a, response_a = _answer(fields, "answer1")
    responder_b, response_b = _answer(fields, "answer2")
    human = _label(fields, labelled, protocol.normalize_pair_label, read)
    row = {
        **common,
        "pair_id": pair_id,
        "response_a": response_a,
        "response_b": response_b,
        "responder_a": responder_a,
        "responder_b": responder_b,
        "human": human,
    }
    return row, pair_id


def _batch_answers(fields: _Fields) -> list[tuple[str, str]]:
    """Answers as listed: an `answers` list, or `answer0`..`answer3` keys (HQ/Hard files)."""
    if fields.has("answers"):
        items = fields.take("answers", kind=list)
        answers = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise FieldError(f"answers[{index}]", f"expected {{name, answer}}, got {_short(item)}")
            holder = _Fields({f"answers[{index}]": item})
            answers.append(_answer(holder, f"answers[{index}]"))
    else:
        keys = [f"answer{i}" for i in range(len(protocol.BATCH_LETTERS)) if fields.has(f"answer{i}")]
        if not keys:
            raise FieldError("answers", "missing (also looked for answer0..answer3)")
        answers = [_answer(fields, key) for key in keys]
    if len(answers) not in protocol.BATCH_SIZES:
        raise FieldError("answers", f"expected 3 or 4 answers, got {len(answers)}")
    return answers


def _batch_row(fields: _Fields, labelled: bool, read: FileRead) -> tuple[dict, int | None]:
    common = _common(fields)
    answers = _batch_answers(fields)
    n = len(answers)
    raw_label = fields.peek(*LABEL_KEYS)
    ranking = _label(fields, labelled, lambda value: protocol.normalize_batch_label(value, n), read)
    if ranking is not None and isinstance(raw_label, str) and len(raw_label.strip()) != len(ranking):
        read.count("ranking of 4 letters for 3 answers: letter D dropped")
    row = {
        **common,
        "responders": [name for name, _ in answers],
        "responses": [answer for _, answer in answers],
        "human_ranking": ranking,
        "human_ranking_indices": protocol.ranking_indices(ranking) if ranking is not None else None,
    }
    return row, common["instruction_id"]


_ROW_BUILDERS = {"score": _score_row, "pair": _pair_row, "batch": _batch_row}


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Numbered lines ending in LF, CRLF or a lone CR (JSON strings hold no raw CR, so a CR always ends a line)."""
    yield from enumerate(path.read_bytes().splitlines(), start=1)


def read_release_file(config: str, path: Path, display_name: str) -> FileRead:
    """Every record of one release file, normalised, with the problems of the others.

    Records of the full benchmark and of Lite must carry a human label; HQ and
    Hard records may lack one and get it from the benchmark later.
    """
    task = protocol.task_of_config(config)
    labelled = not config.startswith(("hq_", "hard_"))
    build_row = _ROW_BUILDERS[task]
    read = FileRead(config=config, file=display_name)
    seen_lines: dict[bytes, int] = {}
    for number, raw in _lines(path):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped in seen_lines:
            read.duplicate_lines.append(number)
            continue
        seen_lines[stripped] = number
        record = json_object(stripped, display_name, number)
        if isinstance(record, Problem):
            read.problems.append(record)
            continue
        fields = _Fields(record)
        try:
            row, release_id = build_row(fields, labelled, read)
        except FieldError as error:
            read.problems.append(Problem(display_name, number, error.field, str(error)))
            continue
        row["extra"] = fields.extra_json()
        read.records.append(ReleaseRecord(config, display_name, number, row, release_id))
    return read
