"""Publish a built dataset repo directory to the Hugging Face Hub."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from mllm_judge_tasks.problems import UserError

from .build import REPORT_FILE
from .card import card_for_repo

CARD = "README.md"


@dataclass(frozen=True)
class UploadFile:
    path: str  # relative to the repo directory, as it lands on the Hub
    size: int


class NotABuiltRepo(UserError):
    pass


def files_to_upload(repo_dir: Path) -> list[UploadFile]:
    """What an upload of `repo_dir` sends, refusing a directory `mllm-judge build` did not make."""
    repo_dir = Path(repo_dir)
    for required in (CARD, REPORT_FILE):
        if not (repo_dir / required).is_file():
            raise NotABuiltRepo(f"{repo_dir}: no {required}; build the directory with `mllm-judge build` first")
    return [
        UploadFile(str(path.relative_to(repo_dir)), path.stat().st_size)
        for path in sorted(repo_dir.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(repo_dir).parts)
    ]


def push(repo_dir: Path, repo_id: str, *, private: bool = False, token: str | None = None) -> str:
    """Create the dataset repo if needed and upload the directory in one commit, its card naming `repo_id`;
    returns the commit URL."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise UserError(f"--repo-id {repo_id!r} is not a Hub repo id: {error}") from None
    repo_dir = Path(repo_dir)
    card = card_for_repo((repo_dir / CARD).read_text(encoding="utf-8"), repo_id).encode("utf-8")
    operations = [CommitOperationAdd(path_in_repo=file.path, path_or_fileobj=card if file.path == CARD else str(repo_dir / file.path))
                  for file in files_to_upload(repo_dir)]
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    commit = api.create_commit(repo_id=repo_id, repo_type="dataset", operations=operations,
                               commit_message="Upload MLLM-as-a-Judge dataset built by mllm-judge")
    return str(commit.commit_url)
