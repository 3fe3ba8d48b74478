"""The dataset card (README.md) of a built repo, from the template in `cards/`.

The YAML front matter is made by the same `datasets` / `huggingface_hub` code
that `push_to_hub` uses (`configs:` with data files, `dataset_info:` with
features and sizes), so the Hub and `load_dataset` read exactly what was
written, and no loading script is needed.
"""

from __future__ import annotations

from importlib.resources import files

from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from mllm_judge_tasks import protocol, schema

from .parquet_writer import SPLIT, ConfigFiles

TEMPLATE = "dataset_card.md"
DEFAULT_REPO_ID = "mllm-judge"


def card_data(configs: dict[str, ConfigFiles], features: dict[str, Features], pretty_name: str) -> DatasetCardData:
    data = DatasetCardData(
        license="mit",
        pretty_name=pretty_name,
        language=["en"],
        task_categories=["visual-question-answering", "image-text-to-text"],
        tags=["mllm-as-a-judge", "evaluation", "reward-modeling", "multimodal"],
        size_categories=[_size_category(sum(c.num_examples for c in configs.values()))],
    )
    MetadataConfigs(
        {
            name: {"data_files": [{"split": SPLIT, "path": f"{name}/{SPLIT}-*.parquet"}]}
            for name in configs
        }
    ).to_dataset_card_data(data)
    infos = DatasetInfosDict()
    for name, config in configs.items():
        splits = SplitDict()
        splits.add(SplitInfo(name=SPLIT, num_bytes=config.num_bytes, num_examples=config.num_examples))
        infos[name] = DatasetInfo(
            config_name=name,
            features=features[name],
            splits=splits,
            download_size=config.num_bytes,
            dataset_size=config.num_bytes,
        )
    infos.to_dataset_card_data(data)
    return data


def _size_category(rows: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < bound:
            return label
    return "100K<n<1M"


def card_for_repo(card: str, repo_id: str) -> str:
    """The built card as the Hub repo `repo_id` shows it: its code examples load `repo_id`, not the local name.

    A build names itself DEFAULT_REPO_ID (a local folder `load_dataset` reads); where it will live is known
    only when it is pushed, so the two places the template writes the id are rewritten then.
    """
    for before in ('load_dataset("{}", ', "MLLM_JUDGE_DATASET={} "):
        card = card.replace(before.format(DEFAULT_REPO_ID), before.format(repo_id))
    return card


def render_card(
    configs: dict[str, ConfigFiles],
    *,
    mini: bool,
    build_summary: str,
    mini_summary: str = "",
) -> str:
    """The whole README.md of a built repo: front matter plus the description of every config."""
    pretty_name = "MLLM-as-a-Judge (synthetic mini)" if mini else "MLLM-as-a-Judge"
    features = {name: schema.FEATURES[protocol.task_of_config(name)] for name in configs}
    template = files("dataset_scripts.cards").joinpath(TEMPLATE).read_text(encoding="utf-8")
    rows = [
        {
            "name": name,
            "task": protocol.task_of_config(name),
            "subset": protocol.SUBSETS[name[: -len(protocol.task_of_config(name))]],
            "num_examples": config.num_examples,
            "num_bytes": config.num_bytes,
        }
        for name, config in configs.items()
    ]
    card = DatasetCard.from_template(
        card_data(configs, features, pretty_name),
        template_str=template,
        pretty_name=pretty_name,
        mini=mini,
        mini_summary=mini_summary,
        configs=rows,
        repo_id=DEFAULT_REPO_ID,
        build_summary=build_summary,
    )
    return str(card)
