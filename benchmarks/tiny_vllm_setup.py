"""What the vLLM benchmarks share: a tiny Qwen2-VL that vLLM on CPU can run (heads of 32), the mini benchmark's
score and pair documents, and one way to time a backend on them. Imported by the scripts beside it."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models: test support, not installed


def arguments(doc: str, max_new_tokens: int, **more: int) -> argparse.Namespace:
    """--docs (64), --max-new-tokens, --repeats (2) and the script's own integer options with their defaults.
    Judges write an analysis before the verdict (the tasks allow 512 tokens); random weights never stop early."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    for name, default in {"docs": 64, "max_new_tokens": max_new_tokens, "repeats": 2, **more}.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=default)
    return parser.parse_args()


def tiny_qwen_and_rows(docs: int, prefix: str) -> tuple[Path, dict, Path]:
    """(the model's folder, {"score": rows, "pair": rows} (the first `docs` of each), a scratch folder), offline, in a
    fresh temporary folder."""
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("HF_HOME", str(workdir / "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    from datasets import load_dataset

    from dataset_scripts.build import build_mini
    from tiny_models import build_qwen2_vl

    model_dir = build_qwen2_vl(workdir / "qwen2_vl", width=64)
    repo = build_mini(workdir / "mllm-judge").out_dir
    tables = {task: load_dataset(str(repo), task, split="test") for task in ("score", "pair")}
    rows = {task: table.select(range(min(docs, len(table)))) for task, table in tables.items()}
    return model_dir, rows, workdir


def samples_per_second(model, rows: dict, mode: str, max_new_tokens: int, repeats: int) -> float:
    """Samples/s over the score and pair documents, the fastest of `repeats`; cache off, de-duplication counted as
    work done. Every task's requests go in one call, as lmms-eval's evaluator hands a run's requests over."""
    from mllm_judge_tasks.harness_requests import judge_requests

    if hasattr(model, "verdict_mode"):
        model.verdict_mode = mode
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.generate_until([request for task, items in rows.items()
                              for request in judge_requests(model, items, task, max_new_tokens=max_new_tokens)])
        best = min(best, time.perf_counter() - start)
    return sum(len(items) for items in rows.values()) / best
