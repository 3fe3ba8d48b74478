"""Every judge family we support, as a tiny random model, through the backend directly and lmms-eval's real CLI.

Directly: batched answers equal batch-1 answers on documents whose answers
differ; constrained verdicts are valid on score, pair and batch rows; verdict
probabilities are the same at batch 4 and batch 1 and are those of the token
right after "Judgement: [[". Through lmms-eval's command line (called in this
process, see lmms_eval_run): one task per family in constrained mode (the three
tasks rotate over the families), a results.json with parse rate 1.0 and every
sample logged once.
"""

from __future__ import annotations

import functools
import json

import pytest
import torch
from datasets import load_dataset

from mllm_judge_tasks import harness_requests
from mllm_judge_tasks.models.inputs import encode, to_request
from mllm_judge_tasks.models.loading import NotAJudgeModel, load_judge
from mllm_judge_tasks.models.mllm_judge_hf import MLLMJudgeHF
from lmms_eval_run import lmms_eval_in_process
from tiny_models import ARCHITECTURES
from mllm_judge_tasks.models.verdict_modes import option_token_ids
from mllm_judge_tasks import protocol
from mllm_judge_tasks.protocol import VERDICT_KEY
from mllm_judge_tasks.tasks import hooks
from mllm_judge_tasks.verdicts import parse_verdict, read_verdict_probabilities

TASKS = ("score", "pair", "batch")
CLI_TASK = {arch: TASKS[i % len(TASKS)] for i, arch in enumerate(ARCHITECTURES)}
CLI_LIMIT = 6


@pytest.fixture(scope="module")
def rows(mini_repo) -> dict[str, list[dict]]:
    """Eight rows per task; the first batch row ranks 3 answers, the others 4."""
    picks = {"score": range(8), "pair": range(8), "batch": range(9, 17)}
    return {task: [dict(row) for row in load_dataset(str(mini_repo), task, split="test").select(picks[task])] for task in TASKS}


@functools.lru_cache(maxsize=None)
def _loaded(path) -> MLLMJudgeHF:
    return MLLMJudgeHF(pretrained=str(path), use_cache=False)


def judge(path, batch_size: int, verdict_mode: str = "free") -> MLLMJudgeHF:
    """The family's backend, loaded once per session; batch size and verdict mode are read at each call."""
    model = _loaded(path)
    model.batch_size_per_gpu, model.verdict_mode = batch_size, verdict_mode
    return model


def answers(model: MLLMJudgeHF, rows: list[dict], task: str, max_new_tokens: int = 12) -> list[str]:
    return model.generate_until(harness_requests.judge_requests(model, rows, task, max_new_tokens=max_new_tokens))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_batched_answers_equal_batch_size_one(tiny_model, rows, arch):
    single = answers(judge(tiny_model(arch), batch_size=1), rows["pair"], "pair")
    # Documents must get different answers, or a batch returning answers to the wrong requests would pass.
    assert len(set(single)) >= len(single) // 2, single
    assert answers(judge(tiny_model(arch), batch_size=4), rows["pair"], "pair") == single


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_constrained_verdicts_are_valid_for_every_task(tiny_model, rows, arch):
    model = judge(tiny_model(arch), batch_size=4, verdict_mode="constrained")
    for task in TASKS:
        picked = rows[task][:3] + rows[task][-3:]
        for row, text in zip(picked, answers(model, picked, task, max_new_tokens=6), strict=True):
            parsed = parse_verdict(task, text, len(row["responses"]) if task == "batch" else None)
            assert parsed.ok, (task, text)


def probabilities_after_opening(model: MLLMJudgeHF, row: dict, task: str, options: list[str]) -> list[float]:
    """The options' probabilities after the judge's "Judgement: [[", computed without the backend's code path.

    Causal families: the prompt and the opening as one text, cut right after "[[" (found by decoding).
    PaliGemma: its own prefix/suffix format, the opening given as the start of the answer (`suffix`).
    """
    from transformers import PaliGemmaProcessor

    processor = model.judge.processor
    request = to_request(processor, hooks.doc_to_messages(row, {"task": task, "setting": "plain"}), model.max_pixels,
                         task=task, answer_count=protocol.SPECS[task].answer_count(row))
    opening = VERDICT_KEY + " [["
    if isinstance(processor, PaliGemmaProcessor):
        batch = processor(text=[request.prompt], images=[request.images], suffix=[opening], return_tensors="pt")
        cut = batch["input_ids"].shape[1] - 1  # the suffix ends with EOS
    else:
        batch = encode(processor, [request.prompt + opening], [request.images], model.judge.device, model.judge.dtype)
        ids = batch["input_ids"][0].tolist()
        cut = next(k for k in range(len(ids), 0, -1) if processor.tokenizer.decode(ids[:k]).endswith(opening))
    shape = batch["input_ids"].shape
    batch = {key: value[:, :cut] if torch.is_tensor(value) and value.dim() >= 2 and value.shape[:2] == shape else value
             for key, value in batch.items()}
    batch.pop("labels", None)
    with torch.inference_mode():
        logits = model.judge.model(**batch).logits[0, -1]
    return logits[option_token_ids(processor.tokenizer, options)].softmax(-1).tolist()


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_verdict_probabilities_are_those_after_the_opening_brackets(tiny_model, rows, arch):
    path = tiny_model(arch)
    items = rows["score"][:4]
    batched = answers(judge(path, batch_size=4, verdict_mode="probability"), items, "score")
    single = answers(judge(path, batch_size=1, verdict_mode="probability"), items, "score")
    distributions = [read_verdict_probabilities(text)["probabilities"] for text in batched]
    assert distributions[0] != distributions[1]  # the documents are told apart
    for got, alone in zip(distributions, (read_verdict_probabilities(text)["probabilities"] for text in single)):
        assert got == pytest.approx(alone, abs=1e-5)
    options = list(distributions[0])
    expected = probabilities_after_opening(judge(path, batch_size=1), items[0], "score", options)
    assert [distributions[0][k] for k in options] == pytest.approx(expected, abs=1e-4)


