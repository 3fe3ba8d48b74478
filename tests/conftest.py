"""Shared fixtures: a release directory laid out from the real excerpt, and built repos.

Hugging Face caches go to a temporary directory and the Hub is off, so tests
never touch the user's cache or the network.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

_HF_HOME = tempfile.mkdtemp(prefix="mllm-judge-tests-hf-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

# Fuzzing depth: 1,000 examples a property on every run; `pytest --hypothesis-profile deep` for 10,000.
settings.register_profile("default", max_examples=1_000)
settings.register_profile("deep", max_examples=10_000)
settings.load_profile("default")

EXCERPT = Path(__file__).parent / "data" / "real_excerpt"

# Where each excerpt file sits in the GitHub layout of the release (see its README).
EXCERPT_LAYOUT = {
    "Dataset/Benchmark_Lite/score_lite.jsonl": ["score.jsonl", "score_more.jsonl"],
    "Dataset/Benchmark_Lite/pair_lite.jsonl": ["pair.jsonl"],
    "Dataset/Benchmark/pair.jsonl": ["pair_more.jsonl"],
    "Dataset/Benchmark/batch.jsonl": ["batch.jsonl", "batch_more.jsonl"],
    "MLLM-as-a-Judge-Hard/Batch.jsonl": ["hard_batch.jsonl"],
}


def draw_stand_in(path: Path, seed: int) -> None:
    """A small JPEG that differs per image, standing in for a release image."""
    image = Image.new("RGB", (64, 48), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    ImageDraw.Draw(image).text((4, 4), str(seed), fill=(255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=90)


def numbered_images(lines: list[str]) -> set[str]:
    """The numbered image files (`12.jpg`, as all release images are) that valid lines name."""
    names = set()
    for line in lines:
        try:
            name = json.loads(line)["image_path"].removeprefix("image/")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            continue
        if Path(name).stem.isdigit() and "/" not in name:
            names.add(name)
    return names


def lay_out_release(root: Path, files: dict[str, list[str]]) -> Path:
    """Write JSONL lines to their release paths and draw every image they name."""
    names: set[str] = set()
    for relative, lines in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines), encoding="utf-8")
        names |= numbered_images(lines)
    for name in sorted(names):
        draw_stand_in(root / "Dataset" / "image" / name, seed=int(Path(name).stem))
    return root


def excerpt_lines() -> dict[str, list[str]]:
    return {
        relative: [line for source in sources for line in (EXCERPT / source).read_text(encoding="utf-8").splitlines(keepends=True)]
        for relative, sources in EXCERPT_LAYOUT.items()
    }


def hard_benchmark_twin() -> str:
    """The benchmark record the Hard batch record (id 540, no label) joins to.

    The excerpt holds the Hard record but not its benchmark line; this line has
    the same instruction id, responders and answers, as the release's benchmark
    file does, plus a human ranking.
    """
    hard = json.loads((EXCERPT / "hard_batch.jsonl").read_text(encoding="utf-8"))
    answers = [hard[f"answer{i}"] for i in range(4)]
    record = {key: hard[key] for key in ("id", "instruction", "image_path", "original_dataset")}
    return json.dumps({**record, "answers": answers, "human_answer": "CBDA"}, ensure_ascii=False)


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (setup.cfg): one worker per core, at most 4: each holds its own tiny models and lmms-eval
    subprocesses, so more workers than that buy memory pressure, not time."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


@pytest.fixture
def real_release(tmp_path: Path) -> Path:
    """A release directory holding every record of the real excerpt, in the GitHub layout."""
    files = excerpt_lines()
    files["Dataset/Benchmark/batch.jsonl"].append(hard_benchmark_twin())
    return lay_out_release(tmp_path / "release", files)


@pytest.fixture(scope="session")
def mini_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dataset_scripts.build import build_mini

    return build_mini(tmp_path_factory.mktemp("mini") / "mllm-judge").out_dir


def closed_port() -> int:
    """A port of 127.0.0.1 that nobody listens on: a connection to it is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed


def kill_once_cached(command: list[str], env: dict, cache: Path, at_least: int = 6, timeout: float = 900) -> int:
    """Start an lmms-eval run, SIGKILL it once its generation cache holds `at_least` answers; the answers kept."""
    import signal
    import sqlite3
    import subprocess
    import time

    def answers() -> int:
        try:
            return sqlite3.connect(str(cache)).execute("SELECT COUNT(*) FROM answers").fetchone()[0] if cache.exists() else 0
        except sqlite3.OperationalError:  # the table is not there yet
            return 0

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if answers() >= at_least:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    return answers()


def kill_and_resume(command: list[str], env: dict, cache: Path, backend: str, requests: int,
                    rerun_batch_size: int) -> None:
    """Kill the run once some answers are cached (`kill_once_cached`), rerun it in batches of `rerun_batch_size`
    (the cache keys no batch size), and check the rerun's count line: of its `requests`, at least the kept ones
    come from the cache (identical prompts share one answer, so more may), some are generated, none fail, and the
    counts add up."""
    import re
    import subprocess

    kept = kill_once_cached(command, env, cache)
    assert 6 <= kept < requests
    command = [*command]
    command[command.index("--batch_size") + 1] = str(rerun_batch_size)
    rerun = subprocess.run(command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=1200)
    counts = re.search(rf"{backend}: {requests} requests: (\d+) from cache, (\d+) generated, 0 failed; (\d+) repeated",
                       rerun.stderr)
    assert counts, rerun.stderr[-3000:]
    from_cache, generated, repeated = map(int, counts.groups())
    assert kept <= from_cache < requests and generated > 0 and from_cache + generated + repeated == requests


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory):
    """`tiny_model("qwen2_vl")`: the directory of that tiny family's checkpoint, built once per session on first use."""
    from tiny_models import BUILDERS

    root = tmp_path_factory.mktemp("tiny-models")
    built: dict[str, Path] = {}

    def get(arch: str) -> Path:
        if arch not in built:
            built[arch] = BUILDERS[arch](root / arch)
        return built[arch]

    return get


@pytest.fixture(scope="session", autouse=True)
def temporary_hf_home():
    """Remove the session's Hugging Face cache when the tests end."""
    yield
    shutil.rmtree(_HF_HOME, ignore_errors=True)


# The hand-made benchmark (tests/hand_made.py), built once for the session.
@pytest.fixture(scope="session")
def hand_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dataset_scripts.build import build_from_release
    from hand_made import hand_release

    root = tmp_path_factory.mktemp("hand")
    return build_from_release(hand_release(root / "release"), root / "mllm-judge").out_dir


@pytest.fixture(scope="session")
def index(hand_dataset: Path):
    """The hand-made benchmark's index (read-only: tests that change an index copy it)."""
    from mllm_judge_tasks.leaderboard.benchmark_index import load_index

    return load_index(str(hand_dataset))
