"""The verdict parser's properties over generated texts: total (a verdict or a reason, a valid verdict, kept when
restated), and the protocol's forms found after any prose. How many examples: conftest's Hypothesis profiles (1,000
by default; `--hypothesis-profile deep` gives 10,000 per task). Texts run up to the submission cap (100,000
characters), not past it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from mllm_judge_tasks.leaderboard.submission import MAX_OUTPUT_CHARS
from mllm_judge_tasks.verdicts import parse_batch_verdict, parse_pair_verdict, parse_score_verdict

FUZZ = settings(deadline=None)
PROSE = st.text(alphabet=st.characters(blacklist_characters="[]:：\n", blacklist_categories=("Cs",)), max_size=120)
PROSE = PROSE.filter(lambda text: not any(word in text.lower() for word in ("rank", "judg", "verdict", "final")))
RANKING_FORMATS = [
    lambda letters: ", ".join(f"[[{x}]]" for x in letters),
    lambda letters: "[" + ", ".join(f"[{x}]" for x in letters) + "]",
    lambda letters: "[" + ",".join(letters) + "]",
    lambda letters: " > ".join(letters),
    lambda letters: " ".join(letters),
    lambda letters: "".join(letters),
    lambda letters: f"[[{''.join(letters)}]]",
]
KEYS = ["Judgement: ", "Judgment: ", "**Judgement**: ", '"Judgement": ', "Verdict: ", "Final verdict: ", "- Judgement: "]
HUGE = st.builds(lambda chunk, count: chunk * count, st.text(min_size=1, max_size=40),
                 st.integers(1, MAX_OUTPUT_CHARS // 40))


def restated(verdict) -> str:
    """The verdict as the protocol writes it, on a line of its own after the judge's text."""
    marker = ", ".join(f"[[{letter}]]" for letter in verdict) if isinstance(verdict, str) and len(verdict) > 2 else f"[[{verdict}]]"
    return f"\nJudgement: {marker}"


def check_total(parse, text: str, valid) -> None:
    """A verdict or a reason, never both; a valid verdict; and the same verdict restated after the text (the
    protocol's own form, last) keeps it: a later agreeing marker never turns a reading into another."""
    parsed = parse(text)
    assert (parsed.verdict is None) != (parsed.reason is None)
    if parsed.verdict is not None:
        assert valid(parsed.verdict), parsed
        assert parse(text + restated(parsed.verdict)).verdict == parsed.verdict, text[-300:]


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet="[]ABCD12345 ,>:;\nJudgementRanki"), HUGE))
def test_score_parser_is_total(text):
    check_total(parse_score_verdict, text, lambda verdict: verdict in range(1, 6))


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet="[]ABCabc tie:;\nJudgement"), HUGE))
def test_pair_parser_is_total(text):
    check_total(parse_pair_verdict, text, lambda verdict: verdict in ("A", "B", "C"))


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet="[]ABCD ,>;:\nRankig"), HUGE), st.sampled_from([3, 4, None]))
def test_batch_parser_is_total(text, n_responses):
    check_total(lambda t: parse_batch_verdict(t, n_responses), text,
                lambda verdict: sorted(verdict) == sorted("ABCD"[: len(verdict)]))


@settings(max_examples=3000, deadline=None)
@given(PROSE, st.sampled_from(KEYS), st.integers(1, 5), PROSE, st.integers(0, 50))
def test_grammar_built_score_texts(prose, key, score, tail, repeats):
    text = f"{prose}\n{'Judgement: ' * repeats}{key}[[{score}]]{tail}"
    assert parse_score_verdict(text).verdict == score
    check_total(parse_score_verdict, text, lambda verdict: verdict == score)


@settings(max_examples=3000, deadline=None)
@given(PROSE, st.sampled_from(KEYS), st.sampled_from(["[[A]]", "[[B]]", "[[C]]", "A", "B", "tie", "a tie"]), PROSE)
def test_grammar_built_pair_texts(prose, key, verdict, tail):
    expected = {"[[A]]": "A", "[[B]]": "B", "[[C]]": "C", "A": "A", "B": "B", "tie": "C", "a tie": "C"}[verdict]
    text = f"{prose}\n{key}{verdict}." + (f"\n{tail}" if tail else "")
    assert parse_pair_verdict(text).verdict == expected
    check_total(parse_pair_verdict, text, lambda found: found == expected)


@settings(max_examples=3000, deadline=None)
@given(PROSE, st.sampled_from(KEYS + ["Ranking: ", "Rank: "]), st.permutations("ABCD"), st.sampled_from(RANKING_FORMATS), PROSE)
def test_grammar_built_ranking_texts(prose, key, order, style, tail):
    text = f"{prose}\n{key}{style(order)}" + (f"\n{tail}" if tail else "")
    assert parse_batch_verdict(text).verdict == "".join(order)
    check_total(parse_batch_verdict, text, lambda found: found == "".join(order))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=200), st.integers(1, 5), st.text(alphabet=st.characters(blacklist_characters="[]:："), max_size=50))
def test_a_final_score_marker_is_found_in_any_prose(prose, score, tail):
    text = f"{prose}\nJudgement: [[{score}]]{tail}"
    assert parse_score_verdict(text).verdict == score


@settings(max_examples=200, deadline=None)
@given(st.permutations("ABCD"), st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=200))
def test_a_ranking_is_found_after_any_prose(order, prose):
    text = prose + " Judgement: " + ", ".join(f"[[{letter}]]" for letter in order)
    assert parse_batch_verdict(text).verdict == "".join(order)
