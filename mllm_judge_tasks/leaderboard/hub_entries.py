"""Each submitted model's scores in the Hub's model-repo formats: `.eval_results` entries and a model-index block.

`models/<model slug>/.eval_results/mllm-judge.yaml` holds the model's entries
(`huggingface_hub.EvalResultEntry`), pinned to the dataset's Hub commit, an
entry per setting and task: its notes name the setting, the interval and the
parse rate, its `source` points at that setting's per-sample results. Beside it
`model-index.yaml`, the older block for a model card's header. A benchmark read
from a local build has no Hub target unless one is named, and every entry says
which build it was.
"""

from __future__ import annotations

import re

from huggingface_hub import EvalResult, EvalResultEntry, ModelCardData

from .benchmark_index import BenchmarkIndex
from .board import Row
from .hub_samples import LATEST, results_config, submission_time
from .hub_tasks import SPLIT, HubTask, hub_tasks
from .identity import model_slug
from .submission import Role

MODEL_INDEX_FILE = "model-index.yaml"
EVAL_RESULTS_FILE = ".eval_results/mllm-judge.yaml"
RESULTS_SOURCE_NAME = "mllm-judge per-sample results"
NO_TARGET = "local-build/no-hub-target"  # the repo id a local build's board names without --hub-dataset; never pushed
_COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


def benchmark_repo_id(index: BenchmarkIndex, explicit: str | None = None) -> str | None:
    """The Hub id results name: `explicit`, else the id the index was read from; a local build has none.

    A board of a local build (the synthetic mini benchmark, a build of one's own) must not publish under the real
    benchmark's name by default: its numbers would stand beside the paper's on pages that are not ours.
    """
    if explicit:
        return explicit
    return index.dataset.hub_id


def source_name(index: BenchmarkIndex) -> str:
    """The name results cite as their source; on a local build it says so (the model-index block has no notes)."""
    if index.dataset.local:
        dataset = index.dataset
        return f"{RESULTS_SOURCE_NAME} on a local build of the benchmark ({dataset.name}, {dataset.revision}), not a Hub commit"
    return RESULTS_SOURCE_NAME


def _revision(index: BenchmarkIndex) -> str | None:
    """The dataset's commit on the Hub, the only revision an entry may pin (a local build has none)."""
    commit = index.dataset.commit
    return commit if commit and _COMMIT_SHA.fullmatch(commit) else None


def results_url(results_repo: str, row: Row, task: str) -> str:
    return f"https://huggingface.co/datasets/{results_repo}/viewer/{results_config(row, task)}/{LATEST}"


def _notes(row: Row, hub_task: HubTask, index: BenchmarkIndex) -> str:
    section = hub_task.report(row.report)
    low, high = section.ci95_average
    parts = [f"judge setting {row.setting or 'plain'}"]
    if low is not None:
        if hub_task.complemented:  # the interval of a lower-is-better headline, turned into its complement's
            low, high = 1.0 - high, 1.0 - low
        parts.append(f"95% bootstrap CI [{low:.4f}, {high:.4f}]")
    parts.append(f"parse rate {section.parse_rate:.3f} of {section.n} items")
    if _revision(index) is None:  # the entry cannot pin a Hub commit, so say what the numbers came from
        parts.append(f"benchmark read from {index.dataset.name} ({index.dataset.revision}), not from a Hub commit")
    return "; ".join(parts)


def eval_result_entries(row: Row, index: BenchmarkIndex, benchmark_repo: str,
                        results_repo: str) -> list[tuple[HubTask, EvalResultEntry]]:
    """The judge's `.eval_results` entries, each beside its task: one per benchmark task it has a value for."""
    timestamp = submission_time(row)
    entries = []
    for hub_task in hub_tasks(index):
        value = hub_task.value(row.report)
        if value is None:
            continue
        entries.append((hub_task, EvalResultEntry(
            dataset_id=benchmark_repo, task_id=hub_task.id, value=value, dataset_revision=_revision(index),
            date=None if timestamp is None else timestamp.isoformat(),
            source_url=results_url(results_repo, row, hub_task.task), source_name=source_name(index),
            notes=_notes(row, hub_task, index),
        )))
    return entries


def model_index_yaml(name: str, entries: list[tuple[str, HubTask, EvalResultEntry]]) -> str:
    """The older `model-index` block for a model card's YAML header, for tools that read only that.

    `entries` are (judge setting, task, entry): the metric's name says the setting, as the entry's notes do."""
    results = [
        EvalResult(task_type="image-text-to-text", task_name="MLLM-as-a-Judge", dataset_type=entry.dataset_id,
                   dataset_name="MLLM-as-a-Judge", dataset_config=hub_task.config, dataset_split=SPLIT,
                   dataset_revision=entry.dataset_revision, metric_type=hub_task.id, metric_value=entry.value,
                   metric_name=f"{hub_task.id} (judge setting {setting})", source_name=entry.source_name,
                   source_url=entry.source_url)
        for setting, hub_task, entry in entries
    ]
    return ModelCardData(model_name=name, eval_results=results).to_yaml() + "\n"


def models_of(rows: list[Row]) -> dict[str, list[Row]]:
    """Submitted rows by their model's folder (identity.model_slug): one model judged in several settings is one
    `.eval_results` file, one entry per setting and task, and one pull request."""
    models: dict[str, list[Row]] = {}
    for row in rows:
        if row.role == Role.SUBMISSION:  # the paper's judges (GPT-4V, Gemini, ...) have no model repo to carry entries
            models.setdefault(model_slug(row.submission), []).append(row)
    return models
