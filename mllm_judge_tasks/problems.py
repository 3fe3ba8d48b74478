"""Problems found in user input, each pinned to a file, a line and a field.

Readers collect every problem instead of stopping at the first, so a user fixes
a file in one pass; callers decide whether problems are fatal or skipped.
"""

from __future__ import annotations

import json
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


class UserError(Exception):
    """Input the user can fix; the CLI prints it without a traceback and exits 1."""


class InvalidInput(UserError):
    """Raised with every problem found, so the message lists them all."""

    def __init__(self, problems: list[Problem], hint: str = ""):
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        tail = f"\n{hint}" if hint else ""
        super().__init__(f"{len(problems)} problem(s):\n{shown}{more}{tail}")


def json_object(raw: bytes, file: str, line: int) -> dict | Problem:
    """One JSONL line as a JSON object, or the problem saying why it is not one (encoding, syntax, type)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return Problem(file, line, None, f"not valid UTF-8 ({error.reason} at byte {error.start})")
    except json.JSONDecodeError as error:
        return Problem(file, line, None, f"malformed JSON: {error.msg} at column {error.colno}")
    if not isinstance(record, dict):
        return Problem(file, line, None, f"expected a JSON object, got {type(record).__name__}")
    return record
