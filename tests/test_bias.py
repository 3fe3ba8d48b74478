"""Consistency and bias figures against values computed by hand."""

import pytest
from datasets import Dataset

from mllm_judge_tasks.metrics.bias import (
    judge_family, pair_length_bias, pair_self_preference, position_bias, score_length_bias, score_self_preference,
)
from mllm_judge_tasks.metrics.consistency import majority_consistency
from mllm_judge_tasks.judged import JudgedItem
from mllm_judge_tasks.metrics.report import task_report
from mllm_judge_tasks.tasks import hooks


def test_majority_consistency_by_hand():
    # 3 of 3 agree; 2 of 3 (strict majority); 1-1-1 (none); 2 of 4 (not strict); one judged once (left out).
    assert majority_consistency([["A", "A", "A"], ["A", "B", "A"], ["A", "B", "C"], ["A", "A", "B", "B"], ["A"]]) == pytest.approx(2 / 4)
    # No verdict never makes a majority: 1 of 3 is not one.
    assert majority_consistency([["A", None, None]]) == 0
    assert majority_consistency([["A"], ["B"]]) is None


def test_position_bias_by_hand():
    original = ["A", "A", "B", "C", None]
    swapped = ["B", "A", "A", "C", "A"]  # mapped back: A, B, B, C
    human = ["A", "A", "B", "C", "A"]
    figures = position_bias(original, swapped, human)
    assert figures["pairs_judged_in_both_orders"] == 4
    assert figures["position_consistency"] == pytest.approx(3 / 4)  # pairs 0, 2, 3 agree
    # Non-tie verdicts over both orders: A A B | B A A A -> 5 of 7 pick the first slot.
    assert figures["first_slot_rate"] == pytest.approx(5 / 7)
    # Human not tie, both parsed: pairs 0 (A,A vs A: right), 1 (A,B vs A: wrong), 2 (B,B vs B: right).
    assert figures["swap_consistent_accuracy"] == pytest.approx(2 / 3)


def test_pair_length_bias_by_hand():
    verdicts = ["A", "B", "A", "C", "A"]
    human = ["B", "B", "A", "A", "C"]
    lengths = [(10, 5), (3, 9), (4, 8), (7, 2), (5, 5)]  # longer: A, B, B, A, none
    figures = pair_length_bias(verdicts, human, lengths)
    assert figures["judge_prefers_longer"] == pytest.approx(2 / 3)  # A✓ B✓ A✗ (tie and equal lengths left out)
    assert figures["human_prefers_longer"] == pytest.approx(2 / 4)  # B✗ B✓ A✗ A✓
    assert figures["difference"] == pytest.approx(2 / 3 - 1 / 2)


def test_score_length_bias_compares_judge_and_humans():
    figures = score_length_bias([1, 2, 3, None], [3, 2, 1, 5], [10, 20, 30, 40])
    assert figures["judge_score_length_pearson"] == pytest.approx(1.0)
    assert figures["human_score_length_pearson"] == pytest.approx(-1.0)


def test_self_preference_by_hand():
    verdicts = ["A", "B", "A", "A"]
    human = ["A", "A", "C", "B"]
    responders = [("qwen", "llava"), ("gpt4", "qwen"), ("qwen", "gemini"), ("llava", "gpt4")]
    figures = pair_self_preference(verdicts, human, responders, "qwen")
    assert figures["pairs"] == 3
    assert figures["judge_prefers_own_family"] == pytest.approx(1.0)  # A=qwen, B=qwen, A=qwen
    assert figures["human_prefers_own_family"] == pytest.approx(1 / 2)  # A=qwen yes, A≠qwen no, tie left out
    gaps = score_self_preference([5, 2, 4], [3, 2, 4], ["qwen", "llava", "qwen"], "qwen")
    assert gaps["own_family_mean_gap"] == pytest.approx(1.0) and gaps["other_mean_gap"] == pytest.approx(0.0)


@pytest.mark.parametrize("name, family", [("Qwen/Qwen2.5-VL-7B-Instruct", "qwen"), ("llava-hf/llava-1.5-7b-hf", "llava"),
                                          ("GPT-4V", "gpt4"), ("HuggingFaceTB/SmolVLM", None)])
def test_judge_family_from_the_model_name(name, family):
    assert judge_family(name) == family


def test_report_carries_the_bias_section():
    items = [
        JudgedItem("p1", "s", "A", "A", verdicts=("A", "A"), lengths=(9, 3), responders=("qwen", "llava")),
        JudgedItem("p1", "s", "B", "A", order="swapped", verdicts=("A", "B"), lengths=(3, 9), responders=("llava", "qwen")),
    ]
    bias = task_report("pair", items, resamples=0, family="qwen").bias
    assert bias["position"]["position_consistency"] == 0.0
    assert bias["majority_consistency"] == 0.5
    assert bias["length"]["judge_prefers_longer"] == 1.0
    assert bias["self_preference"]["judge_prefers_own_family"] == 1.0


def test_swapped_pairs_swap_the_human_verdict_too():
    rows = Dataset.from_list([{"id": "pair-1", "response_a": "x", "response_b": "yy", "responder_a": "qwen",
                               "responder_b": "gpt4", "human": 0}])
    both = hooks.pairs_in_both_orders(rows)
    assert both["order"] == ["original", "swapped"]
    assert both[1]["response_a"] == "yy" and both[1]["responder_b"] == "qwen" and both[1]["human"] == 1


def test_shuffled_batch_keeps_the_ranking_of_the_same_answers():
    rows = Dataset.from_list([{"id": "batch-3", "responses": ["a", "b", "c", "d"], "responders": ["p", "q", "r", "s"],
                               "human_ranking": "CDAB", "human_ranking_indices": [2, 3, 0, 1]}])
    shuffled = hooks.batch_shuffled(rows)[0]
    assert shuffled["responses"] == ["c", "d", "b", "a"]  # this id's seed moves every answer
    best_to_worst = [shuffled["responses"][i] for i in shuffled["human_ranking_indices"]]
    assert best_to_worst == ["c", "d", "a", "b"]
    assert hooks.batch_shuffled(rows)[0] == shuffled  # the same seed every run
