"""Judge text → verdict, or the reason there is none. Never a guess.

The protocol asks for `[[1]]`..`[[5]]`, `[[A]]`/`[[B]]`/`[[C]]` (C = tie) or a
ranking `[[B]], [[D]], [[A]], [[C]]`, under a "Judgement" key. Real judges
drift from it (see tests/data/real_excerpt), so the parser reads, in order:

1. **After a verdict key** (`Judgement:`, `"Judgement": `, `Ranking:`, `Rank:`,
   `Verdict:`, `Final answer:`): the first verdict right after the *last* such
   key that holds one: a marker, or a bare value (`Judgement: 4</s>`,
   `{Judgement: B`, `Judgement: [B,C,A,D]`, `Rank: D > A > C > B`).
2. **Markers anywhere**: without a key, the *last* marker in the text wins,
   because judges are asked to reason first and end with their verdict.
3. **A bare answer**: the whole text is nothing but a value (`1</s>`, `A`,
   `D > A > C > B`).

Prose is never read for a verdict: "Assistant B is better" with no marker is
reported as having no verdict, whatever it argues. A marker that breaks the
protocol (a score of 7, a ranking with repeated or missing letters) is
reported as invalid rather than repaired.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from . import schema

PAIR_VERDICTS = ("A", "B", "C")  # C is a tie, as in the protocol
PROBABILITY_MODE = "verdict_probability"  # the `mode` of the backend's verdict-probability outputs


class NoVerdict(str, Enum):
    """Why a judge text yields no verdict."""

    EMPTY = "empty output"
    REFUSAL = "the judge refused"
    NO_MARKER = "no verdict in the text"
    OUT_OF_RANGE = "verdict outside the protocol"
    INVALID_RANKING = "ranking is not a permutation of the answers"


@dataclass(frozen=True)
class ParsedVerdict:
    verdict: int | str | None
    reason: NoVerdict | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is not None

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "reason": None if self.reason is None else self.reason.value}


_KEY = re.compile(
    r"""(?:judge?ment|verdict|final\s+(?:answer|verdict|ranking)|ranking|rank)\s*["'*]*\s*[:：]""",
    re.IGNORECASE,
)
_END_TOKENS = re.compile(r"</s>|<\|im_end\|>|<\|endoftext\|>|<end_of_turn>|<eos>")
_REFUSAL = re.compile(r"\b(?:I'?m sorry|I am sorry|I cannot|I can't|I can not|unable to (?:evaluate|judge|assess))", re.IGNORECASE)
# Opening wrappers a bare value may stand behind: quotes, brackets, bold.
_OPEN = r"""[\s"'\[\(\{*]*"""

_SCORE_MARKER = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")
_SCORE_BARE = re.compile(_OPEN + r"(\d+(?:\.\d+)?)(?!\d)(?:\s*/\s*5)?")
_PAIR_MARKER = re.compile(r"\[\[\s*([A-Za-z]+)\s*\]\]")
_PAIR_BARE = re.compile(_OPEN + r"(A|B|C|tie)(?![A-Za-z])", re.IGNORECASE)
# A ranking: 2+ letters, each maybe bracketed, joined by commas, '>' or spaces.
_LETTER = r"\[{0,2}\s*[A-Z]\s*\]{0,2}"
_RANKING = re.compile(rf"{_LETTER}(?:\s*(?:,|>|;|\s)\s*{_LETTER})+|\b[A-D]{{3,4}}\b")
_BRACKETED = re.compile(r"\[\s*[A-Z]\s*\]")


def _clean(text: str) -> str:
    return _END_TOKENS.sub(" ", text)


def _key_regions(text: str) -> list[str]:
    """The text after each verdict key, last key first."""
    return [text[match.end():] for match in reversed(list(_KEY.finditer(text)))]


def _no_verdict(text: str) -> ParsedVerdict:
    if not text.strip():
        return ParsedVerdict(None, NoVerdict.EMPTY)
    if _REFUSAL.search(text):
        return ParsedVerdict(None, NoVerdict.REFUSAL)
    return ParsedVerdict(None, NoVerdict.NO_MARKER)


