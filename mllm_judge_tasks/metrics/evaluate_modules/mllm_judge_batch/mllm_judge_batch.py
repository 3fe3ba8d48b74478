"""MLLM-as-a-Judge batch agreement for `evaluate.load`; the work is in mllm_judge_tasks.metrics."""

import mllm_judge_tasks.metrics.evaluate_metric as base


class MllmJudgeBatch(base.JudgeAgreement):
    TASK = "batch"
