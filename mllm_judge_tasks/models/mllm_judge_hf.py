"""`mllm_judge_hf`: a batched transformers backend for local open-weight MLLM judges.

lmms-eval's generic `huggingface` backend fails with transformers 5 and, before
that, never padded left, never sorted by length and generated up to 4096 tokens.
This one renders the task's chat messages with the processor's chat template,
sorts requests by prompt length, runs left-padded batches and returns answers
in the original order. Answers are cached after every batch (resume after a
kill), and `verdict_mode` can force every verdict into the protocol.

    lmms-eval --model mllm_judge_hf --model_args pretrained=Qwen/Qwen2.5-VL-7B-Instruct \
        --tasks mllm_judge --batch_size 8
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
from accelerate import Accelerator
from lmms_eval.api.instance import Instance
from lmms_eval.api.model import lmms
from tqdm import tqdm

from .cache import CACHE_ERRORS, GenerationCache, cache_warning, request_key
from .inputs import JudgeRequest, encode, generate_texts, to_request
from .loading import load_judge
from .verdict_modes import VERDICT_KEY, constrained_verdicts, probability_output, task_of_doc, verdict_probabilities

MODES = ("free", "constrained", "probability")
DEFAULT_CACHE = Path(os.environ.get("MLLM_JUDGE_CACHE", Path.home() / ".cache" / "mllm-judge" / "generations.sqlite"))


def _flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


def _fingerprint(pretrained: str) -> str:
    """For a local checkpoint, every file's size and time (weights in any format, config, tokenizer),
    so a retrained or swapped model never hits old answers."""
    path = Path(pretrained)
    if not path.is_dir():
        return ""
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return ",".join(f"{p.relative_to(path)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)


class MLLMJudgeHF(lmms):
    is_simple = False

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        batch_size: int | str = 8,
        device: str | None = None,
        device_map: str | None = None,
        dtype: str = "auto",
        attn_implementation: str = "sdpa",
        max_pixels: int | None = 1024 * 1024,
        max_new_tokens: int | None = None,
        verdict_mode: str = "free",
        cache: str | None = None,
        use_cache: bool | str = True,
        trust_remote_code: bool | str = False,
        **kwargs,
    ) -> None:
        super().__init__()
        if kwargs:
            raise ValueError(f"mllm_judge_hf: unknown model_args {sorted(kwargs)}")
        if verdict_mode not in MODES:
            raise ValueError(f"mllm_judge_hf: verdict_mode must be one of {', '.join(MODES)}, got {verdict_mode!r}")
        accelerator = Accelerator()
        if accelerator.num_processes > 1 and torch.cuda.is_available() and device in (None, "cuda") and device_map in (None, "auto"):
            # Data parallel on GPUs: one full model per GPU; lmms-eval gives each rank its share. An explicit
            # device (`device=cpu`) or device map is the user's and is kept.
            device, device_map = f"cuda:{accelerator.local_process_index}", None
        self.judge = load_judge(
            pretrained, revision=revision, device=device, device_map=device_map, dtype=dtype,
            attn_implementation=attn_implementation, trust_remote_code=_flag(trust_remote_code),
        )
        self._rank, self._world_size = accelerator.process_index, accelerator.num_processes
        self.batch_size_per_gpu = int(batch_size)
        self.max_pixels = int(max_pixels) if max_pixels not in (None, "None", "none") else None
        self.max_new_tokens = int(max_new_tokens) if max_new_tokens else None
        self.verdict_mode = verdict_mode
        # Everything besides the request that changes an answer: weights, numerics and kernels.
        self.model_identity = {
            "pretrained": pretrained, "revision": revision, "files": _fingerprint(pretrained),
            "dtype": str(self.judge.dtype), "device": str(self.judge.device), "attn_implementation": attn_implementation,
            "max_pixels": self.max_pixels,
        }
        self.cache = GenerationCache.open_or_warn(Path(cache) if cache else DEFAULT_CACHE) if _flag(use_cache) else None
        self.stats = {"requests": 0, "cached": 0, "generated": 0, "failed": 0}

    @property
    def batch_size(self) -> int:
        return self.batch_size_per_gpu

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def world_size(self) -> int:
        return self._world_size

    @property
    def device(self) -> torch.device:
        return self.judge.device

    def loglikelihood(self, requests):
        raise NotImplementedError("mllm_judge_hf judges by generation; the mllm_judge tasks need no loglikelihood")

    def generate_until_multi_round(self, requests):
        raise NotImplementedError("mllm_judge_hf: the mllm_judge tasks are single-round")

    def _settings(self, gen_kwargs: dict) -> dict:
        until = gen_kwargs.get("until") or []
        return {
            "max_new_tokens": self.max_new_tokens or int(gen_kwargs.get("max_new_tokens", 512)),
            "stop_strings": [until] if isinstance(until, str) else list(until),
            "temperature": float(gen_kwargs.get("temperature", 0) or 0),
            "verdict_mode": self.verdict_mode,
        }

    def _prepare(self, request: Instance) -> tuple[dict, JudgeRequest | None, dict, str | None]:
        _, doc_to_messages, gen_kwargs, doc_id, task, split = request.args
        doc = self.task_dict[task][split][doc_id]
        settings = self._settings(gen_kwargs)
        try:
            return doc, to_request(self.judge.processor, doc_to_messages(doc), self.max_pixels), settings, None
        except (OSError, ValueError, SyntaxError) as error:  # an image that fails to decode, a bad message
            return doc, None, settings, f"{task} doc {doc_id} ({doc.get('id')}): {type(error).__name__}: {error}"

    def _run_batch(self, docs: list[dict], requests: list[JudgeRequest], settings: dict) -> list[str]:
        prompts, images = [r.prompt for r in requests], [r.images for r in requests]
        mode = settings["verdict_mode"]
        if mode == "probability" and all(task_of_doc(doc) != "batch" for doc in docs):
            distributions = verdict_probabilities(self.judge, prompts, images, docs)
            return [probability_output(doc, dist) for doc, dist in zip(docs, distributions)]
        batch = encode(self.judge.processor, prompts, images, self.judge.device, self.judge.dtype)
        free_settings = {k: settings[k] for k in ("max_new_tokens", "temperature")}
        stops = settings["stop_strings"]
        if mode == "free":
            return generate_texts(self.judge, batch, stop_strings=stops, **free_settings)
        # Constrained: the analysis runs freely until the verdict key, then the verdict is forced.
        analyses = generate_texts(self.judge, batch, stop_strings=[VERDICT_KEY, *stops], **free_settings)
        prefixes = [p + a.rstrip() + "\n" + VERDICT_KEY for p, a in zip(prompts, analyses)]
        verdicts = constrained_verdicts(self.judge, prefixes, images, docs)
        return [a.rstrip() + "\n" + VERDICT_KEY + " " + v for a, v in zip(analyses, verdicts)]

    def _cache_call(self, doing: str, call, default):
        """A cache read or write; on a fault, warn once naming the file and go on without the cache."""
        try:
            return call()
        except CACHE_ERRORS as error:
            print(cache_warning(self.cache.path, error, doing), file=sys.stderr)
            self.cache = None
            return default

    def _run_isolated(self, members: list[int], prepared: list) -> dict[int, str | None]:
        """One batch; if the processor or the model fails on it, each item alone, so only a bad item is lost."""
        try:
            texts = self._run_batch([prepared[i][0] for i in members], [prepared[i][1] for i in members], prepared[members[0]][2])
            return dict(zip(members, texts))
        except Exception as error:  # a processor refusing an image, a kernel failing on one shape
            if len(members) == 1:
                doc = prepared[members[0]][0]
                print(f"mllm_judge_hf: skipped {doc.get('id')}: {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
                return {members[0]: None}
        answers: dict[int, str | None] = {}
        for i in members:
            answers.update(self._run_isolated([i], prepared))
        return answers

    def generate_until(self, requests: list[Instance]) -> list[str]:
        prepared = [self._prepare(request) for request in requests]
        answers: list[str | None] = [None] * len(requests)
        keys: dict[int, str] = {}
        for index, (_doc, judge_request, settings, error) in enumerate(prepared):
            if error is not None:
                print(f"mllm_judge_hf: skipped, {error}", file=sys.stderr)
                answers[index] = ""
                self.stats["failed"] += 1
            elif self.cache is None or settings["temperature"] > 0:
                keys[index] = ""  # not cached: no cache, or a sampled answer that must be drawn anew
            else:
                keys[index] = request_key(self.model_identity, judge_request.prompt, judge_request.images, settings)
        wanted = [key for key in keys.values() if key]
        cached = self._cache_call("read", lambda: self.cache.get_many(wanted), {}) if wanted and self.cache else {}
        for index, key in keys.items():
            if key and key in cached:
                answers[index] = cached[key]
        self.stats["requests"] += len(requests)
        self.stats["cached"] += sum(1 for key in keys.values() if key and key in cached)
        pending = [i for i in keys if answers[i] is None]
        # Longest prompts first: similar lengths share a batch (little padding) and memory peaks early.
        lengths = {i: len(self.judge.processor.tokenizer(prepared[i][1].prompt)["input_ids"]) for i in pending}
        pending.sort(key=lambda i: (-lengths[i], bool(prepared[i][1].images), i))
        progress = tqdm(total=len(pending), desc="mllm_judge_hf", unit="sample", disable=self.rank != 0 or not pending)
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start : start + self.batch_size]
            # A batch mixes neither settings nor image-less with image-bearing prompts.
            groups: dict[tuple, list[int]] = {}
            for i in chunk:
                groups.setdefault((str(prepared[i][2]), bool(prepared[i][1].images)), []).append(i)
            for members in groups.values():
                texts = self._run_isolated(members, prepared)
                for i, text in texts.items():
                    answers[i] = "" if text is None else text
                self.stats["failed"] += sum(text is None for text in texts.values())
                done = {keys[i]: text for i, text in texts.items() if keys[i] and text is not None}
                if self.cache is not None and done:
                    self._cache_call("written", lambda: self.cache.put_many(done), None)
            self.stats["generated"] += len(chunk)
            progress.update(len(chunk))
        progress.close()
        print(
            f"mllm_judge_hf: {self.stats['requests']} requests: {self.stats['cached']} from cache, "
            f"{self.stats['generated']} generated, {self.stats['failed']} failed (mode {self.verdict_mode})",
            file=sys.stderr,
        )
        return answers