def _parse_single(text: str, marker: re.Pattern, bare: re.Pattern, value: Callable[[str], ParsedVerdict]) -> ParsedVerdict:
    """The rule of the module docstring for one-token verdicts (a score or a pair letter)."""
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    text = _clean(text)
    for region in _key_regions(text):
        found = marker.match(region.lstrip(" \t\"'*{")) or bare.match(region)
        if found:
            return value(found.group(1))
    markers = marker.findall(text)
    if markers:
        return value(markers[-1])
    whole = bare.fullmatch(text.strip(" \t\n\"'[](){}*.:"))
    if whole:
        return value(whole.group(1))
    return _no_verdict(text)


def _score_value(raw: str) -> ParsedVerdict:
    low, high = schema.SCORE_RANGE
    if raw.isdigit() and low <= int(raw) <= high:
        return ParsedVerdict(int(raw))
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def _pair_value(raw: str) -> ParsedVerdict:
    value = "C" if raw.upper() == "TIE" else raw.upper()
    if value in PAIR_VERDICTS:
        return ParsedVerdict(value)
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def parse_score_verdict(text: str) -> ParsedVerdict:
    """An integer score 1..5 from a judge text (`[[4]]`, `Judgement: 4`, `4</s>`)."""
    return _parse_single(text, _SCORE_MARKER, _SCORE_BARE, _score_value)


def parse_pair_verdict(text: str) -> ParsedVerdict:
    """"A", "B" or "C" (tie) from a judge text (`[[A]]`, `Judgement: [[C]]`, `{Judgement: B`)."""
    return _parse_single(text, _PAIR_MARKER, _PAIR_BARE, _pair_value)


def _ranking_value(raw: str, n_responses: int) -> ParsedVerdict:
    letters = "".join(re.findall(r"[A-Z]", raw))
    try:
        return ParsedVerdict(schema.normalize_batch_label(letters, n_responses))
    except ValueError:
        return ParsedVerdict(None, NoVerdict.INVALID_RANKING)


def parse_batch_verdict(text: str, n_responses: int = 4) -> ParsedVerdict:
    """A best-to-worst ranking such as "CBAD" from a judge text.

    Accepts `[[C]], [[B]], [[A]], [[D]]`, `[[C], [B], [A], [D]]`, `[B,C,A,D]`,
    `D > A > C > B` and, after a key, `CBAD`. Four letters for a three-answer
    item lose the letter naming no answer, as the release's own labels do.
    """
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    text = _clean(text)
    for region in _key_regions(text):
        ranking = _RANKING.search(region)
        # After a key the ranking must come first, not somewhere in later prose.
        if ranking and not region[: ranking.start()].strip(" \t\n\"'*{:") or (
            ranking and _BRACKETED.search(ranking.group(0))
        ):
            return _ranking_value(ranking.group(0), n_responses)
    bracketed = [match for match in _RANKING.finditer(text) if _BRACKETED.search(match.group(0))]
    if bracketed:
        return _ranking_value(bracketed[-1].group(0), n_responses)
    bare = _RANKING.fullmatch(text.strip(" \t\n\"'(){}*.:"))
    if bare and (">" in bare.group(0) or "," in bare.group(0) or " " not in bare.group(0)):
        return _ranking_value(bare.group(0), n_responses)
    return _no_verdict(text)


def read_verdict_probabilities(text: str) -> dict | None:
    """The payload of a verdict-probability output (`{"mode": "verdict_probability", ...}`), else None.

    The backend's probability mode writes JSON with the distribution over the
    verdict options, the expected score for scoring, and the most likely
    verdict as the protocol's marker (which `parse_verdict` reads as usual).
    """
    if not isinstance(text, str) or not text.startswith(json.dumps({"mode": PROBABILITY_MODE})[:-1]):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) and isinstance(payload.get("probabilities"), dict) else None


PARSERS = {"score": parse_score_verdict, "pair": parse_pair_verdict, "batch": parse_batch_verdict}


def parse_verdict(task: str, text: str, n_responses: int = 4) -> ParsedVerdict:
    """The parser of `task` ("score", "pair" or "batch") applied to `text`."""
    if task == "batch":
        return parse_batch_verdict(text, n_responses)
    return PARSERS[task](text)
