"""The board's per-sample results dataset: every judged item of every judge, as the Hub shows result details.

One config per judge and task (`<slug>__<task>`), split `latest` plus one named
by the submission's date (the Open LLM Leaderboard "details" layout), with each
item's human label, the judge's text, the verdict read and, when there is none,
the reason; `<slug>/results.json` holds the judge's aggregate report. Every
record is checked before anything is written (`UnpublishableResults`).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from datasets import Dataset, Features, Value

from mllm_judge_tasks import protocol
from mllm_judge_tasks.judged import JudgedItem, VerdictRoute
from mllm_judge_tasks.metrics.agreement import ranking_distance
from mllm_judge_tasks.protocol import ORIGINAL

from .board import Row
from .table import markdown_text

LATEST = "latest"


def submission_time(row: Row) -> dt.datetime | None:
    """The submission's date (validated ISO text) as a datetime, or None when it has none."""
    text = str((row.submission.metadata if row.submission else {}).get("date", "") or "")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def results_config(row: Row, task: str) -> str:
    return f"{row.slug}__{task}"


_LABEL = {"score": Value("int32"), "pair": Value("string"), "batch": Value("string")}
# A judge's score may be real-valued (probability mode's expected score), with its most likely score beside it.
_VERDICT = {**_LABEL, "score": Value("float64")}


def results_features(task: str) -> Features:
    columns = {
        "id": Value("string"), "source": Value("string"), "order": Value("string"),
        "human": _LABEL[task], "verdict": _VERDICT[task], "reason": Value("string"), "verdict_from": Value("string"),
        "matches_human": Value("bool"), "output": Value("string"),
    }
    if task == "score":
        columns["most_likely"] = Value("int32")
    if task == "batch":
        columns["edit_distance"] = Value("float64")
    return Features(columns)


class UnpublishableResults(ValueError):
    """A per-sample record that would mislead a reader of the published results."""


_NORMALIZED_LABEL = {"score": protocol.normalize_score_label, "pair": protocol.pair_letter,
                     "batch": lambda ranking: protocol.normalize_batch_label(ranking, len(ranking))}


def _valid_score(value, on_scale: bool = True) -> bool:
    """A judge's score: a real number on the protocol's scale (an expected score may fall between the integers),
    or, for a reward model (`on_scale=False`), any finite reward."""
    low, high = protocol.SCORE_RANGE
    return protocol.is_real_number(value) and (not on_scale or low <= value <= high)


def _valid_label(task: str, value) -> bool:
    """Whether `value` is already a label in the schema's own form (an int 1..5, "A"/"B"/"C", a ranking)."""
    if task == "batch" and not (isinstance(value, str) and len(value) >= 2):
        return False
    try:
        normalized = _NORMALIZED_LABEL[task](value)
    except (ValueError, TypeError):
        return False
    return type(normalized) is type(value) and normalized == value


def results_record(task: str, item: JudgedItem) -> dict:
    """One item as published; refuses a record whose verdict, reason and label do not agree."""
    where = f"{task} item {item.id!r}"
    if not _valid_label(task, item.human):
        raise UnpublishableResults(f"{where}: human label {item.human!r} is not a {task} label")
    if item.verdict is None and not item.reason:
        raise UnpublishableResults(f"{where}: no verdict and no reason for it")
    reward = item.verdict_from == VerdictRoute.REWARDS
    valid_verdict = partial(_valid_score, on_scale=not reward) if task == "score" else partial(_valid_label, task)
    if item.verdict is not None and not valid_verdict(item.verdict):
        raise UnpublishableResults(f"{where}: verdict {item.verdict!r} is not a {task} verdict")
    record = {
        "id": item.id, "source": item.source, "order": item.order, "human": item.human, "verdict": item.verdict,
        "reason": None if item.verdict is not None else item.reason, "verdict_from": item.verdict_from,
        "matches_human": None if item.verdict is None or (reward and task == "score") else item.verdict == item.human,
        "output": item.output,
    }
    if task == "score":
        record["most_likely"] = item.most_likely
    if task == "batch":
        record["edit_distance"] = None if item.verdict is None else ranking_distance(item.verdict, item.human)
    return record


def _results_card(rows: list[Row], benchmark_repo: str, configs: list[dict], counts: dict[str, tuple[int, float]]) -> str:
    header = yaml.safe_dump({"configs": configs, "tags": ["mllm-judge", "evaluation-results"]}, sort_keys=False)
    lines = [
        "---", header.rstrip("\n"), "---", "", "# MLLM-as-a-Judge: per-sample results", "",
        f"Every judge's output on the [MLLM-as-a-Judge](https://huggingface.co/datasets/{benchmark_repo}) benchmark, "
        "item by item, as `mllm-judge leaderboard` scored it. One config per judge and task (`<judge>__<task>`); "
        "split `latest`, and one named by the submission's date. Columns: `human` (the human label), `output` (the "
        "judge's text), `verdict` (what the parser read from it; for the paper's own judges, where the text holds "
        "none, the verdict their release recorded, marked in `verdict_from`; a score in probability mode is the expected "
        "score, real-valued, with the most likely score in `most_likely`; a reward model's score is its reward, on no "
        "scale, and its `matches_human` is empty), `reason` (why there is no verdict), "
        "`matches_human`, and for batch `edit_distance` (normalized Levenshtein, lower is better). Headlines count "
        "rows with `order` = original; swapped pairs feed the position-bias figures.", "",
        "| config | judge | rows | parse rate |", "|---|---|---|---|",
    ]
    names = {results_config(row, task): row.name for row in rows for task in row.items}
    for config in configs:
        name = config["config_name"]
        rows_count, parse_rate = counts[name]
        lines.append(f"| `{name}` | {markdown_text(names[name])} | {rows_count} | {parse_rate:.3f} |")
    return "\n".join(lines) + "\n"


def write_results_dataset(rows: list[Row], folder: Path, benchmark_repo: str) -> None:
    configs, counts = [], {}
    folder.mkdir(parents=True)
    for row in rows:
        timestamp = submission_time(row)
        (folder / row.slug).mkdir(parents=True)
        (folder / row.slug / "results.json").write_text(
            json.dumps(row.report.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        for task in protocol.TASKS:
            items = row.items.get(task)
            if not items:
                continue
            records = [results_record(task, item) for item in sorted(items, key=lambda i: (i.id, i.order))]
            path = f"{row.slug}/{task}.parquet"
            # pyarrow directly: Dataset.to_parquet would draw a progress bar per file into the demo's output.
            pq.write_table(Dataset.from_list(records, features=results_features(task)).data.table, folder / path)
            splits = [{"split": LATEST, "path": path}]
            if timestamp is not None:
                splits.insert(0, {"split": timestamp.strftime("%Y_%m_%dT%H_%M_%S"), "path": path})
            config = results_config(row, task)
            configs.append({"config_name": config, "data_files": splits})
            shown = [r for r in records if r["order"] == ORIGINAL]
            counts[config] = (len(records), sum(r["verdict"] is not None for r in shown) / len(shown) if shown else 0.0)
    (folder / "README.md").write_text(_results_card(rows, benchmark_repo, configs, counts), encoding="utf-8")
