"""Problems found in user input, each pinned to a file, a line and a field.

Readers collect every problem instead of stopping at the first, so a user fixes
a file in one pass; callers decide whether problems are fatal or skipped.
"""

from __future__ import annotations

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
