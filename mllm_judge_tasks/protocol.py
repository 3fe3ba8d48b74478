"""The MLLM-as-a-Judge protocol's vocabulary, defined once: tasks, labels, the tie, the swap, verdict options.

Every other module imports these names (`schema.py` builds the dataset's
Features from them; the parser, the metrics, the backends, the board and the
Hub views read them), and this module imports nothing outside the standard
library, so the parser loads in milliseconds and a rule changes in one place.

- A **score** item rates one response 1..5; a judge's score may be real-valued
  (the expected score of probability mode, a reward model's reward): metrics
  that need the 1..5 scale say so.
- A **pair** item compares responses A and B; verdicts and labels are the
  protocol's letters `A`, `B` and `C` for a tie (the dataset's ClassLabel names
  the tie `tie`). Showing a pair swapped swaps A and B and keeps a tie.
- A **batch** item ranks 3 or 4 responses best first, as letters (`CDAB`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import permutations

TASKS = ("score", "pair", "batch")

SCORE_RANGE = (1, 5)
PAIR_LETTERS = ("A", "B", "C")
TIE = "C"  # how the protocol, the judges' [[C]] and the release write a tie
PAIR_LABELS = ("A", "B", "tie")  # the dataset's ClassLabel names, in index order; index i is PAIR_LETTERS[i]
SWAP = {"A": "B", "B": "A", TIE: TIE}  # a pair's letter once A and B trade places
BATCH_LETTERS = "ABCD"
BATCH_SIZES = (3, 4)

VERDICT_KEY = "Judgement:"  # the protocol's verdict key; forced verdicts follow it
VERDICT_OPENING = VERDICT_KEY + " [["  # forced before a verdict's first token in probability mode
PROBABILITY_MODE = "verdict_probability"  # the `mode` of a verdict-probability output
VERDICT_MODES = ("free", "constrained", "probability")  # a generative judge's
REWARD_MODE = "reward"  # a reward model's verdicts: from one scalar reward per shown response
ORIGINAL, SWAPPED = "original", "swapped"  # how a pair was shown: as released, or with A and B traded
ORDERS = (ORIGINAL, SWAPPED)

# Config-name prefix of each subset of the release ("" is the full benchmark), and its display name.
SUBSETS = {"": "benchmark", "lite_": "Lite", "hq_": "HQ", "hard_": "Hard"}
SCORED_SUBSETS = ("hq_", "hard_")  # reported beside the full benchmark (Lite is a sample of it, not a test of its own)
# The release has no Lite batch file.
CONFIGS = tuple(prefix + task for prefix in SUBSETS for task in TASKS if prefix + task != "lite_batch")

# Each task's headline metric: the paper's number (the batch distance is lower-is-better).
HEADLINE = {"score": "pearson", "pair": "accuracy_no_tie", "batch": "edit_distance"}
LOWER_IS_BETTER = {"mae", "edit_distance"}


@dataclass(frozen=True)
class TaskSpec:
    """One task's fields and verdicts: where a row keeps its responses and label, and what a judge may answer."""

    name: str
    label_field: str
    response_fields: tuple[str, ...]  # one field per shown response; a single list field for batch
    responder_fields: tuple[str, ...]
    ranked: bool = False  # the responses are one list field of 3 or 4
    derived_label_fields: tuple[str, ...] = ()  # columns computed from the label, copied with it

    @property
    def label_fields(self) -> tuple[str, ...]:
        return (self.label_field, *self.derived_label_fields)

    def responses(self, row: Mapping) -> list[str]:
        return list(row[self.response_fields[0]]) if self.ranked else [row[f] for f in self.response_fields]

    def responders(self, row: Mapping) -> list[str]:
        return list(row[self.responder_fields[0]]) if self.ranked else [row[f] for f in self.responder_fields]

    def answer_count(self, row: Mapping) -> int:
        return len(self.responses(row))

    def options(self, answer_count: int) -> list[str]:
        """The bare verdict values the protocol allows for an item with `answer_count` responses."""
        if self.name == "score":
            low, high = SCORE_RANGE
            return [str(k) for k in range(low, high + 1)]
        if self.name == "pair":
            return list(PAIR_LETTERS)
        return ["".join(order) for order in permutations(BATCH_LETTERS[:answer_count])]

    def verdict_string(self, option: str) -> str:
        """How the protocol writes an option: `[[4]]`, `[[C]]`, `[[B]], [[D]], [[A]], [[C]]`."""
        return ", ".join(f"[[{letter}]]" for letter in option) if self.ranked else f"[[{option}]]"


SPECS = {
    "score": TaskSpec("score", "human_score", ("response",), ("responder",)),
    "pair": TaskSpec("pair", "human", ("response_a", "response_b"), ("responder_a", "responder_b")),
    "batch": TaskSpec("batch", "human_ranking", ("responses",), ("responders",), ranked=True,
                      derived_label_fields=("human_ranking_indices",)),
}


def effective_mode(mode: str, task: str) -> str:
    """The verdict mode an item is judged in: a ranking has no one-token verdict, so probability falls back to
    constrained for batch items (decided per item, never per batch)."""
    return "constrained" if mode == "probability" and task == "batch" else mode


def task_of_config(config: str) -> str:
    """The task ("score", "pair" or "batch") a config name such as "hard_pair" holds."""
    for task in TASKS:
        if config == task or config.endswith("_" + task):
            return task
    raise ValueError(f"unknown config {config!r}; expected one of {', '.join(CONFIGS)}")


def row_id(task: str, release_id: int, prefix: str = "") -> str:
    """A stable, readable row id built from the release's own row id.

    `prefix` namespaces rows of a subset file that match no benchmark row: the
    release reuses `pair_id` values for different pairs across files.
    """
    return f"{prefix}{task}-{release_id}"


