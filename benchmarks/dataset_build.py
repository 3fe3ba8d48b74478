"""Build a full-size synthetic release and measure the dataset build: time, size and load speed.

The release mimics the official one in shape and size: 4,414 JPEG images of
about the official average size (~75 KB, 640x480), about 6,000 score rows
(4 per instruction), 8,800 pair rows (6 per instruction, on the same
instructions) and 3,100 batch rows on their own instructions, as in the
release. It prints:

- build seconds (`mllm-judge build` on the release, images checked and written);
- bytes on disk ÷ bytes of the distinct images, per config and in all (each
  config embeds its own images, so an image used by two configs is stored in
  both: the per-config ratio is the one dictionary encoding controls);
- the same ratio for `Dataset.to_parquet`, measured side by side on the pair config;
- cold `load_dataset` seconds (empty cache: parquet → Arrow cache) and warm (cache hit).

Usage: python benchmarks/dataset_build.py [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

N_IMAGES = 4414
N_SCORE_PAIR_INSTRUCTIONS = 1500  # 4 score rows and ~5.9 pair rows each
N_BATCH = 3100
RESPONDERS = ("gpt4", "gemini", "llava", "cogvlm")
SOURCES = ("coco", "ChartQA", "mathvista", "WIT", "textVQA", "diffusiondb")


def draw_image(index: int) -> bytes:
    """A 640x480 JPEG with gradients, shapes and text: photo-like in size, unique per index."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(index)
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(640), rng.randrange(480)
        size = rng.randrange(10, 120)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + size, y + size), fill=colour)
    draw.text((20, 20), f"image {index}", fill=(255, 255, 255))
    noise = Image.effect_noise((640, 480), 40).convert("RGB")
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(1)), noise, 0.25)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def write_release(root: Path) -> int:
    """The synthetic release under `root`; returns the bytes of its distinct images."""
    images = root / "Dataset" / "image"
    images.mkdir(parents=True)
    with Pool(os.cpu_count()) as pool:
        for index, data in enumerate(pool.imap(draw_image, range(N_IMAGES), chunksize=64)):
            (images / f"{index}.jpg").write_bytes(data)
    rng = random.Random(0)
    bench = root / "Dataset" / "Benchmark"
    bench.mkdir(parents=True)
    answer = "The figure shows " + "a detailed answer about the image. " * 12
    score, pair, batch = [], [], []
    for instruction in range(N_SCORE_PAIR_INSTRUCTIONS):
        common = {"id": instruction, "instruction": f"Question {instruction} about this figure?",
                  "image_path": f"{instruction}.jpg", "original_dataset": SOURCES[instruction % len(SOURCES)]}
        for name in RESPONDERS:
            score.append({"score_id": len(score), "name": name, "answer": f"{name}: {answer}", **common,
                          "human": rng.randint(1, 5)})
        for a in range(4):
            for b in range(a + 1, 4):
                if len(pair) < 8800:
                    pair.append({**common, "pair_id": len(pair),
                                 "answer1": {"name": RESPONDERS[a], "answer": f"{RESPONDERS[a]}: {answer}"},
                                 "answer2": {"name": RESPONDERS[b], "answer": f"{RESPONDERS[b]}: {answer}"},
                                 "human": rng.choice("ABC")})
    for offset in range(N_BATCH):
        instruction = N_SCORE_PAIR_INSTRUCTIONS + offset
        image = N_SCORE_PAIR_INSTRUCTIONS + offset % (N_IMAGES - N_SCORE_PAIR_INSTRUCTIONS)
        ranking = list("ABCD")
        rng.shuffle(ranking)
        batch.append({"id": instruction, "instruction": f"Rank the answers to question {instruction}.",
                      "image_path": f"image/{image}.jpg", "original_dataset": SOURCES[offset % len(SOURCES)],
                      "answers": [{"name": name, "answer": f"{name}: {answer}"} for name in RESPONDERS],
                      "human_answer": "".join(ranking)})
    for name, records in (("score", score), ("pair", pair), ("batch", batch)):
        with (bench / f"{name}.jsonl").open("w") as handle:
            handle.writelines(json.dumps(record) + "\n" for record in records)
    return sum(path.stat().st_size for path in images.iterdir())


def distinct_image_bytes(release: Path, config_rows: list[dict]) -> int:
    names = {row["image_file"] for row in config_rows}
    return sum((release / "Dataset" / "image" / name).stat().st_size for name in names)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="where to write (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the release and the build")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mllm-judge-bench-"))
    os.environ["HF_HOME"] = str(workdir / "hf-home")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from datasets import Dataset, load_dataset

    from dataset_scripts.assemble import assemble_release
    from dataset_scripts.build import build_from_release
    from mllm_judge_tasks import schema

    release = workdir / "release"
    print(f"writing a full-size synthetic release to {release} ...", flush=True)
    _, seconds = timed(write_release, release)
    all_images = sum(p.stat().st_size for p in (release / "Dataset" / "image").iterdir())
    print(f"  {N_IMAGES} images, {all_images / 2**20:.1f} MiB ({all_images / N_IMAGES / 1024:.0f} KiB each), in {seconds:.1f} s")

    result, build_seconds = timed(build_from_release, release, workdir / "mllm-judge", overwrite=True)
    print(f"\nbuild: {build_seconds:.1f} s (goal <= 60 s)")

    assembly = assemble_release(release)
    total_disk = total_distinct = 0
    print(f"\n{'config':<8}{'rows':>7}{'on disk MiB':>13}{'images MiB':>12}{'ratio':>8}")
    for name, files in result.configs.items():
        distinct = distinct_image_bytes(release, assembly.rows[name])
        total_disk += files.num_bytes
        total_distinct += distinct
        print(f"{name:<8}{files.num_examples:>7}{files.num_bytes / 2**20:>13.1f}{distinct / 2**20:>12.1f}{files.num_bytes / distinct:>8.3f}")
    print(f"{'all':<8}{'':>7}{total_disk / 2**20:>13.1f}{total_distinct / 2**20:>12.1f}{total_disk / total_distinct:>8.3f}  (goal <= 1.15)")
    print(f"all configs ÷ the {N_IMAGES} distinct images of the release: {total_disk / all_images:.3f} "
          "(an image used by two configs is embedded in both)")

    pair_rows = [
        {**row, "image": {"bytes": (release / "Dataset" / "image" / row["image_file"]).read_bytes(), "path": row["image_file"]}}
        for row in assembly.rows["pair"]
    ]
    naive = workdir / "naive-pair.parquet"
    Dataset.from_list(pair_rows, features=schema.FEATURES["pair"]).to_parquet(str(naive))
    pair_distinct = distinct_image_bytes(release, assembly.rows["pair"])
    ours = result.configs["pair"].num_bytes
    print(f"\npair config side by side: Dataset.to_parquet {naive.stat().st_size / 2**20:.1f} MiB "
          f"(ratio {naive.stat().st_size / pair_distinct:.2f}), ours {ours / 2**20:.1f} MiB "
          f"(ratio {ours / pair_distinct:.3f}): {naive.stat().st_size / ours:.1f}x smaller")

    print("\nload_dataset (pair config):")
    _, cold = timed(load_dataset, str(workdir / "mllm-judge"), "pair", split="test")
    loaded, warm = timed(load_dataset, str(workdir / "mllm-judge"), "pair", split="test")
    print(f"  cold (empty cache) {cold:.1f} s, warm {warm:.2f} s (goal <= 2 s); {len(loaded)} rows, "
          f"first image {loaded[0]['image'].size}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
