"""Judge text → verdict, or the reason there is none. Never a guess, never an exception.

The protocol asks for `[[1]]`..`[[5]]`, `[[A]]`/`[[B]]`/`[[C]]` (C = tie) or a
ranking `[[B]], [[D]], [[A]], [[C]]`, under a "Judgement" key. Real judges
drift from it (see tests/data/real_excerpt). One principle: a verdict is read
only where the text states one unambiguously; where the text states two that
disagree and no key decides, there is no verdict and the reason says so. The
text is read with look-alikes folded (fullwidth `［［Ａ］］`, superscript `⁴`,
zero-width characters; see `verdict_text.fold`), in this order:

1. **After a verdict key**: `Judgement`/`Judgment`, `Verdict`, `Ranking`,
   `Rank`, `Final answer`/`Final verdict`/`Final judgement`/`Final ranking`,
   maybe quoted or bold, then `:`. A key counts only as a whole word at the
   start of a clause (start of the text or of a line, or after `.` `!` `?` `;`
   `:` `,` `{` `(` `[`), so "the crank:" or "the assistant's final answer:" are
   prose. The verdict must stand right after the key, within the rest of that
   line: a marker or a bare value (`Judgement: 4</s>`, `Judgement: 4Explanation`,
   `{Judgement: B`, `Judgement: a tie`, `Judgement: [B,C,A,D]`,
   `Rank: D > A > C > B`). A bare letter or ranking must end its clause
   (`Judgement: A and B are equally good` is prose); a bare score on another
   scale (`4/10`) is outside the protocol, and two scores (`3-4`) disagree.
   The *last* key that holds a verdict wins, unless a later marker states
   another verdict (`Judgement: 3 → on reflection [[5]]`): then they disagree.
2. **Markers anywhere**: without such a key, the last marker, when every
   marker in the text states the same verdict; markers that disagree
   (`[[A]] is clearly better than [[B]]`, `Scores range from [[1]] to [[5]]`,
   a ranking and a quoted example ranking) give no verdict.
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
reported as invalid rather than repaired. Every step is linear in the text
(`verdict_text`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum

from . import protocol
from .verdict_text import (
    KEY_WINDOW, MARKER_LEAD, PAIR_BARE, PAIR_MARKER, REFUSAL, SCORE_BARE, SCORE_MARKER, SCORE_SCALE, SCORE_SECOND,
    bracketed_rankings, ends_clause, fold, key_windows, ranking_at_start,
)


class NoVerdict(str, Enum):
    """Why a judge text yields no verdict."""

    EMPTY = "empty output"
    REFUSAL = "the judge refused"
    NO_MARKER = "no verdict in the text"
    OUT_OF_RANGE = "verdict outside the protocol"
    INVALID_RANKING = "ranking is not a permutation of the answers"
    CONFLICTING = "the text states verdicts that disagree"
    JUDGE_FAILED = "judge failed"  # the backend could not judge the item; `detail` holds its error
    BAD_REWARDS = "rewards that do not fit the item"  # a reward output with the wrong count or a non-finite value


@dataclass(frozen=True)
class ParsedVerdict:
    """A verdict, or None and the reason; for probability mode's score, the expected score and the most likely."""

    verdict: int | float | str | None
    reason: NoVerdict | None = None
    detail: str | None = None  # the judge's error, for JUDGE_FAILED
    most_likely: int | None = None
    from_rewards: bool = False  # a reward model's verdict (protocol.reward_verdict), not read from text

    @property
    def ok(self) -> bool:
        return self.verdict is not None

    @property
    def reason_text(self) -> str | None:
        """The reason as reported: `judge failed: <error>` carries the error."""
        if self.reason is None:
            return None
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value

    def to_json(self) -> dict:
        record = {"verdict": self.verdict, "reason": self.reason_text}
        if self.most_likely is not None:
            record["most_likely"] = self.most_likely
        return record


def _no_verdict(text: str) -> ParsedVerdict:
    if not text.strip():
        return ParsedVerdict(None, NoVerdict.EMPTY)
    if REFUSAL.search(text):
        return ParsedVerdict(None, NoVerdict.REFUSAL)
    return ParsedVerdict(None, NoVerdict.NO_MARKER)


