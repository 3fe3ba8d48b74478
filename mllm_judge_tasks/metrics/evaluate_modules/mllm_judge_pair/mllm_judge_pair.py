"""MLLM-as-a-Judge pair agreement for `evaluate.load`; the work is in mllm_judge_tasks.metrics."""

import mllm_judge_tasks.metrics.evaluate_metric as base


class MllmJudgePair(base.JudgeAgreement):
    TASK = "pair"
