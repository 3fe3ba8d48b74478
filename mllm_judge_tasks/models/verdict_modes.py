"""The transformers engine's verdict primitives: a choice among strings, and option probabilities in one pass.

Choice (constrained mode): after the prompt and the judge's analysis up to
"Judgement:", every step is restricted (`prefix_allowed_tokens_fn`) to tokens
that extend one of the given verdict strings, so no verdict is unparseable.

Probabilities (probability mode): the prompt, then "Judgement: [[" forced as
the judge's first tokens, gives the next-token probabilities of the options'
first tokens. Which items get which mode is the backend's decision
(`judge_backend.JudgeBackend._judge`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mllm_judge_tasks.protocol import VERDICT_OPENING

from .inputs import encode


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


def choose(judge, prefixes: Sequence[str], images: Sequence[list], strings: Sequence[list[str]]) -> list[str]:
    """For each prefix (the prompt and what the judge wrote), the string of its list the judge continues with."""
    tokenizer = judge.processor.tokenizer
    end_token = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.pad_token_id
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
        chosen.append(next(s for s, ids in zip(candidates, token_rows) if generated[: len(ids)] == ids))
    return chosen


def option_token_ids(tokenizer, options: Sequence[str]) -> list[int]:
    """The token each option starts with after "[["; they must differ to be told apart."""
    ids = [tokenizer(option, add_special_tokens=False)["input_ids"][0] for option in options]
    if len(set(ids)) != len(ids):
        raise ValueError(f"verdict options {list(options)} share a first token; use verdict_mode=constrained")
    return ids


def option_probabilities(judge, prompts: Sequence[str], images: Sequence[list], options: Sequence[list[str]]) -> list[list[float]]:
    """p(option | prompt, then "Judgement: [[" as the judge's own first tokens), renormalised over the options.

    The opening is forced through `generate` rather than appended to the prompt text, so every family
    sees it exactly as text it had written: PaliGemma's processor ends the prompt with "\n" and gives
    the prompt bidirectional attention, and appending the opening there would read the probabilities
    of the token after "Judgement: [[\n", from a position the model was never trained to predict at.
    """
    tokenizer = judge.processor.tokenizer
    opening = tokenizer(VERDICT_OPENING, add_special_tokens=False)["input_ids"]
    option_ids = [option_token_ids(tokenizer, names) for names in options]
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
    return [torch.softmax(logits[row, ids], dim=-1).tolist() for row, ids in enumerate(option_ids)]
