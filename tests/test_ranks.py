"""Leaderboard ranks: 1 + the number of rows significantly better on the paired bootstrap, never chained."""

from mllm_judge_tasks.leaderboard.board import Cell, Row, rank_column
from mllm_judge_tasks.judged import JudgedItem
from mllm_judge_tasks.metrics.report import task_report
from mllm_judge_tasks.reports import JudgeReport, TaskResult

N = 120


def judge(name: str, correct: int) -> Row:
    """A pair judge right on the first `correct` of N items (humans always say A), wrong (B) on the rest."""
    return judge_right_on(name, [i < correct for i in range(N)])


def judge_right_on(name: str, right: list[bool]) -> Row:
    items = [JudgedItem(id=f"pair-{i}", source="s", human="A", verdict="A" if ok else "B") for i, ok in enumerate(right)]
    report = task_report("pair", items, resamples=0)
    assert report.value == sum(right) / len(right)
    judge_report = JudgeReport(name, {}, None, {"name": "ranks", "revision": "test"}, {"pair": TaskResult(report)})
    return Row(name, "plain", "submission", judge_report, {"pair": items}, {"pair": Cell(report)})


def test_a_row_beaten_significantly_is_not_chained_up_to_the_leader():
    # Blocks of items, who is right on them: A only on 18 items, A and B on 18, B and C on 9, C only on 9, all
    # three on 40, none on 40. A vs B: 18 against 9 items (z ≈ 1.7), B vs C: 18 against 9 (z ≈ 1.7), both ties;
    # A vs C: 36 against 18 (z ≈ 2.4), a clear win. Chaining neighbours gave C rank 1; A beats C, so C ranks 2.
    blocks = [(18, "A"), (18, "AB"), (9, "BC"), (9, "C"), (40, "ABC"), (40, "")]
    rows = [judge_right_on(name, [name in who for size, who in blocks for _ in range(size)]) for name in "ABC"]
    rank_column(rows, "pair", resamples=1000)
    assert {row.name: row.cells["pair"].rank for row in rows} == {"A": 1, "B": 1, "C": 2}
    assert [row.cells["pair"].tied for row in rows] == [True, True, False]


def test_clearly_separated_rows_get_distinct_ranks_and_equal_rows_share_one():
    rows = [judge("best", 110), judge("middle", 60), judge("same middle", 60), judge("worst", 10)]
    rank_column(rows, "pair", resamples=1000)
    assert [row.cells["pair"].rank for row in rows] == [1, 2, 2, 4]
    assert [row.cells["pair"].tied for row in rows] == [False, True, True, False]
