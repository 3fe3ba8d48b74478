"""`mllm-judge push`: a built dataset folder as one commit to a dataset repo of the Hub."""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.hub_upload import Upload, folder_files, repo_id_problem
from mllm_judge_tasks.problems import UserError

from .build import REPORT_FILE
from .card import card_for_repo

CARD = "README.md"


class NotABuiltRepo(UserError):
    pass


def planned_upload(repo_dir: Path, repo_id: str) -> Upload:
    """The upload of `repo_dir` to `repo_id`, its card naming `repo_id`; refuses a folder `mllm-judge build` did not make."""
    repo_dir = Path(repo_dir)
    for required in (CARD, REPORT_FILE):
        if not (repo_dir / required).is_file():
            raise NotABuiltRepo(f"{repo_dir}: no {required}; build the directory with `mllm-judge build` first")
    problem = repo_id_problem(repo_id)
    if problem:
        raise UserError(f"--repo-id {repo_id!r}: {problem}")
    card = card_for_repo((repo_dir / CARD).read_text(encoding="utf-8"), repo_id).encode("utf-8")
    files = tuple((path, card if path == CARD else local) for path, local in folder_files(repo_dir))
    return Upload(f"{repo_dir}/", "dataset", repo_id, ".", files)
