"""Parquet files of one config, each image stored once per row group.

The same image stands behind 4 score rows and 6 pair rows. `Dataset.to_parquet`
would write its bytes once per row; here rows of one image are kept together
and the image column is dictionary-encoded with a dictionary page large enough
for every distinct image of the row group, so each is stored once. The Image
feature survives in the schema's `huggingface` metadata, so `load_dataset`
still decodes the column to PIL images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

# A row group holds whole image groups up to about this many distinct image bytes;
# its dictionary page must hold them all, so the page limit follows from it.
ROW_GROUP_IMAGE_BYTES = 64 * 2**20
# Shards of about the size the Hub recommends for parquet files.
SHARD_IMAGE_BYTES = 512 * 2**20
SPLIT = "test"


@dataclass(frozen=True)
class ConfigFiles:
    files: tuple[str, ...]  # paths relative to the repo directory
    num_examples: int
    num_bytes: int  # bytes on disk of the parquet files


def group_rows_by_image(rows: Sequence[dict]) -> list[list[dict]]:
    """Rows of the same image next to each other, images in order of first appearance."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["image_file"], []).append(row)
    return list(groups.values())


def _pack(groups: list[list[dict]], sizes: Mapping[str, int], limit: int) -> list[list[list[dict]]]:
    """Consecutive image groups packed into bins of at most `limit` distinct image bytes."""
    bins: list[list[list[dict]]] = [[]]
    filled = 0
    for group in groups:
        size = sizes[group[0]["image_file"]]
        if bins[-1] and filled + size > limit:
            bins.append([])
            filled = 0
        bins[-1].append(group)
        filled += size
    return bins


def write_config(
    directory: Path,
    config: str,
    rows: Sequence[dict],
    features: Features,
    images: Mapping[str, bytes],
) -> ConfigFiles:
    """Write `rows` (canonical dicts whose `image_file` names a key of `images`) as parquet shards."""
    groups = group_rows_by_image(rows)
    sizes = {group[0]["image_file"]: len(images[group[0]["image_file"]]) for group in groups}
    shards = _pack(groups, sizes, SHARD_IMAGE_BYTES)
    schema = features.arrow_schema
    (directory / config).mkdir(parents=True, exist_ok=True)
    files = []
    for index, shard in enumerate(shards):
        relative = f"{config}/{SPLIT}-{index:05d}-of-{len(shards):05d}.parquet"
        row_groups = _pack(shard, sizes, ROW_GROUP_IMAGE_BYTES)
        largest = max(sum(sizes[g[0]["image_file"]] for g in row_group) for row_group in row_groups)
        with pq.ParquetWriter(
            directory / relative,
            schema,
            compression="zstd",
            dictionary_pagesize_limit=largest + 2**20,
            # Min/max statistics of image bytes are useless and large.
            write_statistics=[name for name in schema.names if name != "image"],
        ) as writer:
            for row_group in row_groups:
                encoded = [
                    features.encode_example(
                        {**row, "image": {"bytes": images[row["image_file"]], "path": row["image_file"]}}
                    )
                    for group in row_group
                    for row in group
                ]
                table = pa.Table.from_pylist(encoded, schema=schema)
                writer.write_table(table, row_group_size=len(encoded))
        files.append(relative)
    return ConfigFiles(
        files=tuple(files),
        num_examples=len(rows),
        num_bytes=sum((directory / name).stat().st_size for name in files),
    )
