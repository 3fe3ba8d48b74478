"""A judge at a realistic size: a Qwen2.5-VL-7B-shaped model with random weights, through our backend.

Builds the checkpoint from a config (no download; Qwen2.5-VL-7B-Instruct's sizes, a tokenizer trained on the
spot, the real image-processor settings), saves it, and judges the same mini-benchmark pair documents at each
batch size, printing samples/s, the speedup over batch 1, peak GPU memory, and whether every batch size gives
the batch-1 answers. On a GPU: `--size 7b` (the default there), bf16, SDPA (or `--attn flash_attention_2`).
Without one it runs the same code at `--size small` on the CPU.

Usage: python benchmarks/judge_at_scale.py [--size 7b|small] [--batch-sizes 1,8,32] [--docs 64] [--max-new-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models: test support, not installed

SIZES = {
    # Qwen2.5-VL-7B-Instruct's config.json
    "7b": dict(text=dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                         num_key_value_heads=4, vocab_size=152064, mrope_section=[16, 24, 24]),
               vision=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=3584,
                           window_size=112, fullatt_block_indexes=[7, 15, 23, 31])),
    "small": dict(text=dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
                            num_key_value_heads=2, vocab_size=4096, mrope_section=[8, 12, 12]),
                  vision=dict(depth=4, hidden_size=128, intermediate_size=256, num_heads=4, out_hidden_size=256,
                              window_size=112, fullatt_block_indexes=[3])),
}


def build_checkpoint(directory: Path, size: str, dtype) -> Path:
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    from mllm_judge_tasks.tiny_judge import chat_template, token_ids, train_tokenizer
    from tiny_models.qwen import QWEN_IMAGE, QWEN_TOKENS

    tokenizer = train_tokenizer(list(QWEN_TOKENS.values()), QWEN_TOKENS)
    text = dict(SIZES[size]["text"])
    sections = text.pop("mrope_section")
    config = Qwen2_5_VLConfig(
        text_config=dict(**text, max_position_embeddings=32768, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         rope_parameters={"rope_type": "default", "mrope_section": sections, "rope_theta": 1000000.0}),
        vision_config=dict(**SIZES[size]["vision"], patch_size=14, spatial_merge_size=2, temporal_patch_size=2, in_channels=3),
        **token_ids(tokenizer, QWEN_TOKENS),
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype)
    model.apply(model._init_weights)
    model.save_pretrained(directory)
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer,
                                    video_processor=Qwen2VLVideoProcessor(), chat_template=chat_template(QWEN_IMAGE))
    processor.save_pretrained(directory)
    return directory


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="7b" if torch.cuda.is_available() else "small")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--attn", default="sdpa", help="sdpa or flash_attention_2")
    parser.add_argument("--workdir", type=Path, default=None, help="where the checkpoint goes (15 GB at 7b)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mllm-judge-scale-"))
    os.environ.setdefault("HF_HOME", str(workdir / "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = "1"

    from datasets import load_dataset

    from dataset_scripts.build import build_mini
    from mllm_judge_tasks.harness_requests import judge_requests
    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF

    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda else torch.float32
    start = time.perf_counter()
    path = build_checkpoint(workdir / f"qwen2_5_vl-{args.size}", args.size, dtype)
    print(f"built a {args.size} Qwen2.5-VL-shaped checkpoint in {time.perf_counter() - start:.0f}s: {path}")
    rows = load_dataset(str(build_mini(workdir / "mllm-judge").out_dir), "pair", split="test").select(range(args.docs))
    model = MLLMJudgeHF(pretrained=str(path), batch_size=1, use_cache=False, attn_implementation=args.attn,
                        dtype="bfloat16" if cuda else "float32")
    parameters = sum(p.numel() for p in model.judge.model.parameters())
    model.generate_until(judge_requests(model, rows.select(range(2)), "pair", max_new_tokens=4))  # warm up
    results = {}
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        model.batch_size_per_gpu = batch_size
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        answers = model.generate_until(judge_requests(model, rows, "pair", max_new_tokens=args.max_new_tokens))
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
        results[batch_size] = (args.docs / seconds, peak, answers)
    device = torch.cuda.get_device_name() if cuda else f"CPU, {torch.get_num_threads()} threads"
    print(f"\n{args.size}: {parameters / 1e9:.2f} B parameters, {dtype}, {args.attn}, {device}; {args.docs} pair documents, "
          f"max_new_tokens={args.max_new_tokens}, greedy")
    print(f"{'batch':>5} {'samples/s':>10} {'vs batch 1':>10} {'peak GiB':>9}  same answers as batch 1")
    first = next(iter(results.values()))
    for batch_size, (speed, peak, answers) in results.items():
        same = sum(a == b for a, b in zip(answers, first[2]))
        print(f"{batch_size:5} {speed:10.2f} {speed / first[0]:9.2f}x {peak:9.1f}  {same}/{len(answers)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
