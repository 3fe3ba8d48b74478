"""`mllm-judge submission pack`: a submission from the output folder of an lmms-eval run of our tasks.

Reads the run's `*_samples_mllm_judge_{score,pair,batch}[_setting].jsonl` files
(written with `--log_samples`) and its results.json for the metadata. Each task
must appear once, in one judge setting; `mllm_judge_pair_swap` adds the
swapped-order judgements for the position-bias figures.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from mllm_judge_tasks.problems import Problem, UserError, json_object
from mllm_judge_tasks.protocol import ORIGINAL, SWAPPED, is_real_number
from mllm_judge_tasks.prompts import SETTINGS

from mllm_judge_tasks.verdicts import judge_failure, read_rewards

from mllm_judge_tasks.redaction import redact_model_args

from .submission import write_submission
from .usage import usage_from_run

SHOWN_FAILURES = 20

_SAMPLES = re.compile(r"_samples_mllm_judge_(score|pair|batch)(?:_(" + "|".join(SETTINGS[1:]) + r"|swap))?\.jsonl$")


def _model_args(text: str) -> dict:
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def _public(value: str) -> str:
    """A model argument as it may be published: a local path becomes its last component (never a home directory)."""
    return Path(value).name if value.startswith(("/", "~", "./", "../")) or Path(value).is_dir() else value


def _public_model_args(model_args: dict) -> str:
    """The run's model arguments as the pack publishes them: local paths shortened, secrets redacted."""
    return redact_model_args(",".join(f"{key}={_public(value)}" for key, value in model_args.items()))


def _json(raw: bytes, path: Path, line: int | None) -> dict:
    record = json_object(raw, str(path), line)
    if isinstance(record, Problem):
        raise UserError(f"{record}; this is not a complete lmms-eval output: run the lmms-eval command again "
                        "(answers already generated come from the cache)")
    return record


def _latest_run(run_dir: Path, files: dict) -> tuple[dict, str]:
    """The samples files of the folder's latest run, and its time stamp.

    lmms-eval names each run's files by the time it started (`<stamp>_samples_<task>.jsonl`,
    `<stamp>_results.json`), and an output folder keeps every run: running the same command again (to
    generate what failed, or the demo a second time) adds a run whose answers are complete.
    """
    runs: dict[str, dict] = {}
    for path, match in files.items():
        runs.setdefault(path.name.split("_samples_")[0], {})[path] = match
    stamp = max(runs)
    if len(runs) > 1:
        print(f"{run_dir}: holds {len(runs)} runs; packing the latest ({stamp})", file=sys.stderr)
    return runs[stamp], stamp


def _run_results(run_dir: Path, stamp: str) -> dict:
    """The run's results.json (its `config`: model and arguments; its `usage`), or {} when the run wrote none."""
    results = sorted(run_dir.rglob(f"{stamp}_results.json")) or sorted(run_dir.rglob("*results.json"))
    if not results:
        return {}
    written = _json(results[-1].read_bytes(), results[-1], None)
    if not isinstance(written.get("config", {}), dict):
        raise UserError(f"{results[-1]}: field 'config': expected an object, got {type(written['config']).__name__}")
    return written


def _samples(path: Path):
    """(sample, its details) of each line of an lmms-eval samples file; blank lines hold nothing and are passed."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            sample = _json(raw, path, number)
            details = sample.get("details") or {}
            if not isinstance(details, dict):
                raise UserError(f"{path}:{number}: field 'details': expected an object, got {type(details).__name__}")
            yield sample, details


def _response(sample: dict) -> str:
    response = sample.get("filtered_resps", sample.get("resps", [""]))
    while isinstance(response, list):
        response = response[0] if response else ""
    return response if isinstance(response, str) else ""


def pack_run(run_dir: Path, out: Path, *, contact: str, license: str, judge_model: str | None = None) -> Path:
    """`judge_model` names the judge on the board (default: the `pretrained` model argument of the run)."""
    run_dir = Path(run_dir)
    files = {path: _SAMPLES.search(path.name) for path in sorted(run_dir.rglob("*_samples_*.jsonl"))}
    files = {path: match for path, match in files.items() if match}
    if not files:
        raise UserError(f"{run_dir}: no samples of the mllm_judge tasks; run lmms-eval with --log_samples")
    files, stamp = _latest_run(run_dir, files)
    settings = {match.group(2) or "plain" for match in files.values() if match.group(2) != "swap"}
    if len(settings) > 1:
        raise UserError(f"{run_dir}: samples of several judge settings ({', '.join(sorted(settings))}); pack one setting per submission")
    results = _run_results(run_dir, stamp)
    config = results.get("config", {})
    model_args = _model_args(str(config.get("model_args", "")))
    lines, failed, margins = [], [], set()
    for path, match in files.items():
        task, swap = match.group(1), match.group(2) == "swap"
        for sample, details in _samples(path):
            order = details.get("order", ORIGINAL)
            if swap and order != SWAPPED:
                continue  # the swap task's original-order half repeats the pair task
            doc = sample.get("doc") if isinstance(sample.get("doc"), dict) else {}
            line = {"task": task, "id": details.get("id") or doc.get("id"), "output": _response(sample)}
            error = judge_failure(line["output"])
            rewards = read_rewards(line["output"])
            if rewards is not None:  # a reward model's run: the tie margin its pair verdicts were given with
                margin = rewards.get("tie_margin")
                margins.add(margin if is_real_number(margin) else None)
            if error is not None:
                failed.append(f"{task} {line['id']}{' (swapped)' if order == SWAPPED else ''}: {error}")
            if order == SWAPPED:
                line["order"] = SWAPPED
            lines.append(line)
    if failed:
        shown = "\n".join(f"  {line}" for line in failed[:SHOWN_FAILURES])
        more = f"\n  ... and {len(failed) - SHOWN_FAILURES} more" if len(failed) > SHOWN_FAILURES else ""
        raise UserError(
            f"{run_dir}: the judge failed on {len(failed)} item(s), which would count as no verdict:\n{shown}{more}\n"
            "Run the same lmms-eval command again: every answer already generated comes from the generation cache "
            "(MLLM_JUDGE_CACHE, or the backend's cache= argument), so only these are generated again; then pack.")
    metadata = {
        "judge_model": judge_model or _public(model_args.get("pretrained") or model_args.get("model") or str(config.get("model", "unknown"))),
        "revision": model_args.get("revision"),
        "parameters": {"model": config.get("model"), "model_args": _public_model_args(model_args),
                       "batch_size": config.get("batch_size"), "gen_kwargs": config.get("gen_kwargs")},
        "judge_setting": settings.pop() if settings else "plain",
        "date": dt.date.today().isoformat(),
        "contact": contact,
        "license": license,
    }
    if len(margins) == 1 and None not in margins:  # else validation names the outputs whose margin differs
        metadata["tie_margin"] = margins.pop()
    usage = usage_from_run(results, model_args)
    if usage is not None:  # a run that logged its tokens (mllm_judge_openai, lmms-eval's API models)
        metadata["usage"] = usage
    return write_submission(out, metadata, lines)
