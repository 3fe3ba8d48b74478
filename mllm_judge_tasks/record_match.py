"""Which benchmark row a release record is: one rule for the dataset's subsets and the paper's judge files.

The release has no key that holds across its files: `pair_id` names
different pairs in the Lite and HQ files, and different batch records share
an `id`. A record is therefore matched by instruction id plus responder
names; where several rows share those, by the answers' texts (stripped: the
release's copies differ in leading spaces), then by the record's own row id.
A record that names no responders (a judge file's short form) is matched by
its own row id alone.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


def _answers_digest(responses: Iterable[str]) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for text in responses:
        digest.update(text.strip().encode("utf-8", "surrogatepass") + b"\x00")
    return digest.digest()


@dataclass(frozen=True)
class Match:
    """The matched row id, or None with how many rows were left (0: none; more: ambiguous)."""

    row_id: str | None
    candidates: int


class RowMatcher:
    """The rows of one task, keyed for matching; `add` each row, then `match` records against them."""

    def __init__(self) -> None:
        self._by_key: dict[tuple, list[tuple[str, bytes]]] = defaultdict(list)
        self._ids: set[str] = set()

    def add(self, row_id: str, instruction_id: int, responders: Iterable[str], responses: Iterable[str]) -> None:
        self._by_key[(instruction_id, tuple(responders))].append((row_id, _answers_digest(responses)))
        self._ids.add(row_id)

    def match(self, instruction_id: int | None, responders: Iterable[str] | None,
              responses: Iterable[str] | None = None, own_id: str | None = None) -> Match:
        if instruction_id is None or responders is None:
            found = own_id is not None and own_id in self._ids
            return Match(own_id if found else None, int(found))
        rows = self._by_key.get((instruction_id, tuple(responders)), [])
        if len(rows) > 1 and responses is not None:
            digest = _answers_digest(responses)
            rows = [row for row in rows if row[1] == digest] or rows
        if len(rows) > 1 and own_id is not None:
            rows = [row for row in rows if row[0] == own_id] or rows
        return Match(rows[0][0] if len(rows) == 1 else None, len(rows))
