"""Ours against lmms-eval's own model classes for the same families, side by side in one run.

The same tiny random Qwen2.5-VL and LLaVA-OneVision, the same mini-benchmark pair documents, greedy, the same
max_new_tokens and stop strings. Each backend runs at batch 1 and batch 8 (samples/s, the best of --repeats
runs) and says whether its batch-8 answers equal its batch-1 answers (lmms-eval users report wrong results at
batch > 1). A backend that crashes is reported with its error. Goal: ours ≥ 2× theirs at batch 8 where theirs
runs, with identical batch-8 and batch-1 answers for ours.

lmms-eval's classes import `decord` (a video reader) even for images: `pip install decord` first, or they all
report that ImportError.

Usage: python benchmarks/family_backends.py [--docs 24] [--max-new-tokens 32] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models: test support, not installed

# lmms-eval's classes and their settings for a CPU run (they default to device_map="cuda"; device comes apart).
THEIRS = {
    "qwen2_5_vl": [("qwen2_5_vl", "device_map=cpu")],
    "llava_onevision": [("llava_onevision", "device_map=cpu"), ("llava_hf", "device_map=cpu")],
}
BATCH_SIZES = (1, 8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="runs per variant; the fastest counts")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mllm-judge-families-"))
    os.environ.setdefault("HF_HOME", str(workdir / "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch
    from datasets import load_dataset
    from lmms_eval.models import get_model

    from dataset_scripts.build import build_mini
    from mllm_judge_tasks.harness_requests import judge_requests
    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
    from tiny_models import BUILDERS

    torch.set_num_threads(os.cpu_count() or 1)
    rows = load_dataset(str(build_mini(workdir / "mllm-judge").out_dir), "pair", split="test").select(range(args.docs))

    def make(backend: str, settings: str, path: Path, batch_size: int):
        if backend == "mllm_judge_hf":
            return MLLMJudgeHF(pretrained=str(path), batch_size=batch_size, use_cache=False)
        return get_model(backend).create_from_arg_string(f"pretrained={path},{settings}", {"batch_size": batch_size, "device": "cpu"})

    def measure(model) -> tuple[float, list[str]]:
        best, answers = float("inf"), []
        for _ in range(args.repeats):
            requests = judge_requests(model, rows, "pair", max_new_tokens=args.max_new_tokens)
            start = time.perf_counter()
            answers = [getattr(answer, "text", answer) for answer in model.generate_until(requests)]  # str or GenerationResult
            best = min(best, time.perf_counter() - start)
        return args.docs / best, answers

    lines = []
    for family, theirs in THEIRS.items():
        path = BUILDERS[family](workdir / family)
        speeds: dict[str, dict[int, float]] = {}
        for backend, settings in [("mllm_judge_hf", ""), *theirs]:
            outputs, error = {}, None
            for batch_size in BATCH_SIZES:
                try:
                    speed, outputs[batch_size] = measure(make(backend, settings, path, batch_size))
                    speeds.setdefault(backend, {})[batch_size] = speed
                except Exception as exc:  # theirs may crash: report it, go on with the others
                    error = error or f"batch {batch_size}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
            same = outputs[1] == outputs[8] if len(outputs) == 2 else None
            distinct = len(set(outputs.get(1, [])))
            cells = [f"{speeds.get(backend, {}).get(b, float('nan')):7.2f}" for b in BATCH_SIZES]
            lines.append(f"{family:16} {backend:16} {cells[0]} {cells[1]}  {str(same):5}  {distinct:3}  {error or ''}")
        ours = speeds.get("mllm_judge_hf", {}).get(8)
        for backend, _ in theirs:
            their = speeds.get(backend, {})
            if ours and 8 in their:
                lines.append(f"{family:16} ours / {backend} at batch 8: {ours / their[8]:.2f}x")
            elif ours and their:  # theirs runs only at batch 1
                lines.append(f"{family:16} ours at batch 8 / {backend} at batch 1 (its only size): {ours / their[1]:.2f}x")
    print(f"\n{args.docs} pair documents, max_new_tokens={args.max_new_tokens}, {torch.get_num_threads()} CPU threads, "
          f"best of {args.repeats}; samples/s")
    print(f"{'family':16} {'backend':16} {'batch 1':>7} {'batch 8':>7}  b8=b1  distinct answers at b1  error")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