CONFLICT = ParsedVerdict(None, NoVerdict.CONFLICTING)


def _agreeing(found: list[ParsedVerdict]) -> ParsedVerdict:
    """The last of several verdicts, if they all agree; an invalid last one stays invalid."""
    last = found[-1]
    if not last.ok:
        return last
    return last if len({p.verdict for p in found if p.ok}) == 1 else CONFLICT


def _unless_later_disagree(parsed: ParsedVerdict, later: list[ParsedVerdict]) -> ParsedVerdict:
    """A key's verdict, unless a verdict stated after it says otherwise."""
    return CONFLICT if parsed.ok and {p.verdict for p in later if p.ok} - {parsed.verdict} else parsed


def _bare_score(window: str, found: re.Match) -> ParsedVerdict:
    """A bare score after a key, unless the text goes on with another scale or a second score."""
    scale = SCORE_SCALE.match(window, found.end())
    if scale is not None and scale.group(1) != str(protocol.SCORE_RANGE[1]):
        return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)
    if SCORE_SECOND.match(window, found.end()):
        return CONFLICT
    return _score_value(found)


def _parse_single(text: object, task: str) -> ParsedVerdict:
    """The rule of the module docstring for one-token verdicts (a score or a pair letter)."""
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    marker, bare, value = (SCORE_MARKER, SCORE_BARE, _score_value) if task == "score" else (PAIR_MARKER, PAIR_BARE, _pair_value)
    text = fold(text)
    for start, window in key_windows(text):
        lead = len(window) - len(window.lstrip(MARKER_LEAD))
        found = marker.match(window, lead)
        if found:
            parsed = value(found)
        else:
            found = bare.match(window)
            if not found or (task == "pair" and not ends_clause(window, found.end())):
                continue
            parsed = _bare_score(window, found) if task == "score" else value(found)
        return _unless_later_disagree(parsed, [value(match) for match in marker.finditer(text, start + found.end())])
    markers = [value(match) for match in marker.finditer(text)]
    if markers:
        return _agreeing(markers)
    stripped = text.strip(" \t\n\"'[](){}*.:")
    whole = bare.fullmatch(stripped) if len(stripped) <= KEY_WINDOW else None
    if whole:
        return value(whole)
    return _no_verdict(text)


def _score_value(found: re.Match) -> ParsedVerdict:
    raw = found.group(1)
    low, high = protocol.SCORE_RANGE
    # Length first: int() of thousands of digits raises (Python's digit limit) and is no score anyway.
    if raw.isdigit() and len(raw) <= 2 and low <= int(raw) <= high:
        return ParsedVerdict(int(raw))
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def _pair_value(found: re.Match) -> ParsedVerdict:
    raw = next(group for group in found.groups() if group)
    value = "C" if raw.upper() == "TIE" else raw.upper()
    if value in protocol.PAIR_LETTERS:
        return ParsedVerdict(value)
    return ParsedVerdict(None, NoVerdict.OUT_OF_RANGE)


def parse_score_verdict(text: str) -> ParsedVerdict:
    """An integer score 1..5 from a judge text (`[[4]]`, `Judgement: 4`, `4</s>`)."""
    return _parse_single(text, "score")


def parse_pair_verdict(text: str) -> ParsedVerdict:
    """"A", "B" or "C" (tie) from a judge text (`[[A]]`, `Judgement: [[C]]`, `{Judgement: B`, `Judgement: a tie`)."""
    return _parse_single(text, "pair")


def _ranking_value(letters: str, n_responses: int | None) -> ParsedVerdict:
    # Without a known count the ranking itself says whether it ranks 3 or 4 answers.
    count = len(letters) if n_responses is None else n_responses
    if count in protocol.BATCH_SIZES:
        try:
            return ParsedVerdict(protocol.normalize_batch_label(letters.upper(), count))
        except ValueError:
            pass
    return ParsedVerdict(None, NoVerdict.INVALID_RANKING)