def test_paligemma_probabilities_differ_when_the_opening_is_appended_to_its_prompt(tiny_model, rows):
    """PaliGemma's processor ends the prompt with "\n" and attends to it both ways: the opening appended
    to the prompt text gives other numbers, so the check above tells the right reading from that one."""
    model = judge(tiny_model("paligemma"), batch_size=1)
    row, options = rows["score"][0], [str(k) for k in range(1, 6)]
    request = to_request(model.judge.processor, hooks.doc_to_messages(row, {"task": "score", "setting": "plain"}), None,
                         task="score", answer_count=1)
    batch = encode(model.judge.processor, [request.prompt + VERDICT_KEY + " [["], [request.images], "cpu", torch.float32)
    with torch.inference_mode():
        appended = model.judge.model(**batch).logits[0, -1, option_token_ids(model.judge.processor.tokenizer, options)].softmax(-1)
    assert appended.tolist() != pytest.approx(probabilities_after_opening(model, row, "score", options), abs=1e-3)


def test_phi4_multimodal_is_refused_with_a_clear_error(tmp_path):
    """Phi-4-multimodal has no image-text-to-text head in transformers; it is refused before any weight loads."""
    from transformers import Phi4MultimodalConfig

    Phi4MultimodalConfig().save_pretrained(tmp_path)
    with pytest.raises(NotAJudgeModel, match="'phi4_multimodal' is not an image-text-to-text model"):
        load_judge(str(tmp_path))


@pytest.fixture(scope="module")
def cli_runs(tiny_model, mini_repo, tmp_path_factory) -> dict:
    """All families' runs of lmms-eval's command line, in this process (one import of lmms-eval for all)."""
    root = tmp_path_factory.mktemp("family-cli")
    runs = {}
    for arch in ARCHITECTURES:
        env = {"MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(root / f"{arch}.sqlite")}
        args = ["--model", "mllm_judge_hf", "--model_args",
                f"pretrained={tiny_model(arch)},verdict_mode=constrained,max_new_tokens=8",
                "--tasks", f"mllm_judge_{CLI_TASK[arch]}", "--batch_size", "3", "--limit", str(CLI_LIMIT),
                "--log_samples", "--output_path", str(root / arch)]
        runs[arch] = lmms_eval_in_process(args, env), root / arch
    return runs


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_each_family_runs_through_the_lmms_eval_cli(cli_runs, arch):
    done, out = cli_runs[arch]
    task = f"mllm_judge_{CLI_TASK[arch]}"
    results = sorted(out.rglob("*results.json"))
    assert done.returncode == 0 and results, done.stderr[-3000:]
    data = json.loads(results[-1].read_text())
    assert data["results"][task]["parse_rate,none"] == 1.0
    assert data["results"][task]["details,none"]["n"] == CLI_LIMIT
    samples = [json.loads(line) for line in next(out.rglob(f"*samples_{task}.jsonl")).read_text().splitlines()]
    assert sorted(sample["doc_id"] for sample in samples) == list(range(CLI_LIMIT))
    assert f"mllm_judge_hf: {CLI_LIMIT} requests: 0 from cache, {CLI_LIMIT} generated, 0 failed" in done.stderr


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_family_builds_the_same_weights_every_time(tiny_model, tmp_path, arch):
    """Tests and the demo compare runs across builds: no weight may depend on unseeded randomness."""
    from safetensors.torch import load_file

    from tiny_models import BUILDERS

    torch.manual_seed(12345)  # the global generator's state must not matter either
    again = load_file(BUILDERS[arch](tmp_path / arch) / "model.safetensors")
    first = load_file(tiny_model(arch) / "model.safetensors")
    assert first.keys() == again.keys()
    assert [name for name in first if not torch.equal(first[name], again[name])] == []
