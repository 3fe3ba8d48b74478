"""Submissions, validation, scoring, the paper's judges and the leaderboard page."""

import functools
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dataset_scripts.build import build_from_release
from mllm_judge_tasks.leaderboard import submission as submission_format
from mllm_judge_tasks.leaderboard.benchmark_index import load_index
from mllm_judge_tasks.leaderboard.board import build_board
from mllm_judge_tasks.leaderboard.papers_judges import papers_judges
from mllm_judge_tasks.leaderboard.page import write_leaderboard
from mllm_judge_tasks.leaderboard.scoring import score_submission
from mllm_judge_tasks.leaderboard.submission import read_submission, write_submission
from conftest import EXCERPT, lay_out_release
from hand_made import HAND_PREDICTIONS, METADATA, answer, hand_submission, problems_of, run_cli

def test_the_hand_made_submission_is_valid(tmp_path, index):
    assert problems_of(hand_submission(tmp_path / "s"), index) == []


def test_score_of_a_hand_made_submission_against_hand_computed_metrics(tmp_path, index):
    report = score_submission(read_submission(hand_submission(tmp_path / "s")), index, resamples=200)
    pair = report.tasks["pair"].full
    # No-tie items: pair-1 right, pair-2 wrong, pair-3 right (its submitted "A" ignored); pair-4 is a human tie.
    assert pair.value == pair.average["accuracy_no_tie"] == pytest.approx(2 / 3)
    assert pair.average["no_tie_coverage"] == pytest.approx(3 / 4)
    assert pair.average["accuracy_with_tie"] == pytest.approx(2 / 4)
    assert report.tasks["pair"].subsets["HQ"].value == pytest.approx(1.0)  # pair-1, pair-3
    # Judge 1, 2, 5, 4 against human 1, 2, 4, 5: covariance 9 over variance 10.
    assert report.tasks["score"].full.average["pearson"] == pytest.approx(0.9)
    batch = report.tasks["batch"].full
    assert batch.average["edit_distance"] == pytest.approx(0.0) and batch.parse_rate == pytest.approx(0.5)
    assert batch.no_verdict_reasons == {"the judge refused": 1}
    # Longer answers: B in pairs 1-3 (pair 4 equal); the judge picks B in pairs 2 and 3.
    assert report.tasks["pair"].full.bias["length"]["judge_prefers_longer"] == pytest.approx(2 / 3)
    assert report.tasks["pair"].verdict_routes == {"parsed from the text": 4}


def broken(tmp_path: Path, **changes) -> Path:
    lines = [dict(line) for line in HAND_PREDICTIONS]
    for number, line in changes.items():
        lines[int(number.removeprefix("line"))] = line
    return hand_submission(tmp_path / "s", lines=lines)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"line0": {"task": "pairs", "id": "pair-1", "output": "[[A]]"}}, (1, "task", "expected one of score, pair, batch")),
        ({"line0": {"task": "pair", "id": "pair-99", "output": "[[A]]"}}, (1, "id", "unknown pair id 'pair-99'")),
        ({"line1": {"task": "pair", "id": "pair-1", "output": "[[B]]"}}, (2, "id", "duplicate of line 1")),
        ({"line0": {"task": "pair", "id": "pair-1", "output": "  "}}, (1, "output", "empty")),
        ({"line0": {"task": "pair", "id": "pair-1", "output": 3}}, (1, "output", "expected the judge's text, got int")),
        ({"line0": {"task": "pair", "id": 1, "output": "[[A]]"}}, (1, "id", "expected a row id string")),
        ({"line0": {"task": "score", "id": "score-1", "output": "[[1]]", "order": "swapped"}}, (1, "order", "only pair items")),
    ],
)
def test_each_prediction_error_names_file_line_and_field(tmp_path, index, change, expected):
    problems = problems_of(broken(tmp_path, **change), index)
    located = [(p.file, p.line, p.field) for p in problems]
    line, field, message = expected
    assert ("predictions.jsonl", line, field) in located
    assert any(message in p.message for p in problems if (p.line, p.field) == (line, field))


def test_missing_ids_of_a_submitted_task_are_reported(tmp_path, index):
    problems = problems_of(hand_submission(tmp_path / "s", lines=HAND_PREDICTIONS[1:]), index)
    assert [(p.field, p.message) for p in problems] == [("id", "1 pair ids missing: pair-1")]


