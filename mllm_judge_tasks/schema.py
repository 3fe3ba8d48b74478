"""The canonical record of each task.

Every writer (release converter, mini benchmark) and every reader (task hooks,
scorer, leaderboard) goes through these definitions, so a record is shaped once
and never re-shaped by hand downstream.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, Image, List, Value

TASKS = ("score", "pair", "batch")
# Config name prefix of each subset of the release; "" is the full benchmark.
SUBSETS = {"": "benchmark", "lite_": "Lite", "hq_": "HQ", "hard_": "Hard"}
# The release has no Lite batch file.
CONFIGS = tuple(prefix + task for prefix in SUBSETS for task in TASKS if prefix + task != "lite_batch")

SCORE_RANGE = (1, 5)
PAIR_LABELS = ("A", "B", "tie")
# The release writes a tie as "C", like the judges' [[C]] marker.
PAIR_TIE_LETTER = "C"
BATCH_LETTERS = "ABCD"
BATCH_SIZES = (3, 4)

# Fields every task shares. `extra` keeps, as a JSON object, every official field
# the schema has no column for, so nothing in the release is dropped silently.
_COMMON_HEAD = {
    "id": Value("string"),
    "instruction_id": Value("int64"),
}
_COMMON_IMAGE = {
    "image": Image(),
    "image_file": Value("string"),
    "instruction": Value("string"),
}
_SOURCE = {"source": Value("string")}
_COMMON_TAIL = {
    "image_description": Value("string"),
    "extra": Value("string"),
}

FEATURES: dict[str, Features] = {
    "score": Features(
        {
            **_COMMON_HEAD,
            "score_id": Value("int64"),
            **_COMMON_IMAGE,
            "response": Value("string"),
            "responder": Value("string"),
            **_SOURCE,
            "human_score": Value("int32"),
            **_COMMON_TAIL,
        }
    ),
    "pair": Features(
        {
            **_COMMON_HEAD,
            "pair_id": Value("int64"),
            **_COMMON_IMAGE,
            "response_a": Value("string"),
            "response_b": Value("string"),
            "responder_a": Value("string"),
            "responder_b": Value("string"),
            **_SOURCE,
            "human": ClassLabel(names=list(PAIR_LABELS)),
            **_COMMON_TAIL,
        }
    ),
    "batch": Features(
        {
            **_COMMON_HEAD,
            **_COMMON_IMAGE,
            "responses": List(Value("string")),
            "responders": List(Value("string")),
            **_SOURCE,
            "human_ranking": Value("string"),
            "human_ranking_indices": List(Value("int32")),
            **_COMMON_TAIL,
        }
    ),
}

# The release's `original_dataset` names, mapped to the paper's 14 columns
# (Table 2 of Chen et al.). `llava_bench` is the paper's CC-3M column by the
# maintainers' statement; the others are the obvious matches. A name not listed
# here is reported under its own name rather than guessed into a column.
PAPER_SOURCE_COLUMNS = {
    "coco": "COCO",
    "Concept Caption": "C.C.",
    "diffusiondb": "Diff.",
    "infographicsVQA": "Graphics",
    "mathvista": "Math",
    "textVQA": "Text",
    "WIT": "WIT",
    "ChartQA": "Chart",
    "llava_bench": "CC-3M",
    "mind2web": "M2W",
    "ScienceQA": "SciQA",
    "AesBench": "Aes",
    "mm-vet": "MM-Vet",
}


def task_of_config(config: str) -> str:
    """The task ("score", "pair" or "batch") a config name such as "hard_pair" holds."""
    for task in TASKS:
        if config == task or config.endswith("_" + task):
            return task
    raise ValueError(f"unknown config {config!r}; expected one of {', '.join(CONFIGS)}")


def paper_source(source: str) -> str:
    """The paper's column for a release `original_dataset` name (the name itself if unknown)."""
    return PAPER_SOURCE_COLUMNS.get(source, source)


def row_id(task: str, official_id: int, prefix: str = "") -> str:
    """A stable, readable row id built from the release's own row id.

    `prefix` namespaces rows of a subset file that match no benchmark row: the
    release reuses `pair_id` values for different pairs across files.
    """
    return f"{prefix}{task}-{official_id}"


def normalize_score_label(value: object) -> int:
    """Human score as an int 1..5; the release mixes ints and digit strings."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer 1..5, got {value!r}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"expected an integer 1..5, got {value!r}")
    low, high = SCORE_RANGE
    if not low <= value <= high:
        raise ValueError(f"score {value} is outside {low}..{high}")
    return value


def normalize_pair_label(value: object) -> str:
    """Human pair verdict as "A", "B" or "tie"; the release writes a tie as "C"."""
    if not isinstance(value, str):
        raise ValueError(f"expected 'A', 'B' or 'C' (tie), got {value!r}")
    label = value.strip()
    if label.upper() in ("A", "B"):
        return label.upper()
    if label.upper() == PAIR_TIE_LETTER or label.lower() == "tie":
        return "tie"
    raise ValueError(f"expected 'A', 'B' or 'C' (tie), got {value!r}")


def pair_letter(label: object) -> str:
    """The protocol letter ("A", "B", "C" for a tie) of a pair label: "A"/"B"/"tie", a release "C", or a ClassLabel index."""
    if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < len(PAIR_LABELS):
        label = PAIR_LABELS[label]
    normalized = normalize_pair_label(label)
    return PAIR_TIE_LETTER if normalized == "tie" else normalized


def normalize_batch_label(value: object, n_responses: int) -> str:
    """Human ranking as a best-to-worst permutation of the first n letters.

    Some three-answer items of the release carry four-letter labels (`CABD` for
    answers A..C). The letter naming no answer is dropped and the order of the
    others kept; any other deviation (repeats, missing letters) is an error.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a ranking string such as 'CDAB', got {value!r}")
    ranking = value.strip().upper()
    letters = BATCH_LETTERS[:n_responses]
    if ranking == "":
        raise ValueError("the ranking is empty")
    if n_responses == len(BATCH_LETTERS) - 1 and sorted(ranking) == sorted(BATCH_LETTERS):
        ranking = ranking.replace(BATCH_LETTERS[-1], "")
    if sorted(ranking) != sorted(letters):
        raise ValueError(
            f"ranking {value!r} is not a permutation of {letters} ({n_responses} responses)"
        )
    return ranking


def ranking_indices(ranking: str) -> list[int]:
    """`"CDAB"` → `[2, 3, 0, 1]`: the response indices, best first."""
    return [BATCH_LETTERS.index(letter) for letter in ranking]
