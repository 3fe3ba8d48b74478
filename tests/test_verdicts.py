"""The verdict parser: real judge outputs of the release, the protocol's variants, hostile texts, the
`parse` command. Its properties over generated texts: test_verdict_fuzz.py."""

import json
import subprocess
import sys

import pytest

from mllm_judge_tasks.verdicts import NoVerdict, parse_batch_verdict, parse_pair_verdict, parse_score_verdict, parse_verdict
from conftest import EXCERPT

JUDGE_FILES = ["judge_outputs.jsonl", "judge_outputs_score.jsonl", "judge_outputs_pair.jsonl", "judge_outputs_batch.jsonl"]


def released_judge_outputs():
    for name in JUDGE_FILES:
        for number, line in enumerate((EXCERPT / name).read_text(encoding="utf-8").splitlines(), start=1):
            yield f"{name}:{number}", json.loads(line)


def holds_a_marker_or_key(raw: str) -> bool:
    """Whether the text itself states a verdict (a marker, a verdict key, or nothing but a value)."""
    return "[" in raw or "Judgement" in raw or raw.replace("</s>", "").strip().isdigit()


def normalised(value):
    return int(value) if isinstance(value, str) and value.isdigit() else value


def test_agreement_with_the_released_verdicts():
    agree = with_verdict = no_verdict = 0
    for where, record in released_judge_outputs():
        parsed = parse_verdict(record["task"], record["raw"])
        released = record["official"] if record["official"] is not None else record["expected"]
        if holds_a_marker_or_key(record["raw"]):
            with_verdict += 1
            assert parsed.verdict == normalised(released), where
            agree += 1
        else:
            # The text argues but states no verdict (the release kept one in a separate field): never guessed.
            assert parsed.verdict is None and parsed.reason is NoVerdict.NO_MARKER, where
            no_verdict += 1
    print(f"\nreal excerpt: {agree}/{with_verdict} texts holding a verdict agree with the release; "
          f"{no_verdict}/{no_verdict} texts without one reported as 'no verdict'")
    assert with_verdict == 14 and no_verdict == 5


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("[[4]]", 4),
        ("Judgement: [[2]]", 2),
        ('{"Analysis": "fine", "Judgement": "[[5]]"}', 5),
        ("Judgement: 3", 3),
        ("Judgement:4Explanation: good", 4),
        ("4</s>", 4),
        ("Scores go from [[1]] to [[5]]. Judgement: [[3]]", 3),
    ],
)
def test_score_variants(text, verdict):
    assert parse_score_verdict(text).verdict == verdict


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", NoVerdict.EMPTY),
        ("I'm sorry, I cannot evaluate images.", NoVerdict.REFUSAL),
        ("The response is good and deserves a 4.", NoVerdict.NO_MARKER),
        ("Judgement: [[7]]", NoVerdict.OUT_OF_RANGE),
        ("[[0]]", NoVerdict.OUT_OF_RANGE),
        ("[[3.5]]", NoVerdict.OUT_OF_RANGE),
    ],
)
def test_score_without_a_valid_verdict_gives_the_reason(text, reason):
    parsed = parse_score_verdict(text)
    assert parsed.verdict is None and parsed.reason is reason


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("[[A]]", "A"),
        ("[[C]]", "C"),
        ("Judgement: [[B]]</s>", "B"),
        ("{Judgement: B", "B"),
        ('{"Judgement": "[[C]]"}', "C"),
        ("A", "A"),
        ("Judgement: tie", "C"),
    ],
)
def test_pair_variants(text, verdict):
    assert parse_pair_verdict(text).verdict == verdict


@pytest.mark.parametrize("text", ["Assistant A is better.", "Both are fine, A and B.", "[[D]]", "Judgement: Assistant B"])
def test_pair_never_guesses_from_prose(text):
    assert parse_pair_verdict(text).verdict is None


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("[[B]], [[D]], [[A]], [[C]]", "BDAC"),
        ("[[D], [A], [C], [B]]", "DACB"),
        ("Ranking: [[C], [D], [A], [B]] }}", "CDAB"),
        ("Rank: [[B], [A], [D], [C]] }}", "BADC"),
        ("{Judgement: [B,C,A,D]}", "BCAD"),
        ("D > A > C > B", "DACB"),
        ("Judgement: CBAD", "CBAD"),
    ],
)
def test_batch_variants(text, verdict):
    assert parse_batch_verdict(text).verdict == verdict


