"""Metrics against values computed by hand on small fixed inputs."""

import math

import pytest

from mllm_judge_tasks.metrics.agreement import batch_metrics, pair_confusion, pair_metrics, ranking_distance, score_metrics
from mllm_judge_tasks.judged import JudgedItem
from mllm_judge_tasks.metrics.report import task_report


def test_score_metrics_by_hand():
    # deviations (-2,-1,0,1,2) and (-2,-1,0,2,1): covariance 9 over variance 10 -> r = 0.9;
    # one discordant pair of 10 -> tau = 0.8; two errors of 1 over 5 items -> MAE 0.4.
    metrics = score_metrics([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])
    assert metrics == pytest.approx({"pearson": 0.9, "spearman": 0.9, "kendall": 0.8, "mae": 0.4})


def test_correlation_of_constant_scores_is_undefined_not_zero():
    assert math.isnan(score_metrics([3, 3, 3], [1, 2, 3])["pearson"])


JUDGE = ["A", "B", "C", "A", "B", "C"]
HUMAN = ["A", "A", "A", "C", "B", "B"]


def test_pair_metrics_with_the_tie_cases_by_hand():
    metrics = pair_metrics(JUDGE, HUMAN)
    # Neither says tie: items 0, 1, 4 -> 2 right of 3, covering 3 of 6 items.
    assert metrics["accuracy_no_tie"] == pytest.approx(2 / 3)
    assert metrics["no_tie_coverage"] == pytest.approx(0.5)
    # Human ties left out (item 3); judge ties (items 2, 5) count as wrong: 2 of 5.
    assert metrics["accuracy_no_human_tie"] == pytest.approx(0.4)
    assert metrics["accuracy_with_tie"] == pytest.approx(2 / 6)
    # Recall per class: A 1/3, B 1/2, tie 0/1.
    assert metrics["macro_recall_with_tie"] == pytest.approx((1 / 3 + 1 / 2 + 0) / 3)
    # On the no-tie items: A recall 1/2 (items 0, 1), B recall 1/1; F1 A = 2/3, F1 B = 2/3.
    assert metrics["macro_recall_no_tie"] == pytest.approx(0.75)
    assert metrics["macro_f1_no_tie"] == pytest.approx(2 / 3)


def test_pair_confusion_rows_are_human_columns_judge():
    assert pair_confusion(JUDGE, HUMAN) == [[1, 1, 1], [0, 1, 1], [1, 0, 0]]


def test_ranking_distance_divides_by_the_longer_string():
    assert ranking_distance("ABCD", "ABDC") == pytest.approx(2 / 4)
    assert ranking_distance("CAB", "ACB") == pytest.approx(2 / 3)
    assert ranking_distance("ABCD", "ABCD") == 0


def test_batch_metrics_by_hand():
    metrics = batch_metrics(["ABCD", "CAB"], ["ABDC", "ACB"])
    assert metrics["edit_distance"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert metrics["top1_agreement"] == pytest.approx(0.5)
    # Kendall tau: ABCD vs ABDC has 1 discordant pair of 6 -> 4/6; CAB vs ACB has 1 of 3 -> 1/3.
    assert metrics["kendall_tau"] == pytest.approx((4 / 6 + 1 / 3) / 2)


def test_per_source_average_parse_rate_and_pooled():
    items = [
        *(JudgedItem(f"s1-{i}", "s1", h, j) for i, (j, h) in enumerate([(1, 1), (2, 2), (3, 3)])),
        *(JudgedItem(f"s2-{i}", "s2", h, j) for i, (j, h) in enumerate([(1, 3), (2, 2), (3, 1)])),
        JudgedItem("s3-0", "s3", 4, 5),  # one item: no correlation, left out of the average
        JudgedItem("s3-1", "s3", 2, None, "no verdict in the text"),
    ]
    report = task_report("score", items, resamples=200)
    assert report.per_source["s1"].metrics["pearson"] == pytest.approx(1.0)
    assert report.per_source["s2"].metrics["pearson"] == pytest.approx(-1.0)
    assert report.per_source["s3"].metrics["pearson"] is None
    assert report.value == report.average["pearson"] == pytest.approx(0.0)  # mean of 1 and -1, s3 has no result
    assert report.parse_rate == pytest.approx(7 / 8)
    assert report.per_source["s3"].parse_rate == pytest.approx(0.5)
    assert report.no_verdict_reasons == {"no verdict in the text": 1}
    # Pooled over the 7 parsed items, judge 1 2 3 1 2 3 5 against human 1 2 3 3 2 1 4: worked by hand,
    # means 17/7 and 16/7; co-deviation 36/7, deviations 82/7 and 52/7: r = 36 / sqrt(82 · 52) ≈ 0.551.
    assert report.pooled["pearson"] == pytest.approx(36 / (82 * 52) ** 0.5)


def test_bootstrap_interval_brackets_the_estimate_and_shrinks_with_more_data():
    def items(n):
        return [JudgedItem(str(i), "s", "A" if i % 2 else "B", ("A" if i % 2 else "B") if i % 5 else ("B" if i % 2 else "A")) for i in range(n)]

    small, large = task_report("pair", items(50)), task_report("pair", items(2000))
    for report in (small, large):
        low, high = report.ci95_pooled
        assert low <= report.pooled["accuracy_no_tie"] <= high
    assert large.ci95_pooled.high - large.ci95_pooled.low < small.ci95_pooled.high - small.ci95_pooled.low
    assert large.pooled["accuracy_no_tie"] == pytest.approx(0.8)


@pytest.mark.parametrize("task, human", [("score", 3), ("pair", "A"), ("batch", "ABCD")])
def test_a_judge_that_never_gives_a_verdict_is_reported_not_a_crash(task, human):
    items = [JudgedItem(str(i), "s", human, None, "no verdict in the text") for i in range(5)]
    report = task_report(task, items)
    assert report.parse_rate == 0 and report.to_json()["ci95"] == {"pooled": [None, None], "average": [None, None]}
    assert all(value is None for value in report.average.values())
