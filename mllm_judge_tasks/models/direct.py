"""Use a judge backend from Python, without the lmms-eval CLI.

lmms-eval hands a chat model `Instance`s whose arguments name a document in
`model.task_dict`; this builds the same for rows of a dataset, so scripts and
benchmarks drive a backend exactly as the harness does.
"""

from __future__ import annotations

from lmms_eval.api.instance import Instance

from mllm_judge_tasks.tasks import hooks


def judge_requests(model, rows, task: str, setting: str = "plain", max_new_tokens: int = 512,
                   until: tuple[str, ...] = ("</s>",), temperature: float = 0) -> list[Instance]:
    """Requests judging every row of `rows` ("score", "pair" or "batch" rows) in `setting`."""
    name = f"mllm_judge_{task}"
    model.task_dict = {name: {"test": rows}}
    kwargs = {"task": task, "setting": setting}
    gen_kwargs = {"max_new_tokens": max_new_tokens, "temperature": temperature, "until": list(until)}
    return [
        Instance("generate_until", ("", lambda doc: hooks.doc_to_messages(doc, kwargs), dict(gen_kwargs), i, name, "test"),
                 idx=0, metadata={"task": name, "doc_id": i, "repeats": 1})
        for i in range(len(rows))
    ]
