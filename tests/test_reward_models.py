"""`mllm_judge_rm`: scalar reward models (a value head, a one-label classifier) on tiny models built here.

Rewards are checked against a forward pass this file computes itself (its own conversation, one unpadded
sequence, the head applied by hand); the protocol's rules for turning rewards into verdicts against hand-made
rewards; the whole path through lmms-eval, pack, score and the leaderboard on a real run.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
from datasets import load_dataset
from lmms_eval_run import lmms_eval_in_process
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText, AutoModelForSequenceClassification, AutoProcessor

from mllm_judge_app import cli
from mllm_judge_tasks import harness_requests
from mllm_judge_tasks.models.loading import NotAJudgeModel
from mllm_judge_tasks.models.mllm_judge_rm import MLLMJudgeRM
from mllm_judge_tasks.models.reward_models import load_reward_model
from mllm_judge_tasks.protocol import reward_output, reward_verdict
from mllm_judge_tasks.verdicts import NoVerdict, parse_verdict
from tiny_models.reward import build_gemma3_classifier, build_value_head_reward

LAYOUTS = ("value_head", "classifier")


@pytest.fixture(scope="session")
def reward_model(tmp_path_factory):
    """`reward_model("value_head")` or `reward_model("classifier")`: the tiny checkpoint's folder, built once."""
    root, built = tmp_path_factory.mktemp("reward-models"), {}
    builders = {"value_head": build_value_head_reward, "classifier": build_gemma3_classifier}

    def get(layout: str):
        if layout not in built:
            built[layout] = builders[layout](root / layout)
        return built[layout]

    return get


@pytest.fixture(scope="module")
def pair_rows(mini_repo):
    return load_dataset(str(mini_repo), "pair", split="test").select(range(8))


def rewards_of(backend: MLLMJudgeRM, rows, task: str = "pair", setting: str = "plain") -> list[list[float]]:
    answers = backend.generate_until(harness_requests.judge_requests(backend, rows, task, setting))
    return [json.loads(answer)["rewards"] for answer in answers]


def reference_reward(layout: str, path, image, instruction: str, response: str) -> float:
    """One response's reward computed without the backend: its conversation, unpadded, the head by hand."""
    processor = AutoProcessor.from_pretrained(path)
    conversation = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": instruction}]},
                    {"role": "assistant", "content": response}]
    text = processor.apply_chat_template(conversation, tokenize=False)
    inputs = processor(text=[text], images=[[image.convert("RGB")]], return_tensors="pt")
    with torch.no_grad():
        if layout == "classifier":
            return float(AutoModelForSequenceClassification.from_pretrained(path).eval()(**inputs).logits[0, 0])
        model = AutoModelForImageTextToText.from_pretrained(path).eval()
        last = model(**inputs, output_hidden_states=True).hidden_states[-1][0, -1]
    head = load_file(str(path / "value_head.safetensors"))
    return float(last @ head["v_head.summary.weight"][0] + head["v_head.summary.bias"][0])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rewards_equal_a_forward_pass_computed_here(layout, reward_model, pair_rows):
    path = reward_model(layout)
    rows = pair_rows.select(range(3))
    rewards = rewards_of(MLLMJudgeRM(pretrained=str(path), batch_size=4, use_cache=False), rows)
    shown = {(row["instruction_id"], row[field]): reward for row, item in zip(rows, rewards)
             for field, reward in zip(("response_a", "response_b"), item)}
    assert len(shown) > 2 and len({round(reward, 4) for reward in shown.values()}) == len(shown)  # different responses
    expected = [[reference_reward(layout, path, row["image"], row["instruction"], row[field])
                 for field in ("response_a", "response_b")] for row in rows]
    assert rewards == [pytest.approx(item, abs=1e-5) for item in expected]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_batch_of_8_equals_batch_of_1_and_the_padding_side_does_not_matter(layout, reward_model, pair_rows):
    path = str(reward_model(layout))
    one = rewards_of(MLLMJudgeRM(pretrained=path, batch_size=1, use_cache=False), pair_rows)
    eight = rewards_of(MLLMJudgeRM(pretrained=path, batch_size=8, use_cache=False), pair_rows)
    left = MLLMJudgeRM(pretrained=path, batch_size=8, use_cache=False)
    left.processor.tokenizer.padding_side = "left"
    padded_left = rewards_of(left, pair_rows)
    lengths = {len(row["response_a"]) for row in pair_rows} | {len(row["response_b"]) for row in pair_rows}
    assert len(lengths) > 4  # the batches are padded
    assert eight == [pytest.approx(item, abs=1e-5) for item in one]
    assert padded_left == [pytest.approx(item, abs=1e-5) for item in one]


def test_an_adapter_of_the_documented_interface_loads_without_touching_the_backend(reward_model, pair_rows):
    path, rows = str(reward_model("classifier")), pair_rows.select(range(3))
    layout = rewards_of(MLLMJudgeRM(pretrained=path, use_cache=False), rows)
    adapted = rewards_of(MLLMJudgeRM(pretrained=path, adapter="tiny_models.reward:NegatedClassifier", use_cache=False), rows)
    assert layout != adapted and adapted == [pytest.approx([-r for r in item], abs=1e-6) for item in layout]


