"""Leaderboard: submissions, validation, scoring with confidence intervals, and the page."""
