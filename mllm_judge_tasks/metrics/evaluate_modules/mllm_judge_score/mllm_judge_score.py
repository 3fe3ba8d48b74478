"""MLLM-as-a-Judge score agreement for `evaluate.load`; the work is in mllm_judge_tasks.metrics."""

import mllm_judge_tasks.metrics.evaluate_metric as base


class MllmJudgeScore(base.JudgeAgreement):
    TASK = "score"
