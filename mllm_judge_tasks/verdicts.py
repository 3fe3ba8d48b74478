"""Judge text → verdict, or the reason there is none. Never a guess, never an exception.

The protocol asks for `[[1]]`..`[[5]]`, `[[A]]`/`[[B]]`/`[[C]]` (C = tie) or a
ranking `[[B]], [[D]], [[A]], [[C]]`, under a "Judgement" key. Real judges
drift from it (see tests/data/real_excerpt), so the parser reads, in order:

1. **After a verdict key**: `Judgement`/`Judgment`, `Verdict`, `Ranking`,
   `Rank`, `Final answer`/`Final verdict`/`Final judgement`/`Final ranking`,
   maybe quoted or bold, then `:`. A key counts only as a whole word at the
   start of a clause (start of the text or of a line, or after `.` `!` `?` `;`
   `,` `{` `(` `[`), so "the crank:" or "the assistant's final answer:" are
   prose. The verdict must stand right after the key, within the rest of that
   line: a marker or a bare value (`Judgement: 4</s>`, `{Judgement: B`,
   `Judgement: a tie`, `Judgement: [B,C,A,D]`, `Rank: D > A > C > B`). The
   *last* key that holds a verdict wins.
2. **Markers anywhere**: without such a key, the *last* marker in the text
   wins, because judges are asked to reason first and end with their verdict.
3. **A bare answer**: the whole text is nothing but a value (`1</s>`, `A`,
   `D > A > C > B`).

Rankings are read as letters, best first: `[[B]], [[D]], [[A]], [[C]]`,
`[[B], [D], [A], [C]]`, `[B, D, A, C]`, `B > D > A > C`, `B D A C`, `B;D;A;C`,
or one marker `[[BDAC]]`; bare or joined letters (`BDAC`) only after a key or
as the whole text. A ranking must be a permutation of the answers' letters;
four letters for a three-answer item lose the letter naming no answer, as the
release's own labels do. Without a known answer count, a permutation of the
first 3 or 4 letters is accepted.

Prose is never read for a verdict: "Assistant B is better" with no marker is
reported as having no verdict, whatever it argues. A marker that breaks the
protocol (a score of 7, a ranking with repeated or missing letters) is
reported as invalid rather than repaired.

Every pattern here is linear in the text: each search starts only at a fixed
character (`[[`, a clause boundary) and no two adjacent parts can match the
same characters, and the region read after a key is one bounded line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from . import schema

PAIR_VERDICTS = ("A", "B", "C")  # C is a tie, as in the protocol
PROBABILITY_MODE = "verdict_probability"  # the `mode` of the backend's verdict-probability outputs
KEY_WINDOW = 200  # characters read after a verdict key: the verdict stands right after it


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


# A key: at a clause start (the lookbehind pins where a match may begin), a whole word, then a colon.
_KEY = re.compile(
    r"""(?:^|(?<=[\n.!?;,{(\[]))[ \t"'*#>-]*"""
    r"""(?:judge?ment|verdict|final[ \t]+(?:answer|verdict|ranking|judge?ment)|ranking|rank)"""
    r"""(?![A-Za-z])[ \t"'*]*[:：]""",
    re.IGNORECASE,
)
_END_TOKENS = re.compile(r"</s>|<\|im_end\|>|<\|endoftext\|>|<end_of_turn>|<eos>")
_REFUSAL = re.compile(r"\b(?:I'?m sorry|I am sorry|I cannot|I can't|I can not|unable to (?:evaluate|judge|assess))", re.IGNORECASE)
# What may stand between a key and its value: spaces, quotes, brackets, braces, bold.
_OPEN = r"""[ \t"'\[\(\{*]*"""

_SCORE_MARKER = re.compile(r"\[\[[ \t]*(\d+(?:\.\d+)?)[ \t]*\]\]")
_SCORE_BARE = re.compile(_OPEN + r"(\d+(?:\.\d+)?)(?!\d)")
_PAIR_MARKER = re.compile(r"\[\[[ \t]*([A-Za-z]{1,3})[ \t]*\]\]")
# A bare letter is a capital ("a tie" is a tie, not A); the word tie may come in any case.
_PAIR_BARE = re.compile(_OPEN + r"(?:([ABC])|(?i:an?[ \t]+)?((?i:tie)))(?![A-Za-z])")

# Rankings. Inside a bounded window: tokens of brackets, separators, spaces, words; anywhere: bracketed letters.
_RANK_TOKENS = re.compile(r"\[+|\]+|[,>;]|[ \t]+|[A-Za-z]+|[0-9]+|.", re.DOTALL)
_BRACKETED_LETTER = re.compile(r"\[\[?[ \t]*([A-Z])[ \t]*\]\]?")
_JOINED_MARKER = re.compile(r"\[\[[ \t]*([A-Z]{3,4})[ \t]*\]\]")
_GAP = re.compile(r"[\s,>;\[\]]*")


def _clean(text: str) -> str:
    return _END_TOKENS.sub(" ", text)


def _key_windows(text: str) -> Iterator[str]:
    """The rest of the line after each verdict key (at most KEY_WINDOW characters), last key first.

    A key alone on its line reads the next line (`Judgement:\n[[4]]`).
    """
    ends = [match.end() for match in _KEY.finditer(text)]
    for end in reversed(ends):
        window = text[end : end + KEY_WINDOW]
        head, _, tail = window.partition("\n")
        yield head if head.strip() else tail.partition("\n")[0]


def _no_verdict(text: str) -> ParsedVerdict:
    if not text.strip():
        return ParsedVerdict(None, NoVerdict.EMPTY)
    if _REFUSAL.search(text):
        return ParsedVerdict(None, NoVerdict.REFUSAL)
    return ParsedVerdict(None, NoVerdict.NO_MARKER)


def _last(pattern: re.Pattern, text: str) -> re.Match | None:
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def _parse_single(text: object, marker: re.Pattern, bare: re.Pattern, value: Callable[[re.Match], ParsedVerdict]) -> ParsedVerdict:
    """The rule of the module docstring for one-token verdicts (a score or a pair letter)."""
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    text = _clean(text)
    for window in _key_windows(text):
        found = marker.match(window.lstrip(" \t\"'*{")) or bare.match(window)
        if found:
            return value(found)
    found = _last(marker, text)
    if found:
        return value(found)
    stripped = text.strip(" \t\n\"'[](){}*.:")
    whole = bare.fullmatch(stripped) if len(stripped) <= KEY_WINDOW else None
    if whole:
        return value(whole)
    return _no_verdict(text)


def _score_value(found: re.Match) -> ParsedVerdict:
    raw = found.group(1)
    low, high = schema.SCORE_RANGE
    # Length first: int() of thousands of digits raises (Python's digit limit) and is no score anyway.
    if raw.isdigit() and len(raw) <= 2 and low <= int(raw) <= high:
        return ParsedVerdict(int(raw))
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def _pair_value(found: re.Match) -> ParsedVerdict:
    raw = next(group for group in found.groups() if group)
    value = "C" if raw.upper() == "TIE" else raw.upper()
    if value in PAIR_VERDICTS:
        return ParsedVerdict(value)
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def parse_score_verdict(text: str) -> ParsedVerdict:
    """An integer score 1..5 from a judge text (`[[4]]`, `Judgement: 4`, `4</s>`)."""
    return _parse_single(text, _SCORE_MARKER, _SCORE_BARE, _score_value)


def parse_pair_verdict(text: str) -> ParsedVerdict:
    """"A", "B" or "C" (tie) from a judge text (`[[A]]`, `Judgement: [[C]]`, `{Judgement: B`, `Judgement: a tie`)."""
    return _parse_single(text, _PAIR_MARKER, _PAIR_BARE, _pair_value)


def _ranking_value(letters: str, n_responses: int | None) -> ParsedVerdict:
    # Without a known count the ranking itself says whether it ranks 3 or 4 answers.
    count = len(letters) if n_responses is None else n_responses
    if count in schema.BATCH_SIZES:
        try:
            return ParsedVerdict(schema.normalize_batch_label(letters.upper(), count))
        except ValueError:
            pass
    return ParsedVerdict(None, NoVerdict.INVALID_RANKING)


def _ranking_at_start(window: str) -> tuple[str, bool] | None:
    """The letters of a ranking at the start of `window` (one bounded line), and whether it fills the window.

    Letters are single capitals between brackets, separators and spaces, or one
    joined run of 3–4 capitals (`CDAB`, `[[CDAB]]`). The ranking must end its
    clause: a following word makes it prose ("C D A B are all fine").
    """
    letters: list[str] = []
    joined = False
    for token in _RANK_TOKENS.finditer(window.lstrip(" \t\"'*{(")):
        word = token.group(0)
        if word[0] in "[], \t>;":
            continue
        if word.isalpha() and word.isupper() and not joined:
            if len(word) == 1:
                letters.append(word)
                continue
            if not letters and len(word) in schema.BATCH_SIZES:
                letters, joined = list(word), True
                continue
        if word.isalnum():
            return None  # a word or number follows the letters: prose, not a ranking
        return ("".join(letters), False) if len(letters) >= 2 else None
    return ("".join(letters), True) if len(letters) >= 2 else None


def _last_bracketed_ranking(text: str) -> tuple[int, str] | None:
    """The last run of two or more bracketed letters (`[[B]], [[A]]`, `[[B], [A]]`) or `[[BDAC]]`: (end, letters)."""
    last, run, run_end = None, "", -1
    for token in _BRACKETED_LETTER.finditer(text):
        if run and _GAP.fullmatch(text, run_end, token.start()):
            run += token.group(1)
        else:
            if len(run) >= 2:
                last = (run_end, run)
            run = token.group(1)
        run_end = token.end()
    if len(run) >= 2:
        last = (run_end, run)
    joined = _last(_JOINED_MARKER, text)
    if joined is not None and (last is None or joined.end() > last[0]):
        return joined.end(), joined.group(1)
    return last


def parse_batch_verdict(text: str, n_responses: int | None = 4) -> ParsedVerdict:
    """A best-to-worst ranking such as "CBAD" from a judge text (formats in the module docstring).

    `n_responses` is the item's answer count (3 or 4); None accepts a
    permutation of the first 3 or 4 letters.
    """
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    text = _clean(text)
    for window in _key_windows(text):
        found = _ranking_at_start(window)
        if found:
            return _ranking_value(found[0], n_responses)
    bracketed = _last_bracketed_ranking(text)
    if bracketed:
        return _ranking_value(bracketed[1], n_responses)
    stripped = text.strip(" \t\n\"'(){}*.:")
    whole = _ranking_at_start(stripped) if len(stripped) <= KEY_WINDOW else None
    if whole and whole[1]:
        return _ranking_value(whole[0], n_responses)
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
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) and isinstance(payload.get("probabilities"), dict) else None


PARSERS = {"score": parse_score_verdict, "pair": parse_pair_verdict, "batch": parse_batch_verdict}


def parse_verdict(task: str, text: str, n_responses: int | None = 4) -> ParsedVerdict:
    """The parser of `task` ("score", "pair" or "batch") applied to `text`."""
    if task == "batch":
        return parse_batch_verdict(text, n_responses)
    return PARSERS[task](text)
