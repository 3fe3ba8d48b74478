"""Judge model backends for lmms-eval.

`AVAILABLE_MODELS` maps a model name to its class in the submodule of the same
name; lmms-eval's `LMMS_EVAL_PLUGINS` route requires it, and our entry point
builds its model manifests from it.
"""

AVAILABLE_MODELS: dict[str, str] = {"mllm_judge_hf": "MLLMJudgeHF", "mllm_judge_vllm": "MLLMJudgeVLLM",
                                  "mllm_judge_openai": "MLLMJudgeOpenAI", "mllm_judge_rm": "MLLMJudgeRM"}