def test_a_checkpoint_in_no_known_layout_is_refused_with_what_to_do(reward_model):
    generative = reward_model("classifier").parent / "generative"  # a plain Gemma 3: no value head, no classifier
    with pytest.raises(NotAJudgeModel, match="no value_head.safetensors and architectures .*Gemma3ForConditionalGeneration"
                                             ".* write an adapter"):
        load_reward_model(str(generative))
    with pytest.raises(NotAJudgeModel, match="layout=value_head, but there is no value_head.safetensors"):
        load_reward_model(str(reward_model("classifier")), layout="value_head")


def test_each_distinct_response_is_scored_once_across_settings_orders_and_runs(reward_model, pair_rows, tmp_path, capfd):
    path, cache = str(reward_model("value_head")), str(tmp_path / "rewards.sqlite")
    backend = MLLMJudgeRM(pretrained=path, batch_size=4, cache=cache)
    swapped = pair_rows.map(lambda row: {"response_a": row["response_b"], "response_b": row["response_a"]})
    requests = [*harness_requests.judge_requests(backend, pair_rows, "pair", "plain", name="plain"),
                *harness_requests.judge_requests(backend, pair_rows, "pair", "cot_both", name="cot")]
    requests += harness_requests.judge_requests(backend, swapped, "pair", "plain", name="swapped")
    answers = [json.loads(answer)["rewards"] for answer in backend.generate_until(requests)]
    distinct = {(row["instruction_id"], row[field]) for row in pair_rows for field in ("response_a", "response_b")}
    err = capfd.readouterr().err
    # A reward model reads no judge prompt: the cot_both items are the plain ones again; the swapped ones
    # show the same responses in the other order.
    assert "24 requests: 0 from cache, 16 generated, 0 failed; 8 repeated an earlier request" in err
    assert f"32 responses: {len(distinct)} scored, 0 from cache" in err
    n = len(pair_rows)
    assert answers[:n] == answers[n : 2 * n] and answers[2 * n :] == [item[::-1] for item in answers[:n]]
    # A new run with another tie margin: every reward from the cache, the pair verdicts follow the new margin.
    again = MLLMJudgeRM(pretrained=path, batch_size=4, cache=cache, tie_margin=100.0)
    tied = again.generate_until(harness_requests.judge_requests(again, pair_rows, "pair"))
    assert f"{2 * n} responses: 0 scored, {len(distinct)} from cache" in capfd.readouterr().err
    assert {parse_verdict("pair", answer).verdict for answer in tied} == {"C"}


def test_the_protocol_turns_rewards_into_verdicts():
    assert reward_verdict("score", [-3.25]) == -3.25
    assert [reward_verdict("pair", [1.0, 0.5]), reward_verdict("pair", [0.5, 1.0])] == ["A", "B"]
    assert reward_verdict("pair", [1.0, 0.9], tie_margin=0.1) == "C" and reward_verdict("pair", [1.0, 0.85], 0.1) == "A"
    assert reward_verdict("batch", [0.1, 0.9, -2.0, 0.5]) == "BDAC"
    assert reward_verdict("batch", [0.5, 0.9, 0.5]) == "BAC"  # equal rewards keep the shown order
    # The parser computes the verdict from the rewards by the same rule; its marker is for readers.
    assert parse_verdict("batch", reward_output("batch", [0.1, 0.9, -2.0, 0.5]), 4).verdict == "BDAC"
    score = parse_verdict("score", reward_output("score", [7.5]))
    assert score.verdict == 7.5 and score.from_rewards
    forged = json.dumps({"mode": "reward", "rewards": [1.0, 0.0], "tie_margin": 0.0, "judgement": "[[B]]"})
    assert parse_verdict("pair", forged).verdict == "A"
    for bad in ([1.0], [1.0, float("nan")], "1,2", [1.0, True]):
        text = json.dumps({"mode": "reward", "rewards": bad, "tie_margin": 0.0})
        assert parse_verdict("pair", text).reason is NoVerdict.BAD_REWARDS, bad
    assert parse_verdict("pair", json.dumps({"mode": "reward", "rewards": [1, 0], "tie_margin": -1})).reason is NoVerdict.BAD_REWARDS


@pytest.fixture(scope="module")
def rm_run(tmp_path_factory, mini_repo, reward_model):
    """A real lmms-eval run of `mllm_judge_rm` (the value head) on the whole mini benchmark's three tasks and the
    swap (its responses repeat across items, so the run scores a few hundred)."""
    out = tmp_path_factory.mktemp("rm-run") / "out"
    done = lmms_eval_in_process(
        ["--model", "mllm_judge_rm", "--model_args", f"pretrained={reward_model('value_head')}", "--batch_size", "8",
         "--tasks", "mllm_judge,mllm_judge_pair_swap", "--log_samples", "--output_path", str(out)],
        {"MLLM_JUDGE_DATASET": str(mini_repo), "MLLM_JUDGE_CACHE": str(out.parent / "cache.sqlite")})
    assert done.returncode == 0 and sorted(out.rglob("*results.json")), done.stderr[-3000:]
    return out, done.stderr