def test_malformed_lines_and_encoding_are_reported_all_at_once(tmp_path, index):
    directory = hand_submission(tmp_path / "s")
    path = directory / "predictions.jsonl"
    lines = path.read_bytes().splitlines()
    lines[2] = b'{"task": "pair", "id": '
    lines[4] = b'{"task": "score", "id": "score-1", "output": "\xff\xfe"}'
    lines[6] = b'["not", "an", "object"]'
    path.write_bytes(b"\n".join(lines) + b"\n")
    problems = problems_of(directory, index)
    assert [(p.line, p.message.split(" (")[0].split(":")[0]) for p in problems if p.line] == [
        (3, "malformed JSON"), (5, "not valid UTF-8"), (7, "expected a JSON object, got list")]


@pytest.mark.parametrize(
    "metadata, field, message",
    [
        ({k: v for k, v in METADATA.items() if k != "contact"}, "contact", "missing"),
        ({**METADATA, "parameters": "temperature 0"}, "parameters", "expected dict, got str"),
        ({**METADATA, "revision": 7}, "revision", "expected str or null, got int"),
        ({**METADATA, "judge_setting": "zero-shot"}, "judge_setting", "is not one of plain"),
        ({**METADATA, "date": "last tuesday"}, "date", "is not an ISO date"),
        ({**METADATA, "license": ""}, "license", "empty"),
    ],
)
def test_each_metadata_error_names_the_field(tmp_path, index, metadata, field, message):
    problems = problems_of(hand_submission(tmp_path / "s", metadata=metadata), index)
    assert [(p.file, p.field) for p in problems] == [("metadata.json", field)]
    assert message in problems[0].message


def test_missing_files_and_size_limits(tmp_path, index, monkeypatch):
    directory = hand_submission(tmp_path / "s")
    (directory / "metadata.json").unlink()
    assert [(p.file, p.message) for p in problems_of(directory, index)] == [("metadata.json", "missing")]
    monkeypatch.setattr(submission_format, "MAX_PREDICTIONS_BYTES", 100)
    problems = problems_of(hand_submission(tmp_path / "t"), index)
    assert [(p.file, p.message) for p in problems] == [("predictions.jsonl", "larger than 100 bytes")]


def test_validate_and_score_commands_exit_codes(tmp_path, hand_dataset):
    good = hand_submission(tmp_path / "good")
    done = run_cli("validate", str(good), dataset=hand_dataset)
    assert done.returncode == 0 and "valid, 10 predictions" in done.stdout
    bad = broken(tmp_path / "bad", line0={"task": "pair", "id": "pair-99", "output": ""})
    done = run_cli("validate", str(bad), dataset=hand_dataset)
    assert done.returncode == 1
    assert "predictions.jsonl:1: field 'output': empty" in done.stderr
    assert "1 pair ids missing: pair-1" in done.stderr
    done = run_cli("score", str(good), "--resamples", "100", dataset=hand_dataset)
    assert done.returncode == 0, done.stderr
    report = json.loads((good / "score.json").read_text())
    assert report["tasks"]["score"]["full"]["average"]["pearson"] == pytest.approx(0.9)
    assert run_cli("score", str(bad), dataset=hand_dataset).returncode == 1


# --- the paper's judges, from the release -----------------------------------------------------------

def excerpt_records(name: str) -> list[dict]:
    return [json.loads(line) for line in (EXCERPT / name).read_text(encoding="utf-8").splitlines()]


