"""`datasets.load_dataset` on built directories, by name from the parent and by absolute path, offline."""

import json
import os

import pytest
from datasets import load_dataset
from PIL import Image

from dataset_scripts.assemble import assemble_release
from dataset_scripts.build import build_from_release
from dataset_scripts.mini import make_mini_benchmark
from mllm_judge_tasks import protocol, schema
from conftest import excerpt_lines, lay_out_release


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
        assert_rows_round_trip(loaded, rows, protocol.task_of_config(config))


@pytest.mark.parametrize("config", ["score", "pair", "batch"])
def test_mini_configs_round_trip_by_absolute_path(mini_repo, config):
    rows, images = make_mini_benchmark()
    loaded = load_dataset(str(mini_repo.resolve()), config, split="test")
    assert_rows_round_trip(loaded, rows[config], config)
    first = loaded[0]
    assert first["image"].tobytes() == Image.open(__import__("io").BytesIO(images[first["image_file"]])).convert("RGB").tobytes()


def test_mini_holds_the_promised_sizes(mini_repo):
    sizes = {config: len(load_dataset(str(mini_repo), config, split="test")) for config in protocol.TASKS}
    assert sizes == {"score": 200, "pair": 300, "batch": 50}
    pair = load_dataset(str(mini_repo), "pair", split="test")
    assert set(pair.features["human"].int2str(pair["human"])) == {"A", "B", "tie"}
    batch = load_dataset(str(mini_repo), "batch", split="test")
    assert {len(item) for item in batch["responses"]} == {3, 4}


def unlabelled(lines, **extra):
    """Subset-file copies of benchmark lines: no human label (as in HQ/Hard), official extras added."""
    out = []
    for line in lines:
        record = json.loads(line)
        for key in ("human", "human_answer"):
            record.pop(key, None)
        out.append(json.dumps({**record, **extra}, ensure_ascii=False))
    return out


def test_all_eleven_configs_round_trip(tmp_path, monkeypatch):
    files = excerpt_lines()
    score = files["Dataset/Benchmark_Lite/score_lite.jsonl"]
    pair = files["Dataset/Benchmark/pair.jsonl"]
    batch = files["Dataset/Benchmark/batch.jsonl"]
    files["Dataset/Benchmark/score.jsonl"] = score
    files["Dataset/Hard & HQ/HQ/Score.jsonl"] = unlabelled(score[:4])
    files["Dataset/Hard & HQ/Hard/Score.jsonl"] = unlabelled(score[4:8])
    files["MLLM-as-a-Judge-HQ/Pair.jsonl"] = unlabelled(pair, evaluator={"judge_human": "A", "name": "gpt4"})
    files["MLLM-as-a-Judge-Hard/Pair.jsonl"] = unlabelled(pair[:1])
    files["MLLM-as-a-Judge-HQ/Batch.jsonl"] = unlabelled(batch[:2])
    files["MLLM-as-a-Judge-Hard/Batch.jsonl"] = unlabelled(batch[2:])
    release = lay_out_release(tmp_path / "release", files)
    assembly = assemble_release(release)
    assert assembly.problems == []
    assert set(assembly.rows) == set(protocol.CONFIGS)
    hq_pair = {row["id"]: row for row in assembly.rows["hq_pair"]}
    assert hq_pair["pair-2"]["human"] == "A"  # joined from the benchmark
    assert json.loads(hq_pair["pair-2"]["extra"])["evaluator"]["judge_human"] == "A"
    assert {row["id"] for row in assembly.rows["lite_score"]} <= {row["id"] for row in assembly.rows["score"]}
    build_from_release(release, tmp_path / "mllm-judge")
    monkeypatch.chdir(tmp_path)
    for config in protocol.CONFIGS:
        loaded = load_dataset("mllm-judge", config, split="test")
        assert_rows_round_trip(loaded, assembly.rows[config], protocol.task_of_config(config))
