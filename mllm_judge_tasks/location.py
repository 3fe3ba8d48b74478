"""Where the benchmark dataset is read from: one rule for the harness, the validator and the scorer."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATASET = "mllm-judge/mllm-as-a-judge"
DATASET_ENV = "MLLM_JUDGE_DATASET"
DATA_SUFFIXES = (".parquet", ".md", ".json")

UNKNOWN_REVISION = "unknown revision"  # a Hub id whose commit the Hub did not tell (offline, private)


def dataset_location(explicit: str | None = None) -> str:
    """`explicit`, else `MLLM_JUDGE_DATASET`, else the Hub id; a local directory as an absolute path."""
    chosen = explicit or os.environ.get(DATASET_ENV) or DEFAULT_DATASET
    return str(Path(chosen).resolve()) if Path(chosen).is_dir() else chosen


@dataclass(frozen=True)
class DatasetIdentity:
    """Which benchmark numbers were computed on, as pages, reports and Hub files name it (never a local path)."""

    name: str  # the Hub id, or a local build's directory name
    revision: str  # the Hub commit, UNKNOWN_REVISION, or for a local build "local build sha256:<digest of its files>"
    hub_id: str | None = None  # the Hub id it was read from; None for a local build
    commit: str | None = None  # the Hub commit, when the Hub said

    @property
    def local(self) -> bool:
        return self.hub_id is None

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "revision": self.revision}


def dataset_identity(location: str) -> DatasetIdentity:
    """The identity of the dataset at `location` (a built directory or a Hub id).

    A Hub id shows with the commit it resolves to (when the Hub answers); a
    local build shows its directory name and a digest of its files, so two
    boards built from different data never show the same revision.
    """
    path = Path(location)
    if not path.is_dir():
        try:
            from huggingface_hub import HfApi

            commit = HfApi().dataset_info(location).sha
        except Exception:  # offline, or a private repo: the id alone still names the data
            commit = None
        return DatasetIdentity(location, commit or UNKNOWN_REVISION, hub_id=location, commit=commit)
    digest = hashlib.sha256()
    for file in sorted(f for f in path.rglob("*") if f.is_file() and not f.is_symlink() and f.suffix in DATA_SUFFIXES):
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return DatasetIdentity(path.name, f"local build sha256:{digest.hexdigest()[:12]}")
