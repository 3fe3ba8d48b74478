"""The board's results in the Hub's own formats, so they show where researchers look for them.

`mllm-judge leaderboard` writes, under `OUT/hub/`:
- `benchmark/eval.yaml`: the benchmark dataset repo's declaration, one task per
  headline and per subset (HQ, Hard) the dataset holds;
- `models/<model slug>/.eval_results/mllm-judge.yaml`: each submitted model's
  scores in the `.eval_results` format (`huggingface_hub.EvalResultEntry`),
  pinned to the dataset revision, an entry per setting and task (its notes name
  the setting, its `source` points at that setting's per-sample results); beside
  it `model-index.yaml`, the older `model-index` block for a model card;
- `results/`: one per-sample results dataset for the whole board, a config per
  judge and task (`<slug>__<task>`), split `latest` plus one named by the
  submission's date (the Open LLM Leaderboard "details" layout), with each
  item's human label, the judge's text, the parsed verdict and, when there is
  none, the reason; `<slug>/results.json` holds the judge's aggregate report
  (written by `hub_samples`);
- `manifest.json`: what `mllm-judge push-results` uploads where.

Each entry carries one number, and the Hub ranks higher values first, so the
batch edit distance (lower is better) is published as its complement under a
task id that says so: `batch_one_minus_edit_distance`.

Judge names and settings are untrusted: they reach YAML and JSON only through
their dumpers, the card's Markdown only escaped, and paths only as slugs.
Every record is checked before anything is written, and the folder is built
aside and swapped in whole, so a failure leaves the previous one as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from huggingface_hub import EvalResult, EvalResultEntry, ModelCardData, eval_result_entries_to_yaml

from mllm_judge_tasks import protocol
from mllm_judge_tasks.files import directory_mode
from mllm_judge_tasks.location import LOCAL_BUILD
from mllm_judge_tasks.protocol import HEADLINE, LOWER_IS_BETTER
from mllm_judge_tasks.reports import FULL, JudgeReport, TaskReport

from .benchmark_index import BenchmarkIndex
from .board import Row
from .identity import model_slug
from .hub_samples import LATEST, results_config, submission_time, write_results_dataset

HUB_FOLDER = "hub"
MANIFEST = "manifest.json"
MODEL_INDEX_FILE = "model-index.yaml"
EVAL_RESULTS_FILE = ".eval_results/mllm-judge.yaml"
SPLIT = "test"
RESULTS_SOURCE_NAME = "mllm-judge per-sample results"
NO_TARGET = "local-build/no-hub-target"  # the repo id a local build's board names without --hub-dataset; never pushed
_COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
# The published metric: the headline, a lower-is-better one as its complement (the Hub sorts higher as better).
_METRIC_IDS = {task: f"one_minus_{name}" if name in LOWER_IS_BETTER else name for task, name in HEADLINE.items()}
_METRIC_TEXT = {
    "score": "Pearson correlation of the judge's 1-5 scores with the human scores, averaged over source datasets",
    "pair": "agreement with the human verdict on pairs neither calls a tie, averaged over source datasets",
    "batch": "1 - the normalized Levenshtein distance between the judge's and the human ranking, averaged over "
             "source datasets (1 = the human ranking)",
}


@dataclass(frozen=True)
class HubTask:
    """One reported number: a task's headline on the full benchmark or on a subset."""

    task: str  # score, pair or batch
    subset: str  # FULL, or the display name of one of protocol.SCORED_SUBSETS ("HQ", "Hard")
    config: str  # the dataset config it is computed on

    @property
    def id(self) -> str:
        return f"{self.config}_{_METRIC_IDS[self.task]}"

    def report(self, report: JudgeReport) -> TaskReport | None:
        """The section of a judge's report this number is read from."""
        result = report.tasks.get(self.task)
        return None if result is None else result.section(self.subset)

    def value(self, report: JudgeReport) -> float | None:
        """The published value from a score report: the headline, the batch distance as its complement."""
        section = self.report(report)
        value = None if section is None else section.value
        if value is None:
            return None
        return round(1.0 - value if HEADLINE[self.task] in LOWER_IS_BETTER else value, 4)


def hub_tasks(index: BenchmarkIndex) -> list[HubTask]:
    """The tasks the benchmark declares: each task it holds, on the full data and on each subset it has."""
    prefixes = {protocol.SUBSETS[prefix]: prefix for prefix in protocol.SCORED_SUBSETS}
    tasks = []
    for task in protocol.TASKS:
        if task in index.items:
            tasks.append(HubTask(task, FULL, task))
        for subset, ids_by_task in sorted(index.subsets.items()):
            if task in ids_by_task:
                tasks.append(HubTask(task, subset, prefixes[subset] + task))
    return tasks


