"""The board's output directory written as one unit: page, judge pages, tables and `hub/` together.

Everything is written into a work directory beside `--out` and swapped in
whole (`files.atomic_directory`), under a lock: two runs into one place, or a
run killed half way, never leave a page of one board beside the Hub files of
another. `--out` is replaced only when a board made it (it holds BOARD_MARKER)
or it is empty: a folder of the user's own is refused, never emptied. The
push record (`hub-pushed.json`) moves to the new board, so a rebuilt board
with the same files is not sent again.
"""

from __future__ import annotations

from pathlib import Path

from mllm_judge_tasks.files import atomic_directory, check_replaceable

from .benchmark_index import BenchmarkIndex
from .board import Row
from .hub_results import HUB_FOLDER, write_hub_results
from .page import write_leaderboard
from .push_results import PUSHED

BOARD_MARKER = ".mllm-judge-board"
MADE_BY = "mllm-judge leaderboard"


def check_board_out(out: Path) -> None:
    """Refuse an `--out` the board may not replace, before any scoring is done."""
    check_replaceable(out, marker=BOARD_MARKER, made_by=MADE_BY, replace=True)


def write_board(rows: list[Row], index: BenchmarkIndex, out: Path, *, benchmark_repo: str | None = None,
                results_repo: str | None = None) -> tuple[Path, Path]:
    """Write the whole board to `out`; returns the page's path and the Hub folder's."""
    with atomic_directory(out, marker=BOARD_MARKER, made_by=MADE_BY, replace=True,
                          keep=(PUSHED,)) as work:
        write_hub_results(rows, index, work, benchmark_repo=benchmark_repo, results_repo=results_repo)
        write_leaderboard(rows, work, index.dataset.name, index.dataset.revision)
    out = Path(out)
    return out / "index.html", out / HUB_FOLDER
