"""A judge behind a vLLM server: `mllm_judge_openai` beside lmms-eval's `openai` on the same server and beside
`mllm_judge_vllm` offline on the same model, in one run.

The same tiny Qwen2-VL (heads of 32, as vLLM on CPU needs), the same mini-benchmark score and pair documents,
greedy, cache off, all the documents' requests in one call. Both clients keep --concurrency requests in flight
(default 128: all of them at the default --docs, so the server batches them all, as the offline engine does; at 64
both clients were slower, README's figures). Prints samples/s for free and probability modes (lmms-eval's `openai`
has free mode only); the offline engine runs first and is shut down before the server starts, so they never share
the cores. The two clients take turns, pass by pass, so that a change in the machine's load falls on both; the CPU
seconds each client's process spent on a pass (`time.process_time`, its threads included; the server is another
process) are printed too, since on shared cores that is what a client takes from the server.
Goal: `mllm_judge_openai` free ≥ 1.5× lmms-eval's `openai` free; the ratio to offline is reported.

Run it in the vLLM environment: VLLM_CPU_KVCACHE_SPACE=1 .venv-vllm/bin/python benchmarks/server_throughput.py
"""

from __future__ import annotations

import time

from tiny_vllm_setup import arguments, samples_per_second, tiny_qwen_and_rows
from vllm_server import VLLMServer  # tests/, put on the path by tiny_vllm_setup


def main() -> int:
    args = arguments(__doc__, max_new_tokens=64, concurrency=128)
    model_dir, rows, workdir = tiny_qwen_and_rows(args.docs, "mllm-judge-server-")
    from lmms_eval.models import get_model

    from mllm_judge_tasks.models.mllm_judge_openai import MLLMJudgeOpenAI
    from mllm_judge_tasks.models.mllm_judge_vllm import MLLMJudgeVLLM

    def speed(model, mode: str, repeats: int = args.repeats) -> float:
        return samples_per_second(model, rows, mode, args.max_new_tokens, repeats)

    offline = MLLMJudgeVLLM(pretrained=str(model_dir), dtype="float32", batch_size=256, use_cache=False, enforce_eager=True)
    results = {f"mllm_judge_vllm offline {mode}": speed(offline, mode) for mode in ("free", "probability")}
    offline.llm.llm_engine.engine_core.shutdown()
    del offline
    server = VLLMServer.launch(model_dir, workdir / "server.log")
    root = server.wait()
    try:
        ours = MLLMJudgeOpenAI(base_url=f"{root}/v1", model=str(model_dir), use_cache=False, batch_size=256,
                               max_concurrency=args.concurrency)
        theirs = get_model("openai").create_from_arg_string(
            f"model={model_dir},base_url={root}/v1,api_key=EMPTY,num_concurrent={args.concurrency},timeout=600",
            {"batch_size": 64})
        turns = {"mllm_judge_openai free": (ours, "free"), "lmms-eval openai free": (theirs, "free"),
                 "mllm_judge_openai probability": (ours, "probability")}
        client_cpu: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, (model, mode) in turns.items():
                started = time.process_time()
                results[name] = max(results.get(name, 0.0), speed(model, mode, repeats=1))
                client_cpu[name] = min(client_cpu.get(name, float("inf")), time.process_time() - started)
    finally:
        server.stop()
    print(f"\n{args.docs} score + {args.docs} pair documents, tiny Qwen2-VL, max_new_tokens={args.max_new_tokens}, "
          f"fp32, CPU (client and server share the cores), {args.concurrency} in flight, best of {args.repeats}")
    for name, value in results.items():
        print(f"{name:40} {value:8.1f} samples/s")
    for name, seconds in client_cpu.items():
        print(f"{name:40} {seconds:8.2f} s of client CPU a pass (fewest)")
    free = results["mllm_judge_openai free"]
    print(f"openai free / lmms-eval openai free      {free / results['lmms-eval openai free']:8.2f}x  (goal >= 1.5)")
    print(f"openai free / offline free               {free / results['mllm_judge_vllm offline free']:8.2f}x")
    print(f"openai probability / offline probability "
          f"{results['mllm_judge_openai probability'] / results['mllm_judge_vllm offline probability']:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