def normalize_score_label(value: object) -> int:
    """Human score as an int 1..5; the release mixes ints and digit strings."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer 1..5, got {value!r}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"expected an integer 1..5, got {value!r}")
    low, high = SCORE_RANGE
    if not low <= value <= high:
        raise ValueError(f"score {value} is outside {low}..{high}")
    return value


def normalize_pair_label(value: object) -> str:
    """Human pair verdict as "A", "B" or "tie"; the release writes a tie as "C"."""
    if not isinstance(value, str):
        raise ValueError(f"expected 'A', 'B' or 'C' (tie), got {value!r}")
    label = value.strip()
    if label.upper() in PAIR_LETTERS[:2]:
        return label.upper()
    if label.upper() == TIE or label.lower() == PAIR_LABELS[-1]:
        return PAIR_LABELS[-1]
    raise ValueError(f"expected 'A', 'B' or 'C' (tie), got {value!r}")


def pair_letter(label: object) -> str:
    """The protocol letter ("A", "B", "C" for a tie) of a pair label: "A"/"B"/"tie", a release "C", or a ClassLabel index."""
    if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < len(PAIR_LABELS):
        return PAIR_LETTERS[label]
    return PAIR_LETTERS[PAIR_LABELS.index(normalize_pair_label(label))]


def swapped_label_index(index: int) -> int:
    """A pair's ClassLabel index once A and B trade places (a tie stays a tie)."""
    return PAIR_LETTERS.index(SWAP[PAIR_LETTERS[index]])


def normalize_batch_label(value: object, n_responses: int) -> str:
    """Human ranking as a best-to-worst permutation of the first n letters.

    Some three-answer items of the release carry four-letter labels (`CABD` for
    answers A..C). The letter naming no answer is dropped and the order of the
    others kept; any other deviation (repeats, missing letters) is an error.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a ranking string such as 'CDAB', got {value!r}")
    ranking = value.strip().upper()
    letters = BATCH_LETTERS[:n_responses]
    if ranking == "":
        raise ValueError("the ranking is empty")
    if n_responses == len(BATCH_LETTERS) - 1 and sorted(ranking) == sorted(BATCH_LETTERS):
        ranking = ranking.replace(BATCH_LETTERS[-1], "")
    if sorted(ranking) != sorted(letters):
        raise ValueError(f"ranking {value!r} is not a permutation of {letters} ({n_responses} responses)")
    return ranking


def ranking_indices(ranking: str) -> list[int]:
    """`"CDAB"` → `[2, 3, 0, 1]`: the response indices, best first."""
    return [BATCH_LETTERS.index(letter) for letter in ranking]


def human_label(task: str, row: Mapping) -> int | str:
    """A row's human label in the protocol's form: a score, a pair letter (C = tie), a ranking."""
    value = row[SPECS[task].label_field]
    return pair_letter(value) if task == "pair" else value


# Structured judge outputs. A backend that does not write free text writes one JSON object whose first key is
# its `mode`, so the parser recognises it by a fixed prefix and everything downstream reads the output as text.
FAILURE_MODE = "judge_failed"  # the backend could not judge the item (an image that fails, a server error)


def probability_output(task: str, probabilities: Mapping[str, float]) -> str:
    """Probability mode's judge text: the distribution over the options, for a score the expected score Σ k·p(k)
    (the verdict scored), and the most likely option written as the protocol's marker, last."""
    best = max(probabilities, key=probabilities.get)
    payload: dict = {"mode": PROBABILITY_MODE, "probabilities": {k: round(v, 6) for k, v in probabilities.items()}}
    if task == "score":
        payload["expected_score"] = round(sum(int(k) * p for k, p in probabilities.items()), 6)
    payload["judgement"] = SPECS[task].verdict_string(best)
    return json.dumps(payload)


def is_real_number(value: object) -> bool:
    """Whether a value read from JSON is a finite real number: an int or a float, never a bool (which Python counts
    as an int), NaN or an infinity (which Python's json reads and writes). Scores, rewards, tie margins and prices
    are checked by this one rule."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def reward_verdict(task: str, rewards: list[float], tie_margin: float = 0.0) -> float | str:
    """A reward model's verdict, defined once: a score item's reward is its score; a pair is A or B by the larger
    reward, a tie when |r_A - r_B| <= `tie_margin`; a ranking orders the responses by reward, best first, equal
    rewards keeping the order they were shown in (a stable sort: the swap task shows what that costs)."""
    if task == "score":
        return rewards[0]
    if task == "pair":
        first, second = rewards
        return TIE if abs(first - second) <= tie_margin else PAIR_LETTERS[0 if first > second else 1]
    order = sorted(range(len(rewards)), key=lambda index: -rewards[index])
    return "".join(BATCH_LETTERS[index] for index in order)


def reward_output(task: str, rewards: list[float], tie_margin: float = 0.0) -> str:
    """A reward model's judge text: each shown response's reward, in order, and the verdict they give
    (`reward_verdict`), written last as the protocol's marker (a score item's verdict is its reward)."""
    payload: dict = {"mode": REWARD_MODE, "rewards": [float(r) for r in rewards], "tie_margin": tie_margin}
    if task != "score":
        payload["judgement"] = SPECS[task].verdict_string(str(reward_verdict(task, rewards, tie_margin)))
    return json.dumps(payload)


def failure_output(error: BaseException | str) -> str:
    """The judge text of an item the backend could not judge: never cached, so a rerun judges it again."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return json.dumps({"mode": FAILURE_MODE, "error": " ".join(message.split())[:500]})
