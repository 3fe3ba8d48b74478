"""What validation and scoring need of the benchmark: every row's id, labels and answers' makers and lengths.

Read once from the built dataset (images left out), so a submission is checked
and scored against the same rows the harness judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets import load_dataset

from mllm_judge_tasks import protocol
from mllm_judge_tasks.judged import BenchmarkItem, benchmark_item
from mllm_judge_tasks.location import DatasetIdentity, dataset_identity, dataset_location
from mllm_judge_tasks.problems import UserError
from mllm_judge_tasks.record_match import RowMatcher


@dataclass
class BenchmarkIndex:
    items: dict[str, dict[str, BenchmarkItem]] = field(default_factory=dict)
    subsets: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # subset → task → ids
    dataset: DatasetIdentity = DatasetIdentity("", "")
    location: str = ""  # where it was read from; in memory only (pages and files name `dataset`, never a path)
    _matchers: dict[str, RowMatcher] | None = field(default=None, repr=False)

    def matchers(self) -> dict[str, RowMatcher]:
        """Each task's rows keyed for release records. Only `--papers-judges` needs them, so they are read
        again on first use rather than built on every scoring's path."""
        if self._matchers is None:
            self._matchers = {}
            for task in self.items:
                rows = _rows(self.location, task)
                if rows is not None:
                    self._matchers[task] = _matcher(task, rows)
        return self._matchers


def _rows(location: str, config: str):
    from datasets import get_dataset_config_names

    if config not in get_dataset_config_names(location):
        return None
    return load_dataset(location, config, split="test").remove_columns(["image"])


def load_index(dataset: str | None = None) -> BenchmarkIndex:
    """The index of the benchmark at `dataset` (a built directory or a Hub id; see `dataset_location`)."""
    location = dataset_location(dataset)
    try:
        return _load_index(location)
    except (ConnectionError, FileNotFoundError, ValueError) as error:
        raise UserError(
            f"cannot read the benchmark from {location!r} ({type(error).__name__}: {str(error).splitlines()[0]}); "
            "pass --dataset with a built directory (mllm-judge build) or a reachable Hub id, or set MLLM_JUDGE_DATASET"
        ) from None


def _load_index(location: str) -> BenchmarkIndex:
    index = BenchmarkIndex(dataset=dataset_identity(location), location=location)
    for task in protocol.TASKS:
        rows = _rows(location, task)
        if rows is not None:
            index.items[task] = {row["id"]: benchmark_item(task, row) for row in rows}
        for prefix in protocol.SCORED_SUBSETS:
            subset = _rows(location, prefix + task)
            if subset is not None:
                index.subsets.setdefault(protocol.SUBSETS[prefix], {})[task] = set(subset["id"])
    return index


def _matcher(task: str, rows) -> RowMatcher:
    spec, matcher = protocol.SPECS[task], RowMatcher()
    for row in rows:
        matcher.add(row["id"], row["instruction_id"], spec.responders(row), spec.responses(row))
    return matcher
