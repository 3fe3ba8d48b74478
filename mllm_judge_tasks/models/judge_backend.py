"""What every judge backend does around its engine: requests in, verdict modes per item, cache, counts.

An engine (transformers, vLLM, an OpenAI-compatible server) supplies a way to
render a request (by default the processor's chat template), an identity for
the cache key and three primitives:

- `_generate`: free generation with stop strings;
- `_choose`: after the prompt and a given continuation, one of given strings;
- `_option_probabilities`: after the prompt and the forced opening
  "Judgement: [[", the probabilities of the options' first tokens.

A primitive may put an exception in place of one item's answer (a server that failed one request after its
retries): that item alone is a judge failure. A reward model replaces the three with `_judge` itself.

This class turns lmms-eval's requests into rendered prompts, decides each item's verdict mode from its own
task (probability mode falls back to constrained for a ranking, item by item), answers what the cache holds,
generates each distinct request once, retries a failing batch item by item, records an item it cannot judge
as a judge failure (never cached), writes the cache after every batch and prints the one line a user reads:
`N requests: c from cache, g generated, f failed; r repeated an earlier request`.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from accelerate import Accelerator
from lmms_eval.api.instance import Instance
from lmms_eval.api.model import lmms
from tqdm import tqdm

from mllm_judge_tasks.problems import UserError
from mllm_judge_tasks.protocol import SPECS, VERDICT_KEY, VERDICT_MODES, failure_output, probability_output

from .cache import CACHE_ERRORS, GenerationCache, cache_warning, default_cache, request_key
from .inputs import JudgeRequest, protocol_task, to_request, whole_images_only
from .preflight import SetupError, check_checkpoint, check_dataset, check_model_args
from .settings import generation_settings, truthy


class JudgeBackend(lmms):
    """Subclasses set `name`, `processor` and `model_identity`, and implement the three engine primitives."""

    is_simple = False
    name = "judge"
    exit_on_setup_error = False  # set when the lmms-eval CLI made the backend (see create_from_arg_string)
    groups_images = False  # engines that reuse a shared prefix or an encoded image send such requests together
    verdict_modes = VERDICT_MODES  # what `verdict_mode` may be (a reward model has its own)

    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None):
        """How the lmms-eval CLI makes a backend, before it loads the tasks' dataset.

        The dataset is checked here, not in `__init__`: a backend made in-process serves the requests it is given.
        A setup mistake (a checkpoint it cannot load among them) ends the run with its one-line message and exit
        status 1, where lmms-eval would print a traceback, log the error and exit 0; in-process callers get the error.
        """
        try:
            check_dataset(cls.name)
            backend = super().create_from_arg_string(arg_string, additional_config)
        except UserError as error:  # a SetupError names the backend; a checkpoint it cannot load does not
            raise SystemExit(str(error) if isinstance(error, SetupError) else f"{cls.name}: {error}") from None
        backend.exit_on_setup_error = True
        return backend

    @classmethod
    def model_args(cls) -> list[str]:
        """The `--model_args` keys this backend takes (its constructor's parameters)."""
        return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and parameter.kind is not parameter.VAR_KEYWORD]

    def __init__(self, *, pretrained: str | None, batch_size, max_pixels, max_new_tokens, verdict_mode: str, cache, use_cache,
                 unknown_args: dict) -> None:
        super().__init__()
        # Everything a newcomer gets wrong is checked before any weight or dataset loads.
        check_model_args(self.name, self.model_args(), unknown_args)
        if verdict_mode not in self.verdict_modes:
            raise SetupError(f"{self.name}: verdict_mode must be one of {', '.join(self.verdict_modes)}, got {verdict_mode!r}")
        if pretrained is not None:  # a server's judge has no checkpoint here
            check_checkpoint(self.name, pretrained)
        self.batch_size_per_gpu = int(batch_size)
        self.max_pixels = int(max_pixels) if max_pixels not in (None, "None", "none") else None
        self.max_new_tokens = int(max_new_tokens) if max_new_tokens else None
        self.verdict_mode = verdict_mode
        self.cache = GenerationCache.open_or_warn(Path(cache) if cache else default_cache()) if truthy(use_cache) else None
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

    # The engine's primitives ------------------------------------------------------------------------------------

    def _render(self, messages: list[dict], *, task: str, answer_count: int, item_id: str, doc: dict) -> JudgeRequest:
        """A document's messages (or the document) as the engine's request: by default the chat template around them."""
        return to_request(self.processor, messages, self.max_pixels, task=task, answer_count=answer_count, item_id=item_id)

    def _generate(self, requests: list[JudgeRequest], settings: dict, stops: list[str]) -> list[str | Exception]:
        """Free text after each prompt, cut at the first stop string."""
        raise NotImplementedError

    def _choose(self, requests: list[JudgeRequest], continuations: list[str], choices: list[list[str]]) -> list[str | Exception]:
        """After each prompt and its continuation (text the judge wrote), the choice the judge continues with."""
        raise NotImplementedError

    def _option_probabilities(self, requests: list[JudgeRequest], options: list[list[str]],
                              settings: dict) -> list[list[float] | str | Exception]:
        """p(option) of each option's first token after the prompt and the forced opening "Judgement: [[",
        renormalised over the options; or, where an engine cannot read them for an item, the judge's own text
        under `settings` (a fallback the engine counts and reports)."""
        raise NotImplementedError

    # Verdict modes ----------------------------------------------------------------------------------------------

    def _judge(self, requests: list[JudgeRequest], settings: dict) -> list[str | Exception]:
        """Judge texts of a batch whose items share `settings`, and so one verdict mode."""
        mode, stops = settings["verdict_mode"], settings["stop_strings"]
        if mode == "free":
            return self._generate(requests, settings, stops)
        options = [SPECS[r.task].options(r.answer_count) for r in requests]
        if mode == "probability":
            distributions = self._option_probabilities(requests, options, settings)
            return [weights if isinstance(weights, (str, Exception)) else probability_output(r.task, dict(zip(names, weights)))
                    for r, names, weights in zip(requests, options, distributions)]
        return self._constrained(requests, settings, stops, options)

    def _constrained(self, requests: list[JudgeRequest], settings: dict, stops: list[str],
                     options: list[list[str]]) -> list[str | Exception]:
        """The analysis runs freely until the verdict key, then the verdict is one of the protocol's strings."""
        texts: list[str | Exception] = list(self._generate(requests, settings, [VERDICT_KEY, *stops]))
        written = [i for i, text in enumerate(texts) if isinstance(text, str)]
        analyses = {i: texts[i].rstrip() + "\n" + VERDICT_KEY for i in written}
        choices = [[" " + SPECS[requests[i].task].verdict_string(option) for option in options[i]] for i in written]
        verdicts = self._choose([requests[i] for i in written], [analyses[i] for i in written], choices)
        for i, verdict in zip(written, verdicts):
            texts[i] = verdict if isinstance(verdict, Exception) else analyses[i] + " " + verdict.strip()
        return texts

    def _prompt_length(self, request: JudgeRequest) -> int:
        return len(self.processor.tokenizer(request.prompt)["input_ids"])

    def _prepare(self, request: Instance) -> tuple[JudgeRequest | str, dict]:
        """The rendered request and its settings, or the failure text of a document that cannot be rendered."""
        _, doc_to_messages, gen_kwargs, doc_id, task_name, split = request.args
        doc = self.task_dict[task_name][split][doc_id]
        task = protocol_task(doc_to_messages)
        settings = generation_settings(gen_kwargs, task=task, verdict_mode=self.verdict_mode, max_new_tokens=self.max_new_tokens)
        try:
            with whole_images_only():
                messages = doc_to_messages(doc)
            rendered = self._render(messages, task=task, answer_count=SPECS[task].answer_count(doc),
                                    item_id=str(doc.get("id", doc_id)), doc=doc)
        except (OSError, ValueError, SyntaxError) as error:  # an image that fails to decode, a bad message
            print(f"{self.name}: skipped, {task_name} doc {doc_id} ({doc.get('id')}): {type(error).__name__}: {error}",
                  file=sys.stderr)
            return failure_output(error), settings
        rendered.harness_task = task_name
        return rendered, settings

    def _cache_call(self, doing: str, call, default):
        """A cache read or write; on a fault, warn once naming the file and go on without the cache."""
        try:
            return call()
        except CACHE_ERRORS as error:
            print(cache_warning(self.cache.path, error, doing), file=sys.stderr)
            self.cache = None
            return default

    def _run_isolated(self, members: list[int], prepared: list) -> dict[int, str | Exception]:
        """One batch; if the processor or the model fails on it, each item alone, so only a bad item is lost.
        An item the engine reports failed (an exception in its place) is lost without a retry: the engine retried."""
        try:
            answers = dict(zip(members, self._judge([prepared[i][0] for i in members], prepared[members[0]][1])))
        except Exception as error:  # a processor refusing an image, a kernel failing on one shape
            if len(members) > 1:
                return {i: text for one in members for i, text in self._run_isolated([one], prepared).items()}
            answers = {members[0]: error}
        for i, text in answers.items():
            if isinstance(text, Exception):
                print(f"{self.name}: skipped {prepared[i][0].item_id}: {type(text).__name__}: {str(text)[:300]}",
                      file=sys.stderr)
        return answers

    def generate_until(self, requests: list[Instance]) -> list[str]:
        """Judge texts for lmms-eval's requests, in their order. The steps:

        1. render each request (chat template, pixel cap) with its task's settings and verdict mode; a document
           that cannot be rendered becomes a judge failure;
        2. key each greedy request (model identity, prompt, pixels, settings) and answer what the cache holds;
        3. generate each distinct remaining request once, longest prompts first, in batches of one mode and of
           image-bearing or text-only prompts alike; write the cache after every batch;
        4. a failing batch is retried item by item; an item that still fails is a judge failure, never cached,
           so a rerun of the same command generates only it;
        5. copy answers to repeated requests and print the count line.
        """
        try:
            prepared = [self._prepare(request) for request in requests]
        except SetupError as error:
            if self.exit_on_setup_error:
                raise SystemExit(f"{self.name}: {error}") from None
            raise
        answers: list[str | None] = [None] * len(requests)
        keys: dict[int, str] = {}  # "" for a request never shared: a sampled answer must be drawn anew
        for index, (judge_request, settings) in enumerate(prepared):
            if isinstance(judge_request, str):
                answers[index] = judge_request
                self.stats["failed"] += 1
            else:
                keys[index] = "" if settings["temperature"] > 0 else request_key(
                    self.model_identity, judge_request.prompt, judge_request.image_digests, settings)
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
        # Longest prompts first: similar lengths share a batch (little padding) and memory peaks early. Engines
        # with prefix and encoder caches take requests sharing an image (6 pairs and 4 scores per image) together.
        lengths = {i: self._prompt_length(prepared[i][0]) for i in pending}
        if self.groups_images:
            pending.sort(key=lambda i: (prepared[i][0].image_digests, -lengths[i], i))
        else:
            pending.sort(key=lambda i: (-lengths[i], bool(prepared[i][0].images), i))
        lost: set[int] = set()
        progress = tqdm(total=len(pending), desc=self.name, unit="sample", disable=self.rank != 0 or not pending)
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start : start + self.batch_size]
            # A batch mixes neither settings (and so verdict modes) nor image-less with image-bearing prompts.
            groups: dict[tuple, list[int]] = {}
            for i in chunk:
                groups.setdefault((str(prepared[i][1]), bool(prepared[i][0].images)), []).append(i)
            for members in groups.values():
                texts = self._run_isolated(members, prepared)
                for i, text in texts.items():
                    answers[i] = text if isinstance(text, str) else failure_output(text)
                lost.update(i for i, text in texts.items() if not isinstance(text, str))
                done = {keys[i]: text for i, text in texts.items() if keys[i] and isinstance(text, str)}
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