def eval_yaml(index: BenchmarkIndex) -> str:
    """The benchmark repo's `eval.yaml`."""
    tasks = hub_tasks(index)
    lines = [f"{task.id}: {_METRIC_TEXT[task.task]}" + ("" if task.subset == FULL else f", {task.subset} subset")
             for task in tasks]
    document = {
        "name": "MLLM-as-a-Judge",
        "description": "How well multimodal LLMs judge answers about an image, against human judges "
                       "(Chen et al., ICML 2024, arXiv:2402.04788). Higher is better for every task:\n"
                       + "\n".join(lines) + "\n",
        "tasks": [{"id": task.id, "config": task.config, "split": SPLIT} for task in tasks],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def benchmark_repo_id(index: BenchmarkIndex, explicit: str | None = None) -> str | None:
    """The Hub id results name: `explicit`, else the id the index was read from; a local build has none.

    A board of a local build (the synthetic mini benchmark, a build of one's own) must not publish under the real
    benchmark's name by default: its numbers would stand beside the paper's on pages that are not ours.
    """
    if explicit:
        return explicit
    return None if _local_build(index) else index.name


def _local_build(index: BenchmarkIndex) -> bool:
    return index.revision.startswith(LOCAL_BUILD)


def source_name(index: BenchmarkIndex) -> str:
    """The name results cite as their source; on a local build it says so (the model-index block has no notes)."""
    if _local_build(index):
        return f"{RESULTS_SOURCE_NAME} on a local build of the benchmark ({index.name}, {index.revision}), not a Hub commit"
    return RESULTS_SOURCE_NAME


def _revision(index: BenchmarkIndex) -> str | None:
    """The dataset's commit on the Hub, the only revision an entry may pin (a local build has none)."""
    return index.revision if _COMMIT_SHA.fullmatch(index.revision) else None


def results_url(results_repo: str, row: Row, task: str) -> str:
    return f"https://huggingface.co/datasets/{results_repo}/viewer/{results_config(row, task)}/{LATEST}"


def _notes(row: Row, hub_task: HubTask, index: BenchmarkIndex) -> str:
    section = hub_task.report(row.report)
    low, high = section.ci95_average
    parts = [f"judge setting {row.setting or 'plain'}"]
    if low is not None:
        if hub_task.task == "batch":  # the interval of the distance, turned into one of its complement
            low, high = 1.0 - high, 1.0 - low
        parts.append(f"95% bootstrap CI [{low:.4f}, {high:.4f}]")
    parts.append(f"parse rate {section.parse_rate:.3f} of {section.n} items")
    if _revision(index) is None:  # the entry cannot pin a Hub commit, so say what the numbers came from
        parts.append(f"benchmark read from {index.name} ({index.revision}), not from a Hub commit")
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
        if row.role == "submission":  # the paper's judges (GPT-4V, Gemini, ...) have no model repo to carry entries
            models.setdefault(model_slug(row.submission), []).append(row)
    return models


def upload_plan(benchmark_repo: str, results_repo: str, models: dict[str, str]) -> list[dict]:
    """What push-results sends: the eval.yaml, the results dataset, each model's entries (as a pull request).

    `models` maps each folder under `models/` to its model's repo id. The board writes this plan into its
    manifest; push-results computes it again from the board's files and sends only what both agree on.
    """
    uploads = [
        {"local": "benchmark/eval.yaml", "repo_type": "dataset", "repo_id": benchmark_repo, "path_in_repo": "eval.yaml"},
        {"local": "results", "repo_type": "dataset", "repo_id": results_repo, "path_in_repo": "."},
    ]
    for folder, repo_id in sorted(models.items()):
        uploads.append({"local": f"models/{folder}/{EVAL_RESULTS_FILE}", "repo_type": "model",
                        "repo_id": repo_id, "path_in_repo": EVAL_RESULTS_FILE, "create_pr": True})
    return uploads


def write_hub_results(rows: list[Row], index: BenchmarkIndex, out: Path, *, benchmark_repo: str | None = None,
                      results_repo: str | None = None) -> Path:
    """Write `out/hub` (see the module docstring) whole or not at all; returns its path.

    Reference rows are baselines, not models: they get no entries and no per-sample results.
    """
    target = benchmark_repo_id(index, benchmark_repo)
    benchmark_repo = target or NO_TARGET
    results_repo = results_repo or f"{benchmark_repo}-results"
    published = [row for row in rows if row.role != "reference"]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hub.", suffix=".partial", dir=out))
    try:
        (staging / "benchmark").mkdir()
        (staging / "benchmark" / "eval.yaml").write_text(eval_yaml(index), encoding="utf-8")
        for model, model_rows in models_of(published).items():
            folder = staging / "models" / model
            (folder / ".eval_results").mkdir(parents=True)
            entries = [(row.setting or "plain", hub_task, entry) for row in model_rows
                       for hub_task, entry in eval_result_entries(row, index, benchmark_repo, results_repo)]
            (folder / EVAL_RESULTS_FILE).write_text(yaml.safe_dump(
                eval_result_entries_to_yaml([entry for _, _, entry in entries]), sort_keys=False, allow_unicode=True),
                encoding="utf-8")
            (folder / MODEL_INDEX_FILE).write_text(model_index_yaml(model_rows[0].name, entries), encoding="utf-8")
        write_results_dataset(published, staging / "results", benchmark_repo)
        manifest = {"benchmark_repo": benchmark_repo, "results_repo": results_repo, "hub_target": target is not None,
                    "local_build": index.revision if _local_build(index) else None,
                    "uploads": upload_plan(benchmark_repo, results_repo,
                                           {folder: rows[0].name for folder, rows in models_of(published).items()})}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(staging, directory_mode())  # mkdtemp gives 0700
        return _swap_in(staging, out / HUB_FOLDER)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> Path:
    """Replace `target` by `staging`; a link at `target` is removed, never followed."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".hub.", suffix=".old", dir=target.parent))
        os.rename(target, old / "hub")
    os.rename(staging, target)
    if old is not None:
        shutil.rmtree(old)
    return target
