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
from mllm_judge_tasks.metrics.agreement import HEADLINE
from mllm_judge_tasks.metrics.report import JudgedItem, task_report
from mllm_judge_tasks.schema import pair_letter
from mllm_judge_tasks.verdicts import parse_verdict, read_verdict_probabilities

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


def _human(task: str, doc: dict):
    if task == "pair":
        return pair_letter(doc["human"])
    return doc["human_score"] if task == "score" else doc["human_ranking"]


def _shown(task: str, doc: dict) -> tuple[list[str], list[str]]:
    """The answers and their makers in display order."""
    if task == "score":
        return [doc["response"]], [doc["responder"]]
    if task == "pair":
        return [doc["response_a"], doc["response_b"]], [doc["responder_a"], doc["responder_b"]]
    return list(doc["responses"]), list(doc["responders"])


class KeepAllResponses:
    """lmms-eval filter that keeps every repeat's response (its default keeps only the first),
    so `--repeats n` reaches process_results and the consistency figure."""

    def apply(self, resps, docs):
        return [list(responses) for responses in resps]


def _process(task: str, doc: dict, results: list) -> dict:
    """One sample's judged item: the parsed verdict, or None with the reason, beside the human label.

    With `--repeats n` every repeat is parsed; the first is the verdict scored,
    all of them feed the consistency figure. A verdict-probability output scores
    with its expected score (Σ k·p(k)) rather than its most likely one.
    """
    n_responses = len(doc["responses"]) if task == "batch" else 4
    texts = results[0] if results and isinstance(results[0], list) else results
    texts = texts or [""]
    parsed = [parse_verdict(task, text, n_responses) for text in texts]
    probabilities = read_verdict_probabilities(texts[0])
    verdict = parsed[0].verdict
    if task == "score" and probabilities and "expected_score" in probabilities:
        verdict = probabilities["expected_score"]
    responses, responders = _shown(task, doc)
    item = {
        "id": doc["id"],
        "source": doc["source"],
        "human": _human(task, doc),
        "verdict": verdict,
        "reason": None if parsed[0].reason is None else parsed[0].reason.value,
        "verdicts": [p.verdict for p in parsed],
        "lengths": [len(text) for text in responses],
        "responders": responders,
        "order": doc.get("order", "original"),
    }
    return {HEADLINE[task]: item, "parse_rate": item, "details": item}


def process_score(doc: dict, results: list[str]) -> dict:
    return _process("score", doc, results)


def process_pair(doc: dict, results: list[str]) -> dict:
    return _process("pair", doc, results)


def process_batch(doc: dict, results: list[str]) -> dict:
    return _process("batch", doc, results)


def _report(task: str, items: list[dict]) -> dict:
    """`MLLM_JUDGE_FAMILY` (gpt4, gemini, llava, cogvlm, qwen) names the judge's family for self-preference."""
    judged = [JudgedItem(**{**item, **{k: tuple(item[k]) for k in ("verdicts", "lengths", "responders")}}) for item in items]
    return task_report(task, judged, family=os.environ.get("MLLM_JUDGE_FAMILY") or None)


def _headline(task: str, items: list[dict]) -> float | None:
    """The paper's number: the headline metric averaged over source datasets."""
    return _report(task, items)["average"][HEADLINE[task]] if items else None


def score_pearson(items: list[dict]) -> float | None:
    return _headline("score", items)


def pair_accuracy_no_tie(items: list[dict]) -> float | None:
    return _headline("pair", items)


def batch_edit_distance(items: list[dict]) -> float | None:
    return _headline("batch", items)


def pairs_in_both_orders(dataset):
    """Every pair twice, as released and with A and B swapped (the human verdict swapped too)."""
    swap = {0: 1, 1: 0, 2: 2}

    def swapped(row: dict) -> dict:
        return {**row, "response_a": row["response_b"], "response_b": row["response_a"],
                "responder_a": row["responder_b"], "responder_b": row["responder_a"], "human": swap[row["human"]],
                "order": "swapped"}

    from datasets import concatenate_datasets

    original = dataset.map(lambda row: {"order": "original"})
    return concatenate_datasets([original, original.map(swapped)])


def batch_shuffled(dataset):
    """Answers of each batch item in an order shuffled by a seed fixed per item id; the ranking follows."""
    import random

    from mllm_judge_tasks.schema import BATCH_LETTERS, ranking_indices

    def shuffle(row: dict) -> dict:
        order = list(range(len(row["responses"])))
        random.Random(row["id"]).shuffle(order)  # str seeds are stable across runs
        new_letter = {BATCH_LETTERS[old]: BATCH_LETTERS[new] for new, old in enumerate(order)}
        ranking = "".join(new_letter[letter] for letter in row["human_ranking"])
        return {"responses": [row["responses"][i] for i in order], "responders": [row["responders"][i] for i in order],
                "human_ranking": ranking, "human_ranking_indices": ranking_indices(ranking)}

    return dataset.map(shuffle)


def parse_rate(items: list[dict]) -> float:
    return sum(item["verdict"] is not None for item in items) / len(items) if items else 0.0


def score_details(items: list[dict]) -> dict:
    return _report("score", items)


def pair_details(items: list[dict]) -> dict:
    return _report("pair", items)


def batch_details(items: list[dict]) -> dict:
    return _report("batch", items)
