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

Judge names and settings are untrusted: they reach YAML and JSON only through
their dumpers, the card's Markdown only escaped, and paths only as slugs.
Each format is its own module (hub_tasks, hub_entries, hub_samples); this one
writes the folder and its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from huggingface_hub import eval_result_entries_to_yaml

from .benchmark_index import BenchmarkIndex
from .board import Row
from .hub_entries import (EVAL_RESULTS_FILE, MODEL_INDEX_FILE, NO_TARGET, benchmark_repo_id, eval_result_entries,
                          model_index_yaml, models_of)
from .hub_samples import write_results_dataset
from .hub_tasks import eval_yaml
from .submission import Role

HUB_FOLDER = "hub"
MANIFEST = "manifest.json"


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
    """Write a new `out/hub` (see the module docstring); returns its path. `board_dir.write_board` calls it in the
    board's work directory, which is swapped in whole.

    Reference rows are baselines, not models: they get no entries and no per-sample results.
    """
    target = benchmark_repo_id(index, benchmark_repo)
    benchmark_repo = target or NO_TARGET
    results_repo = results_repo or f"{benchmark_repo}-results"
    published = [row for row in rows if row.role != Role.REFERENCE]
    hub = Path(out) / HUB_FOLDER
    (hub / "benchmark").mkdir(parents=True)  # a new folder: the board writes into a fresh directory (board_dir)
    (hub / "benchmark" / "eval.yaml").write_text(eval_yaml(index), encoding="utf-8")
    models = models_of(published)
    for model, model_rows in models.items():
        folder = hub / "models" / model
        (folder / ".eval_results").mkdir(parents=True)
        entries = [(row.setting or "plain", hub_task, entry) for row in model_rows
                   for hub_task, entry in eval_result_entries(row, index, benchmark_repo, results_repo)]
        (folder / EVAL_RESULTS_FILE).write_text(yaml.safe_dump(
            eval_result_entries_to_yaml([entry for _, _, entry in entries]), sort_keys=False, allow_unicode=True),
            encoding="utf-8")
        (folder / MODEL_INDEX_FILE).write_text(model_index_yaml(model_rows[0].name, entries), encoding="utf-8")
    write_results_dataset(published, hub / "results", benchmark_repo)
    manifest = {"benchmark_repo": benchmark_repo, "results_repo": results_repo, "hub_target": target is not None,
                "local_build": index.dataset.revision if index.dataset.local else None,
                "uploads": upload_plan(benchmark_repo, results_repo, {folder: rows[0].name for folder, rows in models.items()})}
    (hub / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return hub
