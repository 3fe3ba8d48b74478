"""Sending what we built to the Hub: one upload type and one sender for `mllm-judge push` and `push-results`.

An upload is one commit, or one pull request, of files to one repo: the
dataset's folder (its card rewritten for the repo it goes to), the board's
eval.yaml, its per-sample results dataset, each model's `.eval_results`. Both
commands show the plan the same way, send it with `create_commit`, and report
a failure of the Hub or the network as one line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id


@dataclass(frozen=True)
class Upload:
    name: str  # what is sent, as the user knows it: a file or folder of what was built
    repo_type: str
    repo_id: str
    path_in_repo: str  # where it lands: "." for a folder that becomes the repo's root
    files: tuple[tuple[str, Path | bytes], ...]  # each file's path in the repo, and the local file or the bytes
    create_pr: bool = False
    skipped: str | None = None  # why it will not be sent

    def describe(self) -> str:
        how = "pull request to" if self.create_pr else "commit to"
        where = "the repo root" if self.path_in_repo == "." else self.path_in_repo
        size = sum(_size(content) for _, content in self.files)
        return (f"{self.name} -> {how} {self.repo_type} {self.repo_id}: {where}  ({len(self.files)} files, {size} bytes)"
                + (f"  (skipped: {self.skipped})" if self.skipped else ""))

    @property
    def key(self) -> str:
        return f"{self.repo_type}:{self.repo_id}:{self.path_in_repo}"

    def digest(self) -> str:
        """sha256 of what would be sent, file by file with its path: a rerun sends only what changed."""
        digest = hashlib.sha256()
        for path, content in self.files:
            digest.update(path.encode() + b"\0" + _bytes(content) + b"\0")
        return digest.hexdigest()


def _size(content: Path | bytes) -> int:
    return len(content) if isinstance(content, bytes) else content.stat().st_size


def _bytes(content: Path | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.read_bytes()


def repo_id_problem(repo_id: str) -> str | None:
    """Why `repo_id` is not a repo we can send to, or None."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return "not a Hub repo id"
    return None if "/" in repo_id else "not a Hub repo id of the form OWNER/NAME"


def folder_files(folder: Path, path_in_repo: str = ".") -> tuple[tuple[str, Path], ...]:
    """Every file under `folder` but hidden ones (a lock, a build marker), with where it lands in the repo."""
    base = "" if path_in_repo == "." else path_in_repo.rstrip("/") + "/"
    return tuple((base + str(path.relative_to(folder)), path) for path in sorted(folder.rglob("*"))
                 if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts))


def show_plan(uploads: Iterable[Upload], origin: Path, dry_run: bool, say: Callable[[str], None] = print) -> None:
    say(f"{'would upload' if dry_run else 'uploading'} from {origin}:")
    for upload in uploads:
        say(f"  {upload.describe()}")
        for path, content in upload.files:
            say(f"    {path}  ({_size(content)} bytes)")


def send(api, upload: Upload, message: str, *, private: bool = False) -> str:
    """One commit (or pull request) of the upload's files, creating the repo (`private`) where it is ours to create;
    the URL of the commit or the pull request."""
    from huggingface_hub import CommitOperationAdd

    if not upload.create_pr:  # a pull request goes to a repo that exists: its owner's
        api.create_repo(upload.repo_id, repo_type=upload.repo_type, private=private, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content if isinstance(content, bytes) else str(content))
                  for path, content in upload.files]
    commit = api.create_commit(repo_id=upload.repo_id, repo_type=upload.repo_type, operations=operations,
                               commit_message=message, create_pr=upload.create_pr)
    return str(commit.pr_url or commit.commit_url)


def failure_line(error: Exception) -> str:
    """An error of the Hub or the network as one line: its type and the first line of its message."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:300].rstrip('.') if text else 'no message'}"
