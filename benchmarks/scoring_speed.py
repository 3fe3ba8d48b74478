"""`mllm-judge score` on 20,000 outputs with 1,000 bootstrap resamples: the time, and the share in the bootstrap.

A full-size synthetic benchmark index (6,000 score, 10,900 pair and 3,100 batch
items over 14 source datasets, with HQ and Hard subsets) and a submission of
judge texts of realistic length (a paragraph of analysis, then the verdict, a
few without one) are written to disk; the submission is then read, validated
and scored as the command does. The bootstrap share is measured side by side:
the same scoring with 0 resamples.

Usage: python benchmarks/scoring_speed.py [--resamples 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from mllm_judge_tasks.judged import BenchmarkItem
from mllm_judge_tasks.leaderboard.benchmark_index import BenchmarkIndex
from mllm_judge_tasks.leaderboard.scoring import score_submission
from mllm_judge_tasks.leaderboard.submission import read_submission, write_submission
from mllm_judge_tasks.leaderboard.validate import validate_submission

SIZES = {"score": 6_000, "pair": 10_900, "batch": 3_100}
SOURCES = [f"source-{i}" for i in range(14)]
ANALYSIS = "The response describes the figure and answers the question; some details are not supported. " * 5


def synthetic(rng: random.Random) -> tuple[BenchmarkIndex, list[dict]]:
    index, lines = BenchmarkIndex(), []
    for task, size in SIZES.items():
        items = {}
        for n in range(size):
            row_id = f"{task}-{n}"
            if task == "score":
                human, verdict, responders = rng.randint(1, 5), f"[[{rng.randint(1, 5)}]]", ("gpt4",)
            elif task == "pair":
                human, verdict, responders = rng.choice("ABC"), f"[[{rng.choice('ABC')}]]", ("gpt4", "llava")
            else:
                letters = list("ABCD")
                rng.shuffle(letters)
                human = "".join(letters)
                rng.shuffle(letters)
                verdict, responders = ", ".join(f"[[{x}]]" for x in letters), ("gpt4", "gemini", "llava", "qwen")
            items[row_id] = BenchmarkItem(task, row_id, n // 4, rng.choice(SOURCES), human, responders,
                                          tuple(rng.randint(50, 900) for _ in responders), len(responders))
            output = ANALYSIS + ("I cannot decide." if rng.random() < 0.03 else f"Judgement: {verdict}")
            lines.append({"task": task, "id": row_id, "output": output})
        index.items[task] = items
        ids = list(items)
        index.subsets.setdefault("HQ", {})[task] = set(rng.sample(ids, size // 5))
        index.subsets.setdefault("Hard", {})[task] = set(rng.sample(ids, size // 5))
    return index, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    index, lines = synthetic(random.Random(0))
    metadata = {"judge_model": "synthetic judge", "revision": None, "parameters": {}, "judge_setting": "plain",
                "date": "2026-11-24", "contact": "bench", "license": "MIT"}
    directory = write_submission(Path(tempfile.mkdtemp(prefix="mllm-judge-score-")) / "submission", metadata, lines)

    def run(resamples: int) -> float:
        start = time.perf_counter()
        submission = read_submission(directory)
        assert not validate_submission(submission, index)
        score_submission(submission, index, resamples=resamples)
        return time.perf_counter() - start

    with_bootstrap = run(args.resamples)
    without = run(0)
    share = (with_bootstrap - without) / with_bootstrap
    print(f"{len(lines)} outputs ({', '.join(f'{n} {t}' for t, n in SIZES.items())}), 14 sources, full + HQ + Hard")
    print(f"read + validate + score with {args.resamples} bootstrap resamples: {with_bootstrap:.2f} s")
    print(f"the same with no bootstrap: {without:.2f} s; share of the time in the bootstrap: {share:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
