"""A generation cache written after every batch, so a killed run resumes where it stopped.

lmms-eval 0.7.3's `--use_cache` stores answers only after the model returns
all of them, so a run killed half way keeps nothing. This one commits each
batch in an SQLite transaction: a kill mid-write loses at most that batch,
never corrupts the file. Keys hash everything that decides the answer: model,
revision, weight files, dtype, device, attention kernel, prompt, pixels and
generation settings. Sampled answers (temperature > 0) are never cached: a
repeat must be a new sample, not the first one served again.

A cache that cannot be opened, read or written (corrupt, read-only, on a full
disk) never stops a run: the backend says which file and what to do, and
goes on without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from PIL import Image


def image_digest(image: Image.Image) -> str:
    """A digest of the pixels (not of a file), so a re-encoded copy of the same image keys the same."""
    digest = hashlib.sha256()
    digest.update(f"{image.mode}{image.size}".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def default_cache() -> Path:
    """MLLM_JUDGE_CACHE, or the user's cache folder; read when a backend starts (not at import: a process may
    start several runs with different environments)."""
    return Path(os.environ.get("MLLM_JUDGE_CACHE", Path.home() / ".cache" / "mllm-judge" / "generations.sqlite"))


def request_key(model: Mapping, prompt: str, image_digests: Iterable[str], settings: Mapping) -> str:
    payload = json.dumps(
        {"model": model, "prompt": prompt, "images": list(image_digests), "settings": settings},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


CACHE_ERRORS = (sqlite3.Error, OSError)


def cache_warning(path: Path, error: BaseException, doing: str) -> str:
    return (f"mllm-judge: the generation cache {path} could not be {doing} ({type(error).__name__}: {error}); "
            "going on without it. Delete or move that file, point `cache=` at a writable path, "
            "or pass use_cache=False.")


class GenerationCache:
    """Answers by request key in an SQLite file (WAL mode, one transaction per batch)."""

    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")
        self._db.commit()

    @classmethod
    def open_or_warn(cls, path: Path) -> GenerationCache | None:
        """The cache at `path`, or None after a warning naming the file when it cannot be used."""
        try:
            return cls(path)
        except CACHE_ERRORS as error:
            print(cache_warning(path, error, "opened"), file=sys.stderr)
            return None

    def get_many(self, keys: list[str]) -> dict[str, str]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, answer FROM answers WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update(rows)
        return found

    def put_many(self, answers: Mapping[str, str]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO answers (key, answer) VALUES (?, ?)", list(answers.items()))
