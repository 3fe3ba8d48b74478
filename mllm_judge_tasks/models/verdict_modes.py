"""Verdicts that are always valid: constrained decoding, and verdict probabilities in one pass.

Constrained: the judge writes its analysis freely until it says "Judgement:"
(or runs out of tokens); then generation continues from "Judgement:" with
every step restricted (`prefix_allowed_tokens_fn`) to tokens that extend one
of the valid verdict strings (`[[1]]`..`[[5]]`, `[[A]]`/`[[B]]`/`[[C]]`, or a
permutation of the batch letters), so no verdict is unparseable.

Probability: no free text; the prompt, then "Judgement: [[" forced as the
judge's first tokens, gives the next-token probabilities of the verdict options.
Scoring reports the expected score Σ k·p(k), pairs the distribution over A/B/C.
Rankings have no single-token verdict, so batch items fall back to constrained.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import permutations

import torch

from mllm_judge_tasks.schema import BATCH_LETTERS
from mllm_judge_tasks.verdicts import PROBABILITY_MODE

from .inputs import encode

VERDICT_KEY = "Judgement:"


def task_of_doc(doc: dict) -> str:
    if "responses" in doc:
        return "batch"
    return "pair" if "response_a" in doc else "score"


def verdict_options(doc: dict) -> list[str]:
    """The bare verdict values the protocol allows for this row."""
    task = task_of_doc(doc)
    if task == "score":
        return [str(k) for k in range(1, 6)]
    if task == "pair":
        return ["A", "B", "C"]
    letters = BATCH_LETTERS[: len(doc["responses"])]
    return ["".join(order) for order in permutations(letters)]


def verdict_string(doc: dict, option: str) -> str:
    """How the protocol writes an option: `[[4]]`, `[[C]]`, `[[B]], [[D]], [[A]], [[C]]`."""
    if task_of_doc(doc) == "batch":
        return ", ".join(f"[[{letter}]]" for letter in option)
    return f"[[{option}]]"


class _Trie:
    """Token sequences of the valid verdict strings; what may come next after a prefix."""

    def __init__(self, sequences: list[list[int]], end_token: int):
        self.root: dict = {}
        self.end_token = end_token
        for sequence in sequences:
            node = self.root
            for token in sequence:
                node = node.setdefault(token, {})
            node[None] = True

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        node = self.root
        for token in prefix:
            if token not in node:
                return [self.end_token]  # finished (or padding after the end)
            node = node[token]
        children = [token for token in node if token is not None]
        return children or [self.end_token]


def constrained_verdicts(judge, prefixes: Sequence[str], images: Sequence[list], docs: Sequence[dict]) -> list[str]:
    """For prompts ending in "Judgement:", the valid verdict string each judge continues with."""
    tokenizer = judge.processor.tokenizer
    end_token = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.pad_token_id
    strings = [[" " + verdict_string(doc, option) for option in verdict_options(doc)] for doc in docs]
    tokenized = [[tokenizer(s, add_special_tokens=False)["input_ids"] for s in row] for row in strings]
    tries = [_Trie(row, end_token) for row in tokenized]
    batch = encode(judge.processor, prefixes, images, judge.device, judge.dtype)
    start = batch["input_ids"].shape[1]

    def allowed(batch_id: int, input_ids: torch.Tensor) -> list[int]:
        return tries[batch_id].allowed(input_ids[start:].tolist())

    with torch.inference_mode():
        output = judge.model.generate(
            **batch,
            max_new_tokens=max(len(ids) for row in tokenized for ids in row) + 1,
            do_sample=False,
            prefix_allowed_tokens_fn=allowed,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=end_token,
        )
    chosen = []
    for row, (candidates, token_rows) in enumerate(zip(strings, tokenized)):
        generated = output[row, start:].tolist()
        match = next(s for s, ids in zip(candidates, token_rows) if generated[: len(ids)] == ids)
        chosen.append(match.strip())
    return chosen


def option_token_ids(tokenizer, options: Sequence[str]) -> list[int]:
    """The token each option starts with after "[["; they must differ to be told apart."""
    ids = [tokenizer(option, add_special_tokens=False)["input_ids"][0] for option in options]
    if len(set(ids)) != len(ids):
        raise ValueError(f"verdict options {list(options)} share a first token; use verdict_mode=constrained")
    return ids


def verdict_probabilities(judge, prompts: Sequence[str], images: Sequence[list], docs: Sequence[dict]) -> list[dict[str, float]]:
    """p(option | prompt, then "Judgement: [[" as the judge's own first tokens), renormalised over the options.

    The opening is forced through `generate` rather than appended to the prompt text, so every family
    sees it exactly as text it had written: PaliGemma's processor ends the prompt with "\n" and gives
    the prompt bidirectional attention, and appending the opening there would read the probabilities
    of the token after "Judgement: [[\n", from a position the model was never trained to predict at.
    """
    tokenizer = judge.processor.tokenizer
    opening = tokenizer(VERDICT_KEY + " [[", add_special_tokens=False)["input_ids"]
    option_ids = [option_token_ids(tokenizer, verdict_options(doc)) for doc in docs]
    batch = encode(judge.processor, prompts, images, judge.device, judge.dtype)
    start = batch["input_ids"].shape[1]

    def forced(batch_id: int, input_ids: torch.Tensor) -> list[int]:
        step = input_ids.shape[0] - start
        return [opening[step]] if step < len(opening) else option_ids[batch_id]

    with torch.inference_mode():
        output = judge.model.generate(
            **batch, max_new_tokens=len(opening) + 1, do_sample=False, prefix_allowed_tokens_fn=forced,
            output_logits=True, return_dict_in_generate=True, pad_token_id=tokenizer.pad_token_id,
        )
    logits = output.logits[len(opening)].float()  # raw logits, before the forcing mask
    return [
        dict(zip(verdict_options(doc), torch.softmax(logits[row, ids], dim=-1).tolist()))
        for row, (doc, ids) in enumerate(zip(docs, option_ids))
    ]


def probability_output(doc: dict, probabilities: dict[str, float]) -> str:
    """The judge text of probability mode: JSON with the distribution, the argmax as the protocol's marker last."""
    best = max(probabilities, key=probabilities.get)
    payload = {"mode": PROBABILITY_MODE, "probabilities": {k: round(v, 6) for k, v in probabilities.items()}}
    if task_of_doc(doc) == "score":
        payload["expected_score"] = round(sum(int(k) * p for k, p in probabilities.items()), 6)
    payload["judgement"] = verdict_string(doc, best)
    return json.dumps(payload)
