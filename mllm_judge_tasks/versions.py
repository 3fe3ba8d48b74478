"""`mllm-judge --version`: ours and the versions a bug report needs, read from package metadata (nothing heavy
is imported)."""

from __future__ import annotations

import argparse
from importlib import metadata

from mllm_judge_tasks import __version__

REPORTED = ("lmms-eval", "transformers", "torch", "datasets")


def version_line() -> str:
    """One line: mllm-judge's version, then each of REPORTED's."""
    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    others = ", ".join(f"{name} {installed(name)}" for name in REPORTED)
    return f"mllm-judge {__version__} ({others})"


class PrintVersion(argparse.Action):
    """`--version`, printed unwrapped and only when asked (argparse's own action rewraps the line)."""

    def __init__(self, option_strings, dest, **_):
        super().__init__(option_strings, dest, nargs=0, help="print the versions of mllm-judge and what it runs on")

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit()
