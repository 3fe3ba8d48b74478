"""Checks a backend makes before it loads anything, so a newcomer's mistake reads as one line with the fix.

Without them lmms-eval reports each of these late and obliquely, and exits 0:
a checkpoint folder that does not exist as "Repo id must be in the form ...",
a missing dataset offline as `RetryError[<Future ...>]` after a minute and a
half of retries, a mistyped model argument without the valid ones.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from mllm_judge_tasks.location import DATASET_ENV, dataset_location
from mllm_judge_tasks.problems import UserError

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
BUILD_HINT = f"`mllm-judge build --mini` builds the mini benchmark into ./mllm-judge; then {DATASET_ENV}=$PWD/mllm-judge"


class SetupError(UserError):
    """A backend cannot start with these arguments or this environment; the message names the fix."""


def hub_offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in OFFLINE_VARIABLES)


def _in_hub_cache(kind: str, repo_id: str) -> bool:
    from huggingface_hub.constants import HF_HUB_CACHE

    return (Path(HF_HUB_CACHE) / f"{kind}s--{repo_id.replace('/', '--')}" / "snapshots").is_dir()


def check_model_args(backend: str, valid: list[str], unknown: dict) -> None:
    """Unknown keys are an error listing the valid ones, with the nearest valid key for each typo."""
    if not unknown:
        return
    named = []
    for key in sorted(unknown):
        nearest = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        named.append(f"'{key}' (did you mean '{nearest[0]}'?)" if nearest else f"'{key}'")
    raise SetupError(f"{backend}: unknown model_args {', '.join(named)}; valid model_args: {', '.join(valid)}")


def check_checkpoint(backend: str, pretrained: str) -> None:
    """A local folder must exist and hold a config; a Hub id offline must already be in the Hub cache."""
    path = Path(pretrained).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise SetupError(f"{backend}: checkpoint folder {pretrained} has no config.json; "
                             "pretrained= takes a folder written by save_pretrained, or a Hub id ORG/NAME")
        return
    if path.exists():
        raise SetupError(f"{backend}: pretrained={pretrained} is a file; give the checkpoint's folder or a Hub id ORG/NAME")
    is_hub_id = pretrained.count("/") == 1 and not pretrained.startswith((".", "~", "/")) and not pretrained.endswith("/")
    if not is_hub_id:
        raise SetupError(f"{backend}: checkpoint folder {pretrained} does not exist; "
                         "pretrained= takes an existing folder or a Hub id ORG/NAME")
    if hub_offline() and not _in_hub_cache("model", pretrained):
        raise SetupError(f"{backend}: no folder {pretrained} here, and the Hub is off (HF_HUB_OFFLINE) with no cached "
                         f"copy of it; give the checkpoint's folder, or download it first: hf download {pretrained}")


def check_dataset(backend: str, timeout: float = 10.0) -> None:
    """The mllm_judge tasks' dataset must be a built folder, cached, or on a Hub that answers now.

    The Hub is asked once, briefly: the alternative is lmms-eval's retries, 95 s
    before an error that names neither the dataset nor the fix.
    """
    location = dataset_location()
    if Path(location).is_dir() or _in_hub_cache("dataset", location):
        return
    if hub_offline():
        raise SetupError(f"{backend}: the mllm_judge tasks read dataset {location} from the Hub, but the Hub is off "
                         f"(HF_HUB_OFFLINE) and it is not cached; set {DATASET_ENV} to a built folder: {BUILD_HINT}")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        HfApi().dataset_info(location, timeout=timeout)
    except RepositoryNotFoundError:
        raise SetupError(f"{backend}: no dataset {location} on the Hub (or it is private: log in with `hf auth login`); "
                         f"set {DATASET_ENV} to a built folder or a Hub id: {BUILD_HINT}") from None
    except HfHubHTTPError:
        return  # the Hub answered something else (rate limit, outage): let the real load report it
    except Exception as error:  # no network: DNS, refused connection, timeout
        raise SetupError(f"{backend}: cannot reach the Hub to read dataset {location} ({type(error).__name__}); "
                         f"set {DATASET_ENV} to a built folder: {BUILD_HINT}") from None