def parse_batch_verdict(text: str, n_responses: int | None = None) -> ParsedVerdict:
    """A best-to-worst ranking such as "CBAD" from a judge text (formats in the module docstring).

    `n_responses` is the item's answer count (3 or 4); None accepts a
    permutation of the first 3 or 4 letters.
    """
    if not isinstance(text, str):
        return ParsedVerdict(None, NoVerdict.EMPTY)
    text = fold(text)
    for start, window in key_windows(text):
        found = ranking_at_start(window)
        if found:
            later = bracketed_rankings(text, start + found[2])
            return _unless_later_disagree(_ranking_value(found[0], n_responses),
                                          [_ranking_value(letters, n_responses) for _, letters in later])
    bracketed = bracketed_rankings(text)
    if bracketed:
        return _agreeing([_ranking_value(letters, n_responses) for _, letters in bracketed])
    stripped = text.strip(" \t\n\"'(){}*.:")
    whole = ranking_at_start(stripped) if len(stripped) <= KEY_WINDOW else None
    if whole and whole[1]:
        return _ranking_value(whole[0], n_responses)
    return _no_verdict(text)


def _structured_output(text: object, mode: str) -> dict | None:
    """The JSON object a backend writes instead of free text (`{"mode": mode, ...}`), else None."""
    if not isinstance(text, str) or not text.startswith(json.dumps({"mode": mode})[:-1]):
        return None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def judge_failure(text: str) -> str | None:
    """The error of a judge-failure output (`protocol.failure_output`), else None."""
    failure = _structured_output(text, protocol.FAILURE_MODE)
    return None if failure is None else str(failure.get("error", "unknown error"))


def read_verdict_probabilities(text: str) -> dict | None:
    """The payload of a verdict-probability output (`protocol.probability_output`), else None."""
    payload = _structured_output(text, protocol.PROBABILITY_MODE)
    return payload if payload is not None and isinstance(payload.get("probabilities"), dict) else None


def read_rewards(text: str) -> dict | None:
    """The payload of a reward model's output (`protocol.reward_output`), else None."""
    return _structured_output(text, protocol.REWARD_MODE)


def _expected_score(payload: dict) -> float | None:
    value, (low, high) = payload.get("expected_score"), protocol.SCORE_RANGE
    return float(value) if protocol.is_real_number(value) and low <= value <= high else None


def _reward_verdict(task: str, payload: dict, n_responses: int | None) -> ParsedVerdict:
    """A reward output's verdict, computed from its rewards by the protocol's one rule (its marker is for readers)."""
    rewards, margin = payload.get("rewards"), payload.get("tie_margin", 0.0)
    spec = protocol.SPECS[task]
    expected = n_responses if spec.ranked else len(spec.response_fields)
    real = protocol.is_real_number
    if (not isinstance(rewards, list) or not all(real(r) for r in rewards) or not real(margin) or margin < 0
            or len(rewards) not in ((expected,) if expected else protocol.BATCH_SIZES)):
        return ParsedVerdict(None, NoVerdict.BAD_REWARDS)
    return ParsedVerdict(protocol.reward_verdict(task, [float(r) for r in rewards], float(margin)), from_rewards=True)


PARSERS = {"score": parse_score_verdict, "pair": parse_pair_verdict, "batch": parse_batch_verdict}


def parse_verdict(task: str, text: str, n_responses: int | None = None) -> ParsedVerdict:
    """The verdict of `text` for `task` ("score", "pair" or "batch"); `n_responses` is a ranking's answer count
    (3 or 4; None accepts a permutation of the first 3 or 4 letters).

    A judge failure the backend recorded is its own reason. Probability mode's
    score is its expected score Σ k·p(k), with the most likely score (the
    marker it writes) beside it; its pair verdict is the most likely letter.
    A reward model's verdict follows from its rewards (`protocol.reward_verdict`).
    """
    failure = judge_failure(text)
    if failure is not None:
        return ParsedVerdict(None, NoVerdict.JUDGE_FAILED, detail=failure)
    rewards = read_rewards(text)
    if rewards is not None:
        return _reward_verdict(task, rewards, n_responses)
    parsed = parse_batch_verdict(text, n_responses) if task == "batch" else PARSERS[task](text)
    probabilities = read_verdict_probabilities(text) if task == "score" and parsed.ok else None
    expected = None if probabilities is None else _expected_score(probabilities)
    if expected is not None:
        return ParsedVerdict(expected, most_likely=parsed.verdict)
    return parsed
