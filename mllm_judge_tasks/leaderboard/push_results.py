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

import json
from pathlib import Path

import yaml

from mllm_judge_tasks.files import write_text_atomic
from mllm_judge_tasks.hub_upload import Upload, failure_line, folder_files, repo_id_problem, send
from mllm_judge_tasks.problems import Problem, UserError, json_object

from .hub_entries import MODEL_INDEX_FILE
from .hub_results import HUB_FOLDER, MANIFEST, upload_plan
from .identity import slugify

PUSHED = "hub-pushed.json"  # beside hub/, so a rebuilt board with the same files is not sent again


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
        files = folder_files(local) if local.is_dir() else ((entry["path_in_repo"], local),)
        uploads.append(Upload(entry["local"] + ("/" if local.is_dir() else ""), entry["repo_type"], entry["repo_id"],
                              entry["path_in_repo"], files, bool(entry.get("create_pr")), repo_id_problem(entry["repo_id"])))
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
            url = send(api, upload, f"Add MLLM-as-a-Judge results ({upload.path_in_repo}) from mllm-judge")
        except Exception as error:  # the Hub's or the network's: one line, and how to go on
            raise UserError(f"{upload.name} -> {upload.repo_type} {upload.repo_id} failed: "
                            f"{failure_line(error)}. {number - 1} of {len(todo)} uploads are done and "
                            f"recorded in {Path(board_dir) / PUSHED}; run the same command again to send the rest") from None
        pushed[upload.key] = {"digest": digest, "url": url}
        write_text_atomic(Path(board_dir) / PUSHED, json.dumps(pushed, indent=2) + "\n")
        say(f"  done: {url}")

