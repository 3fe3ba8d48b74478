"""What the verdict parser finds in a judge text: folded look-alikes, verdict keys, markers, rankings.

Every function here is linear in the text: each search starts only at a fixed
character (`[[`, a clause boundary) and no two adjacent parts of a pattern can
match the same characters, the region read after a key is one bounded line,
and folding is one `str.translate` pass that never lengthens the text.
`verdicts.py` holds the rule that decides between what is found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from . import protocol

KEY_WINDOW = 200  # characters read after a verdict key: the verdict stands right after it


def _fold_table() -> dict[int, int | None]:
    """Characters NFKC writes as one ASCII character (fullwidth `［［Ａ］］`, superscript `⁴`, math digits), mapped
    to it; zero-width characters and the soft hyphen, deleted. One character never becomes several, so the
    parser's bounds hold on the folded text."""
    table: dict[int, int | None] = {cp: None for cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)}
    for low, high in ((0x00A0, 0x02FF), (0x2000, 0x33FF), (0xFE30, 0xFFEF), (0x1D400, 0x1D7FF)):
        for cp in range(low, high + 1):
            folded = unicodedata.normalize("NFKC", chr(cp))
            if len(folded) == 1 and folded.isascii() and cp not in table:
                table[cp] = ord(folded)
    return table


_FOLD = _fold_table()
_END_TOKENS = re.compile(r"</s>|<\|im_end\|>|<\|endoftext\|>|<end_of_turn>|<eos>")


def fold(text: str) -> str:
    """The text as the parser reads it: look-alikes folded to ASCII, end-of-turn tokens blanked."""
    return _END_TOKENS.sub(" ", text.translate(_FOLD))


# A key: at a clause start (the lookbehind pins where a match may begin), a whole word, then a colon. A colon is
# a clause start too: a judge echoing the prompt's format runs its own key into it ("...format:Judgement: 4").
_KEY = re.compile(
    r"""(?:^|(?<=[\n.!?;:,{(\[]))[ \t"'*#>-]*"""
    r"""(?:judge?ment|verdict|final[ \t]+(?:answer|verdict|ranking|judge?ment)|ranking|rank)"""
    r"""(?![A-Za-z])[ \t"'*]*:""",
    re.IGNORECASE,
)
REFUSAL = re.compile(r"\b(?:I'?m sorry|I am sorry|I cannot|I can't|I can not|unable to (?:evaluate|judge|assess))", re.IGNORECASE)
# What may stand between a key and its value: spaces, quotes, brackets, braces, bold.
_OPEN = r"""[ \t"'\[\(\{*]*"""
MARKER_LEAD = " \t\"'*{"

SCORE_MARKER = re.compile(r"\[\[[ \t]*(\d+(?:\.\d+)?)[ \t]*\]\]")
SCORE_BARE = re.compile(_OPEN + r"(\d+(?:\.\d+)?)(?!\d)")
# After a bare score: another scale ("4/10", "4 out of 10") or a second score ("3-4", "3 to 4", "3 or 4").
SCORE_SCALE = re.compile(r"[ \t]*(?:/|out[ \t]+of)[ \t]*(\d{1,6})")
SCORE_SECOND = re.compile(r"[ \t]*(?:-|–|to|or)[ \t]*\d")
PAIR_MARKER = re.compile(r"\[\[[ \t]*([A-Za-z]{1,3})[ \t]*\]\]")
# A bare letter is a capital ("a tie" is a tie, not A); the word tie may come in any case.
PAIR_BARE = re.compile(_OPEN + r"(?:([ABC])|(?i:an?[ \t]+)?((?i:tie)))(?![A-Za-z])")
_CLOSE = " \t\"'*)]}"

# Rankings. Inside a bounded window: tokens of brackets, separators, spaces, words; anywhere: bracketed letters.
_RANK_TOKENS = re.compile(r"\[+|\]+|[,>;]|[ \t]+|[A-Za-z]+|[0-9]+|.", re.DOTALL)
_BRACKETED_LETTER = re.compile(r"\[\[?[ \t]*([A-Z])[ \t]*\]\]?")
_JOINED_MARKER = re.compile(r"\[\[[ \t]*([A-Z]{3,4})[ \t]*\]\]")
_GAP = re.compile(r"[\s,>;\[\]]*")


def key_windows(text: str) -> Iterator[tuple[int, str]]:
    """Where each verdict key's value may stand: (offset in `text`, the rest of its line, at most KEY_WINDOW
    characters), last key first. A key alone on its line reads the next line (`Judgement:\\n[[4]]`)."""
    ends = [match.end() for match in _KEY.finditer(text)]
    for end in reversed(ends):
        window = text[end : end + KEY_WINDOW]
        head, _, tail = window.partition("\n")
        yield (end, head) if head.strip() else (end + len(head) + 1, tail.partition("\n")[0])


def ends_clause(window: str, position: int) -> bool:
    """Whether a bare value ending at `position` ends its clause: "Judgement: A." does, "Judgement: A and B
    are equally good" does not (prose, not a verdict)."""
    rest = window[position:].lstrip(_CLOSE)
    return not rest or rest[0] in ".,;:!?\n"


def ranking_at_start(window: str) -> tuple[str, bool, int] | None:
    """The letters of a ranking at the start of `window` (one bounded line), whether it fills the window, and
    where its last letter ends.

    Letters are single capitals between brackets, separators and spaces, or one
    joined run of 3–4 capitals (`CDAB`, `[[CDAB]]`). The ranking must end its
    clause: a following word makes it prose ("C D A B are all fine").
    """
    letters: list[str] = []
    joined, end = False, 0
    lead = len(window) - len(window.lstrip(" \t\"'*{("))
    for token in _RANK_TOKENS.finditer(window, lead):
        word = token.group(0)
        if word[0] in "[], \t>;":
            continue
        if word.isalpha() and word.isupper() and not joined:
            if len(word) == 1 or (not letters and len(word) in protocol.BATCH_SIZES):
                letters, joined, end = letters + list(word), len(word) > 1, token.end()
                continue
        if word.isalnum():
            return None  # a word or number follows the letters: prose, not a ranking
        return ("".join(letters), False, end) if len(letters) >= 2 else None
    return ("".join(letters), True, end) if len(letters) >= 2 else None


def bracketed_rankings(text: str, start: int = 0) -> list[tuple[int, str]]:
    """Every run of two or more bracketed letters (`[[B]], [[A]]`, `[[B], [A]]`) and every `[[BDAC]]` from
    `start` on, as (end, letters), in text order."""
    found, run, run_end = [], "", -1
    for token in _BRACKETED_LETTER.finditer(text, start):
        if run and _GAP.fullmatch(text, run_end, token.start()):
            run += token.group(1)
        else:
            if len(run) >= 2:
                found.append((run_end, run))
            run = token.group(1)
        run_end = token.end()
    if len(run) >= 2:
        found.append((run_end, run))
    found += [(match.end(), match.group(1)) for match in _JOINED_MARKER.finditer(text, start)]
    return sorted(found)
