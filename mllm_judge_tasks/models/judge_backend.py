"""What every judge backend does around its engine: requests in, cache, de-duplication, batches, counts.

A backend (transformers, vLLM) supplies a processor (chat template and
tokenizer), an identity for the cache key and `_run_batch`; this class turns
lmms-eval's requests into rendered prompts, answers what the cache already
holds, generates each distinct request once (pairs judged as released and again
by the swap task often repeat a prompt), retries a failing batch item by item,
writes the cache after every batch and prints the one line a user reads:
`N requests: c from cache, g generated, f failed; r repeated an earlier request`.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

from accelerate import Accelerator
from lmms_eval.api.instance import Instance
from lmms_eval.api.model import lmms
from tqdm import tqdm

from .cache import CACHE_ERRORS, GenerationCache, cache_warning, request_key
from .inputs import JudgeRequest, to_request
from .preflight import SetupError, check_checkpoint, check_dataset, check_model_args

MODES = ("free", "constrained", "probability")
DEFAULT_CACHE = Path(os.environ.get("MLLM_JUDGE_CACHE", Path.home() / ".cache" / "mllm-judge" / "generations.sqlite"))


def flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


def fingerprint(pretrained: str) -> str:
    """For a local checkpoint, every file's size and time (weights in any format, config, tokenizer),
    so a retrained or swapped model never hits old answers."""
    path = Path(pretrained)
    if not path.is_dir():
        return ""
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return ",".join(f"{p.relative_to(path)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)


class JudgeBackend(lmms):
    """Subclasses set `name`, `processor` and `model_identity`, and implement `_run_batch`."""

    is_simple = False
    name = "judge"

    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None):
        """How the lmms-eval CLI makes a backend, before it loads the tasks' dataset.

        The dataset is checked here, not in `__init__`: a backend made in-process serves the requests it is given.
        A setup mistake ends the run with its one-line message and exit status 1, where lmms-eval would print a
        traceback, log the error and exit 0; in-process callers get the `SetupError` itself.
        """
        try:
            check_dataset(cls.name)
            return super().create_from_arg_string(arg_string, additional_config)
        except SetupError as error:
            raise SystemExit(str(error)) from None

    @classmethod
    def model_args(cls) -> list[str]:
        """The `--model_args` keys this backend takes (its constructor's parameters)."""
        return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and parameter.kind is not parameter.VAR_KEYWORD]

    def __init__(self, *, pretrained: str, batch_size, max_pixels, max_new_tokens, verdict_mode: str, cache, use_cache,
                 unknown_args: dict) -> None:
        super().__init__()
        # Everything a newcomer gets wrong is checked before any weight or dataset loads.
        check_model_args(self.name, self.model_args(), unknown_args)
        if verdict_mode not in MODES:
            raise SetupError(f"{self.name}: verdict_mode must be one of {', '.join(MODES)}, got {verdict_mode!r}")
        check_checkpoint(self.name, pretrained)
        self.batch_size_per_gpu = int(batch_size)
        self.max_pixels = int(max_pixels) if max_pixels not in (None, "None", "none") else None
        self.max_new_tokens = int(max_new_tokens) if max_new_tokens else None
        self.verdict_mode = verdict_mode
        self.cache = GenerationCache.open_or_warn(Path(cache) if cache else DEFAULT_CACHE) if flag(use_cache) else None
        self.stats = {"requests": 0, "cached": 0, "generated": 0, "failed": 0, "repeated": 0}
        # Under accelerate/torchrun every rank runs its own engine; lmms-eval gives each rank its share of documents.
        self.accelerator = Accelerator()
        self._rank, self._world_size = self.accelerator.process_index, self.accelerator.num_processes

    @property
    def batch_size(self) -> int:
        return self.batch_size_per_gpu

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def world_size(self) -> int:
        return self._world_size

    def loglikelihood(self, requests):
        raise NotImplementedError(f"{self.name} judges by generation; the mllm_judge tasks need no loglikelihood")

    def generate_until_multi_round(self, requests):
        raise NotImplementedError(f"{self.name}: the mllm_judge tasks are single-round")

    def _run_batch(self, docs: list[dict], requests: list[JudgeRequest], settings: dict) -> list[str]:
        raise NotImplementedError

    def _prompt_length(self, request: JudgeRequest) -> int:
        return len(self.processor.tokenizer(request.prompt)["input_ids"])

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
            return doc, to_request(self.processor, doc_to_messages(doc), self.max_pixels), settings, None
        except (OSError, ValueError, SyntaxError) as error:  # an image that fails to decode, a bad message
            return doc, None, settings, f"{task} doc {doc_id} ({doc.get('id')}): {type(error).__name__}: {error}"

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
                print(f"{self.name}: skipped {doc.get('id')}: {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
                return {members[0]: None}
        answers: dict[int, str | None] = {}
        for i in members:
            answers.update(self._run_isolated([i], prepared))
        return answers

    def generate_until(self, requests: list[Instance]) -> list[str]:
        prepared = [self._prepare(request) for request in requests]
        answers: list[str | None] = [None] * len(requests)
        keys: dict[int, str] = {}  # "" for a request never shared: a sampled answer must be drawn anew
        for index, (_doc, judge_request, settings, error) in enumerate(prepared):
            if error is not None:
                print(f"{self.name}: skipped, {error}", file=sys.stderr)
                answers[index] = ""
                self.stats["failed"] += 1
            else:
                keys[index] = "" if settings["temperature"] > 0 else request_key(
                    self.model_identity, judge_request.prompt, judge_request.images, settings)
        wanted = sorted({key for key in keys.values() if key})
        cached = self._cache_call("read", lambda: self.cache.get_many(wanted), {}) if wanted and self.cache else {}
        first_of: dict[str, int] = {}  # each distinct request is generated once, at its first index
        repeats: dict[int, int] = {}
        for index, key in keys.items():
            if key and key in cached:
                answers[index] = cached[key]
                self.stats["cached"] += 1
            elif key and key in first_of:
                repeats[index] = first_of[key]
            elif key:
                first_of[key] = index
        self.stats["requests"] += len(requests)
        self.stats["repeated"] += len(repeats)
        pending = [i for i in keys if answers[i] is None and i not in repeats]
        # Longest prompts first: similar lengths share a batch (little padding) and memory peaks early.
        lengths = {i: self._prompt_length(prepared[i][1]) for i in pending}
        pending.sort(key=lambda i: (-lengths[i], bool(prepared[i][1].images), i))
        lost: set[int] = set()
        progress = tqdm(total=len(pending), desc=self.name, unit="sample", disable=self.rank != 0 or not pending)
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
                lost.update(i for i, text in texts.items() if text is None)
                done = {keys[i]: text for i, text in texts.items() if keys[i] and text is not None}
                if self.cache is not None and done:
                    self._cache_call("written", lambda: self.cache.put_many(done), None)
            self.stats["generated"] += len(chunk)
            progress.update(len(chunk))
        progress.close()
        for index, first in repeats.items():
            answers[index] = answers[first]
        self.stats["failed"] += len(lost) + sum(first in lost for first in repeats.values())
        print(
            f"{self.name}: {self.stats['requests']} requests: {self.stats['cached']} from cache, "
            f"{self.stats['generated']} generated, {self.stats['failed']} failed; "
            f"{self.stats['repeated']} repeated an earlier request (mode {self.verdict_mode})",
            file=sys.stderr,
        )
        return answers
