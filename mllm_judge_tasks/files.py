"""Writing files so that a reader never sees half of one and a planted link never redirects one.

A file is written to a fresh temporary name in the same directory (created
exclusively, so an existing link there is never followed) and renamed over
the target: `os.replace` replaces a link at the target path with the file
instead of writing through it. Permissions follow the user's umask, as a
plain `open` would give.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` whole or not at all, replacing (never following) a link at `path`."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def directory_mode() -> int:
    """The mode `mkdir` gives under the user's umask (tempfile.mkdtemp gives 0700)."""
    return 0o777 & ~_umask()
