"""What of a submission may leave the machine: no contact address, no value of a setting named like a secret.

A submission's metadata keeps the submitter's contact so the maintainers can
reach them; the published report, the Hub files and the pages carry
`public_metadata`, which drops it. Model arguments reach a pack from the
command line (`--model_args ...,api_key=...`): any argument whose name says it
holds a credential is replaced by REDACTED, in the pack and again in anything
published (a hand-made submission may carry one too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

REDACTED = "<redacted>"
PRIVATE_FIELDS = ("contact",)  # kept in the submission's metadata.json, never published
# A name is a secret's when one of its words (split at _ - . and spaces) is one of these, or it is one of the
# run-together spellings; `max_new_tokens` is not (its word is "tokens").
_SECRET_WORDS = {"token", "key", "apikey", "secret", "password", "passwd", "pwd", "credential", "credentials", "auth",
                 "authorization", "cookie", "bearer"}
_SECRET_NAMES = {"hftoken", "accesstoken", "authtoken", "apitoken", "secretkey", "privatekey"}
_WORD_BREAK = re.compile(r"[_\-. ]+")


def is_secret_name(name: str) -> bool:
    words = _WORD_BREAK.split(name.strip().lower())
    return any(word in _SECRET_WORDS for word in words) or "".join(words) in _SECRET_NAMES


def redact_model_args(model_args: str) -> str:
    """`key=value,...` as lmms-eval's --model_args writes them, each secret's value replaced."""
    parts = []
    for part in model_args.split(","):
        key, equals, _ = part.partition("=")
        parts.append(f"{key}={REDACTED}" if equals and is_secret_name(key) else part)
    return ",".join(parts)


def _redacted_object(pairs: list[tuple[str, object]]) -> dict:
    return {key: REDACTED if is_secret_name(key) else
            redact_model_args(item) if key == "model_args" and isinstance(item, str) else item
            for key, item in pairs}


def redact(value: object) -> object:
    """`value` (JSON data) with every entry named like a secret replaced, and model-argument strings redacted.

    Done by the JSON decoder's object hook, inner objects first, with no recursion of ours: a submission's
    metadata may nest as deep as the strict reader allowed (`problems.json_object`).
    """
    return json.loads(json.dumps(value), object_pairs_hook=_redacted_object)


def public_metadata(metadata: Mapping) -> dict:
    """Submission metadata as it may be published: no contact, no secret."""
    return redact({key: value for key, value in metadata.items() if key not in PRIVATE_FIELDS})
