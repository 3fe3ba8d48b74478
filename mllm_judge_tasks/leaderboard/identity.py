"""A judge's published identity: its slug, a function of its own submission alone.

The slug names the judge's page (`judges/<slug>.html`), its Hub folder and its
per-sample configs (`<slug>__<task>`): once published, a link to it must keep
pointing at the same judge. So it is computed from the submission alone (its
judge name and, unless plain, its setting) and never made unique by looking at
the other rows, where a later twin (`OrgA/JudgeOne` and `orga_judgeone`) would
take it or shift it.

Two submissions that would share a slug are left out, each named in the
other's message, unless the board being rebuilt already published one of them
under it (its `leaderboard.json` records which submission folder holds each
slug): that one keeps it. The paper's judges and the reference rows are
published under the reserved prefixes `paper-` and `reference-`, which no
submission's slug can start with.

Judge names are untrusted: only [a-z0-9-] survive, so a slug can never climb
out of a folder or mean anything to a YAML, URL or shell reader.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from mllm_judge_tasks.problems import Problem

from .submission import METADATA, Role, Submission

RESERVED_PREFIXES = {Role.PAPER: "paper-", Role.REFERENCE: "reference-"}  # no submission's slug starts so
MAX_SLUG = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """`text` in [a-z0-9-]: accents folded to ASCII first (Ünïcode → unicode), every other run of characters one `-`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def model_slug(submission: Submission) -> str:
    """The slug of the judge's model: its name alone, with its role's reserved prefix. Names its Hub entries' folder."""
    name = submission.name.removeprefix("reference: ") if submission.role == Role.REFERENCE else submission.name
    return RESERVED_PREFIXES.get(submission.role, "") + (slugify(name)[:MAX_SLUG].strip("-") or "judge")


def judge_slug(submission: Submission) -> str:
    """The slug of `submission`: its model's slug, then its setting after `--` unless plain."""
    setting = str(submission.metadata.get("judge_setting") or "plain")
    if setting == "plain":
        return model_slug(submission)
    return f"{model_slug(submission)}--{slugify(setting)[:40].strip('-') or 'setting'}"  # "--": no name's slug has it


def published_slugs(board: Path) -> dict[str, str]:
    """Slug → the submission folder's name that holds it on the board already at `board` (none if unreadable)."""
    path = Path(board) / "leaderboard.json"
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        records = json.loads(path.read_text(encoding="utf-8"))
        return {str(r["slug"]): str(r["submission"]) for r in records if r.get("role") == Role.SUBMISSION and r.get("submission")}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _twins(claimants: list[Submission], slug: str, published: dict[str, str], problems: list[Problem]) -> list[Submission]:
    """The one claimant that keeps `slug` (the sole one, or the one the board published under it), the others noted."""
    keeper = claimants[:1] if len(claimants) == 1 else [s for s in claimants if s.directory.name == published.get(slug)][:1]
    for submission in claimants:
        if submission not in keeper:
            others = ", ".join(str(other.directory) for other in claimants if other is not submission)
            why = "published under it already" if keeper else "also submitted"
            problems.append(Problem(str(submission.directory / METADATA), None, "judge_model",
                                    f"its slug {slug!r} is taken by {others} ({why}); give the judge a name of its own"))
    return keeper


def claim_slugs(submissions: list[Submission], published: dict[str, str]) -> tuple[list[Submission], list[Problem]]:
    """The submissions that keep an identity of their own, and a problem for each one left out.

    Twins share a slug, or a model slug under different names (`OrgA/JudgeOne` plain and `orga_judgeone` with
    chain of thought would share one Hub entries folder for two model repos).
    """
    problems: list[Problem] = []
    by_model: dict[str, dict[str, list[Submission]]] = defaultdict(lambda: defaultdict(list))
    for submission in submissions:
        slug = judge_slug(submission)
        reserved = next((prefix for prefix in RESERVED_PREFIXES.values() if slug.startswith(prefix)), None)
        if reserved:
            problems.append(Problem(str(submission.directory / METADATA), None, "judge_model", f"its slug {slug!r} "
                                    f"starts with {reserved!r}, reserved for the paper's judges and the reference rows"))
        else:
            by_model[model_slug(submission)][submission.name].append(submission)
    kept = []
    for model, by_name in by_model.items():
        if len(by_name) > 1:  # one name keeps the model's folder: the one with a row published already, else none
            held = [name for name, group in by_name.items()
                    if any(published.get(judge_slug(s)) == s.directory.name for s in group)][:1]
            for name, group in by_name.items():
                if name in held:
                    continue
                others = ", ".join(str(o.directory) for other, rest in by_name.items() if other != name for o in rest)
                why = "published under it already" if held else "also submitted"
                problems += [Problem(str(s.directory / METADATA), None, "judge_model",
                                     f"its model slug {model!r} is taken by {others} under another name ({why}); "
                                     "give the judge a name of its own") for s in group]
            by_name = {name: by_name[name] for name in held}
        by_slug: dict[str, list[Submission]] = defaultdict(list)
        for submission in (s for group in by_name.values() for s in group):
            by_slug[judge_slug(submission)].append(submission)
        for slug, claimants in by_slug.items():
            kept += _twins(claimants, slug, published, problems)
    return kept, problems
