"""Converting the real excerpt of the official release: every quirk its README lists."""

import json

import pyarrow.parquet as pq
import pytest

from dataset_scripts.assemble import assemble_release
from dataset_scripts.build import build_from_release
from conftest import EXCERPT, lay_out_release, excerpt_lines


@pytest.fixture
def assembly(real_release):
    return assemble_release(real_release)


def by_id(rows):
    return {row["id"]: row for row in rows}


def test_every_excerpt_record_is_converted_without_problems(assembly):
    assert assembly.problems == []
    counts = {config: len(rows) for config, rows in assembly.rows.items()}
    assert counts == {"pair": 2, "batch": 5, "lite_score": 12, "lite_pair": 7, "hard_batch": 1}


def test_score_labels_as_int_or_string_become_ints(assembly):
    rows = by_id(assembly.rows["lite_score"])
    assert rows["lite-score-3109"]["human_score"] == 5  # released as "5"
    assert rows["lite-score-3106"]["human_score"] == 5  # released as 5
    assert {type(row["human_score"]) for row in rows.values()} == {int}


def test_pair_labels_from_either_key_and_c_is_a_tie(assembly):
    lite = by_id(assembly.rows["lite_pair"])
    assert lite["lite-pair-37"]["human"] == "tie"  # "human_answer": "C"
    assert lite["lite-pair-8794"]["human"] == "B"  # "human": "B" in the mm-vet records
    assert lite["lite-pair-5"]["responder_a"] == "gpt4" and lite["lite-pair-5"]["responder_b"] == "gemini"


def test_image_paths_with_and_without_folder_prefix(assembly):
    assert by_id(assembly.rows["lite_score"])["lite-score-3106"]["image_file"] == "2205.jpg"  # "2205.jpg"
    assert by_id(assembly.rows["batch"])["batch-200"]["image_file"] == "200.jpg"  # "image/200.jpg"


def test_instruction_id_is_kept_apart_from_the_image_number(assembly):
    row = by_id(assembly.rows["lite_pair"])["lite-pair-8776"]
    assert row["instruction_id"] == 4565 and row["image_file"] == "3965.jpg"


def test_three_answer_item_with_four_letter_label(assembly):
    row = by_id(assembly.rows["batch"])["batch-838"]
    assert row["responders"] == ["llava", "cogvlm", "gpt4"]
    assert row["human_ranking"] == "CAB"  # released as "CABD"
    assert row["human_ranking_indices"] == [2, 0, 1]
    assert assembly.report["batch"]["normalised"] == {"ranking of 4 letters for 3 answers: letter D dropped": 1}


def test_hard_record_without_label_joins_the_benchmark(assembly):
    (row,) = assembly.rows["hard_batch"]
    assert row["id"] == "batch-540"  # the benchmark row's id, so results join across configs
    assert row["human_ranking"] == "CBDA"
    assert row["responders"] == ["llava", "cogvlm", "gpt4", "gemini"]  # answer0..answer3 keys
    assert assembly.report["hard_batch"]["labels_taken_from_benchmark"] == 1
    # Judge outputs the Hard file carries are kept, not dropped.
    extra = json.loads(row["extra"])
    assert set(extra) == {"result1", "result2"}
    assert extra["result1"]["name"] == "gemini"


def test_hard_record_without_benchmark_twin_is_a_clear_problem(tmp_path):
    release = lay_out_release(tmp_path / "release", excerpt_lines())
    problems = assemble_release(release).problems
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line, problem.field) == ("MLLM-as-a-Judge-Hard/Batch.jsonl", 1, "human_answer")
    assert "no benchmark records with id 540" in problem.message


def test_text_is_kept_verbatim(assembly):
    rows = by_id(assembly.rows["lite_score"])
    original = [json.loads(line) for line in (EXCERPT / "score.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows["lite-score-3106"]["response"] == original[0]["answer"]  # leading space kept
    pair = by_id(assembly.rows["pair"])["pair-2"]
    assert "蹲下以便更好地看到球" in pair["response_b"]


def test_exact_duplicate_lines_are_dropped_and_reported(tmp_path):
    files = excerpt_lines()
    files["Dataset/Benchmark_Lite/score_lite.jsonl"].append(files["Dataset/Benchmark_Lite/score_lite.jsonl"][0])
    release = lay_out_release(tmp_path / "release", files)
    assembly = assemble_release(release)
    assert len(assembly.rows["lite_score"]) == 12
    assert assembly.report["lite_score"]["exact_duplicate_lines_dropped"] == [13]


def test_different_batch_records_sharing_an_id_get_distinct_ids(tmp_path):
    files = excerpt_lines()
    record = json.loads(files["Dataset/Benchmark/batch.jsonl"][0])
    record["human_answer"] = "ABCD"
    files["Dataset/Benchmark/batch.jsonl"].append(json.dumps(record))
    assembly = assemble_release(lay_out_release(tmp_path / "release", files))
    ids = [row["id"] for row in assembly.rows["batch"]]
    assert ids.count("batch-200") == 1 and "batch-200-2" in ids


def test_built_parquet_holds_the_canonical_schema(real_release, tmp_path):
    result = build_from_release(real_release, tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / "batch" / "test-00000-of-00001.parquet")
    assert table.num_rows == 5
    assert b"huggingface" in table.schema.metadata
    assert set(result.configs) == {"pair", "batch", "lite_score", "lite_pair", "hard_batch"}
