"""What a build writes: deterministic bytes, atomic replacement, one stored copy per image,
a card whose YAML matches the files, and a push that uploads exactly those files."""

import hashlib
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image

from dataset_scripts.build import OutputExists, build_from_release, build_mini, write_repo
from dataset_scripts.push import NotABuiltRepo, planned_upload
from mllm_judge_tasks import protocol, schema
from conftest import lay_out_release


def digests(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_same_input_gives_byte_identical_files(real_release, tmp_path):
    build_from_release(real_release, tmp_path / "one")
    build_from_release(real_release, tmp_path / "two")
    one, two = digests(tmp_path / "one"), digests(tmp_path / "two")
    assert any(name.endswith(".parquet") for name in one)
    assert one == two


def test_mini_benchmark_is_deterministic(tmp_path):
    build_mini(tmp_path / "one")
    build_mini(tmp_path / "two")
    assert digests(tmp_path / "one") == digests(tmp_path / "two")


class FailingImages(dict):
    """Image bytes that stop being readable after `budget` reads, like a disk failing mid-build."""

    def __init__(self, images, budget):
        super().__init__(images)
        self.budget = budget

    def __getitem__(self, name):
        self.budget -= 1
        if self.budget < 0:
            raise OSError("read error")
        return super().__getitem__(name)


def test_a_build_failing_midway_leaves_nothing(tmp_path):
    from dataset_scripts.mini import make_mini_benchmark

    rows, images = make_mini_benchmark()
    out = tmp_path / "out"
    with pytest.raises(OSError):
        write_repo(out, rows, FailingImages(images, budget=300), {"source": "t", "configs": {}, "skipped": []}, mini=True, overwrite=False)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_rebuild_keeps_the_previous_build(tmp_path):
    from dataset_scripts.mini import make_mini_benchmark

    out = build_mini(tmp_path / "out").out_dir
    before = digests(out)
    rows, images = make_mini_benchmark()
    with pytest.raises(OSError):
        write_repo(out, rows, FailingImages(images, budget=300), {"source": "t", "configs": {}, "skipped": []}, mini=True, overwrite=True)
    assert digests(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_existing_output_needs_overwrite(tmp_path):
    build_mini(tmp_path / "out")
    with pytest.raises(OutputExists):
        build_mini(tmp_path / "out")
    build_mini(tmp_path / "out", overwrite=True)


def noisy_jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (48, 32), rng.randbytes(48 * 32 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_an_image_behind_several_rows_is_stored_once(tmp_path):
    """200 images behind 6 pair rows each (more rows than one parquet write batch): the file is barely
    larger than the images."""
    record = {"instruction": "Which answer is better?", "original_dataset": "coco", "human_answer": "A",
              "answer1": {"name": "gpt4", "answer": "A cat."}, "answer2": {"name": "llava", "answer": "A dog."}}
    lines = [json.dumps({**record, "id": i, "pair_id": i * 6 + k, "image_path": f"{i}.jpg"}) for i in range(200) for k in range(6)]
    release = lay_out_release(tmp_path / "release", {"Dataset/Benchmark/pair.jsonl": lines})
    images = {}
    for i in range(200):
        images[i] = noisy_jpeg(i)
        (release / "Dataset" / "image" / f"{i}.jpg").write_bytes(images[i])
    result = build_from_release(release, tmp_path / "out")
    distinct = sum(len(data) for data in images.values())
    assert result.configs["pair"].num_bytes < 1.15 * distinct
    assert result.configs["pair"].num_examples == 1200
    # Stored once by dictionary encoding, not only squeezed by the compressor: even
    # uncompressed, the image column holds each image's bytes once.
    metadata = pq.ParquetFile(tmp_path / "out" / result.configs["pair"].files[0]).metadata
    image_bytes = [
        metadata.row_group(g).column(c)
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
        if metadata.row_group(g).column(c).path_in_schema == "image.bytes"
    ]
    assert all(column.has_dictionary_page for column in image_bytes)
    assert sum(column.total_uncompressed_size for column in image_bytes) < 1.05 * distinct


def test_card_yaml_matches_the_files(real_release, tmp_path):
    result = build_from_release(real_release, tmp_path / "out")
    text = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["license"] == "mit"
    configs = {entry["config_name"]: entry for entry in front["configs"]}
    infos = {entry["config_name"]: entry for entry in front["dataset_info"]}
    assert set(configs) == set(infos) == set(result.configs)
    for name, entry in configs.items():
        (data_files,) = entry["data_files"]
        matched = sorted((tmp_path / "out").glob(data_files["path"]))
        assert [str(p.relative_to(tmp_path / "out")) for p in matched] == list(result.configs[name].files)
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in matched)
        (split,) = infos[name]["splits"]
        assert split == {"name": "test", "num_examples": rows, "num_bytes": sum(p.stat().st_size for p in matched)}
        features = [f["name"] for f in infos[name]["features"]]
        assert features == list(schema.FEATURES[protocol.task_of_config(name)])
    assert "Chen, Dongping" in text and "[[A]]" in text and "lmms-eval" in text


def test_push_dry_run_lists_the_built_files_and_uploads_nothing(mini_repo):
    done = subprocess.run(
        [sys.executable, "-m", "mllm_judge_app.cli", "push", str(mini_repo), "--repo-id", "someone/mllm-judge", "--dry-run"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines()[2:]]
    assert done.stdout.splitlines()[1].split(" -> ")[1].startswith("commit to dataset someone/mllm-judge: the repo root")
    assert listed == ["README.md", "batch/test-00000-of-00001.parquet", "build_report.json",
                      "pair/test-00000-of-00001.parquet", "score/test-00000-of-00001.parquet"]
    assert done.stdout.startswith(f"would upload from {mini_repo}:") and "(5 files, " in done.stdout


def test_push_refuses_a_directory_that_is_not_a_build(tmp_path):
    with pytest.raises(NotABuiltRepo):
        planned_upload(tmp_path, "someone/mllm-judge")


def test_push_sends_a_card_that_loads_the_repo_it_is_pushed_to(mini_repo):
    """Built, the card loads the local name; pushed to someone/mllm-judge (a local stand-in for the Hub API,
    through huggingface_hub's real client), it loads someone/mllm-judge, and every other file goes as built."""
    import os

    from fake_hub import FakeHub

    assert 'load_dataset("mllm-judge", "pair"' in (mini_repo / "README.md").read_text()
    hub = FakeHub()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mllm_judge_app.cli", "push", str(mini_repo), "--repo-id", "someone/mllm-judge"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_fake", "HF_HUB_OFFLINE": "0"})
    finally:
        hub.close()
    assert done.returncode == 0, done.stderr[-3000:]
    sent = {path: data for (repo, path), data in hub.files.items() if repo == "datasets/someone/mllm-judge"}
    card = sent["README.md"].decode()
    assert 'load_dataset("someone/mllm-judge", "pair"' in card and "MLLM_JUDGE_DATASET=someone/mllm-judge " in card
    assert 'load_dataset("mllm-judge"' not in card
    assert sent["build_report.json"] == (mini_repo / "build_report.json").read_bytes() and len(sent) == 5
