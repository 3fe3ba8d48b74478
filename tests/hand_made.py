"""The hand-made benchmark and submission the leaderboard tests share: every expected number can be worked out
by hand (4 pairs, 4 scores, 2 rankings). Test support, not a test module; its fixtures are in conftest.py."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

from conftest import lay_out_release
from mllm_judge_app import cli
from mllm_judge_tasks.leaderboard.submission import read_submission, write_submission
from mllm_judge_tasks.leaderboard.validate import validate_submission

COMMON = {"instruction": "Which answer is better?", "original_dataset": "coco"}
METADATA = {"judge_model": "acme/judge-7b", "revision": "abc123", "parameters": {"temperature": 0},
            "judge_setting": "plain", "date": "2026-11-24", "contact": "lab@example.org", "license": "CC-BY-4.0"}


def answer(name: str, text: str) -> dict:
    return {"name": name, "answer": text}


def hand_release(root: Path) -> Path:
    """4 pairs (human A, A, B, tie), 4 scores (1, 2, 4, 5), 2 rankings; pairs 1 and 3 also in HQ."""
    pairs = [
        {**COMMON, "id": 1, "pair_id": 1, "image_path": "1.jpg", "answer1": answer("gpt4", "short"),
         "answer2": answer("llava", "a much longer answer"), "human": "A"},
        {**COMMON, "id": 1, "pair_id": 2, "image_path": "1.jpg", "answer1": answer("gpt4", "short"),
         "answer2": answer("qwen", "also short"), "human": "A"},
        {**COMMON, "id": 2, "pair_id": 3, "image_path": "2.jpg", "answer1": answer("qwen", "one"),
         "answer2": answer("gemini", "two words"), "human": "B"},
        {**COMMON, "id": 2, "pair_id": 4, "image_path": "2.jpg", "answer1": answer("llava", "x"),
         "answer2": answer("gemini", "y"), "human": "C"},
    ]
    scores = [{**COMMON, "score_id": i, "id": 3, "name": "gpt4", "answer": f"answer {i}", "image_path": "3.jpg",
               "human": human} for i, human in zip(range(1, 5), (1, 2, 4, 5))]
    batches = [{**COMMON, "id": 10 + i, "image_path": "4.jpg", "human_answer": label,
                "answers": [answer(n, f"{n} says {i}") for n in ("gpt4", "gemini", "llava", "qwen")]}
               for i, label in enumerate(("ABCD", "DCBA"))]
    hq = [{k: v for k, v in record.items() if k != "human"} for record in (pairs[0], pairs[2])]
    files = {"Dataset/Benchmark/pair.jsonl": pairs, "Dataset/Benchmark/score.jsonl": scores,
             "Dataset/Benchmark/batch.jsonl": batches, "MLLM-as-a-Judge-HQ/Pair.jsonl": hq}
    return lay_out_release(root, {path: [json.dumps(r) for r in records] for path, records in files.items()})


HAND_PREDICTIONS = [
    {"task": "pair", "id": "pair-1", "output": "[[A]]"},
    {"task": "pair", "id": "pair-2", "output": "Judgement: [[B]]"},
    {"task": "pair", "id": "pair-3", "output": "[[B]]"},
    {"task": "pair", "id": "pair-4", "output": "[[A]]"},
    {"task": "score", "id": "score-1", "output": "[[1]]"},
    {"task": "score", "id": "score-2", "output": "[[2]]"},
    {"task": "score", "id": "score-3", "output": "[[5]]"},
    {"task": "score", "id": "score-4", "output": "[[4]]"},
    {"task": "batch", "id": "batch-10", "output": "[[A]], [[B]], [[C]], [[D]]"},
    {"task": "batch", "id": "batch-11", "output": "I cannot rank these."},
]
# The hand-made pairs judged in swapped order only: no plain-order verdict, so no pair headline.
SWAPPED = [{"task": "pair", "id": f"pair-{i}", "output": "[[A]]", "order": "swapped"} for i in range(1, 5)]


def hand_submission(directory: Path, metadata=None, lines=None) -> Path:
    return write_submission(directory, metadata or METADATA, HAND_PREDICTIONS if lines is None else lines)


def problems_of(directory: Path, index) -> list:
    return validate_submission(read_submission(directory), index)


def cli_in_process(*args: str) -> subprocess.CompletedProcess:
    """`mllm-judge ARGS` in this process: its exit status and what it printed, as a subprocess would give them,
    without starting Python again (tests about the process itself start one). An unexpected exception is raised
    here, where a subprocess would print a traceback: the test fails either way."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code if isinstance(exit.code, int) else 1
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_cli(*args: str, dataset: Path) -> subprocess.CompletedProcess:
    """`mllm-judge ARGS --dataset DATASET` in this process."""
    return cli_in_process(*args, "--dataset", str(dataset))
