"""The vLLM backend side by side with the transformers backend and lmms-eval's own `vllm` backend, in one run.

The same tiny Qwen2-VL (heads of 32, as vLLM on CPU needs), the same mini-benchmark score and pair documents,
greedy. Prints samples/s for: `mllm_judge_vllm` in free, constrained and probability modes; `mllm_judge_hf`
in the same modes at batch 8; lmms-eval's `vllm` backend (free only: it has no other mode) at its best batch
size. Engines start before the clock runs; the fastest of --repeats runs counts. Goals: vLLM free ≥ 3×
transformers free, ≥ 1× lmms-eval's vllm; constrained within 1.5× of free mode's time.

Run it in the vLLM environment: VLLM_CPU_KVCACHE_SPACE=1 .venv-vllm/bin/python benchmarks/vllm_throughput.py
"""

from __future__ import annotations

from tiny_vllm_setup import arguments, samples_per_second, tiny_qwen_and_rows


def main() -> int:
    args = arguments(__doc__, max_new_tokens=128)
    model_dir, rows, _ = tiny_qwen_and_rows(args.docs, "mllm-judge-vllm-")
    from lmms_eval.models import get_model

    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
    from mllm_judge_tasks.models.mllm_judge_vllm import MLLMJudgeVLLM

    def speed(model, mode: str) -> float:
        return samples_per_second(model, rows, mode, args.max_new_tokens, args.repeats)

    ours = MLLMJudgeVLLM(pretrained=str(model_dir), dtype="float32", batch_size=256, use_cache=False)
    hf = MLLMJudgeHF(pretrained=str(model_dir), batch_size=8, use_cache=False)
    results = {f"mllm_judge_vllm {mode}": speed(ours, mode) for mode in ("free", "constrained", "probability")}
    results |= {f"mllm_judge_hf {mode}, batch 8": speed(hf, mode) for mode in ("free", "constrained", "probability")}
    del ours
    theirs = {}
    for batch_size in (8, 64):
        try:
            model = get_model("vllm").create_from_arg_string(
                f"model={model_dir},dtype=float32,max_new_tokens={args.max_new_tokens}", {"batch_size": batch_size})
            theirs[batch_size] = speed(model, "free")
            del model
        except Exception as exc:  # report and go on
            print(f"lmms-eval vllm, batch {batch_size}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    if theirs:
        best = max(theirs, key=theirs.get)
        results[f"lmms-eval vllm free, batch {best} (its best)"] = theirs[best]
    print(f"\n{args.docs} score + {args.docs} pair documents, tiny Qwen2-VL, max_new_tokens={args.max_new_tokens}, "
          f"fp32, CPU, best of {args.repeats}")
    for name, value in results.items():
        print(f"{name:45} {value:8.1f} samples/s")
    free = results["mllm_judge_vllm free"]
    print(f"vllm free / hf free                           {free / results['mllm_judge_hf free, batch 8']:8.2f}x  (goal >= 3)")
    if theirs:
        print(f"vllm free / lmms-eval vllm                    {free / theirs[best]:8.2f}x  (goal >= 1)")
    print(f"vllm constrained time / free time             {free / results['mllm_judge_vllm constrained']:8.2f}x  (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
