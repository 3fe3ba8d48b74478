"""The main job on the embedded default: dataset, judge, scores and leaderboard, with no download and no GPU.

It builds the synthetic mini benchmark, builds a tiny random-weight LLaVA judge
on the spot, runs it through the real lmms-eval CLI with our backend (verdict-
constrained, so every verdict parses), packs the run as a submission, and
scores it next to the reference rows into a leaderboard page. The tiny judge's
verdicts are noise: the point is that every stage runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mllm_judge_tasks.problems import UserError

DEMO_TASKS = "mllm_judge,mllm_judge_pair_swap"
DEMO_JUDGE = "tiny random LLaVA (demo)"


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


# What went wrong: a traceback's last line ("ModuleNotFoundError: No module named ..."), else lmms-eval's logged error.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception): \S")
LOGGED_ERROR = re.compile(r"\bError during evaluation: \S")
ANSI_CODE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Errors that mean the installed packages are not the tested set (the filelock 4.3 break was one).
DEPENDENCY_ERROR = re.compile(r"\b(?:ModuleNotFoundError|ImportError|AttributeError)\b")


def failure_summary(output: str, returncode: int, log: Path) -> str:
    """The failed run in a few lines a newcomer can act on: its last meaningful error, no colour codes, what to try.

    Our backends stop a setup mistake with a one-line message and a non-zero status, so then the last line is it;
    otherwise lmms-eval exited 0 after printing the traceback and logging the error, and the traceback's last
    line names the exception's type as well.
    """
    lines = [line.strip() for line in ANSI_CODE.sub("", output).replace("\r", "\n").splitlines() if line.strip()]
    errors = [line for line in lines if EXCEPTION_LINE.match(line)] or [line for line in lines if LOGGED_ERROR.search(line)]
    last = lines[-1] if returncode != 0 and lines else errors[-1] if errors else "(no error line; see the log)"
    advice = f"the whole output is in {log}"
    if DEPENDENCY_ERROR.search(last):
        advice = ("this usually means an installed package is not the tested version: reinstall through the lock, "
                  f"`pip install -c locks/main.txt -e .`, then run `mllm-judge demo` again; {advice}")
    return f"the lmms-eval run failed: {last}\n{advice}"


def _run_showing_progress(command: list[str], env: dict) -> tuple[str, int]:
    """Run lmms-eval with its progress bar passed through live (a slow run must not look hung).

    Returns its output and exit status.

    Only the progress bar and our backend's lines are shown; lmms-eval's log lines are kept for errors.
    """
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunks, pending = [], b""
    while chunk := process.stdout.read1(4096):
        chunks.append(chunk)
        # tqdm redraws its bar after "\r"; a segment ends at "\r" or "\n".
        *segments, pending = re.split(rb"(?<=[\r\n])", pending + chunk)
        shown = [segment for segment in segments if segment.startswith(b"mllm_judge_hf")]
        if shown:
            sys.stdout.write(b"".join(shown).decode("utf-8", "replace"))
            sys.stdout.flush()
    return b"".join(chunks).decode("utf-8", "replace"), process.wait()


def run_demo(out: Path, resamples: int = 1000) -> Path:
    from dataset_scripts.build import build_mini
    from mllm_judge_tasks.leaderboard.benchmark_index import load_index
    from mllm_judge_tasks.leaderboard.board import build_board
    from mllm_judge_tasks.leaderboard.board_dir import write_board
    from mllm_judge_tasks.leaderboard.pack import pack_run
    from mllm_judge_tasks.leaderboard.submission import read_submission
    from mllm_judge_tasks.leaderboard.table import to_markdown
    from mllm_judge_tasks.leaderboard.validate import validate_submission
    from mllm_judge_tasks.tiny_judge import build_llava

    out = Path(out).resolve()
    _step(f"building the mini benchmark into {out / 'mllm-judge'}")
    dataset = build_mini(out / "mllm-judge", overwrite=True)
    for name, files in dataset.configs.items():
        print(f"    {name}: {files.num_examples} rows")
    judge_dir = out / "tiny-judge"
    if not (judge_dir / "config.json").exists():
        _step(f"building a tiny random-weight LLaVA judge into {judge_dir}")
        build_llava(judge_dir)
    run_dir = out / "run"
    _step("judging with lmms-eval --model mllm_judge_hf (verdict-constrained) on " + DEMO_TASKS)
    command = [sys.executable, "-m", "lmms_eval", "--model", "mllm_judge_hf",
               "--model_args", f"pretrained={judge_dir},verdict_mode=constrained,max_new_tokens=32",
               "--tasks", DEMO_TASKS, "--batch_size", "8", "--output_path", str(run_dir), "--log_samples"]
    env = {**os.environ, "MLLM_JUDGE_DATASET": str(dataset.out_dir), "MLLM_JUDGE_CACHE": str(out / "cache.sqlite"),
           "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    output, returncode = _run_showing_progress(command, env)
    # lmms-eval exits 0 even when the evaluation crashed: its results file is the proof.
    if not list(run_dir.rglob("*results.json")):
        log = out / "lmms-eval.log"
        log.write_text(output, encoding="utf-8")
        raise UserError(failure_summary(output, returncode, log))
    _step("packing the run as a submission, validating and scoring it beside the reference rows")
    submission_dir = pack_run(run_dir, out / "submissions" / "tiny-judge", contact="mllm-judge demo",
                              license="MIT", judge_model=DEMO_JUDGE)
    index = load_index(str(dataset.out_dir))
    submission = read_submission(submission_dir)
    problems = validate_submission(submission, index)
    if problems:
        raise UserError("the packed demo submission is invalid:\n" + "\n".join(f"  {p}" for p in problems))
    rows = build_board([submission], index, resamples=resamples)
    page, hub = write_board(rows, index, out / "leaderboard")
    print()
    print(to_markdown(rows), end="")
    print(f"\nleaderboard page: {page}")
    print(f"Hub files (eval.yaml, .eval_results, per-sample results): {hub}")
    return page
