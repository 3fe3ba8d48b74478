"""Problems found in user input, each pinned to a file, a line and a field.

Readers collect every problem instead of stopping at the first, so a user fixes
a file in one pass; callers decide whether problems are fatal or skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" field '{self.field}':" if self.field else ""
        return f"{where}:{field} {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


SHOWN_PROBLEMS = 50


def problem_summary(problems: list[Problem], shown: int = SHOWN_PROBLEMS) -> list[str]:
    """The first `shown` problems, then counts of the rest by file and field, so a huge file prints a few lines."""
    lines = [str(problem) for problem in problems[:shown]]
    rest = problems[shown:]
    if rest:
        counts = Counter((problem.file, problem.field) for problem in rest)
        lines.append(f"... and {len(rest)} more:")
        lines += [f"{count} in {file}{f' field {field!r}' if field else ''}" for (file, field), count in counts.most_common(20)]
    return lines


class UserError(Exception):
    """Input the user can fix; the CLI prints it without a traceback and exits 1."""


class InvalidInput(UserError):
    """Raised with every problem found, so the message lists them all."""

    def __init__(self, problems: list[Problem], hint: str = ""):
        self.problems = problems
        shown = "\n".join(f"  {line}" for line in problem_summary(problems))
        tail = f"\n{hint}" if hint else ""
        super().__init__(f"{len(problems)} problem(s):\n{shown}{tail}")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


MAX_JSON_DEPTH = 64  # nesting a record may have: enough for any real metadata, far from any recursion limit


def _shape_problem(record: object, check_strings: bool) -> str | None:
    """One walk over a parsed record (no recursion: it may nest as deep as the parser allows): nesting past
    MAX_JSON_DEPTH, or, with `check_strings`, a key or string that UTF-8 cannot hold (a lone `\\ud800` escape)."""
    stack = [(record, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)"
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            if isinstance(value, dict):
                if check_strings:
                    stack.extend((key, depth) for key in value)
                value = value.values()
            stack.extend((item, depth + 1) for item in value if check_strings or isinstance(item, (dict, list)))
    return None


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _DuplicateKey(f"the key {twice[:80]!r} appears twice in one object")
    return record


def json_object(raw: bytes, file: str, line: int | None) -> dict | Problem:
    """One JSONL line (or a JSON file) as a JSON object, or the problem saying why it is not one.

    Strict: NaN/Infinity, lone surrogates, a key given twice in one object
    (where readers disagree on which value wins) and nesting deeper than
    MAX_JSON_DEPTH are problems, never values that fail later.
    """
    try:
        record = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as error:
        return Problem(file, line, None, f"not valid UTF-8 ({error.reason} at byte {error.start})")
    except json.JSONDecodeError as error:
        return Problem(file, line, None, f"malformed JSON: {error.msg} at column {error.colno}")
    except _DuplicateKey as error:
        return Problem(file, line, None, str(error))
    except ValueError as error:
        return Problem(file, line, None, f"malformed JSON: {error}")
    except RecursionError:
        return Problem(file, line, None, "malformed JSON: nested too deeply")
    if not isinstance(record, dict):
        return Problem(file, line, None, f"expected a JSON object, got {type(record).__name__}")
    # Strings are walked only where the text has an escape: without one, JSON cannot spell a lone surrogate.
    problem = _shape_problem(record, check_strings=b"\\u" in raw)
    return record if problem is None else Problem(file, line, None, problem)
