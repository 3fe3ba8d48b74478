"""The leaderboard page as a person sees it: rendered once in headless Chromium, hostile names shown as text,
the table, its sorting, the charts, the metric notes and a page per judge linked from the table."""

import functools
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.page import write_leaderboard
from mllm_judge_tasks.leaderboard.submission import read_submission
from hand_made import HAND_PREDICTIONS, METADATA, hand_submission


class TableReader(HTMLParser):
    """The text of each cell of #board's body, as a person reads the table."""

    def __init__(self):
        super().__init__()
        self.rows, self.scripts, self._cell, self._in_body = [], [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []
        elif tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self.scripts and self.lasttag == "script":
            self.scripts[-1] += data


@functools.lru_cache(maxsize=None)
def browser_dom(page: Path, fragment: str = "") -> str:
    """The DOM headless Chromium shows for the page, after its script ran (rendered once per page: the pages
    are written once per module and never change)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={page.parent / 'chrome-profile'}", "--virtual-time-budget=2000", "--dump-dom",
         page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert done.stdout.strip(), done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory, index):
    root = tmp_path_factory.mktemp("board")
    hostile = {**METADATA, "judge_model": "<script>alert(1)</script>"}
    weaker = [{**line, "output": "[[A]]"} if line["task"] == "pair" else line for line in HAND_PREDICTIONS]
    submissions = [read_submission(hand_submission(root / "subs" / "hostile", metadata=hostile)),
                   read_submission(hand_submission(root / "subs" / "weaker", metadata={**METADATA, "judge_model": "weaker judge"}, lines=weaker))]
    rows = build_board(submissions, index, resamples=200)
    return write_leaderboard(rows, root / "board", "hand-made benchmark", "rev-1")


def test_hostile_names_are_shown_as_text(page):
    html = page.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    reader = TableReader()
    reader.feed(browser_dom(page))
    assert [row[0] for row in reader.rows].count("<script>alert(1)</script>") == 1  # a cell a person reads
    assert not any("alert(1)" in script for script in reader.scripts)


def test_the_table_a_person_sees_in_a_real_browser(page):
    reader = TableReader()
    reader.feed(browser_dom(page))
    names = [row[0] for row in reader.rows]
    assert names[:2] == ["<script>alert(1)</script>", "weaker judge"]  # submissions first, by mean rank
    assert set(names[2:]) == {"reference: random", "reference: always A", "reference: always tie",
                              "reference: longer response wins", "reference: constant score"}
    board = json.loads((page.parent / "leaderboard.json").read_text())
    first = dict(zip(["judge", "setting", "type", "score", "pair", "batch", "parse"], reader.rows[0]))
    assert first["pair"].startswith(f"{board[0]['pair']['value']:.3f}") and first["type"] == "generative"
    assert reader.rows[names.index("reference: random")][2] == ""  # a rule, not a judge: no type
    assert first["score"].startswith("0.900") and first["parse"] == "1.000 / 1.000 / 0.500"
    assert "always tie" in " ".join(names) and "n/a" in reader.rows[names.index("reference: always tie")][4]


def test_the_page_explains_its_metrics_and_how_to_submit(page):
    dom = browser_dom(page)
    for term in ("Score: Pearson", "Pair: accuracy without ties", "Batch: edit distance", "Parse rate", "n/a"):
        assert f"<dt>{term}</dt>" in dom
    assert 'id="submit"' in dom and "mllm-judge submission pack" in dom
    assert "with no bar in a chart has no figure for it" in dom.replace("\n", " ")
    assert "/tmp" not in dom and str(page.parent) not in dom  # no local path on the page


def test_the_page_sorts_in_the_browser(page):
    reader = TableReader()
    reader.feed(browser_dom(page, "#sort=batch"))
    values = [row[5].split()[0] for row in reader.rows]
    numbers = [float(v) for v in values if v not in ("–", "n/a")]
    assert numbers == sorted(numbers)  # edit distance: lower is better, so ascending
    assert all(v in ("–", "n/a") for v in values[len(numbers):])  # rows without a value last


def test_tables_and_charts_are_written(page):
    board = page.parent
    csv_lines = (board / "leaderboard.csv").read_text().splitlines()
    assert csv_lines[0].startswith("judge,setting,role,judge_type,score_value")
    assert len(csv_lines) == 1 + 7
    assert (board / "leaderboard.md").read_text().count("\n") == 2 + 7
    assert page.read_text().count("data:image/png;base64,") >= 4  # per-source charts and the length chart


class LinkAndTableReader(HTMLParser):
    """Links (href → text) and every table's rows as cell texts (th and td), as a person reads the page."""

    def __init__(self):
        super().__init__()
        self.links, self.tables, self.scripts = {}, {}, 0
        self._href, self._text, self._table, self._cell = None, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._href, self._text = attrs.get("href"), []
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or attrs.get("class") or str(len(self.tables)), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links[self._href] = "".join(self._text).strip()
            self._href = None
        elif tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_each_judge_has_a_page_linked_from_the_table(page):
    board = LinkAndTableReader()
    board.feed(browser_dom(page))
    pages = {text: href for href, text in board.links.items() if href.startswith("judges/")}
    assert len(pages) == 7 and all((page.parent / href).is_file() for href in pages.values())
    hostile = LinkAndTableReader()
    hostile.feed(browser_dom(page.parent / pages["<script>alert(1)</script>"]))
    dom = browser_dom(page.parent / pages["<script>alert(1)</script>"])
    assert hostile.scripts == 0 and "<h1 id=\"judge\">&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in dom
    assert dict(hostile.tables["metadata"]) == {
        "judge_model": "<script>alert(1)</script>", "revision": "abc123", "parameters": '{ "temperature": 0 }',
        "judge_setting": "plain", "date": "2026-11-24", "license": "CC-BY-4.0"}
    assert 'id="dataset">hand-made benchmark<' in dom and 'id="revision">rev-1<' in dom and "/tmp" not in dom
    # Pairs as released: human A, A, B, tie; judge A, B, B, A (hand-made predictions).
    assert hostile.tables["pair-confusion"] == [["human \\ judge", "A", "B", "C (tie)"], ["A", "1", "1", "0"],
                                           ["B", "0", "1", "0"], ["C (tie)", "1", "0", "0"]]
    assert hostile.tables["batch-reasons"] == [["reason", "outputs"], ["the judge refused", "1"]]
    assert "pair-reasons" not in hostile.tables  # every pair output parsed
    assert hostile.tables["pair-per-source"][:2] == [
        ["source", "accuracy_no_tie", "no_tie_coverage", "accuracy_no_human_tie", "accuracy_with_tie", "macro_f1_with_tie",
         "macro_recall_with_tie", "macro_f1_no_tie", "macro_recall_no_tie", "n", "parse rate"],
        ["coco", "0.667", "0.750", "0.667", "0.500", *hostile.tables["pair-per-source"][1][5:9], "4", "1.000"]]
    assert hostile.tables["score-per-source"][1][:2] == ["coco", "0.900"]
    bias = dict(hostile.tables["pair-bias"])
    assert bias["length: judge_prefers_longer"] == "0.667" and bias["majority_consistency"] == "n/a"
    weaker = LinkAndTableReader()
    weaker.feed(browser_dom(page.parent / pages["weaker judge"]))
    assert weaker.tables["pair-confusion"] != hostile.tables["pair-confusion"]  # the pages show each judge's own figures
