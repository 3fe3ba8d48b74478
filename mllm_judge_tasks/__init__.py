"""mllm-judge: the MLLM-as-a-Judge benchmark as datasets, lmms-eval tasks and a leaderboard."""

__version__ = "0.1.0"
