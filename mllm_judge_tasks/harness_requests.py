"""lmms-eval requests for rows of a dataset: drive a judge backend from Python as the harness does.

lmms-eval hands a chat model `Instance`s whose arguments name a document in
`model.task_dict` and carry the task's bound `doc_to_messages`, whose Task holds
the YAML's kwargs (the protocol task among them). This builds the same for
rows of a dataset, so scripts, benchmarks and tests drive a backend exactly as
the harness does; requests of several tasks may go into one call.
"""

from __future__ import annotations

from lmms_eval.api.instance import Instance

from mllm_judge_tasks.tasks import hooks


class _Task:
    """What an lmms-eval Task gives a chat model: the YAML's `lmms_eval_specific_kwargs`, and `doc_to_messages`."""

    def __init__(self, kwargs: dict):
        self.lmms_eval_specific_kwargs = kwargs

    def doc_to_messages(self, doc: dict) -> list[dict]:
        return hooks.doc_to_messages(doc, self.lmms_eval_specific_kwargs)


def judge_requests(model, rows, task: str, setting: str = "plain", max_new_tokens: int = 512,
                   until: tuple[str, ...] = ("</s>",), temperature: float = 0, name: str | None = None,
                   **gen_kwargs) -> list[Instance]:
    """Requests judging every row of `rows` ("score", "pair" or "batch" rows) in `setting`, under the harness task
    `name` (default `mllm_judge_{task}`), added to what `model.task_dict` already holds. Further generation
    settings (`top_p`, `top_k`, ...) go to the backend as `--gen_kwargs` would."""
    name = name or f"mllm_judge_{task}"
    model.task_dict = {**(getattr(model, "task_dict", None) or {}), name: {"test": rows}}
    source = _Task({"task": task, "setting": setting})
    gen_kwargs = {"max_new_tokens": max_new_tokens, "temperature": temperature, "until": list(until), **gen_kwargs}
    return [
        Instance("generate_until", ("", source.doc_to_messages, dict(gen_kwargs), i, name, "test"),
                 idx=0, metadata={"task": name, "doc_id": i, "repeats": 1})
        for i in range(len(rows))
    ]
