"""The agreement metrics as Hugging Face `evaluate` modules.

`evaluate.load(evaluate_module_path("pair"))` gives a metric whose
`compute(predictions=judge_texts, references=human_labels, sources=...)`
returns the same report the harness writes to results.json. The scripts under
`evaluate_modules/` only name their task; the work is done here.
"""

from __future__ import annotations

from pathlib import Path

import datasets
import evaluate

from mllm_judge_tasks.judged import BenchmarkItem, judge_item
from mllm_judge_tasks.protocol import pair_letter

from .report import task_report

_MODULES = Path(__file__).parent / "evaluate_modules"
_REFERENCE_TYPE = {"score": datasets.Value("int32"), "pair": datasets.Value("string"), "batch": datasets.Value("string")}
_CITATION = """@inproceedings{chen2024mllmasajudge, title={MLLM-as-a-Judge: Assessing Multimodal LLM-as-a-Judge with
Vision-Language Benchmark}, author={Chen, Dongping and others}, booktitle={ICML}, year={2024}}"""


def evaluate_module_path(task: str) -> str:
    """The path `evaluate.load` takes for the metric of `task` ("score", "pair" or "batch")."""
    return str(_MODULES / f"mllm_judge_{task}" / f"mllm_judge_{task}.py")


class JudgeAgreement(evaluate.Metric):
    """Agreement of raw judge texts (parsed here) with human labels; subclasses set TASK."""

    TASK = ""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=f"MLLM-as-a-Judge {self.TASK} agreement: the paper's metrics, per source and averaged.",
            citation=_CITATION,
            inputs_description="predictions: judge output texts; references: human labels "
            "(score 1..5; pair A, B or C/tie; batch a ranking such as CDAB); sources: optional dataset names.",
            features=datasets.Features({"predictions": datasets.Value("string"), "references": _REFERENCE_TYPE[self.TASK]}),
        )

    def _compute(self, predictions, references, sources=None, n_responses=None, resamples: int = 1000) -> dict:
        """`n_responses` gives each ranking's answer count; without it, a ranking label (one letter per answer,
        as the dataset normalises them) gives it. Only the count matters: a ranking is read against it."""
        sources = sources or ["all"] * len(predictions)
        items = []
        for index, (text, label) in enumerate(zip(predictions, references)):
            human = pair_letter(label) if self.TASK == "pair" else label
            count = (n_responses[index] if n_responses else len(label)) if self.TASK == "batch" else 1
            row = BenchmarkItem(self.TASK, str(index), 0, sources[index], human, (), (), count)
            items.append(judge_item(row, [text]))
        return task_report(self.TASK, items, resamples=resamples).to_json()
