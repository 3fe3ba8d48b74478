"""Agreement of judge verdicts with human labels: plain functions over plain values (`agreement`, `bias`,
`consistency`), and `report.task_report`, which turns judged items into the typed report.

lmms-eval's aggregations, `mllm-judge score`, the leaderboard, the Hub files and the `evaluate` modules all read
that one report (tests/test_same_numbers.py checks that their numbers are equal).
"""
