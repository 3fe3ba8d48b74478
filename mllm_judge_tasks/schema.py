"""The canonical record of each task, as Hugging Face `Features` built from the protocol's task specs.

The vocabulary (tasks, labels, the tie, subsets, label normalisation) lives in
`protocol.py`; this module adds only the column types. Every writer (release converter, mini benchmark) and every reader (task hooks,
scorer, leaderboard) goes through these definitions, so a record is shaped once
and never re-shaped by hand downstream.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, Image, List, Value

from .protocol import PAIR_LABELS, SPECS

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


def _answers(task: str) -> dict:
    """The task's response and responder columns, named by the protocol's task spec."""
    spec = SPECS[task]
    kind = List(Value("string")) if spec.ranked else Value("string")
    return {**{field: kind for field in spec.response_fields}, **{field: kind for field in spec.responder_fields}}


FEATURES: dict[str, Features] = {
    "score": Features(
        {
            **_COMMON_HEAD,
            "score_id": Value("int64"),
            **_COMMON_IMAGE,
            **_answers("score"),
            **_SOURCE,
            SPECS["score"].label_field: Value("int32"),
            **_COMMON_TAIL,
        }
    ),
    "pair": Features(
        {
            **_COMMON_HEAD,
            "pair_id": Value("int64"),
            **_COMMON_IMAGE,
            **_answers("pair"),
            **_SOURCE,
            SPECS["pair"].label_field: ClassLabel(names=list(PAIR_LABELS)),
            **_COMMON_TAIL,
        }
    ),
    "batch": Features(
        {
            **_COMMON_HEAD,
            **_COMMON_IMAGE,
            **_answers("batch"),
            **_SOURCE,
            SPECS["batch"].label_field: Value("string"),
            SPECS["batch"].derived_label_fields[0]: List(Value("int32")),
            **_COMMON_TAIL,
        }
    ),
}
