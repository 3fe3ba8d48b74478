"""The paper's agreement metrics and their companions, over verdicts that parsed.

Inputs are aligned lists of judge verdicts and human labels for items whose
verdict parsed (the caller leaves the others out and counts them in the parse
rate, as the authors' code does). Pair verdicts are the protocol letters
"A", "B", "C" (C = tie); rankings are letter strings best to worst ("CBAD").
A metric undefined on its input (a correlation of constant scores, an empty
set) is NaN, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein
from scipy import stats
from sklearn.metrics import confusion_matrix, f1_score, recall_score

from mllm_judge_tasks.protocol import PAIR_LETTERS, TIE


def _correlation(function, judge: Sequence[float], human: Sequence[float]) -> float:
    if len(judge) < 2 or len(set(judge)) < 2 or len(set(human)) < 2:
        return math.nan
    return float(function(judge, human)[0])


def score_metrics(judge: Sequence[float], human: Sequence[int], on_scale: bool = True) -> dict[str, float]:
    """Pearson (the paper's headline), Spearman and Kendall correlations, and mean absolute error, which is
    defined only for judges scoring on the protocol's 1..5 scale (`on_scale`; a reward is on no scale)."""
    return {
        "pearson": _correlation(stats.pearsonr, judge, human),
        "spearman": _correlation(stats.spearmanr, judge, human),
        "kendall": _correlation(stats.kendalltau, judge, human),
        "mae": float(np.mean(np.abs(np.subtract(judge, human)))) if len(judge) and on_scale else math.nan,
    }


def within_group_spearman(judge: Sequence[float], human: Sequence[int], groups: Sequence[object]) -> dict:
    """Spearman correlation within each group (the responses to one image and instruction), averaged over the
    groups where it is defined: the agreement a reward model can claim, its rewards comparable only within one."""
    by_group: dict[object, list[int]] = {}
    for index, group in enumerate(groups):
        by_group.setdefault(group, []).append(index)
    values = [_correlation(stats.spearmanr, [judge[i] for i in members], [human[i] for i in members])
              for members in by_group.values()]
    defined = [value for value in values if not math.isnan(value)]
    return {"spearman": float(np.mean(defined)) if defined else math.nan, "groups": len(defined)}


def _share(hits: np.ndarray) -> float:
    return float(hits.mean()) if hits.size else math.nan


def pair_metrics(judge: Sequence[str], human: Sequence[str]) -> dict[str, float]:
    """Agreement with and without ties.

    - `accuracy_no_tie` (headline, the authors' count): only items where neither
      the human nor the judge says tie; `no_tie_coverage` is their share.
    - `accuracy_no_human_tie` (stricter, later papers): items where the human
      does not say tie; a judge tie counts as wrong.
    - `accuracy_with_tie`, `macro_f1_with_tie`, `macro_recall_with_tie`: all
      items, three classes; `macro_f1_no_tie` / `macro_recall_no_tie` over A/B
      on the items of the headline.
    """
    judge_array, human_array = np.asarray(judge, dtype=object), np.asarray(human, dtype=object)
    no_tie = (judge_array != TIE) & (human_array != TIE)
    no_human_tie = human_array != TIE
    both = dict(zero_division=0)
    return {
        "accuracy_no_tie": _share(judge_array[no_tie] == human_array[no_tie]),
        "no_tie_coverage": _share(no_tie),
        "accuracy_no_human_tie": _share(judge_array[no_human_tie] == human_array[no_human_tie]),
        "accuracy_with_tie": _share(judge_array == human_array),
        "macro_f1_with_tie": float(f1_score(human, judge, labels=list(PAIR_LETTERS), average="macro", **both)) if len(judge) else math.nan,
        "macro_recall_with_tie": float(recall_score(human, judge, labels=list(PAIR_LETTERS), average="macro", **both)) if len(judge) else math.nan,
        "macro_f1_no_tie": float(f1_score(list(human_array[no_tie]), list(judge_array[no_tie]), labels=list(PAIR_LETTERS[:2]), average="macro", **both)) if no_tie.any() else math.nan,
        "macro_recall_no_tie": float(recall_score(list(human_array[no_tie]), list(judge_array[no_tie]), labels=list(PAIR_LETTERS[:2]), average="macro", **both)) if no_tie.any() else math.nan,
    }


def pair_confusion(judge: Sequence[str], human: Sequence[str]) -> list[list[int]]:
    """Counts with human verdicts as rows and judge verdicts as columns, in the order A, B, C (tie)."""
    if not judge:
        return [[0] * len(PAIR_LETTERS) for _ in PAIR_LETTERS]
    return confusion_matrix(human, judge, labels=list(PAIR_LETTERS)).tolist()


def ranking_distance(judge: str, human: str) -> float:
    """Levenshtein distance ÷ the longer string's length (0 = same ranking; a 3-answer item divides by 3)."""
    return float(Levenshtein.normalized_distance(judge, human))


def batch_metrics(judge: Sequence[str], human: Sequence[str]) -> dict[str, float]:
    """Mean normalized edit distance (the paper's headline, lower is better), top-1 agreement, Kendall tau."""
    if not judge:
        return {"edit_distance": math.nan, "top1_agreement": math.nan, "kendall_tau": math.nan}
    taus = []
    for ranked, reference in zip(judge, human):
        letters = sorted(reference)
        tau = stats.kendalltau([ranked.index(x) for x in letters], [reference.index(x) for x in letters])[0]
        taus.append(tau)
    return {
        "edit_distance": float(np.mean([ranking_distance(j, h) for j, h in zip(judge, human)])),
        "top1_agreement": float(np.mean([j[0] == h[0] for j, h in zip(judge, human)])),
        "kendall_tau": float(np.nanmean(taus)) if not all(math.isnan(t) for t in taus) else math.nan,
    }


METRICS = {"score": score_metrics, "pair": pair_metrics, "batch": batch_metrics}