def test_lmms_eval_writes_every_tasks_metrics_and_the_rewards(rm_run):
    out, stderr = rm_run
    results = json.loads(next(out.rglob("*results.json")).read_text())["results"]
    for task in ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch"):
        assert results[task]["parse_rate,none"] == 1.0
    score = results["mllm_judge_score"]["details,none"]
    assert score["pooled"]["pearson"] is not None and score["pooled"]["mae"] is None  # a reward is on no scale
    assert "within_instruction" in score["bias"]
    assert results["mllm_judge_batch"]["edit_distance,none"] is not None
    # A reward model has no position: the swapped pairs get the mirrored verdicts.
    position = results["mllm_judge_pair_swap"]["details,none"]["bias"]["position"]
    assert position["position_consistency"] == 1.0
    for path in out.rglob("*_samples_mllm_judge_*.jsonl"):
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            payload = json.loads(sample["filtered_resps"][0])
            assert payload["mode"] == "reward" and all(isinstance(r, float) for r in payload["rewards"])
    counted = re.search(r"mllm_judge_rm: (\d+) responses: (\d+) scored", stderr)
    assert counted and int(counted.group(2)) < int(counted.group(1))


def test_a_sequence_classifier_runs_through_lmms_eval_with_and_without_the_image(tmp_path, mini_repo, reward_model):
    out = tmp_path / "out"
    done = lmms_eval_in_process(
        ["--model", "mllm_judge_rm", "--model_args", f"pretrained={reward_model('classifier')},use_cache=false",
         "--tasks", "mllm_judge,mllm_judge_pair_no_figure", "--limit", "8", "--log_samples", "--output_path", str(out)],
        {"MLLM_JUDGE_DATASET": str(mini_repo)})
    assert done.returncode == 0 and sorted(out.rglob("*results.json")), done.stderr[-3000:]
    results = json.loads(next(out.rglob("*results.json")).read_text())["results"]
    for task in ("mllm_judge_score", "mllm_judge_pair", "mllm_judge_batch", "mllm_judge_pair_no_figure"):
        assert results[task]["parse_rate,none"] == 1.0, task
    rewards = {}
    for name in ("mllm_judge_pair", "mllm_judge_pair_no_figure"):
        lines = next(out.rglob(f"*_samples_{name}.jsonl")).read_text().splitlines()
        rewards[name] = [json.loads(json.loads(line)["filtered_resps"][0])["rewards"] for line in lines]
    # Without the image the reward model reads other inputs, and so gives other rewards.
    assert all(a != b for a, b in zip(rewards["mllm_judge_pair"], rewards["mllm_judge_pair_no_figure"]))


def test_pack_score_and_the_board_take_the_run_as_a_reward_model(rm_run, tmp_path, mini_repo):
    out, _ = rm_run
    submissions = tmp_path / "submissions"
    assert cli.main(["submission", "pack", str(out), "--out", str(submissions / "rm"), "--contact", "me@example.org",
                     "--license", "MIT"]) == 0
    metadata = json.loads((submissions / "rm" / "metadata.json").read_text())
    assert metadata["tie_margin"] == 0.0
    assert cli.main(["score", str(submissions / "rm"), "--dataset", str(mini_repo), "--resamples", "50"]) == 0
    score = json.loads((submissions / "rm" / "score.json").read_text())
    assert score["tasks"]["pair"]["verdict_routes"] == {"a reward model's rewards": 600}  # as released and swapped
    # The same numbers as lmms-eval's results.json: one implementation reads the rewards.
    results = json.loads(next(out.rglob("*results.json")).read_text())["results"]
    for task, headline in (("score", "pearson"), ("pair", "accuracy_no_tie"), ("batch", "edit_distance")):
        assert score["tasks"][task]["full"]["average"][headline] == pytest.approx(
            results[f"mllm_judge_{task}"][f"{headline},none"], abs=1e-12)
    board = tmp_path / "board"
    assert cli.main(["leaderboard", str(submissions), "--out", str(board), "--dataset", str(mini_repo),
                     "--resamples", "50"]) == 0
    table = json.loads((board / "leaderboard.json").read_text())
    types = {row["judge"]: row["judge_type"] for row in table}
    assert types[metadata["judge_model"]] == "reward model (tie margin 0)"
    assert set(types.values()) == {"reward model (tie margin 0)", ""}  # the references are rules, not judges
    assert "reward model (tie margin 0)" in (board / "index.html").read_text()
    assert r"| plain | reward model \(tie margin 0\) |" in (board / "leaderboard.md").read_text()
