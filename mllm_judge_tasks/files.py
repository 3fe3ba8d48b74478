"""Writing files and directories so that a reader never sees half of one and a planted link never redirects one.

A file is written to a fresh temporary name in the same directory (created
exclusively, so an existing link there is never followed) and renamed over
the target: `os.replace` replaces a link at the target path with the file
instead of writing through it. Permissions follow the user's umask, as a
plain `open` would give. A directory (a dataset build, a leaderboard) is built
aside and swapped in whole by `atomic_directory`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mllm_judge_tasks.problems import UserError


class OutputExists(UserError):
    """The output directory is not ours to replace, or another run is writing it."""


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


@contextmanager
def atomic_directory(out_dir: Path, *, marker: str, made_by: str, replace: bool,
                     keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """A work directory that replaces `out_dir` whole when the block completes, and vanishes if it fails.

    Safe against the user's own data: only a directory this command made (it holds `marker`), or an empty one,
    is replaced, and only when `replace`; nothing in it is deleted piecemeal. An exclusive lock on the parent
    stops two runs into one place; the hidden work directories of a run that was killed are removed by the next.
    The files named in `keep` (ones this command wrote there later, such as a push record) move to the new one.
    """
    out_dir = check_replaceable(out_dir, marker=marker, made_by=made_by, replace=replace)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _directory_lock(out_dir, made_by):
        check_replaceable(out_dir, marker=marker, made_by=made_by, replace=replace)  # again, now that it is ours
        for stage in ("building", "old"):  # what a killed run left: its work and the directory it was replacing
            for leftover in out_dir.parent.glob(f".{out_dir.name}.{stage}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
        os.chmod(work, directory_mode())  # mkdtemp makes 0700; the output is shared like any directory
        try:
            yield work
            for name in keep:
                kept = out_dir / name
                if kept.is_file() and not kept.is_symlink():
                    shutil.copy2(kept, work / name)
            (work / marker).write_text(f"made by {made_by}, which may replace this directory whole\n")
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
            work.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out_dir)


def check_replaceable(out_dir: Path, *, marker: str, made_by: str, replace: bool) -> Path:
    """`out_dir` made absolute, if `atomic_directory` may replace it; else OutputExists saying why (call it early,
    before the work, to fail fast)."""
    out_dir = Path(out_dir).absolute()
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputExists(f"{out_dir} is a link or a file; give a directory")
    if out_dir.exists() and not replace:
        raise OutputExists(f"{out_dir} already exists; pass --overwrite to replace it")
    if out_dir.exists() and not (out_dir / marker).is_file() and any(out_dir.iterdir()):
        raise OutputExists(f"{out_dir} was not made by `{made_by}` (no {marker} in it) and is not empty; "
                           "refusing to replace it: give a new or empty directory")
    if Path.cwd().resolve().is_relative_to(out_dir.resolve()):
        raise OutputExists(f"{out_dir} holds the current directory; refusing to replace it")
    return out_dir


@contextmanager
def _directory_lock(out_dir: Path, made_by: str) -> Iterator[None]:
    """An exclusive lock on the output's parent directory (flock on the directory: no lock file left behind)."""
    descriptor = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputExists(f"another `{made_by}` into {out_dir.parent} is running; try again when it ends") from None
        yield
    finally:
        os.close(descriptor)