def release_with_judge_files(root: Path) -> Path:
    """Benchmark rows for every judged item of the excerpt, and the judges' step3 files."""
    raw = {("score", r["score_id"]): r for r in excerpt_records("judge_outputs_score_raw.jsonl")}
    raw.update({("pair", r["pair_id"]): r for r in excerpt_records("judge_outputs_pair_raw.jsonl")})
    benchmark: dict[str, dict] = {"score": {}, "pair": {}, "batch": {}}
    step3: dict[str, list[str]] = {}
    for task in ("score", "pair", "batch"):
        for record in excerpt_records(f"judge_outputs_{task}.jsonl"):
            ids = record["ids"]
            key = (task, ids.get("score_id", ids.get("pair_id")))
            if record["record_form"] == "full":
                line = raw[key]
            else:
                line = {**ids, "original_dataset": record["original_dataset"], "result": record["result"]}
            step3.setdefault(f"Dataset/raw_data/step3/{task.capitalize()}/{record['judge_file']}", []).append(json.dumps(line, ensure_ascii=False))
            row = {k: v for k, v in raw.get(key, {}).items() if k not in ("result", "gpt_output")} or {
                **ids, "original_dataset": record["original_dataset"], "instruction": "stand-in", "image_path": "1.jpg",
                "name": "gpt4", "answer": "stand-in",
                "answer1": answer("gpt4", "a"), "answer2": answer("llava", "b"),
                "answers": [answer(n, n) for n in ("gpt4", "gemini", "llava", "qwen")]}
            row = {**row, {"score": "human", "pair": "human", "batch": "human_answer"}[task]: {"score": 3, "pair": "A", "batch": "ABCD"}[task]}
            row = {k: v for k, v in row.items() if not (task != "score" and k in ("name", "answer"))
                   and not (task != "pair" and k in ("answer1", "answer2")) and not (task != "batch" and k == "answers")}
            benchmark[task][json.dumps(ids, sort_keys=True)] = row
    files = {f"Dataset/Benchmark/{task}.jsonl": [json.dumps(r, ensure_ascii=False) for r in rows.values()]
             for task, rows in benchmark.items()}
    lay_out_release(root, {**files, **step3})
    return root


def test_the_papers_judges_from_the_real_judge_output_excerpt(tmp_path):
    release = release_with_judge_files(tmp_path / "release")
    dataset = build_from_release(release, tmp_path / "mllm-judge").out_dir
    index = load_index(str(dataset))
    submissions, report = papers_judges(release, index)
    by_judge = {submission.name: submission for submission in submissions}
    assert sorted(by_judge) == ["CogVLM", "Gemini", "LLaVA"]
    assert {submission.role for submission in submissions} == {"paper"}
    routes = {judge: entry["verdict_routes"] for judge, entry in report.items()}
    # Gemini's pair texts argue in prose and hold no verdict: the release's judge field stands in, and is counted.
    assert routes["Gemini"] == {"batch: verdict from the text": 1, "pair: verdict from the release's judge field": 4,
                                "score: verdict from the text": 1}
    assert routes["CogVLM"] == {"pair: verdict from the text": 1, "score: verdict from the text": 3}
    assert routes["LLaVA"] == {"batch: verdict from the text": 1, "score: verdict from the text": 2}
    scored = score_submission(by_judge["Gemini"], index, resamples=0)
    assert scored.tasks["pair"].verdict_routes == {"release's judge field": 4}
    assert scored.tasks["pair"].full.parse_rate == 1.0
    cogvlm = {p.id: p.output for p in by_judge["CogVLM"].predictions}
    assert cogvlm["score-2278"] == "1</s>"  # the `oral` text of the {name, judge, oral} shape
    # The same lines as a submission directory carry text only: its verdicts are what our parser reads.
    gemini = by_judge["Gemini"]
    copied = read_submission(write_submission(tmp_path / "copy", METADATA, [
        {"task": p.task, "id": p.id, "output": p.output} for p in gemini.predictions]))
    assert copied.release_verdicts == {} and copied.role == "submission"
    assert score_submission(copied, index, resamples=0).tasks["pair"].full.parse_rate == 0.0
    # Published per-sample results say where each of the paper's verdicts came from; no model entries for them.
    from datasets import load_dataset
    from mllm_judge_tasks.leaderboard.hub_results import write_hub_results

    hub = write_hub_results(build_board([copied], index, resamples=0, papers_judges=submissions), index, tmp_path / "board")
    gemini_pairs = load_dataset(str(hub / "results"), "paper-gemini__pair", split="latest")
    assert set(gemini_pairs["verdict_from"]) == {"release's judge field"} and None not in gemini_pairs["verdict"]
    copied_pairs = load_dataset(str(hub / "results"), "acme-judge-7b__pair", split="latest")
    assert set(copied_pairs["verdict"]) == {None} and set(copied_pairs["output"]) == set(gemini_pairs["output"])
    assert sorted(path.name for path in (hub / "models").iterdir()) == ["acme-judge-7b"]


# --- the page --------------------------------------------------------------------------------------

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
