"""Where the official release keeps each config's file and its images, in its GitHub and Hub layouts."""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks import protocol

# Where each config's file may lie inside a release directory; the first that
# exists wins. The GitHub repo nests everything under Dataset/ (HQ/Hard files
# also at the top level), the Hub copy drops that prefix.
_SUBSET_DIRS = ("Dataset/Hard & HQ/{subset}", "Hard & HQ/{subset}")
RELEASE_FILES: dict[str, tuple[str, ...]] = {
    **{task: (f"Dataset/Benchmark/{task}.jsonl", f"Benchmark/{task}.jsonl") for task in protocol.TASKS},
    **{
        f"lite_{task}": (f"Dataset/Benchmark_Lite/{task}_lite.jsonl", f"Benchmark_Lite/{task}_lite.jsonl")
        for task in ("score", "pair")
    },
    **{
        f"{prefix}_{task}": (
            f"MLLM-as-a-Judge-{subset}/{task.capitalize()}.jsonl",
            *(d.format(subset=subset) + f"/{task.capitalize()}.jsonl" for d in _SUBSET_DIRS),
        )
        for prefix, subset in ((prefix.rstrip("_"), protocol.SUBSETS[prefix]) for prefix in protocol.SCORED_SUBSETS)
        for task in protocol.TASKS
    },
}
IMAGE_DIRS = ("Dataset/image", "image", "images")


def find_release_files(release_dir: Path) -> dict[str, Path]:
    """Each config of the release and the file it is read from."""
    found = {}
    for config, candidates in RELEASE_FILES.items():
        for candidate in candidates:
            path = release_dir / candidate
            if path.is_file():
                found[config] = path
                break
    return found


def find_images_dir(release_dir: Path) -> Path | None:
    for candidate in IMAGE_DIRS:
        path = release_dir / candidate
        if path.is_dir():
            return path
    return None
