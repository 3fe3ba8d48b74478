"""Which weights a judge was loaded from, precisely enough that the generation cache can never serve old answers.

The cache key holds this fingerprint. For a Hub id it is the commit the id
resolved to (read from the local Hub cache the model was just loaded from, so
it works offline): after the repo moves, new answers are generated. For a local
checkpoint it covers each file's path, size and content: the first MiB (where a
safetensors or GGUF header lists every tensor) and 16 blocks of 64 KiB spread
over the rest, hashed. That costs about 2 MiB of reading per file, even for a
100 GB checkpoint, and a file swapped for another of the same size and time
still changes it (retrained weights differ everywhere).
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from pathlib import Path

HEAD = 1 << 20
BLOCK = 1 << 16
BLOCKS = 16


def file_digest(path: Path) -> str:
    """sha256 over the file's size, its first MiB and BLOCKS evenly spaced blocks of the rest."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(HEAD))
        if size > HEAD:
            step = max(BLOCK, (size - HEAD) // BLOCKS)
            for offset in range(HEAD, size, step):
                handle.seek(offset)
                digest.update(handle.read(BLOCK))
    return digest.hexdigest()


def hub_commit(repo_id: str, revision: str | None) -> str | None:
    """The commit `repo_id` at `revision` resolved to in the local Hub cache, if it is there."""
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except Exception:  # an id the cache cannot hold (a malformed name): not resolvable, handled below
        return None
    return Path(cached).parent.name if isinstance(cached, str) else None


def fingerprint(pretrained: str, revision: str | None = None) -> str:
    """The identity of the weights behind `pretrained` (a local folder or a Hub id) for the cache key."""
    path = Path(pretrained)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return ",".join(f"{p.relative_to(path)}:{file_digest(p)}" for p in files)
    commit = hub_commit(pretrained, revision)
    if commit:
        return f"commit:{commit}"
    # Loaded from somewhere the Hub cache does not show: no answer may be reused across runs.
    print(f"note: cannot tell which commit of {pretrained} was loaded; cached answers of earlier runs are not reused",
          file=sys.stderr)
    return f"unresolved:{uuid.uuid4()}"
