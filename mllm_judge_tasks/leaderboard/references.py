"""Reference rows, computed on the same data as the submissions, so every number has a floor to beat.

- random: a uniform score, a uniform A/B/tie, a uniformly random ranking (fixed seed);
- always A, always tie: the pair verdict that ignores both answers;
- longer response wins: pairs go to the longer answer (tie when equal), rankings sort by length;
- constant score: every response gets 3 (its Pearson is undefined: no variance).
"""

from __future__ import annotations

import random
from pathlib import Path

from mllm_judge_tasks import protocol
from mllm_judge_tasks.judged import BenchmarkItem
from mllm_judge_tasks.protocol import BATCH_LETTERS, PAIR_LETTERS, SCORE_RANGE, SPECS, TIE

from .benchmark_index import BenchmarkIndex
from .submission import Prediction, Role, Submission

SEED = 0


def _pair_by_length(item: BenchmarkItem) -> str:
    a, b = item.lengths
    return SPECS["pair"].verdict_string(PAIR_LETTERS[0] if a > b else PAIR_LETTERS[1] if b > a else TIE)


def _ranking_by_length(item: BenchmarkItem) -> str:
    order = sorted(range(len(item.lengths)), key=lambda i: (-item.lengths[i], i))
    return SPECS["batch"].verdict_string("".join(BATCH_LETTERS[i] for i in order))


def _random(rng: random.Random):
    def output(item: BenchmarkItem) -> str:
        spec = SPECS[item.task]
        if item.task == "score":
            return spec.verdict_string(str(rng.randint(*SCORE_RANGE)))
        if item.task == "pair":
            return spec.verdict_string(rng.choice(PAIR_LETTERS))
        letters = list(BATCH_LETTERS[: item.answer_count])
        rng.shuffle(letters)
        return spec.verdict_string("".join(letters))

    return output


REFERENCES = {
    "random": (protocol.TASKS, lambda: _random(random.Random(SEED))),
    "always A": (("pair",), lambda: lambda item: SPECS["pair"].verdict_string(PAIR_LETTERS[0])),
    "always tie": (("pair",), lambda: lambda item: SPECS["pair"].verdict_string(TIE)),
    "longer response wins": (("pair", "batch"), lambda: lambda item: _pair_by_length(item) if item.task == "pair" else _ranking_by_length(item)),
    "constant score": (("score",), lambda: lambda item: SPECS["score"].verdict_string("3")),
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
        submissions.append(Submission(directory=Path(name), metadata=metadata, predictions=predictions, role=Role.REFERENCE))
    return submissions
