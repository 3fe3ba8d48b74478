"""Everything reported for one task: pooled, per source, the paper's average, CIs, parse rate.

The paper computes each metric per source dataset and averages over the
datasets that have a result (its "Average" column); we report that average,
the per-source values and the pooled value. Outputs with no verdict are left
out of the metrics and counted in the parse rate. Confidence intervals are
percentile bootstraps (scipy.stats.bootstrap); for the average they resample
within each source, so every resample keeps the dataset mix of the benchmark.

Headline numbers (per source, average, pooled, intervals, parse rate,
confusion) are computed on the items as released: pairs judged again with A
and B swapped feed only the position-bias figures, so a judge's headline does
not change with whether it also ran the swap. Items are put in a fixed order
(by id) first, so the same items give the same interval whatever order they
arrive in (several processes gather samples rank by rank).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from scipy import stats

from . import bias
from mllm_judge_tasks.judged import JudgedItem, VerdictRoute
from mllm_judge_tasks.protocol import ORIGINAL, PAIR_LETTERS, SWAPPED, TIE
from mllm_judge_tasks.reports import NO_INTERVAL, Confusion, Interval, SourceResult, TaskReport

from .agreement import METRICS, pair_confusion, ranking_distance, score_metrics, within_group_spearman
from .consistency import majority_consistency

DEFAULT_RESAMPLES = 1000


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _none_for_nan(metrics: dict) -> dict:
    return {key: _nan_to_none(value) for key, value in metrics.items()}


def _per_item_statistic(task: str, items: Sequence[JudgedItem]) -> Callable[[np.ndarray], np.ndarray]:
    """The headline metric as a function of resampled index arrays (last axis = items)."""
    verdicts = [item.verdict for item in items]
    humans = [item.human for item in items]
    if task == "score":
        judge, human = np.asarray(verdicts, float), np.asarray(humans, float)

        def pearson(index: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return np.asarray(stats.pearsonr(judge[index], human[index], axis=-1).statistic)

        return pearson
    if task == "pair":
        judge, human = np.asarray(verdicts, object), np.asarray(humans, object)
        counted = (judge != TIE) & (human != TIE)
        correct = counted & (judge == human)

        def accuracy(index: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return correct[index].sum(-1) / counted[index].sum(-1)

        return accuracy
    distance = np.asarray([ranking_distance(j, h) for j, h in zip(verdicts, humans)])
    return lambda index: distance[index].mean(-1)


def bootstrap_interval(samples: list[np.ndarray], statistic, resamples: int, seed: int) -> Interval:
    """Percentile 95% CI of `statistic(*index_arrays)`, each sample of indices resampled on its own."""
    if resamples <= 0 or not samples or any(len(sample) < 2 for sample in samples):
        return NO_INTERVAL
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            # scipy passes axis=-1; our statistics always reduce the last axis.
            tuple(samples), lambda *indices, axis=-1: statistic(*indices), vectorized=True,
            paired=False, n_resamples=resamples, method="percentile", rng=np.random.default_rng(seed),
        )
    low, high = result.confidence_interval
    return Interval(_nan_to_none(float(low)), _nan_to_none(float(high)))


def source_strata(items: Sequence[JudgedItem]) -> list[np.ndarray]:
    """Indices of the items of each source dataset: the strata of the per-source average."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_source[item.source].append(index)
    return [np.asarray(indices) for _, indices in sorted(by_source.items())]


def average_statistic(task: str, items: Sequence[JudgedItem]) -> Callable[..., np.ndarray]:
    """The headline averaged over sources, as a function of one index array per stratum."""
    per_item = _per_item_statistic(task, items)

    def average(*indices: np.ndarray) -> np.ndarray:
        values = np.stack([np.broadcast_to(per_item(index), np.shape(index)[:-1]) for index in indices])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.nanmean(values, axis=0)

    return average


