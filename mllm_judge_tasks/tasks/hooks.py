"""Hooks the task YAML files name. They stay thin: prompts, parsing and metrics live
in `mllm_judge_tasks.prompts`, `.verdicts` and `.metrics`, shared with the scorer.

lmms-eval loads this file by path, so imports are absolute.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from mllm_judge_tasks import prompts
from mllm_judge_tasks.location import dataset_location
from mllm_judge_tasks.judged import JudgedItem, benchmark_item, judge_item
from mllm_judge_tasks.metrics.report import task_report
from mllm_judge_tasks.reports import TaskReport
from mllm_judge_tasks.protocol import BATCH_LETTERS, HEADLINE, ORIGINAL, SPECS, SWAPPED, ranking_indices, swapped_label_index

# Read when lmms-eval loads a task YAML (`dataset_path: !function hooks.DATASET_PATH`
# re-executes this file), so `MLLM_JUDGE_DATASET` takes effect without editing YAML.
DATASET_PATH = dataset_location()


def _setting(kwargs: dict | None) -> str:
    return (kwargs or {}).get("setting", "plain")


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, str]:
    """Image descriptions from the JSONL file `MLLM_JUDGE_DESCRIPTIONS` ({"image_file", "description"} lines)."""
    path = os.environ.get("MLLM_JUDGE_DESCRIPTIONS")
    if not path:
        return {}
    table = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
                table[str(record["image_file"])] = str(record["description"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: expected {{\"image_file\", \"description\"}} ({error})") from None
    return table


def _description(doc: dict) -> str | None:
    return doc.get("image_description") or _descriptions().get(doc.get("image_file", ""))


def _task(kwargs: dict | None) -> str:
    return (kwargs or {})["task"]


def doc_to_messages(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> list[dict]:
    return prompts.judge_messages(_task(lmms_eval_specific_kwargs), doc, _setting(lmms_eval_specific_kwargs), _description(doc))


def doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return prompts.judge_prompt(_task(lmms_eval_specific_kwargs), doc, _setting(lmms_eval_specific_kwargs), _description(doc))


def doc_to_visual(doc: dict) -> list:
    return [doc["image"].convert("RGB")]


def doc_to_no_visual(doc: dict) -> list:
    """The text-only settings (no figure, vision expert) show no image."""
    return []


class KeepAllResponses:
    """lmms-eval filter that keeps every repeat's response (its default keeps only the first),
    so `--repeats n` reaches process_results and the consistency figure."""

    def apply(self, resps, docs):
        return [list(responses) for responses in resps]


def _process(task: str, doc: dict, results: list) -> dict:
    """One sample's judged item (see `judged.judge_item`), as the dict lmms-eval logs and hands the aggregations.

    With `--repeats n` every repeat is read; the first is the verdict scored, all
    of them feed the consistency figure. The judge's text is in the sample's own
    `resps`, so the item does not repeat it.
    """
    texts = results[0] if results and isinstance(results[0], list) else results
    item = judge_item(benchmark_item(task, doc), texts, order=doc.get("order", ORIGINAL))
    record = {key: value for key, value in item.to_json().items() if key != "output"}
    return {HEADLINE[task]: record, "parse_rate": record, "details": record}


def process_score(doc: dict, results: list[str]) -> dict:
    return _process("score", doc, results)


def process_pair(doc: dict, results: list[str]) -> dict:
    return _process("pair", doc, results)


def process_batch(doc: dict, results: list[str]) -> dict:
    return _process("batch", doc, results)


def _report(task: str, items: list[dict]) -> TaskReport:
    """The task's whole report, computed once per run: lmms-eval calls each metric's aggregation with the same
    items, and the bootstrap is the expensive part. `MLLM_JUDGE_FAMILY` (gpt4, gemini, llava, cogvlm, qwen) names
    the judge's family for self-preference."""
    return _report_of(task, tuple(JudgedItem.from_json(item) for item in items), os.environ.get("MLLM_JUDGE_FAMILY") or None)


@lru_cache(maxsize=8)
def _report_of(task: str, items: tuple[JudgedItem, ...], family: str | None) -> TaskReport:
    return task_report(task, list(items), family=family)


def _headline(task: str, items: list[dict]) -> float | None:
    """The paper's number: the headline metric averaged over source datasets."""
    return _report(task, items).value if items else None


def score_pearson(items: list[dict]) -> float | None:
    return _headline("score", items)


def pair_accuracy_no_tie(items: list[dict]) -> float | None:
    return _headline("pair", items)


def batch_edit_distance(items: list[dict]) -> float | None:
    return _headline("batch", items)


def pairs_in_both_orders(dataset):
    """Every pair twice, as released and with A and B swapped (the human verdict swapped too)."""
    spec = SPECS["pair"]

    def swapped(row: dict) -> dict:
        traded = {a: row[b] for fields in (spec.response_fields, spec.responder_fields) for a, b in zip(fields, fields[::-1])}
        return {**row, **traded, spec.label_field: swapped_label_index(row[spec.label_field]), "order": SWAPPED}

    from datasets import concatenate_datasets

    original = dataset.map(lambda row: {"order": ORIGINAL})
    return concatenate_datasets([original, original.map(swapped)])


def batch_shuffled(dataset):
    """Answers of each batch item in an order shuffled by a seed fixed per item id; the ranking follows."""
    import random

    spec = SPECS["batch"]
    (responses, responders), (label, indices) = (spec.response_fields + spec.responder_fields), spec.label_fields

    def shuffle(row: dict) -> dict:
        order = list(range(spec.answer_count(row)))
        random.Random(row["id"]).shuffle(order)  # str seeds are stable across runs
        new_letter = {BATCH_LETTERS[old]: BATCH_LETTERS[new] for new, old in enumerate(order)}
        ranking = "".join(new_letter[letter] for letter in row[label])
        return {responses: [row[responses][i] for i in order], responders: [row[responders][i] for i in order],
                label: ranking, indices: ranking_indices(ranking)}

    return dataset.map(shuffle)


def parse_rate(items: list[dict]) -> float:
    return sum(item["verdict"] is not None for item in items) / len(items) if items else 0.0


def score_details(items: list[dict]) -> dict:
    return _report("score", items).to_json()


def pair_details(items: list[dict]) -> dict:
    return _report("pair", items).to_json()


def batch_details(items: list[dict]) -> dict:
    return _report("batch", items).to_json()
