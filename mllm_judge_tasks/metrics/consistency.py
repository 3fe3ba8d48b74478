"""Whether a judge repeats itself: the same item judged n times."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def majority_consistency(verdicts_per_item: Sequence[Sequence[object]]) -> float | None:
    """Share of items whose most common verdict holds a strict majority of their n judgements.

    A judgement with no verdict (None) counts toward n but never toward a
    majority. Items judged fewer than twice say nothing and are left out;
    None when no item was judged twice.
    """
    judged = [verdicts for verdicts in verdicts_per_item if len(verdicts) >= 2]
    if not judged:
        return None
    consistent = 0
    for verdicts in judged:
        counts = Counter(v for v in verdicts if v is not None)
        if counts and counts.most_common(1)[0][1] * 2 > len(verdicts):
            consistent += 1
    return consistent / len(judged)
