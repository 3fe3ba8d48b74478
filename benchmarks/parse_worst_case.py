"""Worst-case verdict parsing time over adversarial judge outputs up to 100 KB (the submission limit).

Each family repeats a pattern that once drove a regex into backtracking or a
copy per key (long blank runs after a letter, thousands of keys, nested
brackets, huge numbers, almost-rankings). Every text is parsed for all three
tasks; the script prints the worst time per family at 10 KB and 100 KB, and
their ratio (≈10 when parsing is linear, ≈100 when quadratic).

    python benchmarks/parse_worst_case.py          # goal: worst ≤ 50 ms at 100 KB
"""

from __future__ import annotations

import time

from mllm_judge_tasks.verdicts import parse_verdict

FAMILIES = {
    "letter + blanks + '!'": lambda n: "A" + " " * (n - 2) + "!",
    "answer + newlines": lambda n: "The best answer is A" + "\n" * (n - 20),
    "'rank:' repeated": lambda n: "rank:" * (n // 5),
    "'. Rank:' repeated": lambda n: ". Rank: " * (n // 8),
    "'Ranking: A B ' runs": lambda n: ("Ranking: " + "A B " * 40 + "\n") * (n // 170),
    "nested '['": lambda n: "[" * n,
    "'[[' + letters": lambda n: "[[" + "a" * (n - 2),
    "'[[' + digits": lambda n: "[[" + "1" * (n - 2),
    "digits": lambda n: "9" * n,
    "bracketed letters, no end": lambda n: "[[A]], " * (n // 7),
    "bracketed letters + gaps": lambda n: ("[[A]]" + " " * 200) * (n // 205),
    "keys + blanks": lambda n: ("Judgement" + " " * 300) * (n // 309),
    "bullets + blanks": lambda n: (".-" + " " * 300) * (n // 302),
    "markers '[[4]]'": lambda n: "[[4]] " * (n // 6),
    "refusal-ish": lambda n: "I can " * (n // 6),
    "end tokens": lambda n: "</s" * (n // 3),
    "'Judgement: [[' unclosed": lambda n: ("Judgement: [[" + " " * 100) * (n // 113),
    "mixed punctuation": lambda n: ",>;[]" * (n // 5),
}


def worst_time(text: str, repeats: int = 3) -> float:
    worst = 0.0
    for task in ("score", "pair", "batch"):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            parse_verdict(task, text)
            best = min(best, time.perf_counter() - start)
        worst = max(worst, best)
    return worst


def main() -> None:
    print(f"{'family':<30} {'10 KB ms':>9} {'100 KB ms':>10} {'ratio':>6}")
    overall = 0.0
    for name, make in FAMILIES.items():
        small, large = worst_time(make(10_000)), worst_time(make(100_000))
        overall = max(overall, large)
        print(f"{name:<30} {small * 1000:>9.2f} {large * 1000:>10.2f} {large / max(small, 1e-9):>6.1f}")
    print(f"worst parse time at 100 KB: {overall * 1000:.2f} ms (goal ≤ 50 ms)")


if __name__ == "__main__":
    main()
