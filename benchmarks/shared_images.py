"""What sending requests that share an image together buys, in probability mode, offline and through a server.

In the benchmark each image serves 6 pairs and 4 scores. With prefix caching, a request whose prompt starts like
an earlier one's (the image comes first) skips that part of the prefill, but only while the earlier blocks are
still cached; so the backends of engines with such caches (`mllm_judge_vllm`, `mllm_judge_openai`) send requests
sharing an image side by side. This script judges the mini benchmark's 200 score and 300 pair documents in one
call, in probability mode (one new token: the prompt is the work), with images enlarged so they take most of
the prompt (896x672: 768 image tokens on Qwen2-VL), and prints samples/s for: grouped by image (our order) vs
ungrouped (longest prompt first, the order before), each with prefix caching on and off, on the offline engine
and on a vLLM server (`mllm_judge_openai`, 64 in flight). Each engine or server starts before the clock runs.

Run it in the vLLM environment: VLLM_CPU_KVCACHE_SPACE=1 .venv-vllm/bin/python benchmarks/shared_images.py
"""

from __future__ import annotations

import time

from tiny_vllm_setup import arguments, tiny_qwen_and_rows
from vllm_server import VLLMServer  # tests/, put on the path by tiny_vllm_setup

SIZE = (896, 672)


def main() -> int:
    args = arguments(__doc__, max_new_tokens=1, docs=300, concurrency=64)
    model_dir, rows, workdir = tiny_qwen_and_rows(args.docs, "mllm-judge-shared-images-")
    from mllm_judge_tasks.harness_requests import judge_requests
    from mllm_judge_tasks.models.mllm_judge_openai import MLLMJudgeOpenAI
    from mllm_judge_tasks.models.mllm_judge_vllm import MLLMJudgeVLLM

    rows = {task: [{**row, "image": row["image"].convert("RGB").resize(SIZE)} for row in items] for task, items in rows.items()}
    count = sum(len(items) for items in rows.values())

    def speed(model, grouped: bool) -> float:
        """Samples/s over every document in one call (as lmms-eval hands over a run), the fastest of --repeats."""
        model.verdict_mode, model.groups_images = "probability", grouped
        best = float("inf")
        for _ in range(args.repeats):
            requests = [r for task, items in rows.items() for r in judge_requests(model, items, task, max_new_tokens=1)]
            start = time.perf_counter()
            model.generate_until(requests)
            best = min(best, time.perf_counter() - start)
        return count / best

    results = {}
    for caching in (True, False):
        engine = MLLMJudgeVLLM(pretrained=str(model_dir), dtype="float32", batch_size=256, use_cache=False,
                               max_pixels=None, enforce_eager=True, prefix_caching=caching)
        for grouped in (True, False):
            results[("offline", caching, grouped)] = speed(engine, grouped)
        engine.llm.llm_engine.engine_core.shutdown()
        del engine
    for caching in (True, False):
        flags = () if caching else ("--no-enable-prefix-caching",)
        server = VLLMServer.launch(model_dir, workdir / "server.log", *flags)
        root = server.wait()
        try:
            judge = MLLMJudgeOpenAI(base_url=f"{root}/v1", model=str(model_dir), use_cache=False, batch_size=256,
                                    max_pixels=None, max_concurrency=args.concurrency)
            for grouped in (True, False):
                results[("server", caching, grouped)] = speed(judge, grouped)
        finally:
            server.stop()
    print(f"\n{len(rows['score'])} score + {len(rows['pair'])} pair documents ({SIZE[0]}x{SIZE[1]} images, each shared by "
          f"up to 10 documents), probability mode, tiny Qwen2-VL, fp32, CPU, best of {args.repeats}; samples/s")
    print(f"{'':10} {'prefix caching':>16} {'grouped':>10} {'ungrouped':>10} {'ratio':>7}")
    for where in ("offline", "server"):
        for caching in (True, False):
            grouped, ungrouped = results[(where, caching, True)], results[(where, caching, False)]
            print(f"{where:10} {'on' if caching else 'off':>16} {grouped:10.1f} {ungrouped:10.1f} {grouped / ungrouped:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