def paired_difference_interval(
    task: str, first: Sequence[JudgedItem], second: Sequence[JudgedItem], resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> Interval:
    """95% CI of (first − second) in the headline average, resampling the same items for both judges.

    Only items both judges gave a verdict on count; an interval holding 0 means
    the two cannot be told apart on this benchmark.
    """
    theirs = {item.id: item for item in second if item.order == ORIGINAL and item.verdict is not None}
    mine = sorted((item for item in first if item.order == ORIGINAL and item.verdict is not None and item.id in theirs),
                  key=lambda item: item.id)
    aligned = [(item, theirs[item.id]) for item in mine]
    if not aligned:
        return NO_INTERVAL
    mine, other = [a for a, _ in aligned], [b for _, b in aligned]
    first_average, second_average = average_statistic(task, mine), average_statistic(task, other)
    return bootstrap_interval(
        source_strata(mine), lambda *indices: first_average(*indices) - second_average(*indices), resamples, seed
    )


def bias_report(task: str, items: Sequence[JudgedItem], family: str | None = None) -> dict:
    """Consistency and bias figures, each where the items carry what it needs."""
    report: dict = {"majority_consistency": majority_consistency([item.verdicts for item in items])}
    shown = [item for item in items if item.order == ORIGINAL]
    verdicts, humans = [i.verdict for i in shown], [i.human for i in shown]
    if task == "pair":
        swapped = {item.id: item for item in items if item.order == SWAPPED}
        paired = [(item, swapped[item.id]) for item in shown if item.id in swapped]
        if paired:
            report["position"] = bias.position_bias(
                [o.verdict for o, _ in paired], [s.verdict for _, s in paired], [o.human for o, _ in paired]
            )
        if all(len(item.lengths) == 2 for item in shown) and shown:
            report["length"] = bias.pair_length_bias(verdicts, humans, [item.lengths for item in shown])
        if family and all(len(item.responders) == 2 for item in shown) and shown:
            report["self_preference"] = bias.pair_self_preference(verdicts, humans, [i.responders for i in shown], family)
    if task == "score" and shown and all(item.instruction_id is not None for item in shown):
        judged = [item for item in shown if item.verdict is not None]
        report["within_instruction"] = _none_for_nan(within_group_spearman(
            [i.verdict for i in judged], [i.human for i in judged], [i.instruction_id for i in judged]))
    if task == "score" and shown and all(len(item.lengths) == 1 for item in shown):
        report["length"] = bias.score_length_bias(verdicts, humans, [item.lengths[0] for item in shown])
        if family:
            report["self_preference"] = bias.score_self_preference(verdicts, humans, [i.responders[0] for i in shown], family)
    return report


def task_report(
    task: str, items: Sequence[JudgedItem], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
    family: str | None = None, with_bias: bool = True,
) -> TaskReport:
    """Every number reported for `task` ("score", "pair" or "batch") over judged items.

    `family` names the judge's own responder family (gpt4, gemini, llava,
    cogvlm, qwen) for the self-preference figures; `with_bias=False` leaves the
    bias figures out (a subset's report has none).
    """
    items = sorted(items, key=lambda item: (item.id, item.order))
    shown = [item for item in items if item.order == ORIGINAL]
    parsed = [item for item in shown if item.verdict is not None]
    metric = METRICS[task]
    if task == "score" and any(item.verdict_from == VerdictRoute.REWARDS for item in parsed):
        metric = partial(score_metrics, on_scale=False)  # rewards: no mean absolute error
    by_source: dict[str, list[JudgedItem]] = defaultdict(list)
    for item in shown:
        by_source[item.source].append(item)
    per_source = {}
    for source, source_items in sorted(by_source.items()):
        ok = [item for item in source_items if item.verdict is not None]
        metrics = _none_for_nan(metric([i.verdict for i in ok], [i.human for i in ok]))
        per_source[source] = SourceResult(metrics, len(source_items), len(ok) / len(source_items))
    average = {}
    for name in metric([], []):
        values = [result.metrics[name] for result in per_source.values() if result.metrics[name] is not None]
        average[name] = float(np.mean(values)) if values else None
    confusion = None
    if task == "pair":
        confusion = Confusion(tuple(f"{letter} (tie)" if letter == TIE else letter for letter in PAIR_LETTERS),
                              pair_confusion([i.verdict for i in parsed], [i.human for i in parsed]))
    return TaskReport(
        task=task, n=len(shown), parsed=len(parsed),
        no_verdict_reasons=dict(Counter(item.reason for item in shown if item.verdict is None)),
        average=average,
        pooled=_none_for_nan(metric([i.verdict for i in parsed], [i.human for i in parsed])),
        per_source=per_source,
        ci95_pooled=bootstrap_interval([np.arange(len(parsed))], _per_item_statistic(task, parsed), resamples, seed),
        ci95_average=bootstrap_interval(source_strata(parsed), average_statistic(task, parsed), resamples, seed),
        bias=bias_report(task, items, family) if with_bias else None,
        confusion=confusion,
    )
