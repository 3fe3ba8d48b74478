"""`mllm_judge_vllm` on vLLM's CPU build, against `mllm_judge_hf` on the same model.

Runs in the vLLM virtual environment (`bash .ci/make_vllm_venv`; the "vllm" stage of `.ci/run`); in the main
environment, without vLLM, it is skipped with that reason. An engine's start on a 2-core CPU is mostly processes
importing torch and vLLM, so each family's offline engine starts once, inside this process
(`VLLM_ENABLE_V1_MULTIPROCESSING=0`: no engine-core and worker processes, which vLLM spawns and which import
everything again), and serves every comparison (the verdict mode is read at each call, as lmms-eval's per-task
settings are). A server cannot keep its engine in-process, so each family's server is launched before the first
engine loads and waited for when first needed. Every engine starts eager (no torch.compile: 50 s, not two
minutes). The killed and rerun lmms-eval run is in tests/test_vllm_resume.py, which CI runs in a third worker.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("vllm", reason="vLLM is not installed here: bash .ci/make_vllm_venv, then run this file in .venv-vllm")

from tiny_models import build_llava, build_qwen2_vl  # noqa: E402
from mllm_judge_tasks import harness_requests  # noqa: E402
from mllm_judge_tasks.verdicts import parse_verdict, read_verdict_probabilities  # noqa: E402

LIMIT = 8
TASKS = ("score", "pair", "batch")
BUILDERS = {"qwen2_vl": build_qwen2_vl, "llava": build_llava}


@pytest.fixture(scope="module")
def rows(mini_repo) -> dict[str, list[dict]]:
    from datasets import load_dataset

    return {task: [dict(row) for row in load_dataset(str(mini_repo), task, split="test").select(range(LIMIT))]
            for task in TASKS}


@pytest.fixture(scope="class")
def model(request, tmp_path_factory) -> Path:
    """The class's family, built tiny (heads of 32 for vLLM on CPU)."""
    family = request.cls.family
    return BUILDERS[family](tmp_path_factory.mktemp("vllm-model") / family, width=64)


@pytest.fixture(scope="class")
def server(model, tmp_path_factory):
    """The family's server (the README's form), launched before its engine loads: a server spends its first minute
    importing, in three processes one after another, which this process spends loading its engine meanwhile."""
    from vllm_server import VLLMServer

    launched = VLLMServer.launch(model, tmp_path_factory.mktemp("server") / "server.log")
    yield launched
    launched.stop()


@pytest.fixture(scope="class")
def engines(model, server):
    """The family's vLLM engine and transformers backend, loaded once for the class's tests."""
    from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
    from mllm_judge_tasks.models.mllm_judge_vllm import MLLMJudgeVLLM

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # start-up, not behaviour: see the module's docstring
    vllm = MLLMJudgeVLLM(pretrained=str(model), dtype="float32", use_cache=False, batch_size=8, enforce_eager=True)
    hf = MLLMJudgeHF(pretrained=str(model), dtype="float32", use_cache=False, batch_size=8)
    yield vllm, hf
    vllm.llm.llm_engine.engine_core.shutdown()  # now, while pytest still captures its log, not at interpreter exit


@pytest.fixture(scope="class")
def served(server) -> str:
    """The family's server, once it answers: its root URL."""
    return server.wait()


def answers(model, rows: dict[str, list[dict]], tasks=TASKS, verdict_mode: str = "free", **settings) -> dict[str, list[str]]:
    """Every row of `tasks` in one generate_until call (as lmms-eval hands over a run), answers per task."""
    model.verdict_mode = verdict_mode
    requests = [request for task in tasks
                for request in harness_requests.judge_requests(model, rows[task], task, max_new_tokens=12, **settings)]
    texts, by_task = iter(model.generate_until(requests)), {}
    for task in tasks:
        by_task[task] = [next(texts) for _ in rows[task]]
    return by_task


