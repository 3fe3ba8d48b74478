"""Where the benchmark dataset is read from: one rule for the harness, the validator and the scorer."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATASET = "mllm-judge/mllm-as-a-judge"


def dataset_location(explicit: str | None = None) -> str:
    """`explicit`, else `MLLM_JUDGE_DATASET`, else the Hub id; a local directory as an absolute path."""
    chosen = explicit or os.environ.get("MLLM_JUDGE_DATASET") or DEFAULT_DATASET
    return str(Path(chosen).resolve()) if Path(chosen).is_dir() else chosen
