"""The `mllm-judge` command: each subcommand is a few lines over the modules that do the work."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mllm_judge_tasks.problems import SHOWN_PROBLEMS, UserError, problem_summary
from mllm_judge_tasks.versions import PrintVersion


def _build(args: argparse.Namespace) -> int:
    from dataset_scripts.build import build_from_release, build_mini

    if args.mini == (args.release_dir is not None):
        print("mllm-judge build: give a RELEASE_DIR or --mini (not both)", file=sys.stderr)
        return 2
    if args.mini:
        result = build_mini(args.out, overwrite=args.overwrite)
    else:
        result = build_from_release(args.release_dir, args.out, skip_invalid=args.skip_invalid, overwrite=args.overwrite)
    _print_build(result)
    return 0


def _print_build(result) -> None:
    print(f"built {result.out_dir}/")
    for name, files in result.configs.items():
        print(f"  {name:<11} {files.num_examples:>6} rows  {files.num_bytes / 2**20:8.2f} MiB  {', '.join(files.files)}")
    if result.report["skipped"]:
        print(f"  skipped {len(result.report['skipped'])} invalid record(s); see {result.out_dir}/build_report.json")


def _push(args: argparse.Namespace) -> int:
    from dataset_scripts.push import planned_upload
    from mllm_judge_tasks.hub_upload import send, show_plan

    upload = planned_upload(args.repo_dir, args.repo_id)
    show_plan([upload], args.repo_dir, args.dry_run)
    if not args.dry_run:
        from huggingface_hub import HfApi

        print(send(HfApi(token=args.token), upload, "Upload MLLM-as-a-Judge dataset built by mllm-judge",
                   private=args.private))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mllm_judge_app.demo import run_demo

    run_demo(args.out)
    return 0


def _parse(args: argparse.Namespace) -> int:
    """Judge texts (JSON strings, one per line) → one JSON verdict object per line."""
    from mllm_judge_tasks.verdicts import parse_verdict

    name = str(args.file) if args.file else "<stdin>"
    handle = args.file.open(encoding="utf-8") if args.file else sys.stdin
    bad = 0
    with handle:
        for number, line in enumerate(handle, start=1):
            try:
                text = json.loads(line)
                if not isinstance(text, str):
                    raise ValueError(f"expected a JSON string, got {type(text).__name__}")
            except (ValueError, RecursionError) as error:
                bad += 1
                print(f"{name}:{number}: not a JSON string ({str(error)[:200] or type(error).__name__})", file=sys.stderr)
                print(json.dumps({"verdict": None, "reason": f"line {number} is not a JSON string"}))
                continue
            print(json.dumps(parse_verdict(args.task, text, args.n_responses).to_json(), ensure_ascii=False))
    return 1 if bad else 0


def _print_problems(problems, shown: int = SHOWN_PROBLEMS) -> None:
    for line in problem_summary(problems, shown):
        print(f"  {line}", file=sys.stderr)


def _pack(args: argparse.Namespace) -> int:
    from mllm_judge_tasks.leaderboard.pack import pack_run

    print(f"packed {pack_run(args.run_dir, args.out, contact=args.contact, license=args.license, judge_model=args.judge_model)}")
    return 0


def _checked(directory: Path, dataset: str | None):
    """The submission and the benchmark index, or None after printing every problem."""
    from mllm_judge_tasks.leaderboard.benchmark_index import load_index
    from mllm_judge_tasks.leaderboard.submission import PREDICTIONS, read_submission
    from mllm_judge_tasks.leaderboard.validate import validate_submission

    index = load_index(dataset)
    submission = read_submission(directory)
    problems = validate_submission(submission, index)
    if problems:
        print(f"{directory}: {len(problems)} problem(s):", file=sys.stderr)
        _print_problems(problems)
        if not (directory / PREDICTIONS).exists() and next(directory.rglob("*_samples_mllm_judge_*.jsonl"), None):
            print(f"{directory} is the output of an lmms-eval run, not a submission: make one of it with "
                  f"`mllm-judge submission pack {directory} --out SUBMISSION_DIR --contact ... --license ...`, "
                  "then score that", file=sys.stderr)
        return None, index
    return submission, index


def _validate(args: argparse.Namespace) -> int:
    submission, _ = _checked(args.directory, args.dataset)
    if submission is None:
        return 1
    tasks = sorted({p.task for p in submission.predictions})
    print(f"{args.directory}: valid, {len(submission.predictions)} predictions ({', '.join(tasks)})")
    return 0


def _score(args: argparse.Namespace) -> int:
    from mllm_judge_tasks.files import write_text_atomic
    from mllm_judge_tasks.leaderboard.scoring import score_submission

    submission, index = _checked(args.directory, args.dataset)
    if submission is None:
        return 1
    report = score_submission(submission, index, resamples=args.resamples)
    out = args.out or args.directory / "score.json"
    write_text_atomic(out, json.dumps(report.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    for task, result in report.tasks.items():
        full = result.full
        low, high = full.ci95_average
        interval = f" [{low:.3f}, {high:.3f}]" if low is not None else ""
        shown = "n/a" if full.value is None else f"{full.value:.3f}{interval}"
        print(f"{task:<6} {full.headline:<16} {shown}  parse rate {full.parse_rate:.3f}")
    print(f"wrote {out}")
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from mllm_judge_tasks.leaderboard.benchmark_index import load_index
    from mllm_judge_tasks.leaderboard.board import build_board
    from mllm_judge_tasks.leaderboard.board_dir import check_board_out, write_board
    from mllm_judge_tasks.leaderboard.identity import claim_slugs, published_slugs
    from mllm_judge_tasks.leaderboard.submission import read_submission, submission_folders
    from mllm_judge_tasks.leaderboard.table import to_markdown
    from mllm_judge_tasks.leaderboard.validate import validate_submission

    check_board_out(args.out)
    folders = submission_folders(args.submissions_dir, with_papers_judges=args.papers_judges is not None)
    index = load_index(args.dataset)
    from_paper = []
    if args.papers_judges:
        from mllm_judge_tasks.leaderboard.papers_judges import papers_judges

        from_paper, routes = papers_judges(args.papers_judges, index)
        for judge, report in routes.items():
            print(f"paper's judge {judge}: {report['verdict_routes']}, {len(report['unmatched'])} records unmatched")
    submissions = []
    for directory in folders:
        submission = read_submission(directory)
        problems = validate_submission(submission, index)
        if problems:
            print(f"left out {directory}: {len(problems)} problem(s)", file=sys.stderr)
            _print_problems(problems, shown=20)
            continue
        submissions.append(submission)
    submissions, taken = claim_slugs(submissions, published_slugs(args.out))
    if taken:
        print(f"left out {len(taken)} submission(s) whose judge would share a published identity:", file=sys.stderr)
        _print_problems(taken)
    rows = build_board(submissions, index, resamples=args.resamples, references=not args.no_references,
                       papers_judges=from_paper)
    page, hub = write_board(rows, index, args.out, benchmark_repo=args.hub_dataset, results_repo=args.hub_results)
    print(to_markdown(rows), end="")
    print(f"leaderboard: {page}")
    print(f"Hub files: {hub} (upload them with `mllm-judge push-results {args.out} --dry-run` first)")
    return 0


def _push_results(args: argparse.Namespace) -> int:
    from mllm_judge_tasks.hub_upload import show_plan
    from mllm_judge_tasks.leaderboard.hub_results import HUB_FOLDER
    from mllm_judge_tasks.leaderboard.push_results import planned_uploads, push_results

    uploads = planned_uploads(args.board_dir)
    show_plan(uploads, args.board_dir / HUB_FOLDER, args.dry_run)
    if not args.dry_run:
        push_results(args.board_dir, uploads, token=args.token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mllm-judge",
        description="MLLM-as-a-Judge: build the benchmark datasets, parse judge outputs, validate and score "
        "submissions, and render the leaderboard. Start with `mllm-judge demo`.",
    )
    parser.add_argument("--version", action=PrintVersion)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build the dataset repo directory (parquet per config + card)")
    build.add_argument("release_dir", nargs="?", type=Path, help="the release's directory (JSONL files + images)")
    build.add_argument("--mini", action="store_true", help="build the embedded synthetic mini benchmark instead")
    build.add_argument("--out", type=Path, default=Path("mllm-judge"), help="output directory (default: ./mllm-judge)")
    build.add_argument("--skip-invalid", action="store_true", help="leave invalid records out and report them")
    build.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    build.set_defaults(run=_build)

    push = commands.add_parser("push", help="upload a built directory to the Hugging Face Hub")
    push.add_argument("repo_dir", type=Path)
    push.add_argument("--repo-id", required=True, help="ORG/NAME of the dataset repo")
    push.add_argument("--private", action="store_true")
    push.add_argument("--token", help="Hub token (default: the logged-in user's)")
    push.add_argument("--dry-run", action="store_true", help="list what would be uploaded, upload nothing")
    push.set_defaults(run=_push)

    demo = commands.add_parser("demo", help="the whole flow on the embedded default: dataset, tiny judge, scores, leaderboard")
    demo.add_argument("--out", type=Path, default=Path("mllm-judge-demo"), help="work directory (default: ./mllm-judge-demo)")
    demo.set_defaults(run=_demo)

    parse = commands.add_parser("parse", help="parse judge texts (JSON strings, one per line) into verdicts")
    parse.add_argument("file", nargs="?", type=Path, help="input file (default: standard input)")
    parse.add_argument("--task", required=True, choices=("score", "pair", "batch"))
    parse.add_argument("--n-responses", type=int, choices=(3, 4),
                       help="answers per batch item (default: a ranking of the first 3 or 4 letters)")
    parse.set_defaults(run=_parse)

    dataset_help = "built dataset directory or Hub id (default: $MLLM_JUDGE_DATASET, else the Hub id)"
    submission = commands.add_parser("submission", help="make submissions").add_subparsers(dest="action", required=True)
    pack = submission.add_parser("pack", help="a submission from an lmms-eval output folder (--log_samples)")
    pack.add_argument("run_dir", type=Path)
    pack.add_argument("--out", type=Path, required=True)
    pack.add_argument("--contact", required=True, help="who to ask about the submission")
    pack.add_argument("--license", required=True, help="license of the judge outputs")
    pack.add_argument("--judge-model", help="the judge's name on the board (default: the run's pretrained=...)")
    pack.set_defaults(run=_pack)

    validate = commands.add_parser("validate", help="check a submission against the dataset (exit 1 on problems)")
    validate.add_argument("directory", type=Path)
    validate.add_argument("--dataset", help=dataset_help)
    validate.set_defaults(run=_validate)

    score = commands.add_parser("score", help="recompute every metric of a submission, with 95%% CIs")
    score.add_argument("directory", type=Path)
    score.add_argument("--dataset", help=dataset_help)
    score.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    score.add_argument("--out", type=Path, help="where to write the report (default DIRECTORY/score.json)")
    score.set_defaults(run=_score)

    leaderboard = commands.add_parser("leaderboard", help="table and HTML page over a folder of submissions")
    leaderboard.add_argument("submissions_dir", type=Path)
    leaderboard.add_argument("--out", type=Path, required=True)
    leaderboard.add_argument("--dataset", help=dataset_help)
    leaderboard.add_argument("--resamples", type=int, default=1000)
    leaderboard.add_argument("--no-references", action="store_true", help="leave out the reference rows")
    leaderboard.add_argument("--papers-judges", type=Path, metavar="RELEASE_DIR",
                             help="add the paper's judges, read from the release's raw_data/step3 files")
    leaderboard.add_argument("--hub-dataset", metavar="REPO_ID",
                             help="the benchmark's Hub id the results name (default: the --dataset Hub id; a board "
                                  "of a local build has none, and push-results refuses it)")
    leaderboard.add_argument("--hub-results", metavar="REPO_ID",
                             help="the per-sample results dataset's Hub id (default: the benchmark id + '-results')")
    leaderboard.set_defaults(run=_leaderboard)

    push_results = commands.add_parser(
        "push-results", help="upload a board's Hub files: eval.yaml, per-sample results, each judge's .eval_results")
    push_results.add_argument("board_dir", type=Path, help="the --out of `mllm-judge leaderboard`")
    push_results.add_argument("--token", help="Hub token (default: the logged-in user's)")
    push_results.add_argument("--dry-run", action="store_true", help="list what would go where, upload nothing")
    push_results.set_defaults(run=_push_results)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"mllm-judge {args.command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # an unwritable --out, a full disk, a folder where a file was expected
        where = f" {error.filename}" if error.filename else ""
        print(f"mllm-judge {args.command}: cannot use{where}: {error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
