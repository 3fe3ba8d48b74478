"""The `mllm-judge` command: each subcommand is a few lines over the modules that do the work."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from mllm_judge_tasks.problems import UserError


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
    from dataset_scripts.push import files_to_upload, push

    files = files_to_upload(args.repo_dir)
    print(f"{'would upload' if args.dry_run else 'uploading'} {len(files)} files to dataset repo {args.repo_id}:")
    for file in files:
        print(f"  {file.path}  ({file.size} bytes)")
    if not args.dry_run:
        print(push(args.repo_dir, args.repo_id, private=args.private, token=args.token))
    return 0


def _demo(args: argparse.Namespace) -> int:
    """Build the mini benchmark and read every config back with `datasets.load_dataset`."""
    from datasets import load_dataset

    from dataset_scripts.build import build_mini

    out = args.out or Path(tempfile.mkdtemp(prefix="mllm-judge-demo-")) / "mllm-judge"
    result = build_mini(out, overwrite=True)
    _print_build(result)
    for name in result.configs:
        rows = load_dataset(str(result.out_dir.resolve()), name, split="test")
        first = rows[0]
        print(f"load_dataset({str(result.out_dir)!r}, {name!r}): {len(rows)} rows; first: {first['id']} "
              f"image {first['image'].size} '{first['instruction']}'")
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
            except ValueError as error:
                bad += 1
                print(f"{name}:{number}: not a JSON string ({error})", file=sys.stderr)
                print(json.dumps({"verdict": None, "reason": f"line {number} is not a JSON string"}))
                continue
            print(json.dumps(parse_verdict(args.task, text, args.n_responses).to_json(), ensure_ascii=False))
    return 1 if bad else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mllm-judge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build the dataset repo directory (parquet per config + card)")
    build.add_argument("release_dir", nargs="?", type=Path, help="official release directory (JSONL files + images)")
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

    demo = commands.add_parser("demo", help="the main job on the embedded default: build the mini benchmark and load it")
    demo.add_argument("--out", type=Path, help="where to build (default: a new temporary directory)")
    demo.set_defaults(run=_demo)

    parse = commands.add_parser("parse", help="parse judge texts (JSON strings, one per line) into verdicts")
    parse.add_argument("file", nargs="?", type=Path, help="input file (default: standard input)")
    parse.add_argument("--task", required=True, choices=("score", "pair", "batch"))
    parse.add_argument("--n-responses", type=int, default=4, choices=(3, 4), help="answers per batch item")
    parse.set_defaults(run=_parse)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"mllm-judge {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
