"""`mllm-judge push-results`: upload what `mllm-judge leaderboard` wrote under OUT/hub, as its manifest says.

The benchmark's eval.yaml and the per-sample results dataset go in as commits
to repos the board's maintainers own; each judge's `.eval_results` file goes
to the judge's model repo as a pull request, since its owners decide what
their page shows. A judge whose name is not a Hub model id is skipped, and
said so. Every planned upload is checked (repo id, file inside the folder,
no link) before the first one is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from mllm_judge_tasks.problems import UserError

from .hub_results import HUB_FOLDER, MANIFEST


@dataclass(frozen=True)
class Upload:
    name: str  # the file or folder, relative to the hub folder
    local: Path
    repo_type: str
    repo_id: str
    path_in_repo: str
    create_pr: bool = False
    skipped: str | None = None  # why it will not be sent

    def describe(self) -> str:
        how = "pull request to" if self.create_pr else "commit to"
        where = f"{how} {self.repo_type} {self.repo_id}: {'the repo root' if self.path_in_repo == '.' else self.path_in_repo}"
        return f"{self.name}{'/' if self.local.is_dir() else ''} -> {where}" + (
            f"  (skipped: {self.skipped})" if self.skipped else "")


def _skip_reason(repo_id: str) -> str | None:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return "not a Hub repo id"
    return None if "/" in repo_id else "not a Hub repo id of the form OWNER/NAME"


def planned_uploads(board_dir: Path) -> list[Upload]:
    """The uploads the manifest under `board_dir/hub` asks for, each checked; raises UserError when unusable."""
    hub = Path(board_dir) / HUB_FOLDER
    manifest_path = hub / MANIFEST
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise UserError(f"{manifest_path}: not found; write the board with `mllm-judge leaderboard` first")
    try:
        entries = json.loads(manifest_path.read_text(encoding="utf-8"))["uploads"]
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"{manifest_path}: not a manifest `mllm-judge leaderboard` wrote ({error})") from None
    uploads = []
    root = hub.resolve()
    for number, entry in enumerate(entries, start=1):
        try:
            local = hub / entry["local"]
            upload = Upload(entry["local"], local, entry["repo_type"], entry["repo_id"], entry["path_in_repo"], bool(entry.get("create_pr")))
        except (KeyError, TypeError) as error:
            raise UserError(f"{manifest_path}: upload {number}: missing or malformed field {error}") from None
        if not local.resolve().is_relative_to(root) or local.is_symlink() or not local.exists():
            raise UserError(f"{manifest_path}: upload {number}: {entry['local']!r} is not a file or folder inside {hub}")
        reason = _skip_reason(upload.repo_id)
        uploads.append(upload if reason is None else Upload(**{**upload.__dict__, "skipped": reason}))
    return uploads


def push_results(uploads: list[Upload], *, token: str | None = None) -> list[str]:
    """Send the uploads not skipped; returns each commit's or pull request's URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    urls = []
    for upload in uploads:
        if upload.skipped:
            continue
        message = f"Add MLLM-as-a-Judge results ({upload.path_in_repo}) from mllm-judge"
        if upload.local.is_dir():
            api.create_repo(upload.repo_id, repo_type=upload.repo_type, exist_ok=True)
            commit = api.upload_folder(repo_id=upload.repo_id, repo_type=upload.repo_type, folder_path=str(upload.local),
                                       commit_message=message, create_pr=upload.create_pr)
        else:
            commit = api.upload_file(path_or_fileobj=str(upload.local), path_in_repo=upload.path_in_repo,
                                     repo_id=upload.repo_id, repo_type=upload.repo_type, commit_message=message,
                                     create_pr=upload.create_pr)
        urls.append(str(getattr(commit, "pr_url", None) or commit))
    return urls
