"""The paper's judges on the board (`mllm-judge leaderboard --papers-judges RELEASE_DIR`).

The release keeps the raw outputs of its judges (GPT-4V, Gemini, LLaVA,
CogVLM) in `raw_data/step3/{Score,Pair,Batch}/<judge>.jsonl`: the benchmark
record plus `result` = `{name, judge, analysis}` or `{name, judge, oral}`. The
raw text (`analysis` / `oral`) becomes the judge's output, so our parser and
metrics recompute everything. Where the text holds no verdict and the
release kept one in `judge`, that verdict stands in, and the page counts
verdicts by route.

These judges reach the board only from the release itself, read here into
memory at board time: no submission file can carry a verdict or claim to be
one of them. Records are matched to dataset rows by `record_match`, the rule
the dataset's build uses for its subsets.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

from mllm_judge_tasks import protocol
from mllm_judge_tasks.problems import Problem, UserError, json_object
from mllm_judge_tasks.record_match import RowMatcher
from mllm_judge_tasks.verdicts import parse_verdict

from .benchmark_index import BenchmarkIndex
from .submission import Prediction, Role, Submission

STEP3_DIRS = ("Dataset/raw_data/step3", "raw_data/step3")
TASK_FOLDERS = {"Score": "score", "Pair": "pair", "Batch": "batch"}
JUDGE_NAMES = {"gpt4v": "GPT-4V", "gpt4": "GPT-4V", "gemini": "Gemini", "llava": "LLaVA", "cogvlm": "CogVLM"}


def judge_name(file_stem: str, result_name: object) -> str:
    key = str(result_name or file_stem).lower().replace("new ", "").replace("-", "").replace(" ", "")
    return JUDGE_NAMES.get(key, str(result_name or file_stem))


def _answers(task: str, record: dict) -> tuple[tuple[str, ...], tuple[str, ...]] | tuple[None, None]:
    """The record's responder names and answer texts, in the release's shapes; (None, None) where it names none."""
    try:
        if task == "score":
            answers = [record]
        elif task == "pair":
            answers = [record["answer1"], record["answer2"]]
        else:
            answers = record.get("answers") or [record[f"answer{i}"] for i in range(4) if f"answer{i}" in record]
        names = tuple(answer["name"] for answer in answers)
        texts = tuple(answer["answer"] for answer in answers)
        ok = names and all(isinstance(text, str) for text in (*names, *texts))
        return (names, texts) if ok else (None, None)
    except (KeyError, TypeError):
        return None, None


def _row_id(task: str, record: dict, matchers: dict[str, RowMatcher]) -> str | None:
    own = record.get({"score": "score_id", "pair": "pair_id", "batch": "id"}[task])
    own_id = protocol.row_id(task, own) if isinstance(own, int) and not isinstance(own, bool) else None
    instruction_id = record.get("id") if isinstance(record.get("id"), int) else None
    responders, responses = _answers(task, record)
    matcher = matchers.get(task)
    return matcher.match(instruction_id, responders, responses, own_id).row_id if matcher else None


def _release_verdict(task: str, value: object, n_responses: int) -> object:
    """The `judge` field as a verdict, or None where it is not one the protocol allows."""
    try:
        if task == "score":
            return protocol.normalize_score_label(value)
        if task == "pair":
            return protocol.pair_letter(value)
        return protocol.normalize_batch_label(value, n_responses)
    except ValueError:
        return None


def papers_judges(release_dir: Path, index: BenchmarkIndex) -> tuple[list[Submission], dict]:
    """One in-memory submission per judge of the release, and a report of verdict routes and unmatched records."""
    release_dir = Path(release_dir)
    step3 = next((release_dir / d for d in STEP3_DIRS if (release_dir / d).is_dir()), None)
    if step3 is None:
        raise UserError(f"{release_dir}: no judge outputs found (looked for {' or '.join(STEP3_DIRS)})")
    matchers = index.matchers()
    predictions: dict[str, list[Prediction]] = defaultdict(list)
    verdicts: dict[str, dict] = defaultdict(dict)
    problems: dict[str, list[Problem]] = defaultdict(list)
    routes: dict[str, Counter] = defaultdict(Counter)
    seen: dict[str, set] = defaultdict(set)
    for folder, task in TASK_FOLDERS.items():
        for path in sorted((step3 / folder).glob("*.jsonl")) if (step3 / folder).is_dir() else []:
            display = str(path.relative_to(release_dir))
            for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
                if not raw.strip():
                    continue
                record = json_object(raw, display, number)
                result = record.get("result") if isinstance(record, dict) else None
                if not isinstance(result, dict):
                    problem = record if isinstance(record, Problem) else Problem(display, number, "result", "missing or not an object")
                    problems[judge_name(path.stem, None)].append(problem)
                    continue
                judge = judge_name(path.stem, result.get("name"))
                row_id = _row_id(task, record, matchers)
                if row_id is None:
                    problems[judge].append(Problem(display, number, "id", "matches no dataset row"))
                    continue
                if (task, row_id) in seen[judge]:
                    routes[judge][f"{task}: repeated record skipped"] += 1
                    continue
                seen[judge].add((task, row_id))
                text = result.get("analysis", result.get("oral", record.get("gpt_output", "")))
                text = text if isinstance(text, str) else ""
                n_responses = len(index.items[task][row_id].responders)
                if parse_verdict(task, text, n_responses).ok:
                    routes[judge][f"{task}: verdict from the text"] += 1
                else:
                    verdict = _release_verdict(task, result.get("judge"), n_responses)
                    if verdict is not None:
                        verdicts[judge][(task, row_id)] = verdict
                        routes[judge][f"{task}: verdict from the release's judge field"] += 1
                    else:
                        routes[judge][f"{task}: no verdict"] += 1
                predictions[judge].append(Prediction(line=number, task=task, id=row_id, output=text))
    submissions, report = [], {}
    for judge, judge_predictions in sorted(predictions.items()):
        metadata = {
            "judge_model": judge,
            "revision": None,
            "parameters": {"source": "MLLM-as-a-Judge release, raw_data/step3"},
            "judge_setting": "plain",
            "date": dt.date.today().isoformat(),
            "contact": "Chen et al., ICML 2024 (arXiv 2402.04788)",
            "license": "MIT (as tagged on the Hub)",
        }
        submissions.append(Submission(directory=release_dir, metadata=metadata, predictions=judge_predictions,
                                      role=Role.PAPER, release_verdicts=verdicts[judge]))
        report[judge] = {"verdict_routes": dict(sorted(routes[judge].items())),
                         "unmatched": [problem.to_dict() for problem in problems[judge]]}
    return submissions, report
