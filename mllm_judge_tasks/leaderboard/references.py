"""Reference rows, computed on the same data as the submissions, so every number has a floor to beat.

- random: a uniform score, a uniform A/B/tie, a uniformly random ranking (fixed seed);
- always A, always tie: the pair verdict that ignores both answers;
- longer response wins: pairs go to the longer answer (tie when equal), rankings sort by length;
- constant score: every response gets 3 (its Pearson is undefined: no variance).
"""

from __future__ import annotations

import random
from pathlib import Path

from mllm_judge_tasks import schema

from .benchmark_index import BenchmarkIndex, BenchmarkItem
from .submission import Prediction, Submission

SEED = 0


def _pair_by_length(item: BenchmarkItem) -> str:
    a, b = item.lengths
    return "[[A]]" if a > b else "[[B]]" if b > a else "[[C]]"


def _ranking_by_length(item: BenchmarkItem) -> str:
    order = sorted(range(len(item.lengths)), key=lambda i: (-item.lengths[i], i))
    return ", ".join(f"[[{schema.BATCH_LETTERS[i]}]]" for i in order)


def _random(rng: random.Random):
    def output(item: BenchmarkItem) -> str:
        if item.task == "score":
            return f"[[{rng.randint(1, 5)}]]"
        if item.task == "pair":
            return f"[[{rng.choice('ABC')}]]"
        letters = list(schema.BATCH_LETTERS[: len(item.responders)])
        rng.shuffle(letters)
        return ", ".join(f"[[{letter}]]" for letter in letters)

    return output


REFERENCES = {
    "random": (schema.TASKS, lambda: _random(random.Random(SEED))),
    "always A": (("pair",), lambda: lambda item: "[[A]]"),
    "always tie": (("pair",), lambda: lambda item: "[[C]]"),
    "longer response wins": (("pair", "batch"), lambda: lambda item: _pair_by_length(item) if item.task == "pair" else _ranking_by_length(item)),
    "constant score": (("score",), lambda: lambda item: "[[3]]"),
}


def reference_submissions(index: BenchmarkIndex) -> list[Submission]:
    submissions = []
    for name, (tasks, make_output) in REFERENCES.items():
        output = make_output()
        predictions = [
            Prediction(line=0, task=task, id=item.id, output=output(item))
            for task in tasks
            for item in index.items.get(task, {}).values()
        ]
        metadata = {"judge_model": f"reference: {name}", "judge_setting": "plain"}
        submissions.append(Submission(directory=Path(name), metadata=metadata, predictions=predictions, role="reference"))
    return submissions