@pytest.mark.parametrize("text", ["[[A]], [[B]], [[C]]", "[[A]], [[A]], [[B]], [[C]]", "[[A]], [[B]], [[C]], [[E]]"])
def test_batch_too_few_or_repeated_letters_are_invalid(text):
    parsed = parse_batch_verdict(text, n_responses=4)
    assert parsed.verdict is None and parsed.reason is NoVerdict.INVALID_RANKING


def test_the_api_and_the_cli_read_a_ranking_without_an_answer_count_alike(capsys):
    """One default: without a count, the API and `mllm-judge parse` both accept a ranking of 3 or 4 answers."""
    import io

    from mllm_judge_app import cli

    assert parse_batch_verdict("[[C]], [[A]], [[B]]", n_responses=4).verdict is None  # a count tells them apart
    assert parse_batch_verdict("[[C]], [[A]], [[B]]").verdict == parse_verdict("batch", "[[C]], [[A]], [[B]]").verdict == "CAB"
    stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(json.dumps("[[C]], [[A]], [[B]]") + "\n")
        assert cli.main(["parse", "--task", "batch"]) == 0
    finally:
        sys.stdin = stdin
    assert json.loads(capsys.readouterr().out) == {"verdict": "CAB", "reason": None}


def test_batch_three_answers():
    assert parse_batch_verdict("[[C]], [[A]], [[B]]", n_responses=3).verdict == "CAB"
    assert parse_batch_verdict("[[C]], [[A]], [[D]], [[B]]", n_responses=3).verdict == "CAB"
    assert parse_batch_verdict("[[C]], [[A]]", n_responses=3).verdict is None


def test_batch_letters_in_prose_are_not_a_ranking():
    assert parse_batch_verdict("Assistants A, B, C and D all answer correctly.").verdict is None


# The cases the hardening issue listed: keys inside words or later prose, ties in words, rankings with prose after.
@pytest.mark.parametrize(
    "task, text, verdict",
    [
        ("pair", "Judgement: [[B]]. Sidebar on the crank: a quick note", "B"),
        ("score", "Judgement: [[2]]. The assistant's final answer: 5 apples", 2),
        ("pair", "Judgement: a tie", "C"),
        ("pair", "Judgement: Tie.", "C"),
        ("batch", "Ranking: [[B]], [[A]], [[D]], [[C]]\nThe best answer is B.", "BADC"),
        ("batch", "Judgement: C D A B", "CDAB"),
        ("batch", "[[CDAB]]", "CDAB"),
        ("batch", "Ranking: [[CDAB]]", "CDAB"),
        ("batch", "Analysis: B is best.\nRanking: B > D > A > C.", "BDAC"),
        ("score", "Judgement:\n[[4]]", 4),
        ("score", "The crank: [[5]] is the marker; Judgement: [[3]]", 3),
    ],
)
def test_keys_are_whole_words_at_a_clause_start(task, text, verdict):
    assert parse_verdict(task, text).verdict == verdict


@pytest.mark.parametrize(
    "text",
    ["Rank: C D A B are all fine answers", "The grank: C, D, A, B", "Judgement: A is better than B, C and D"],
)
def test_letters_followed_by_prose_are_no_ranking(text):
    assert parse_batch_verdict(text).verdict is None


def test_a_ranking_without_a_known_answer_count_may_rank_three_or_four():
    assert parse_batch_verdict("[[C]], [[A]], [[B]]", n_responses=None).verdict == "CAB"
    assert parse_batch_verdict("[[C]], [[A]], [[D]], [[B]]", n_responses=None).verdict == "CADB"
    assert parse_batch_verdict("[[C]], [[A]], [[D]]", n_responses=None).reason is NoVerdict.INVALID_RANKING


@pytest.mark.parametrize(
    "text",
    [
        "A" + " " * 400 + "!",
        "The best answer is A" + "\n" * 600,
        "rank:" * 200_000,
        ". Rank: " * 50_000,
        "[[" + "1" * 5000 + "]]",
        "9" * 5000,
        "[" * 100_000,
        "{" * 100_000,
        "\ud800 Judgement: [[\udfff]]",
    ],
)
def test_hostile_texts_never_raise(text):
    for task in ("score", "pair", "batch"):
        parsed = parse_verdict(task, text)
        assert (parsed.verdict is None) != (parsed.reason is None)


def test_a_huge_number_is_out_of_range_not_an_error():
    assert parse_score_verdict("[[" + "1" * 5000 + "]]").reason is NoVerdict.OUT_OF_RANGE