def openai_judge(url: str, model, **args):
    from mllm_judge_tasks.models.mllm_judge_openai import MLLMJudgeOpenAI

    return MLLMJudgeOpenAI(base_url=url, model=str(model), **{"use_cache": False, "batch_size": 8, **args})


class FamilyChecks:
    """Every check, on the family a subclass names: a class per family, so that CI's `-n 3 --dist loadscope` runs
    the two families and tests/test_vllm_resume.py in three workers at once. On two cores that measured the same as
    two workers (one with both families); a third core shortens it."""

    family: str

    def test_free_generation_equals_the_transformers_backend(self, engines, rows):
        vllm, hf = engines
        reference = answers(hf, rows, ("pair",))["pair"]
        assert len(set(reference)) > LIMIT // 2  # documents get different answers
        assert answers(vllm, rows, ("pair",))["pair"] == reference

    def test_verdict_probabilities_equal_the_transformers_backend(self, engines, rows):
        """All three tasks in one call, so rankings share batches with score and pair items; each item takes its own
        mode (rankings fall back to constrained)."""
        vllm, hf = engines
        ours, reference = answers(vllm, rows, verdict_mode="probability"), answers(hf, rows, verdict_mode="probability")
        for task in ("score", "pair"):
            got = [read_verdict_probabilities(text)["probabilities"] for text in ours[task]]
            expected = [read_verdict_probabilities(text)["probabilities"] for text in reference[task]]
            assert expected[0] != expected[1]  # the documents are told apart
            for mine, theirs in zip(got, expected, strict=True):
                assert mine == pytest.approx(theirs, abs=1e-4)
        for text, row in zip(ours["batch"], rows["batch"], strict=True):
            assert read_verdict_probabilities(text) is None and "\nJudgement: [[" in text  # constrained
            assert parse_verdict("batch", text, len(row["responses"])).ok

    def test_top_k_and_top_p_are_applied_when_sampling(self, engines, rows):
        """As for mllm_judge_hf (test_backend_faults): sampling at temperature 1 from a random model wanders; top_k=1
        or a tiny top_p leave only the greedy token."""
        vllm, _ = engines
        pair = {"pair": rows["pair"][:6]}
        greedy = answers(vllm, pair, ("pair",))
        assert answers(vllm, pair, ("pair",), temperature=1.0) != greedy  # the check can fail: sampling differs here
        assert answers(vllm, pair, ("pair",), temperature=1.0, top_k=1) == greedy
        assert answers(vllm, pair, ("pair",), temperature=1.0, top_p=1e-6) == greedy

    def test_the_documented_server_command_serves_our_prompts(self, engines, served, model, mini_repo):
        """The server reads our prompts, as `mllm_judge_openai` sends them, as our processor does: the same prompt
        token counts."""
        import urllib.request

        from datasets import load_dataset

        from mllm_judge_tasks import prompts
        from mllm_judge_tasks.models.inputs import to_request

        _, hf = engines
        judge = openai_judge(f"{served}/v1", model)
        processor = hf.processor
        docs = load_dataset(str(mini_repo), "pair", split="test").select(range(3))
        lengths, expected = [], []
        for doc in docs:
            messages = prompts.judge_messages("pair", doc, "plain", None)
            request = to_request(processor, messages, None, task="pair", answer_count=2)
            expected.append(len(processor(text=[request.prompt], images=[request.images], return_tensors="pt")["input_ids"][0]))
            sent = judge._render(messages, task="pair", answer_count=2, item_id=str(doc["id"]), doc=doc)
            body = {"model": judge.endpoint.model, "messages": judge._messages(sent), "max_tokens": 4, "temperature": 0}
            call = urllib.request.Request(f"{served}/v1/chat/completions", data=json.dumps(body).encode(),
                                          headers={"Content-Type": "application/json"})
            answer = json.load(urllib.request.urlopen(call, timeout=300))
            assert answer["choices"][0]["message"]["content"] is not None
            lengths.append(answer["usage"]["prompt_tokens"])
        assert len(set(expected)) > 1  # the documents' prompts differ in length, so equal counts are no accident
        assert lengths == expected

    def test_the_openai_backend_on_a_vllm_server_equals_the_offline_engine(self, engines, served, model, rows):
        """Free and constrained answers equal the offline engine's exactly, probabilities within 1e-4, on the three
        tasks in one call (rankings in probability mode fall back to constrained, item by item)."""
        vllm, _ = engines
        judge = openai_judge(f"{served}/v1", model)
        assert judge.routes["probability"] == "prefill + logprob_token_ids"
        for mode in ("free", "constrained"):
            offline = answers(vllm, rows, verdict_mode=mode)
            assert len(set(offline["pair"])) > LIMIT // 2  # documents get different answers
            assert answers(judge, rows, verdict_mode=mode) == offline, mode
        ours, offline = answers(judge, rows, verdict_mode="probability"), answers(vllm, rows, verdict_mode="probability")
        for task in ("score", "pair"):
            expected = [read_verdict_probabilities(text)["probabilities"] for text in offline[task]]
            assert expected[0] != expected[1]
            for text, theirs in zip(ours[task], expected, strict=True):
                assert read_verdict_probabilities(text)["probabilities"] == pytest.approx(theirs, abs=1e-4)
        assert ours["batch"] == offline["batch"]
        assert judge.tokens[0] > 0 and judge.tokens[1] > 0

    def test_429s_are_retried_after_retry_after_and_a_down_server_fails_items_that_a_rerun_judges(
            self, engines, served, model, rows, tmp_path):
        """Through a proxy in front of the real server: three 429s with `Retry-After: 1` cost only time; while the
        server is down (503 on every attempt) the items are judge failures, never cached; the rerun of the same
        requests with the server back takes the rest from the cache and generates only the failed ones."""
        from openai_proxy import Proxy

        from mllm_judge_tasks.protocol import FAILURE_MODE

        vllm, _ = engines
        pair = {"pair": rows["pair"]}
        expected = answers(vllm, pair, ("pair",))["pair"]
        proxy = Proxy(served)
        try:
            judge = openai_judge(proxy.url, model, max_retries=1, use_cache=True, cache=str(tmp_path / "c.sqlite"))
            half = {"pair": rows["pair"][: LIMIT // 2]}
            proxy.too_many = 3
            assert answers(judge, half, ("pair",))["pair"] == expected[: LIMIT // 2]
            assert [status for _, status in proxy.seen].count(429) == 3
            proxy.down = True
            failed = answers(judge, pair, ("pair",))["pair"]
            assert failed[: LIMIT // 2] == expected[: LIMIT // 2]  # from the cache
            assert all(json.loads(text)["mode"] == FAILURE_MODE for text in failed[LIMIT // 2:])
            assert judge.stats["failed"] == LIMIT - LIMIT // 2
            proxy.down = False
            assert answers(judge, pair, ("pair",))["pair"] == expected
            assert judge.stats["generated"] == LIMIT // 2 + (LIMIT - LIMIT // 2) * 2  # each item generated once, the lost twice
        finally:
            proxy.close()

    def test_lmms_eval_through_the_server_parses_every_verdict_and_writes_no_key(self, served, model, mini_repo, tmp_path):
        """The issue's command, constrained and probability, with the key in an environment variable: parse rate 1.0 on
        the three tasks, every score and pair item with probabilities, and the key (which the server received) in no
        file the run writes."""
        from lmms_eval_run import lmms_eval_in_process
        from openai_proxy import Proxy

        from mllm_judge_app import cli

        secret = "sk-test-" + "7" * 24
        proxy = Proxy(served)
        cache = tmp_path / "cache.sqlite"
        env = {"MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(cache), "JUDGE_KEY": secret}
        try:
            for mode in ("constrained", "probability"):
                out = tmp_path / mode
                run = lmms_eval_in_process(["--model", "mllm_judge_openai", "--model_args",
                                      f"base_url={proxy.url},model={model},verdict_mode={mode},"
                                      "api_key_env=JUDGE_KEY,max_new_tokens=24,price_in=1.5,price_out=6",
                                      "--tasks", "mllm_judge", "--limit", str(LIMIT), "--log_samples", "--output_path", str(out)], env)
                assert run.returncode == 0, run.stderr[-3000:]
                (results,) = out.rglob("*results.json")
                written = json.loads(results.read_text())
                for task in TASKS:
                    assert written["results"][f"mllm_judge_{task}"]["parse_rate,none"] == 1.0, (mode, task)
                    if mode == "constrained":  # the probability run's rankings (constrained) come from the cache
                        assert written["usage"]["by_task"][f"mllm_judge_{task}"]["input_tokens"] > 0, task
                routes = {"constrained": "mllm_judge_openai constrained: prefill + structured_outputs choice",
                          "probability": "mllm_judge_openai probability: prefill + logprob_token_ids"}
                assert written["usage"]["by_source"][routes[mode]]["n_api_calls"] > 0, written["usage"]["by_source"]
                # one usage record per verdict generated (cached and repeated ones cost nothing)
                generated = int(re.search(r"mllm_judge_openai: \d+ requests: \d+ from cache, (\d+) generated", run.stderr)[1])
                assert written["usage"]["total"]["n_api_calls"] == generated > 0
                if mode == "constrained":
                    assert cli.main(["submission", "pack", str(out), "--out", str(tmp_path / "sub"), "--contact", "me@example.org",
                                     "--license", "MIT"]) == 0
                    usage = json.loads((tmp_path / "sub" / "metadata.json").read_text())["usage"]
                    assert usage["verdicts"] == generated and (usage["price_in"], usage["price_out"]) == (1.5, 6.0)
                if mode == "probability":
                    for task in ("score", "pair"):
                        (samples,) = out.rglob(f"*samples_mllm_judge_{task}.jsonl")
                        lines = samples.read_text().splitlines()
                        assert len(lines) == LIMIT
                        assert all(read_verdict_probabilities(json.loads(line)["filtered_resps"][0]) for line in lines)
        finally:
            proxy.close()
        assert proxy.keys == {f"Bearer {secret}"}  # the key was sent, so it could have been written
        written = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert cache in written
        assert not [path for path in written if secret.encode() in path.read_bytes()]

    def test_an_endpoint_that_is_not_vllm_gets_the_portable_routes(self, engines, served, model, rows):
        """Behind a proxy that answers `/version` with 404 (as a router or another server does): free mode takes the
        server's text, the offline answers but for a trailing partial character the server holds back; probability
        mode reads `top_logprobs` of a free answer, and since a random model never writes the verdict opening, every
        item is judged by its own free answer, and counted."""
        from openai_proxy import Proxy

        vllm, _ = engines
        tasks = ("score", "pair")
        proxy = Proxy(served)
        proxy.hidden = {"/version"}
        try:
            judge = openai_judge(proxy.url, model)
            assert judge.endpoint.kind == "openai-compatible" and judge.routes["free"] == "text"
            free = answers(judge, rows, tasks)
            offline = answers(vllm, rows, tasks)
            assert len(set(offline["pair"])) > LIMIT // 2
            assert {task: [text.rstrip("\ufffd") for text in texts] for task, texts in free.items()} == \
                {task: [text.rstrip("\ufffd") for text in texts] for task, texts in offline.items()}
            assert answers(judge, rows, tasks, verdict_mode="probability") == free
            assert judge.fallbacks == 2 * LIMIT
        finally:
            proxy.close()


class TestQwen2VL(FamilyChecks):
    family = "qwen2_vl"


class TestLLaVA(FamilyChecks):
    family = "llava"
