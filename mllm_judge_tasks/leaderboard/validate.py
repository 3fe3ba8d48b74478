"""`mllm-judge validate`: a submission checked against the benchmark, every problem at once.

Format problems come from `read_submission`; here the ids are checked against
the dataset: unknown ids, ids given twice, and ids a submitted task misses.
A task the submission does not cover at all is not a problem (a lab may
submit pair verdicts only); a task it covers must be covered whole, and a
swapped pair needs its judgement in the released order (headlines count only
that order). A reward model's outputs must carry the tie margin its metadata
names, since the board shows that margin beside the verdicts it gave.
"""

from __future__ import annotations

from collections import defaultdict

from mllm_judge_tasks.problems import Problem
from mllm_judge_tasks.protocol import ORIGINAL, SWAPPED
from mllm_judge_tasks.verdicts import read_rewards

from .benchmark_index import BenchmarkIndex
from .submission import PREDICTIONS, Submission

SHOWN_MISSING = 10


def validate_submission(submission: Submission, index: BenchmarkIndex) -> list[Problem]:
    problems = list(submission.problems)
    seen: dict[tuple[str, str, str], int] = {}
    covered: dict[str, set[str]] = defaultdict(set)
    for prediction in submission.predictions:
        known = index.items.get(prediction.task)
        if known is None:
            problems.append(Problem(PREDICTIONS, prediction.line, "task", f"the benchmark has no {prediction.task} config"))
            continue
        if prediction.id not in known:
            problems.append(Problem(PREDICTIONS, prediction.line, "id", f"unknown {prediction.task} id {prediction.id!r}"))
            continue
        key = (prediction.task, prediction.id, prediction.order)
        if key in seen:
            problems.append(Problem(PREDICTIONS, prediction.line, "id", f"duplicate of line {seen[key]} ({prediction.task} {prediction.id})"))
            continue
        seen[key] = prediction.line
        rewards = read_rewards(prediction.output)
        margin = submission.metadata.get("tie_margin")
        if rewards is not None and rewards.get("tie_margin") != margin:
            problems.append(Problem(PREDICTIONS, prediction.line, "output", f"a reward output's tie_margin "
                                    f"{str(rewards.get('tie_margin'))[:40]} is not metadata.json's tie_margin {margin}"))
        if prediction.order == ORIGINAL:
            covered[prediction.task].add(prediction.id)
    for (task, row_id, order), line in seen.items():
        if order == SWAPPED and row_id not in covered[task]:
            problems.append(Problem(PREDICTIONS, line, "order", f"swapped {row_id} without its judgement in the released order"))
    for task, ids in sorted(covered.items()):
        missing = sorted(set(index.items[task]) - ids)
        if missing:
            shown = ", ".join(missing[:SHOWN_MISSING]) + (", ..." if len(missing) > SHOWN_MISSING else "")
            problems.append(Problem(PREDICTIONS, None, "id", f"{len(missing)} {task} ids missing: {shown}"))
    return problems
