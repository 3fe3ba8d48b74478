"""A judged item, built in one place: a benchmark row as the judge saw it, its outputs, and the verdict read.

The lmms-eval hooks, the submission scorer, the `evaluate` modules and the Hub
per-sample writer all take their items from `judge_item`, so a verdict is read
the same way (the parser, probability mode's expected score, a judge failure,
the release's verdict for the paper's judges) whichever command prints it.
Standard library only, like the protocol and the parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum

from mllm_judge_tasks.protocol import ORIGINAL, SPECS, SWAP, human_label
from mllm_judge_tasks.verdicts import parse_verdict


class VerdictRoute(StrEnum):
    """Where an item's verdict came from (none: no verdict)."""

    TEXT = "parsed from the text"
    RELEASE = "release's judge field"  # the paper's own judges only, read from the release by our code
    REWARDS = "a reward model's rewards"  # protocol.reward_verdict of one scalar reward per response


@dataclass(frozen=True)
class BenchmarkItem:
    """What judging needs of one benchmark row, in the order the answers are shown: its label, makers and lengths."""

    task: str
    id: str
    instruction_id: int
    source: str
    human: int | str  # score 1..5; pair "A", "B" or "C" (tie); batch a ranking such as "CDAB"
    responders: tuple[str, ...]  # empty where unknown (an `evaluate` caller gives labels and texts only)
    lengths: tuple[int, ...]  # characters of each answer; empty where unknown
    answer_count: int  # how many answers were shown: a ranking is read against it

    def swapped(self) -> BenchmarkItem:
        """The pair as shown with A and B traded: the label swaps (a tie stays), makers and lengths reverse."""
        return replace(self, human=SWAP[self.human], responders=self.responders[::-1], lengths=self.lengths[::-1])


def benchmark_item(task: str, row: Mapping) -> BenchmarkItem:
    """A dataset row (as released, or as a task's `process_docs` shows it) as a benchmark item."""
    spec = SPECS[task]
    responses = spec.responses(row)
    return BenchmarkItem(task, row["id"], row["instruction_id"], row["source"], human_label(task, row),
                         tuple(spec.responders(row)), tuple(len(answer) for answer in responses), len(responses))


@dataclass(frozen=True)
class JudgedItem:
    """One judged item: the verdict read (None when there is none, with the reason) beside the human label.

    `verdicts` holds every repeat's verdict (consistency), `lengths` and
    `responders` the shown answers' lengths and makers (bias figures), `order`
    whether a pair is shown as released or swapped. `output` and
    `verdict_from` go to the per-sample results a leaderboard publishes;
    `most_likely` is probability mode's most likely score beside the expected
    score that is the verdict.
    """

    id: str
    source: str
    human: int | str
    verdict: int | float | str | None
    reason: str | None = None
    verdicts: tuple = ()
    lengths: tuple = ()
    responders: tuple = ()
    order: str = ORIGINAL
    output: str = ""
    verdict_from: str | None = None  # a VerdictRoute's value
    most_likely: int | str | None = None
    instruction_id: int | None = None  # items of one image and instruction: a reward compares only within them

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, record: Mapping) -> JudgedItem:
        """The inverse of `to_json` (lmms-eval hands aggregations the per-sample dicts)."""
        sequences = {"verdicts", "lengths", "responders"}
        values = {f.name: record.get(f.name, f.default) for f in fields(cls)}
        return cls(**{name: tuple(value) if name in sequences else value for name, value in values.items()})


def judge_item(item: BenchmarkItem, outputs: Sequence[str], *, order: str = ORIGINAL,
               release_verdict: int | str | None = None) -> JudgedItem:
    """The judged item of `outputs` (every repeat; the first is scored) for `item` as shown in `order`.

    `release_verdict` is only ever the release's own recorded verdict for the
    paper's judges, used where their text holds none.
    """
    outputs = list(outputs) or [""]
    parsed = [parse_verdict(item.task, text, item.answer_count) for text in outputs]
    first = parsed[0]
    route = (VerdictRoute.REWARDS if first.from_rewards else VerdictRoute.TEXT).value if first.ok else None
    verdict, reason = first.verdict, first.reason_text
    if verdict is None and release_verdict is not None:
        verdict, reason, route = release_verdict, None, VerdictRoute.RELEASE.value
    return JudgedItem(
        id=item.id, source=item.source, human=item.human, verdict=verdict, reason=reason,
        verdicts=tuple(p.verdict for p in parsed), lengths=item.lengths, responders=item.responders, order=order,
        output=outputs[0] if isinstance(outputs[0], str) else "", verdict_from=route, most_likely=first.most_likely,
        instruction_id=item.instruction_id,
    )
