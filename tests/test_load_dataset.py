"""`datasets.load_dataset` on built directories, by name from the parent and by absolute path, offline."""

import os

import pytest
from datasets import load_dataset
from PIL import Image

from dataset_scripts.assemble import assemble_release
from dataset_scripts.build import build_from_release
from dataset_scripts.mini import make_mini_benchmark
from mllm_judge_tasks import schema


def assert_rows_round_trip(loaded, rows, task):
    assert loaded.features == schema.FEATURES[task]
    assert len(loaded) == len(rows)
    by_id = {row["id"]: row for row in rows}
    for item in loaded:
        row = by_id[item["id"]]
        assert isinstance(item["image"], Image.Image)
        for key, value in row.items():
            if key == "human":
                assert loaded.features["human"].int2str(item["human"]) == value
            elif key not in ("image",):
                assert item[key] == value, (item["id"], key)


def test_every_config_of_the_real_excerpt_round_trips(real_release, tmp_path, monkeypatch):
    assembly = assemble_release(real_release)
    build_from_release(real_release, tmp_path / "mllm-judge")
    monkeypatch.chdir(tmp_path)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    for config, rows in assembly.rows.items():
        loaded = load_dataset("mllm-judge", config, split="test")
        assert_rows_round_trip(loaded, rows, schema.task_of_config(config))


@pytest.mark.parametrize("config", ["score", "pair", "batch"])
def test_mini_configs_round_trip_by_absolute_path(mini_repo, config):
    rows, images = make_mini_benchmark()
    loaded = load_dataset(str(mini_repo.resolve()), config, split="test")
    assert_rows_round_trip(loaded, rows[config], config)
    first = loaded[0]
    assert first["image"].tobytes() == Image.open(__import__("io").BytesIO(images[first["image_file"]])).convert("RGB").tobytes()


def test_mini_holds_the_promised_sizes(mini_repo):
    sizes = {config: len(load_dataset(str(mini_repo), config, split="test")) for config in schema.TASKS}
    assert sizes == {"score": 200, "pair": 300, "batch": 50}
    pair = load_dataset(str(mini_repo), "pair", split="test")
    assert set(pair.features["human"].int2str(pair["human"])) == {"A", "B", "tie"}
    batch = load_dataset(str(mini_repo), "batch", split="test")
    assert {len(item) for item in batch["responses"]} == {3, 4}
