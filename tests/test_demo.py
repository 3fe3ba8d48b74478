"""The README's first command: the whole flow on the embedded default, through the real CLI."""

import json
import re
import subprocess
import sys


def test_demo_runs_dataset_judge_scores_and_leaderboard(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "demo", "--out", str(tmp_path / "demo")],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = tmp_path / "demo" / "leaderboard" / "index.html"
    assert f"leaderboard page: {page}" in done.stdout
    # The progress bar is shown live, and each distinct request is generated once: the swap task judges every
    # pair in both orders, repeating the pair task's prompts in the released order, and a few pairs repeat.
    assert re.search(r"mllm_judge_hf: +[1-9][0-9]?%\|", done.stdout)  # a bar drawn part way
    assert ("mllm_judge_hf: 1150 requests: 0 from cache, 783 generated, 0 failed; 367 repeated an earlier request "
            "(mode constrained)") in done.stdout
    board = json.loads((page.parent / "leaderboard.json").read_text())
    judge = board[0]
    assert judge["judge"] == "tiny random LLaVA (demo)" and judge["role"] == "submission"
    assert judge["pair"]["parse_rate"] == 1.0 and judge["pair"]["n"] == 300  # the released order; swaps feed the bias chart
    assert judge["batch"]["n"] == 50 and judge["score"]["n"] == 200
    # The board's pair headline is the one lmms-eval computed for the same run.
    results = json.loads(sorted((tmp_path / "demo" / "run").rglob("*results.json"))[-1].read_text())["results"]
    assert judge["pair"]["value"] == results["mllm_judge_pair"]["details,none"]["average"]["accuracy_no_tie"]
    assert {row["judge"] for row in board if row["role"] == "reference"} == {
        "reference: random", "reference: always A", "reference: always tie", "reference: longer response wins",
        "reference: constant score"}
    # The Hub files of the run: the judge's entries, and its per-sample verdicts, one row per judged item.
    hub = page.parent / "hub"
    assert f"Hub files (eval.yaml, .eval_results, per-sample results): {hub}" in done.stdout
    from datasets import load_dataset
    from huggingface_hub import parse_eval_result_entries
    import yaml

    entries = parse_eval_result_entries(yaml.safe_load(
        (hub / "models" / "tiny-random-llava-demo" / ".eval_results" / "mllm-judge.yaml").read_text()))
    assert {entry.task_id: entry.value for entry in entries}["pair_accuracy_no_tie"] == round(judge["pair"]["value"], 4)
    pairs = load_dataset(str(hub / "results"), "tiny-random-llava-demo__pair", split="latest")
    assert len(pairs) == 600 and pairs["order"].count("swapped") == 300 and None not in pairs["verdict"]
