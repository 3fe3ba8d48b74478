"""What validation and scoring need of the benchmark: every row's id, labels and answers' makers and lengths.

Read once from the built dataset (images left out), so a submission is checked
and scored against the same rows the harness judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets import load_dataset

from mllm_judge_tasks import schema
from mllm_judge_tasks.location import dataset_identity, dataset_location
from mllm_judge_tasks.problems import UserError

SUBSET_NAMES = {"hq_": "HQ", "hard_": "Hard"}


@dataclass(frozen=True)
class BenchmarkItem:
    task: str
    id: str
    instruction_id: int
    source: str
    human: int | str  # score 1..5; pair "A", "B" or "C" (tie); batch a ranking such as "CDAB"
    responders: tuple[str, ...]
    lengths: tuple[int, ...]  # characters of each answer, in display order


@dataclass
class BenchmarkIndex:
    items: dict[str, dict[str, BenchmarkItem]] = field(default_factory=dict)
    subsets: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # subset → task → ids
    name: str = ""  # the dataset's name and revision, as the page and the reports show them
    revision: str = ""


def _item(task: str, row: dict) -> BenchmarkItem:
    if task == "score":
        human, responders, answers = row["human_score"], (row["responder"],), (row["response"],)
    elif task == "pair":
        human = schema.pair_letter(row["human"])
        responders, answers = (row["responder_a"], row["responder_b"]), (row["response_a"], row["response_b"])
    else:
        human, responders, answers = row["human_ranking"], tuple(row["responders"]), tuple(row["responses"])
    return BenchmarkItem(task, row["id"], row["instruction_id"], row["source"], human, tuple(responders),
                         tuple(len(a) for a in answers))


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
    name, revision = dataset_identity(location)
    index = BenchmarkIndex(name=name, revision=revision)
    for task in schema.TASKS:
        rows = _rows(location, task)
        if rows is not None:
            index.items[task] = {row["id"]: _item(task, row) for row in rows}
        for prefix, name in SUBSET_NAMES.items():
            subset = _rows(location, prefix + task)
            if subset is not None:
                index.subsets.setdefault(name, {})[task] = set(subset["id"])
    return index
