"""`mllm-judge push-results`: upload what `mllm-judge leaderboard` wrote under OUT/hub.

The benchmark's eval.yaml and the per-sample results dataset go in as commits
to repos the board's maintainers own; each model's `.eval_results` file goes
to its model repo as a pull request, since its owners decide what their page
shows. A judge whose name is not a Hub model id is skipped, and said so.

The manifest is checked, never trusted: the plan is computed again from the
board's own files (`hub_results.upload_plan`) and must equal the manifest's,
so an edited manifest cannot send a Space's `app.py`, a `../` path or the
whole folder. A board of a local build has no Hub target unless one was named
(`leaderboard --hub-dataset`). Each upload is recorded in `OUT/hub-pushed.json`
as it completes, by a digest of what was sent: a rerun after a failure sends
only what is missing (no second pull request), and says what was sent before.
Every failure of the Hub or the network is one line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from mllm_judge_tasks.files import write_text_atomic
from mllm_judge_tasks.problems import Problem, UserError, json_object

from .hub_entries import MODEL_INDEX_FILE
from .hub_results import HUB_FOLDER, MANIFEST, upload_plan
from .identity import slugify

PUSHED = "hub-pushed.json"  # beside hub/, so a rebuilt board with the same files is not sent again


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

    @property
    def key(self) -> str:
        return f"{self.repo_type}:{self.repo_id}:{self.path_in_repo}"

    def digest(self) -> str:
        """sha256 of what would be sent: the file, or every file of the folder with its path."""
        files = [self.local] if self.local.is_file() else sorted(p for p in self.local.rglob("*") if p.is_file())
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(self.local.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()


def _skip_reason(repo_id: str) -> str | None:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return "not a Hub repo id"
    return None if "/" in repo_id else "not a Hub repo id of the form OWNER/NAME"


def _models(hub: Path) -> dict[str, str]:
    """Each folder under hub/models and its model's repo id, read from the model-index block the board wrote."""
    models = {}
    root = hub / "models"
    for folder in sorted(root.iterdir()) if root.is_dir() and not root.is_symlink() else []:
        path = folder / MODEL_INDEX_FILE
        try:
            if folder.is_symlink() or slugify(folder.name) != folder.name or path.is_symlink():
                raise ValueError("not a folder the board writes")
            models[folder.name] = str(yaml.safe_load(path.read_text(encoding="utf-8"))["model-index"][0]["name"])
        except (OSError, ValueError, KeyError, IndexError, TypeError, yaml.YAMLError) as error:
            raise UserError(f"{path}: not the model-index block `mllm-judge leaderboard` writes ({error}); "
                            "rebuild the board") from None
    return models


def planned_uploads(board_dir: Path) -> list[Upload]:
    """The uploads of the board at `board_dir`, each checked; raises UserError when the board cannot be pushed."""
    hub = Path(board_dir) / HUB_FOLDER
    path = hub / MANIFEST
    if hub.is_symlink() or path.is_symlink() or not path.is_file():
        raise UserError(f"{path}: not found; write the board with `mllm-judge leaderboard` first")
    manifest = json_object(path.read_bytes(), str(path), None)
    if isinstance(manifest, Problem):
        raise UserError(f"{manifest}; rebuild the board with `mllm-judge leaderboard`")
    if manifest.get("hub_target") is not True:
        raise UserError(
            f"{board_dir} was scored on a local build of the benchmark ({manifest.get('local_build')}), and has no Hub "
            "target: its numbers must not stand under the real benchmark's name. To publish it anyway, rebuild it "
            "with `mllm-judge leaderboard ... --hub-dataset OWNER/NAME` naming repos of your own")
    benchmark_repo, results_repo = manifest.get("benchmark_repo"), manifest.get("results_repo")
    if not isinstance(benchmark_repo, str) or not isinstance(results_repo, str):
        raise UserError(f"{path}: field 'benchmark_repo' or 'results_repo' is not a string; rebuild the board")
    expected = upload_plan(benchmark_repo, results_repo, _models(hub))
    if manifest.get("uploads") != expected:
        raise UserError(f"{path}: field 'uploads' does not match the board's own files; it was edited or the board is "
                        "damaged: rebuild the board with `mllm-judge leaderboard`")
    uploads = []
    for entry in expected:
        local = hub / entry["local"]
        if not local.exists() or any(part.is_symlink() for part in (local, *local.parents) if part.is_relative_to(hub)):
            raise UserError(f"{local}: missing or a link; rebuild the board with `mllm-judge leaderboard`")
        upload = Upload(entry["local"], local, entry["repo_type"], entry["repo_id"], entry["path_in_repo"],
                        bool(entry.get("create_pr")))
        reason = _skip_reason(upload.repo_id)
        uploads.append(upload if reason is None else Upload(**{**upload.__dict__, "skipped": reason}))
    return uploads


def _pushed(board_dir: Path) -> dict:
    path = Path(board_dir) / PUSHED
    record = json_object(path.read_bytes(), str(path), None) if path.is_file() and not path.is_symlink() else {}
    return {} if isinstance(record, Problem) else record


def push_results(board_dir: Path, uploads: list[Upload], *, token: str | None = None, say=print) -> None:
    """Send the uploads not skipped and not sent before (same digest), recording each as it completes."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    pushed = _pushed(board_dir)
    todo = [upload for upload in uploads if not upload.skipped]
    for number, upload in enumerate(todo, start=1):
        digest = upload.digest()
        earlier = pushed.get(upload.key)
        if isinstance(earlier, dict) and earlier.get("digest") == digest:
            say(f"  already sent: {upload.name} ({earlier.get('url')})")
            continue
        try:
            url = _send(api, upload)
        except Exception as error:  # the Hub's or the network's: one line, and how to go on
            detail = str(error).strip().splitlines()[0][:300].rstrip(".") if str(error).strip() else "no message"
            raise UserError(f"{upload.name} -> {upload.repo_type} {upload.repo_id} failed: "
                            f"{type(error).__name__}: {detail}. {number - 1} of {len(todo)} uploads are done and "
                            f"recorded in {Path(board_dir) / PUSHED}; run the same command again to send the rest") from None
        pushed[upload.key] = {"digest": digest, "url": url}
        write_text_atomic(Path(board_dir) / PUSHED, json.dumps(pushed, indent=2) + "\n")
        say(f"  done: {url}")


def _send(api, upload: Upload) -> str:
    message = f"Add MLLM-as-a-Judge results ({upload.path_in_repo}) from mllm-judge"
    if upload.local.is_dir():
        api.create_repo(upload.repo_id, repo_type=upload.repo_type, exist_ok=True)
        commit = api.upload_folder(repo_id=upload.repo_id, repo_type=upload.repo_type, folder_path=str(upload.local),
                                   commit_message=message, create_pr=upload.create_pr)
    else:
        commit = api.upload_file(path_or_fileobj=str(upload.local), path_in_repo=upload.path_in_repo,
                                 repo_id=upload.repo_id, repo_type=upload.repo_type, commit_message=message,
                                 create_pr=upload.create_pr)
    return str(getattr(commit, "pr_url", None) or commit)
