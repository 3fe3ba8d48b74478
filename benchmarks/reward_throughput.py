"""A reward model beside generative judging on the same backbone, side by side in one run.

One tiny Qwen2-VL checkpoint with a value head beside it (Skywork-VL-Reward's layout) is judged three ways on
the whole mini benchmark (score, pair and batch items), cache off, batch 8:
- `mllm_judge_rm`: one forward pass per distinct (image, instruction, response);
- `mllm_judge_hf` in probability mode (one forward pass per item; batch items fall back to constrained);
- `mllm_judge_hf` in free generation (`--max-new-tokens`, greedy).
Prints samples/s for each, the ratios, and how many forward passes the reward model's de-duplication saved:
responses shown over all items against responses scored.

Usage: python benchmarks/reward_throughput.py [--max-new-tokens 64] [--items N]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import redirect_stderr
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models: test support, not installed

TASKS = ("score", "pair", "batch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--items", type=int, default=None, help="items per task (default: all of the mini benchmark)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mllm-judge-reward-"))
    os.environ.setdefault("HF_HOME", str(workdir / "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch
    from datasets import load_dataset

    from dataset_scripts.build import build_mini
    from mllm_judge_tasks.harness_requests import judge_requests
    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
    from mllm_judge_tasks.models.mllm_judge_rm import MLLMJudgeRM
    from tiny_models.reward import build_value_head_reward

    torch.set_num_threads(os.cpu_count() or 1)
    model_dir = str(build_value_head_reward(workdir / "qwen2-vl-reward"))
    repo = build_mini(workdir / "mllm-judge").out_dir
    rows = {task: load_dataset(str(repo), task, split="test") for task in TASKS}
    if args.items:
        rows = {task: data.select(range(min(args.items, len(data)))) for task, data in rows.items()}
    items = sum(len(data) for data in rows.values())

    def requests_for(model) -> list:
        return [request for task in TASKS
                for request in judge_requests(model, rows[task], task, max_new_tokens=args.max_new_tokens)]

    def timed(model) -> tuple[float, str]:
        requests, log = requests_for(model), StringIO()
        start = time.perf_counter()
        with redirect_stderr(log):
            model.generate_until(requests)
        return items / (time.perf_counter() - start), log.getvalue()

    rates = {}
    rates["reward model (mllm_judge_rm)"], log = timed(MLLMJudgeRM(pretrained=model_dir, batch_size=8, use_cache=False))
    counts = re.search(r"(\d+) responses: (\d+) scored", log)
    for mode in ("probability", "free"):
        judge = MLLMJudgeHF(pretrained=model_dir, batch_size=8, use_cache=False, verdict_mode=mode)
        rates[f"generative, {mode} (mllm_judge_hf)"], _ = timed(judge)

    print(f"{items} items (score, pair, batch) of the mini benchmark, tiny Qwen2-VL backbone, batch 8, "
          f"{torch.get_num_threads()} threads, max_new_tokens {args.max_new_tokens}")
    reward = rates["reward model (mllm_judge_rm)"]
    for name, rate in rates.items():
        print(f"  {name:<40} {rate:8.1f} samples/s   reward model = {reward / rate:5.1f}x")
    shown, scored = int(counts.group(1)), int(counts.group(2))
    print(f"  de-duplication: {shown} responses shown over all items, {scored} forward passes "
          f"({shown - scored} saved, {shown / scored:.1f}x fewer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
