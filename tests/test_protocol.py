import pytest

from mllm_judge_tasks import protocol


@pytest.mark.parametrize("value, expected", [(3, 3), ("4", 4), (" 5 ", 5), (1.0, 1)])
def test_score_labels_accept_ints_and_digit_strings(value, expected):
    assert protocol.normalize_score_label(value) == expected


@pytest.mark.parametrize("value", [0, 6, "6", "four", True, None, 2.5, [3]])
def test_score_labels_reject_everything_else(value):
    with pytest.raises(ValueError):
        protocol.normalize_score_label(value)


@pytest.mark.parametrize("value, expected", [("A", "A"), ("b", "B"), ("C", "tie"), ("tie", "tie"), (" A ", "A")])
def test_pair_labels_map_c_to_tie(value, expected):
    assert protocol.normalize_pair_label(value) == expected


@pytest.mark.parametrize("value", ["D", "", 1, None, "AB"])
def test_pair_labels_reject_unknown_verdicts(value):
    with pytest.raises(ValueError):
        protocol.normalize_pair_label(value)


def test_batch_labels_drop_the_letter_naming_no_answer():
    assert protocol.normalize_batch_label("CABD", 3) == "CAB"
    assert protocol.normalize_batch_label("CDAB", 3) == "CAB"
    assert protocol.normalize_batch_label("cdab", 4) == "CDAB"


@pytest.mark.parametrize("value, n", [("AAB", 3), ("ABC", 4), ("ABCDE", 4), ("", 4), ("ABCA", 4), (None, 4), ("ABCD", 2)])
def test_batch_labels_reject_non_permutations(value, n):
    with pytest.raises(ValueError):
        protocol.normalize_batch_label(value, n)


def test_ranking_indices_follow_the_letters():
    assert protocol.ranking_indices("CDAB") == [2, 3, 0, 1]


def test_config_names_map_to_tasks():
    assert [protocol.task_of_config(c) for c in ("pair", "hq_score", "hard_batch", "lite_pair")] == ["pair", "score", "batch", "pair"]
    with pytest.raises(ValueError):
        protocol.task_of_config("pairs")


@pytest.mark.parametrize("label, letter", [("A", "A"), ("tie", "C"), ("C", "C"), (1, "B"), (2, "C"), ("b", "B")])
def test_pair_letter_of_dataset_and_release_labels(label, letter):
    assert protocol.pair_letter(label) == letter


@pytest.mark.parametrize("label", [3, "D", True, None])
def test_pair_letter_refuses_unknown_labels(label):
    with pytest.raises(ValueError):
        protocol.pair_letter(label)


def test_the_parser_and_the_protocol_load_no_heavy_library():
    """The vocabulary and the parser are plain Python: importing them loads none of datasets, pyarrow, pandas, torch."""
    import subprocess
    import sys

    probe = ("import sys, mllm_judge_tasks.verdicts, mllm_judge_tasks.judged; "
             "print(sorted(m for m in ('datasets', 'pyarrow', 'pandas', 'torch', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
    heavy = subprocess.run([sys.executable, "-c", probe.replace("mllm_judge_tasks.judged", "mllm_judge_tasks.schema")],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert "datasets" in heavy  # the probe sees a heavy import where there is one


def test_each_task_spec_reads_a_rows_answers_and_label():
    rows = {
        "score": {"response": "r", "responder": "gpt4", "human_score": 4},
        "pair": {"response_a": "ra", "response_b": "rb", "responder_a": "x", "responder_b": "y", "human": 2},
        "batch": {"responses": ["1", "22", "333"], "responders": ["a", "b", "c"], "human_ranking": "CAB"},
    }
    spec = protocol.SPECS
    assert [spec[t].responses(rows[t]) for t in protocol.TASKS] == [["r"], ["ra", "rb"], ["1", "22", "333"]]
    assert [spec[t].answer_count(rows[t]) for t in protocol.TASKS] == [1, 2, 3]
    assert [protocol.human_label(t, rows[t]) for t in protocol.TASKS] == [4, "C", "CAB"]  # ClassLabel 2 is the tie
    assert spec["batch"].options(3) == ["ABC", "ACB", "BAC", "BCA", "CAB", "CBA"]
    assert spec["batch"].verdict_string("CAB") == "[[C]], [[A]], [[B]]" and spec["pair"].verdict_string("C") == "[[C]]"
    assert [protocol.swapped_label_index(i) for i in range(3)] == [1, 0, 2]
    assert protocol.effective_mode("probability", "batch") == "constrained"
    assert protocol.effective_mode("probability", "pair") == "probability"


def test_a_real_number_is_what_json_reads_as_a_finite_int_or_float():
    """Scores, rewards, tie margins and prices share this rule; json.loads reads each of the refused values."""
    import json

    read = json.loads('[0, -2, 2.5, 1e308, true, false, NaN, Infinity, -Infinity, "1", null, [1]]')
    assert [protocol.is_real_number(value) for value in read] == [True] * 4 + [False] * 8
