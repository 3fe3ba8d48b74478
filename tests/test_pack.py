"""`submission pack` on real lmms-eval output: secrets redacted, and a damaged run folder is a located error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mllm_judge_app import cli
from mllm_judge_tasks.redaction import REDACTED, is_secret_name, public_metadata

SECRETS = ("TESTSECRET123", "TESTAUTH456")  # under names lmms-eval's own redaction (api_key, *_token, ...) misses


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, mini_repo) -> Path:
    """A real lmms-eval run (the dummy model) whose model arguments hold an access key and an auth header."""
    out = tmp_path_factory.mktemp("run") / "out"
    args = f"response=Judgement: [[A]],access_key={SECRETS[0]},auth={SECRETS[1]},max_new_tokens=8"
    done = subprocess.run(
        [sys.executable, "-m", "lmms_eval", "--model", "dummy", "--model_args", args, "--tasks", "mllm_judge_pair",
         "--limit", "4", "--output_path", str(out), "--log_samples"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900,
        env={**os.environ, "MLLM_JUDGE_DATASET": str(mini_repo)})
    assert sorted(out.rglob("*results.json")), done.stderr[-3000:]
    return out


def pack(run: Path, out: Path) -> int:
    return cli.main(["submission", "pack", str(run), "--out", str(out), "--contact", "me@example.org", "--license", "MIT"])


def test_secret_names():
    assert all(map(is_secret_name, ["api_key", "token", "hf_token", "HF-TOKEN", "apikey", "password", "secret", "auth"]))
    assert not any(map(is_secret_name, ["max_new_tokens", "pretrained", "keyframes", "monkey", "batch_size"]))
    assert public_metadata({"contact": "a@b.c", "parameters": {"model_args": "api_key=x,pretrained=m", "Token": "y"}}) == {
        "parameters": {"model_args": f"api_key={REDACTED},pretrained=m", "Token": REDACTED}}


def test_pack_redacts_model_arguments_named_like_secrets(run_dir, tmp_path):
    assert any(SECRETS[0] in path.read_text() for path in run_dir.rglob("*results.json"))  # lmms-eval kept it
    assert pack(run_dir, tmp_path / "sub") == 0
    packed = (tmp_path / "sub" / "metadata.json").read_text()
    assert not any(secret in packed for secret in SECRETS)
    args = json.loads(packed)["parameters"]["model_args"]
    assert f"access_key={REDACTED}" in args and f"auth={REDACTED}" in args and "max_new_tokens=8" in args


def test_pack_copies_the_runs_tokens_and_prices_and_the_page_shows_the_cost(run_dir, tmp_path, hand_dataset):
    """A run that logged its tokens (lmms-eval's `usage`, as mllm_judge_openai writes it: one record per verdict)
    and named its prices: pack copies them; the judge's page shows the cost per 1,000 verdicts. The dummy model
    logs no usage, so the run folder's results.json gets the block mllm_judge_openai's runs have."""
    from mllm_judge_tasks.leaderboard.usage import cost_per_1000_verdicts

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (results,) = run.rglob("*results.json")
    written = json.loads(results.read_text())
    assert "usage" not in written or not written["usage"]  # what the dummy model logs: nothing
    written["usage"] = {"total": {"input_tokens": 40_000, "output_tokens": 2_000, "reasoning_tokens": 0,
                                  "total_tokens": 42_000, "n_api_calls": 4}}
    written["config"]["model_args"] += ",price_in=2.5,price_out=10"
    results.write_text(json.dumps(written))
    assert pack(run, tmp_path / "sub") == 0
    usage = json.loads((tmp_path / "sub" / "metadata.json").read_text())["usage"]
    assert usage == {"verdicts": 4, "prompt_tokens": 40_000, "completion_tokens": 2_000, "price_in": 2.5, "price_out": 10.0}
    assert cost_per_1000_verdicts(usage) == pytest.approx(1000 * (40_000 * 2.5 + 2_000 * 10) / 1e6 / 4)  # $30
    assert cost_per_1000_verdicts({**usage, "price_out": None}) is None  # a price nobody gave: no cost
    assert pack(run_dir, tmp_path / "plain") == 0  # a run without usage: none in the metadata
    assert "usage" not in json.loads((tmp_path / "plain" / "metadata.json").read_text())


def test_the_judges_page_shows_the_cost_per_1000_verdicts(tmp_path, hand_dataset):
    from hand_made import METADATA, hand_submission, run_cli

    usage = {"verdicts": 4, "prompt_tokens": 40_000, "completion_tokens": 2_000, "price_in": 2.5, "price_out": 10}
    hand_submission(tmp_path / "subs" / "priced", metadata={**METADATA, "judge_model": "priced", "usage": usage})
    hand_submission(tmp_path / "subs" / "unpriced", metadata={**METADATA, "judge_model": "unpriced",
                                                              "usage": {**usage, "price_in": None}})
    done = run_cli("leaderboard", str(tmp_path / "subs"), "--out", str(tmp_path / "board"), "--resamples", "20",
                   dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    pages = {path.stem: path.read_text() for path in (tmp_path / "board" / "judges").glob("*.html")}
    (priced,) = [page for name, page in pages.items() if "priced" in name and "unpriced" not in name]
    (unpriced,) = [page for name, page in pages.items() if "unpriced" in name]
    assert '<p id="cost">Cost: <strong>30</strong> per 1,000 verdicts' in priced
    assert 'id="cost"' not in unpriced and "prompt_tokens" in unpriced  # the usage shown, no cost made up


def damage_samples(run: Path, change) -> None:
    (path,) = run.rglob("*_samples_mllm_judge_pair.jsonl")
    path.write_bytes(change(path.read_bytes()))


def damage_results(run: Path, text: bytes) -> None:
    for path in run.rglob("*results.json"):
        path.write_bytes(text)


DAMAGE = {
    "truncated samples": (lambda run: damage_samples(run, lambda data: data[: len(data) - 40]), "_samples_mllm_judge_pair.jsonl:4: malformed JSON"),
    "samples not UTF-8": (lambda run: damage_samples(run, lambda data: b"\xff\xfe" + data), "_samples_mllm_judge_pair.jsonl:1: not valid UTF-8"),
    "samples line a list": (lambda run: damage_samples(run, lambda data: b"[1, 2]\n" + data), "_samples_mllm_judge_pair.jsonl:1: expected a JSON object, got list"),
    "results a list": (lambda run: damage_results(run, b"[]"), "results.json: expected a JSON object, got list"),
    "results broken": (lambda run: damage_results(run, b'{"config": {'), "results.json: malformed JSON"),
    "results not UTF-8": (lambda run: damage_results(run, b'{"config": "\xff"}'), "results.json: not valid UTF-8"),
    "results config a string": (lambda run: damage_results(run, b'{"config": "x"}'), "results.json: field 'config': expected an object"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_run_folder_is_a_located_error(run_dir, tmp_path, damage, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    change, message = DAMAGE[damage]
    assert pack(run, tmp_path / "intact") == 0  # the copy packs before the damage
    change(run)
    assert pack(run, tmp_path / "sub") == 1
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error
    assert not (tmp_path / "sub").exists()


def test_blank_lines_in_a_samples_file_hold_nothing(run_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    damage_samples(run, lambda data: b"\n" + data.replace(b"\n", b"\n\n"))
    assert pack(run_dir, tmp_path / "clean") == 0 and pack(run, tmp_path / "blank") == 0
    assert (tmp_path / "blank" / "predictions.jsonl").read_text() == (tmp_path / "clean" / "predictions.jsonl").read_text()


def test_no_contact_and_no_secret_reaches_the_published_board(tmp_path, hand_dataset):
    from hand_made import METADATA, hand_submission, run_cli

    parameters = {"model_args": f"pretrained=x,access_key={SECRETS[0]}", "auth": SECRETS[1], "temperature": 0}
    directory = hand_submission(tmp_path / "subs" / "acme", metadata={**METADATA, "parameters": parameters})
    assert METADATA["contact"] in (directory / "metadata.json").read_text()  # kept in the submission itself
    done = run_cli("leaderboard", str(tmp_path / "subs"), "--out", str(tmp_path / "board"), "--resamples", "20",
                   dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    published = [path for path in (tmp_path / "board").rglob("*") if path.is_file()]
    assert any(path.name == "results.json" for path in published) and len(published) > 10
    for path in published:
        data = path.read_bytes()
        assert METADATA["contact"].encode() not in data and not any(s.encode() in data for s in SECRETS), path
    (report,) = (tmp_path / "board" / "hub" / "results").glob("*/results.json")
    assert json.loads(report.read_text())["metadata"]["parameters"]["auth"] == REDACTED


def test_a_folder_of_several_runs_packs_the_latest(run_dir, tmp_path, capsys):
    """Running the same lmms-eval command again (to redo failed items, or the demo twice) adds a run to the folder:
    pack takes the latest one whole, never both (each id would appear twice)."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (samples,) = run.rglob("*_samples_mllm_judge_pair.jsonl")
    stamp = samples.name.split("_samples_")[0]
    assert stamp > "20000101_000000"
    earlier = samples.with_name("20000101_000000_samples_mllm_judge_pair.jsonl")
    earlier.write_text(samples.read_text().replace("[[A]]", "[[B]]"))  # an earlier run that answered otherwise
    assert earlier.read_text() != samples.read_text()
    assert pack(run_dir, tmp_path / "one") == 0 and pack(run, tmp_path / "two") == 0
    assert (tmp_path / "two" / "predictions.jsonl").read_text() == (tmp_path / "one" / "predictions.jsonl").read_text()
    assert f"holds 2 runs; packing the latest ({stamp})" in capsys.readouterr().err
