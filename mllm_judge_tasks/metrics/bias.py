"""The judge biases the paper studies: position, length and self-preference.

Each function takes plain values and returns plain numbers, the judge's figure
beside the humans' on the same items, so a bias shows as a difference between
the two rather than as a number with nothing to compare it to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from mllm_judge_tasks.protocol import SWAP, TIE

FAMILIES = ("gpt4", "gemini", "llava", "cogvlm", "qwen")  # the benchmark's responder families, as names hold them


def _rate(hits: Sequence[bool]) -> float | None:
    return float(np.mean(hits)) if len(hits) else None


def position_bias(original: Sequence[str | None], swapped: Sequence[str | None], human: Sequence[str]) -> dict:
    """Each pair judged in both orders; `swapped` verdicts refer to the swapped display.

    - `position_consistency`: pairs whose two verdicts agree once the swapped one
      is mapped back (A↔B), over pairs with both verdicts parsed;
    - `first_slot_rate`: share of non-tie verdicts, over both orders, that pick
      the answer shown first (0.5 for a judge blind to position);
    - `swap_consistent_accuracy`: a pair counts as right only when both orders
      agree with the human (JudgeBench's rule), over pairs with both verdicts
      parsed and a human verdict that is not a tie.
    """
    both = [(o, SWAP[s], h) for o, s, h in zip(original, swapped, human) if o is not None and s is not None]
    shown = [v for v in (*original, *swapped) if v is not None and v != TIE]
    decided = [(o, s, h) for o, s, h in both if h != TIE]
    return {
        "pairs_judged_in_both_orders": len(both),
        "position_consistency": _rate([o == s for o, s, _ in both]),
        "first_slot_rate": _rate([v == "A" for v in shown]),
        "swap_consistent_accuracy": _rate([o == h and s == h for o, s, h in decided]),
    }


def _longer(lengths: Sequence[int]) -> str | None:
    a, b = lengths
    return None if a == b else ("A" if a > b else "B")


def pair_length_bias(verdicts: Sequence[str | None], human: Sequence[str], lengths: Sequence[Sequence[int]]) -> dict:
    """How often the judge picks the longer response, and how often humans do, over non-tie choices."""
    judge = [v == _longer(n) for v, n in zip(verdicts, lengths) if v not in (None, TIE) and _longer(n)]
    people = [h == _longer(n) for h, n in zip(human, lengths) if h != TIE and _longer(n)]
    judge_rate, human_rate = _rate(judge), _rate(people)
    return {
        "judge_prefers_longer": judge_rate,
        "human_prefers_longer": human_rate,
        "difference": None if judge_rate is None or human_rate is None else judge_rate - human_rate,
    }


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    value = float(stats.pearsonr(x, y)[0])
    return None if math.isnan(value) else value


def score_length_bias(verdicts: Sequence[int | None], human: Sequence[int], lengths: Sequence[int]) -> dict:
    """Pearson correlation of score with response length (characters), the judge's and the humans'."""
    parsed = [(v, h, n) for v, h, n in zip(verdicts, human, lengths) if v is not None]
    return {
        "judge_score_length_pearson": _pearson([n for _, _, n in parsed], [v for v, _, _ in parsed]),
        "human_score_length_pearson": _pearson([n for _, _, n in parsed], [h for _, h, _ in parsed]),
    }


def pair_self_preference(
    verdicts: Sequence[str | None], human: Sequence[str], responders: Sequence[Sequence[str]], family: str
) -> dict:
    """On pairs where exactly one answer comes from the judge's own family: how often the judge
    picks it, against how often humans do (non-tie choices)."""
    own = []
    for verdict, label, (a, b) in zip(verdicts, human, responders):
        if (a == family) != (b == family):
            own.append((verdict, label, "A" if a == family else "B"))
    judge = [v == mine for v, _, mine in own if v not in (None, TIE)]
    people = [h == mine for _, h, mine in own if h != TIE]
    judge_rate, human_rate = _rate(judge), _rate(people)
    return {
        "family": family,
        "pairs": len(own),
        "judge_prefers_own_family": judge_rate,
        "human_prefers_own_family": human_rate,
        "difference": None if judge_rate is None or human_rate is None else judge_rate - human_rate,
    }


def score_self_preference(verdicts: Sequence[int | None], human: Sequence[int], responders: Sequence[str], family: str) -> dict:
    """Mean (judge score − human score) on the family's own responses and on the others'."""
    own = [v - h for v, h, r in zip(verdicts, human, responders) if v is not None and r == family]
    other = [v - h for v, h, r in zip(verdicts, human, responders) if v is not None and r != family]
    return {
        "family": family,
        "own_family_mean_gap": float(np.mean(own)) if own else None,
        "other_mean_gap": float(np.mean(other)) if other else None,
    }


def judge_family(model_name: str) -> str | None:
    """The responder family a judge model belongs to, from its name (`Qwen2.5-VL-7B` → qwen)."""
    name = model_name.lower().replace("-", "").replace("_", "")
    return next((family for family in FAMILIES if family in name), None)
