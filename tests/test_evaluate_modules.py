import evaluate
import pytest

from mllm_judge_tasks.metrics.evaluate_metric import evaluate_module_path


def test_pair_metric_loads_with_evaluate_and_scores_judge_texts():
    metric = evaluate.load(evaluate_module_path("pair"))
    result = metric.compute(
        predictions=["Judgement: [[A]]", "[[B]]", "[[C]]", "I think A is better"],
        references=["A", "A", "tie", "B"],
        sources=["coco", "coco", "coco", "mm-vet"],
        resamples=0,
    )
    assert result["parse_rate"] == pytest.approx(3 / 4)
    assert result["pooled"]["accuracy_no_tie"] == pytest.approx(1 / 2)  # A right, B wrong; the tie is left out
    assert result["per_source"]["mm-vet"]["parse_rate"] == 0


def test_score_and_batch_metrics_load_too():
    score = evaluate.load(evaluate_module_path("score")).compute(
        predictions=["[[1]]", "[[2]]", "[[3]]"], references=[1, 2, 3], resamples=0)
    assert score["average"]["pearson"] == pytest.approx(1.0)
    batch = evaluate.load(evaluate_module_path("batch")).compute(
        predictions=["[[A]], [[B]], [[C]], [[D]]", "[[C]], [[A]], [[B]]"], references=["ABDC", "ACB"], resamples=0)
    assert batch["pooled"]["edit_distance"] == pytest.approx((2 / 4 + 2 / 3) / 2)
