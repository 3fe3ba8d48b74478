"""Where the benchmark dataset is read from: one rule for the harness, the validator and the scorer."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_DATASET = "mllm-judge/mllm-as-a-judge"
DATASET_ENV = "MLLM_JUDGE_DATASET"
DATA_SUFFIXES = (".parquet", ".md", ".json")

LOCAL_BUILD = "local build"  # how a benchmark revision read from a local folder begins


def dataset_location(explicit: str | None = None) -> str:
    """`explicit`, else `MLLM_JUDGE_DATASET`, else the Hub id; a local directory as an absolute path."""
    chosen = explicit or os.environ.get(DATASET_ENV) or DEFAULT_DATASET
    return str(Path(chosen).resolve()) if Path(chosen).is_dir() else chosen


def dataset_identity(location: str) -> tuple[str, str]:
    """(name, revision) to show for a dataset, never a local path.

    A Hub id shows with the commit it resolves to (when the Hub answers); a
    local build shows its directory name and a digest of its files, so two
    boards built from different data never show the same revision.
    """
    path = Path(location)
    if not path.is_dir():
        try:
            from huggingface_hub import HfApi

            return location, HfApi().dataset_info(location).sha or "unknown revision"
        except Exception:  # offline, or a private repo: the id alone still names the data
            return location, "unknown revision"
    digest = hashlib.sha256()
    for file in sorted(f for f in path.rglob("*") if f.is_file() and not f.is_symlink() and f.suffix in DATA_SUFFIXES):
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return path.name, f"{LOCAL_BUILD} sha256:{digest.hexdigest()[:12]}"
