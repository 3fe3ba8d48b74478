"""Locks: write one from a passing environment, and compare an environment with one.

A lock is a pip constraints file of exact versions (`name==version`, one per
line), generated from an environment whose tests passed, so an install through
it gets exactly what CI tested. Run with the environment's own Python:

    python .ci/lock.py write locks/main.txt --note "…"    # pin everything installed here
    python .ci/lock.py compare locks/main.txt             # list what differs; exit 1 if the lock misses a package

`compare` is how the drift stage says which installed versions differ from the
lock, so the fix (a range in setup.cfg) is one look away.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

# Never pinned: this project itself, and the installers (pip is whatever the venv brings; .ci/make_vllm_venv pins uv).
UNPINNED = {"mllm-judge", "pip", "uv"}


def canonical(name: str) -> str:
    """PEP 503 normalisation: `DataProperty`, `dataproperty` and `data_property` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Every distribution in this environment, by canonical name."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in UNPINNED:
            found[canonical(name)] = dist.version
    return found


def read_lock(path: Path) -> dict[str, str]:
    """`name==version` lines; comments and blank lines skipped; anything else is an error naming the line."""
    pins = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;=]+)", line)
        if match is None:
            sys.exit(f"{path}:{number}: expected 'name==version', got {line!r}")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def write(path: Path, note: str) -> int:
    pins = installed()
    header = [
        f"# Made on {datetime.date.today().isoformat()} from: {note}",
        f"# from an environment whose tests passed (Python {platform.python_version()}, {platform.system()} {platform.machine()}).",
        "# Exact versions of everything installed; do not edit by hand: regenerate (see the README, 'Installs are locked').",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".partial")
    staged.write_text("\n".join(header + [f"{name}=={pins[name]}" for name in sorted(pins)]) + "\n", encoding="utf-8")
    staged.replace(path)  # a lock is replaced whole, never left half written
    print(f"wrote {path}: {len(pins)} pinned packages")
    return 0


def compare(path: Path) -> int:
    """Print every package whose installed version differs from the lock; exit 1 if one installed here has no pin."""
    pins, here = read_lock(path), installed()
    differ = sorted(name for name in here.keys() & pins.keys() if here[name] != pins[name])
    unpinned = sorted(here.keys() - pins.keys())
    if not differ and not unpinned:
        print(f"every installed package has the version {path} pins (nothing drifted)")
        return 0
    if differ:
        print(f"installed versions that differ from {path}:")
        for name in differ:
            print(f"  {name}: installed {here[name]}, locked {pins[name]}")
    if unpinned:
        print(f"installed packages that {path} does not pin (an install through it resolves them afresh):")
        for name in unpinned:
            print(f"  {name}: installed {here[name]}, locked: no line")
    return 1 if unpinned else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write_parser = commands.add_parser("write")
    write_parser.add_argument("lock", type=Path)
    write_parser.add_argument("--note", required=True, help="the command that made the environment")
    compare_parser = commands.add_parser("compare")
    compare_parser.add_argument("lock", type=Path)
    args = parser.parse_args()
    return write(args.lock, args.note) if args.command == "write" else compare(args.lock)


if __name__ == "__main__":
    sys.exit(main())