def test_parse_command_reads_json_strings_and_writes_verdicts(tmp_path):
    lines = [json.dumps(t) for t in ("Judgement: [[A]]", "Assistant B is better", "[[C]]")] + ["not json"]
    source = tmp_path / "outputs.jsonl"
    source.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "parse", "--task", "pair", str(source)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[:3] == [{"verdict": "A", "reason": None}, {"verdict": None, "reason": "no verdict in the text"},
                       {"verdict": "C", "reason": None}]
    assert out[3]["verdict"] is None and "line 4" in out[3]["reason"]
    assert done.returncode == 1 and f"{source}:4" in done.stderr


def test_parse_command_reads_stdin():
    done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "parse", "--task", "batch"],
                          input=json.dumps("D > A > C > B") + "\n", capture_output=True, text=True)
    assert done.returncode == 0 and json.loads(done.stdout) == {"verdict": "DACB", "reason": None}


def test_parse_command_survives_hostile_lines(tmp_path):
    texts = ["A" + " " * 400 + "!", "rank:" * 20_000, "[" * 5000, "Judgement: [[2]]", "[[" + "9" * 5000 + "]]"]
    lines = [json.dumps(text) for text in texts] + ["[" * 100_000, '"\\ud800"', "NaN", "{}"]
    source = tmp_path / "hostile.jsonl"
    source.write_text("\n".join(lines) + "\n")
    for task in ("score", "pair", "batch"):
        done = subprocess.run([sys.executable, "-m", "mllm_judge_app.cli", "parse", "--task", task, str(source)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        assert "Traceback" not in done.stderr and done.returncode == 1
        out = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(out) == len(lines)
        assert [entry["verdict"] for entry in out[5:]] == [None] * 4
        assert out[3]["verdict"] == (2 if task == "score" else None)


@pytest.mark.parametrize("task, text, reason", [
    ("pair", "Judgement: A and B are equally good.", NoVerdict.NO_MARKER),  # a bare letter must end its clause
    ("pair", "[[A]] is clearly better than [[B]].", NoVerdict.CONFLICTING),
    ("pair", "Assistant [[A]] is wordy; in the end [[B]]", NoVerdict.CONFLICTING),
    ("pair", "Judgement: [[A]] is better than [[B]]", NoVerdict.CONFLICTING),
    ("score", "Judgement: 4/10", NoVerdict.OUT_OF_RANGE),  # another scale
    ("score", "Judgement: 7 out of 10", NoVerdict.OUT_OF_RANGE),
    ("score", "Judgement: 3-4", NoVerdict.CONFLICTING),
    ("score", "Scores range from [[1]] to [[5]]; this answer sits in the middle.", NoVerdict.CONFLICTING),
    ("score", "Judgement: 3 → on reflection [[5]]", NoVerdict.CONFLICTING),
    ("score", "First I thought [[2]], but on reflection [[4]]", NoVerdict.CONFLICTING),
    ("batch", 'I rank [[B]], [[A]], [[C]], [[D]]; the format asked for was "[[A]], [[B]], [[C]], [[D]]".', NoVerdict.CONFLICTING),
    ("batch", 'Ranking: [[B]], [[A]], [[C]], [[D]] (not "[[A]], [[B]], [[C]], [[D]]")', NoVerdict.CONFLICTING),
])
def test_a_text_that_states_no_single_verdict_has_none(task, text, reason):
    """Where a reader would hesitate, the parser does not guess: no verdict, and the reason."""
    parsed = parse_verdict(task, text, 4)
    assert (parsed.verdict, parsed.reason) == (None, reason)


@pytest.mark.parametrize("task, text, verdict", [
    ("score", 'Give the verdict in the form "Judgement: [[N]]" where N is 1 to 5.:Judgement: 4The answer is right.', 4),
    ("score", "Judgement: 4/5", 4),  # the protocol's own scale
    ("score", "Judgement: 4 out of 5.", 4),
    ("pair", "Judgement: ［［Ａ］］", "A"),  # fullwidth brackets and letter
    ("pair", "Judgement: [[\u200bB]]", "B"),  # a zero-width space inside the marker
    ("pair", "[[C\u2060]]</s>", "C"),
    ("score", "Judgement: [[⁴]]", 4),  # a superscript digit
    ("score", "Judgement：［［５］］", 5),
    ("batch", "Ranking: ［［Ｃ］］, ［［Ａ］］, ［［Ｂ］］, ［［Ｄ］］", "CABD"),
    ("pair", "Judgement: [[A]]. Assistant A names the colour, [[A]] it is.", "A"),  # markers that agree
])
def test_texts_that_state_one_verdict_read_it(task, text, verdict):
    assert parse_verdict(task, text, 4).verdict == verdict
