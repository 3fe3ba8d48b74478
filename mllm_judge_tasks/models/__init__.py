"""Judge model backends for lmms-eval.

`AVAILABLE_MODELS` maps a model name to its class in the submodule of the same
name; lmms-eval's `LMMS_EVAL_PLUGINS` route requires it. The batched
transformers backend (`mllm_judge_hf`) is not here yet, so it is empty.
"""

AVAILABLE_MODELS: dict[str, str] = {}
