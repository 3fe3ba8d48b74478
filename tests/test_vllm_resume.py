"""`mllm_judge_vllm` through the lmms-eval CLI, killed and rerun: the cache keeps what was generated.

Its own file so that `.ci/run` runs it in its own worker (`-n 3 --dist loadscope`) beside the two families of
tests/test_vllm_backend.py: its two runs spend most of their time starting (Python, lmms-eval and vLLM importing),
which overlaps the other workers' engines and servers.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

pytest.importorskip("vllm", reason="vLLM is not installed here: bash .ci/make_vllm_venv, then run this file in .venv-vllm")

from conftest import kill_and_resume  # noqa: E402
from tiny_models import build_qwen2_vl  # noqa: E402

LIMIT = 10  # documents per task: 30 requests, of which the first run is killed after at least 6


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    return build_qwen2_vl(tmp_path_factory.mktemp("vllm-models") / "qwen2_vl", width=64)  # heads of 32 for vLLM on CPU


def test_a_killed_constrained_run_resumes_from_the_cache_and_parses_every_verdict(qwen, mini_repo, tmp_path):
    """Through the lmms-eval CLI: kill a constrained run of the three tasks once some batches are cached; the rerun
    generates only what is missing (in batches of 30: the cache keys no batch size), and every verdict of the three
    tasks parses. The analysis may run to 100 tokens, in batches of 2, so the first run lasts long enough to be killed."""
    cache = tmp_path / "cache.sqlite"
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(cache), "VLLM_CPU_KVCACHE_SPACE": "1",
           "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}  # the engine inside lmms-eval's process: two imports of vLLM fewer a run
    command = [sys.executable, "-m", "lmms_eval", "--model", "mllm_judge_vllm", "--model_args",
               f"pretrained={qwen},dtype=float32,max_new_tokens=100,verdict_mode=constrained,enforce_eager=true",
               "--tasks", "mllm_judge", "--batch_size", "2", "--limit", str(LIMIT), "--output_path", str(tmp_path / "out")]
    kill_and_resume(command, env, cache, "mllm_judge_vllm", requests=3 * LIMIT, rerun_batch_size=30)
    (results,) = (tmp_path / "out").rglob("*results.json")
    metrics = json.loads(results.read_text())["results"]
    for task in ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch"):
        assert metrics[task]["parse_rate,none"] == 1.0
        assert metrics[task]["details,none"]["n"] == LIMIT
