"""Judge throughput, side by side in one run: the same tiny model, the same mini-benchmark documents.

Variants (greedy, the same max_new_tokens and stop strings everywhere):
- ours at batch 8 (`mllm_judge_hf`, free generation, cache off);
- lmms-eval's built-in `huggingface` chat backend at batch 8 (reported as failing where it fails);
- a plain hand-written `model.generate` loop at batch 8, documents in dataset order (the practical limit);
- ours at batch 1;
- ours in verdict-probability mode (one forward pass per batch) at batch 8.
Prints samples/s and the ratios. Goals: ≥ 2x huggingface, ≥ 3x our batch 1, ≥ 0.9x the plain loop,
probability mode ≥ 10x free generation.

Usage: python benchmarks/judge_throughput.py [--docs 48] [--max-new-tokens 512] [--repeats 3] [--arch llava]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models: test support, not installed


def best_seconds(function, repeats: int) -> float:
    """The fastest of `repeats` runs: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=48)
    parser.add_argument("--max-new-tokens", type=int, default=512, help="default: the tasks' own setting")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant; the fastest counts")
    from tiny_models import ARCHITECTURES

    parser.add_argument("--arch", default="llava", choices=ARCHITECTURES)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mllm-judge-throughput-"))
    os.environ.setdefault("HF_HOME", str(workdir / "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch
    from datasets import load_dataset

    from dataset_scripts.build import build_mini
    from mllm_judge_tasks.harness_requests import judge_requests
    from mllm_judge_tasks.models.inputs import cut_at_stop, to_request
    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
    from tiny_models import BUILDERS
    from mllm_judge_tasks.tasks import hooks

    torch.set_num_threads(os.cpu_count() or 1)
    model_dir = BUILDERS[args.arch](workdir / args.arch)
    rows = load_dataset(str(build_mini(workdir / "mllm-judge").out_dir), "pair", split="test").select(range(args.docs))
    until = ("</s>",)
    results: dict[str, float | str] = {}

    def ours(batch_size: int, mode: str = "free") -> float:
        model = MLLMJudgeHF(pretrained=str(model_dir), batch_size=batch_size, use_cache=False, verdict_mode=mode)
        model.generate_until(judge_requests(model, rows.select(range(4)), "pair", max_new_tokens=args.max_new_tokens))  # warm up
        seconds = best_seconds(lambda: model.generate_until(judge_requests(model, rows, "pair", max_new_tokens=args.max_new_tokens)), args.repeats)
        return args.docs / seconds

    def plain_loop() -> float:
        model = MLLMJudgeHF(pretrained=str(model_dir), batch_size=8, use_cache=False)
        judge = model.judge
        def run(items):
            outputs = []
            for start in range(0, len(items), 8):
                messages = [hooks.doc_to_messages(row, {"task": "pair", "setting": "plain"}) for row in items.select(range(start, min(start + 8, len(items))))]
                requests = [to_request(judge.processor, m, None, task="pair", answer_count=2) for m in messages]
                batch = judge.processor(text=[r.prompt for r in requests], images=[r.images for r in requests],
                                        padding=True, return_tensors="pt")
                with torch.inference_mode():
                    generated = judge.model.generate(**batch, max_new_tokens=args.max_new_tokens, do_sample=False,
                                                     stop_strings=list(until), tokenizer=judge.processor.tokenizer,
                                                     pad_token_id=judge.processor.tokenizer.pad_token_id)
                texts = judge.processor.tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
                outputs += [cut_at_stop(t, until) for t in texts]
            return outputs

        run(rows.select(range(4)))
        seconds = best_seconds(lambda: run(rows), args.repeats)
        return args.docs / seconds

    def lmms_eval_huggingface() -> float:
        from lmms_eval.models.chat.huggingface import Huggingface

        model = Huggingface(pretrained=str(model_dir), device="cpu", device_map="cpu", batch_size=8)
        seconds = best_seconds(lambda: model.generate_until(judge_requests(model, rows, "pair", max_new_tokens=args.max_new_tokens)), 1)
        return args.docs / seconds

    variants = {
        "ours, batch 8": lambda: ours(8),
        "lmms-eval huggingface, batch 8": lmms_eval_huggingface,
        "plain generate loop, batch 8": plain_loop,
        "ours, batch 1": lambda: ours(1),
        "ours, verdict probability, batch 8": lambda: ours(8, "probability"),
    }
    for name, run in variants.items():
        try:
            results[name] = run()
        except Exception as error:  # a backend that fails is a result to report, not a crash
            results[name] = f"fails: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
            traceback.print_exc(file=sys.stderr)
        shown = results[name]
        print(f"{name:<38} {shown:8.1f} samples/s" if isinstance(shown, float) else f"{name:<38} {shown}", flush=True)

    ours8 = results["ours, batch 8"]

    def ratio(label: str, other: str, goal: str) -> None:
        value = results[other]
        if isinstance(value, str):
            print(f"{label:<44} n/a ({value})")
        else:
            print(f"{label:<44} {ours8 / value if 'probability' not in other else value / ours8:6.2f}x  (goal {goal})")

    print(f"\n{args.docs} pair documents of the mini benchmark, tiny {args.arch}, max_new_tokens={args.max_new_tokens}, "
          f"{torch.get_num_threads()} CPU threads")
    ratio("ours batch 8 / lmms-eval huggingface", "lmms-eval huggingface, batch 8", ">= 2")
    ratio("ours batch 8 / ours batch 1", "ours, batch 1", ">= 3")
    ratio("ours batch 8 / plain loop", "plain generate loop, batch 8", ">= 0.9")
    ratio("probability mode / ours free batch 8", "ours, verdict probability, batch 8", ">= 10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
