"""Agreement of judge verdicts with human labels: plain functions over plain values.

The harness's aggregations, the scorer and the leaderboard all call these, so
every number comes from one implementation.
"""
