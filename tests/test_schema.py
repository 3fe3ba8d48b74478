import pytest

from mllm_judge_tasks import schema


@pytest.mark.parametrize("value, expected", [(3, 3), ("4", 4), (" 5 ", 5), (1.0, 1)])
def test_score_labels_accept_ints_and_digit_strings(value, expected):
    assert schema.normalize_score_label(value) == expected


@pytest.mark.parametrize("value", [0, 6, "6", "four", True, None, 2.5, [3]])
def test_score_labels_reject_everything_else(value):
    with pytest.raises(ValueError):
        schema.normalize_score_label(value)


@pytest.mark.parametrize("value, expected", [("A", "A"), ("b", "B"), ("C", "tie"), ("tie", "tie"), (" A ", "A")])
def test_pair_labels_map_c_to_tie(value, expected):
    assert schema.normalize_pair_label(value) == expected


@pytest.mark.parametrize("value", ["D", "", 1, None, "AB"])
def test_pair_labels_reject_unknown_verdicts(value):
    with pytest.raises(ValueError):
        schema.normalize_pair_label(value)


def test_batch_labels_drop_the_letter_naming_no_answer():
    assert schema.normalize_batch_label("CABD", 3) == "CAB"
    assert schema.normalize_batch_label("CDAB", 3) == "CAB"
    assert schema.normalize_batch_label("cdab", 4) == "CDAB"


@pytest.mark.parametrize("value, n", [("AAB", 3), ("ABC", 4), ("ABCDE", 4), ("", 4), ("ABCA", 4), (None, 4), ("ABCD", 2)])
def test_batch_labels_reject_non_permutations(value, n):
    with pytest.raises(ValueError):
        schema.normalize_batch_label(value, n)


def test_ranking_indices_follow_the_letters():
    assert schema.ranking_indices("CDAB") == [2, 3, 0, 1]


def test_config_names_map_to_tasks():
    assert [schema.task_of_config(c) for c in ("pair", "hq_score", "hard_batch", "lite_pair")] == ["pair", "score", "batch", "pair"]
    with pytest.raises(ValueError):
        schema.task_of_config("pairs")


@pytest.mark.parametrize("label, letter", [("A", "A"), ("tie", "C"), ("C", "C"), (1, "B"), (2, "C"), ("b", "B")])
def test_pair_letter_of_dataset_and_release_labels(label, letter):
    assert schema.pair_letter(label) == letter


@pytest.mark.parametrize("label", [3, "D", True, None])
def test_pair_letter_refuses_unknown_labels(label):
    with pytest.raises(ValueError):
        schema.pair_letter(label)
