"""`mllm_judge_openai`: the judge behind an OpenAI-compatible chat endpoint (vLLM or SGLang servers, hosted APIs).

The same prompts, cache, de-duplication, resume and verdict modes as the
offline backends (`judge_backend.JudgeBackend`); requests go out concurrently
(`max_concurrency`, `chat_client.py`), and the `openai` client retries 429s,
5xx and timeouts with backoff, honouring `Retry-After`. A request that still
fails is that item's judge failure, never cached: rerunning the command asks
again for those items only. Which route each verdict mode takes on this
server is probed once (`endpoint.py`) and printed. The key is read from the
environment variable named by `api_key_env`, so it is in no command line,
results file or cache.

    lmms-eval --model mllm_judge_openai \\
        --model_args base_url=http://127.0.0.1:8000/v1,model=Qwen/Qwen2.5-VL-7B-Instruct,verdict_mode=constrained \\
        --tasks mllm_judge
"""

from __future__ import annotations

import json
import math
import os
import sys

from lmms_eval.models.model_utils.usage_metrics import log_usage

from mllm_judge_tasks.protocol import VERDICT_KEY, VERDICT_OPENING

from .chat_client import ChatSender
from .endpoint import (GENERIC, ROUTES, VLLM, ImageURLs, api_messages, local_weights, probe, schema_answer,
                       verdict_schema, verdict_token_weights)
from .fingerprint import fingerprint
from .inputs import JudgeRequest, cut_at_stop, split_images
from .judge_backend import JudgeBackend
from .preflight import SetupError
from .verdict_modes import option_token_ids

DEFAULT_KEY_VARIABLE = "OPENAI_API_KEY"
GENERIC_TOP_LOGPROBS = 20  # the most OpenAI's API returns
GENERIC_MAX_STOPS = 4  # OpenAI's API takes at most four stop strings; the rest are cut here


class MLLMJudgeOpenAI(JudgeBackend):
    groups_images = True  # prefix caching and the encoder cache reuse a shared image
    name = "mllm_judge_openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = DEFAULT_KEY_VARIABLE,
        revision: str | None = None,
        tokenizer: str | None = None,
        batch_size: int | str = 256,
        max_concurrency: int | str = 32,
        timeout: float | str = 600,
        max_retries: int | str = 6,
        max_pixels: int | None = 1024 * 1024,
        max_new_tokens: int | None = None,
        verdict_mode: str = "free",
        cache: str | None = None,
        use_cache: bool | str = True,
        price_in: float | str | None = None,
        price_out: float | str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(pretrained=None, batch_size=batch_size, max_pixels=max_pixels, max_new_tokens=max_new_tokens,
                         verdict_mode=verdict_mode, cache=cache, use_cache=use_cache, unknown_args=kwargs)
        api_key = os.environ.get(api_key_env) or ""
        if not api_key and api_key_env != DEFAULT_KEY_VARIABLE:
            raise SetupError(f"{self.name}: api_key_env={api_key_env} names an environment variable that is not set")
        api_key = api_key or "EMPTY"  # a self-hosted server without --api-key takes any key
        self.prices = (float(price_in) if price_in else None, float(price_out) if price_out else None)
        self.endpoint = probe(base_url, model, api_key)
        self._sender = ChatSender(self.endpoint.base_url, api_key, timeout=float(timeout), max_retries=int(max_retries),
                                  max_concurrency=int(max_concurrency))
        self.tokenizer = self._tokenizer(tokenizer)
        self.routes = dict(ROUTES[self.endpoint.kind])  # printed, counted in results.json, part of the cache key
        if self.endpoint.kind == VLLM and self.tokenizer is None:  # token ids need the checkpoint's tokenizer
            self.routes.update(free=ROUTES[GENERIC]["free"], probability=ROUTES[GENERIC]["probability"])
        self.tokens = (0, 0)  # prompt and completion tokens the server reported, this run
        self.fallbacks = 0
        self._image_urls = ImageURLs()
        self._spent: dict[int, list[int]] = {}  # tokens per item of the batch being judged (see _judge)
        weights = local_weights(self.endpoint.weights)
        self.model_identity = {
            "engine": "openai-compatible", "model": model, "served": self.endpoint.weights, "revision": revision,
            "files": fingerprint(str(weights)) if weights else None, "routes": self.routes, "max_pixels": self.max_pixels,
        }
        print(f"{self.name}: {self.endpoint.kind} server at {self.endpoint.base_url}"
              f"{' ' + self.endpoint.version if self.endpoint.version else ''}, model {model}; routes: "
              + "; ".join(f"{mode}: {route}" for mode, route in self.routes.items()), file=sys.stderr)
        if revision is None and weights is None:
            print(f"{self.name}: no revision= given and the weights behind {self.endpoint.base_url} are not readable "
                  f"here: cached answers of model {model} are reused while its name stays the same; give revision= "
                  "(a commit, a date) when the weights behind the name change", file=sys.stderr)

    def _tokenizer(self, name: str | None):
        """The checkpoint's tokenizer, for token ids (vLLM servers only): `tokenizer=` or the served weights."""
        if self.endpoint.kind != VLLM or not (name or self.endpoint.weights):
            return None
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(name or self.endpoint.weights)
        except Exception as error:  # not on this machine and no Hub: the text routes still work
            if name:
                raise SetupError(f"{self.name}: cannot load tokenizer={name}: {type(error).__name__}: {error}") from None
            print(f"{self.name}: cannot load the served model's tokenizer ({self.endpoint.weights}); "
                  "give tokenizer= for the token-id routes", file=sys.stderr)
            return None

    def _render(self, messages: list[dict], *, task: str, answer_count: int, item_id: str, doc: dict) -> JudgeRequest:
        """The messages themselves (the server applies the chat template); as the key's prompt, their JSON."""
        rendered, images = split_images(messages, self.max_pixels)
        return JudgeRequest(prompt=json.dumps(rendered, sort_keys=True, ensure_ascii=False), images=images, task=task,
                            answer_count=answer_count, item_id=item_id, messages=rendered)

    def _prompt_length(self, request: JudgeRequest) -> int:
        return len(request.prompt)

    def _messages(self, request: JudgeRequest, prefill: str | None = None) -> list[dict]:
        return api_messages(request, self._image_urls.of(request), prefill)

    # Sending ----------------------------------------------------------------------------------------------------

    def _send(self, requests: list[JudgeRequest], bodies: list[dict]) -> list:
        """Every body at once (see `ChatSender.send`); the tokens each request spent are added to its item's
        (see `_judge`) and to the run's."""
        responses = self._sender.send([{"model": self.endpoint.model, **body} for body in bodies])
        for request, response in zip(requests, responses):
            if not isinstance(response, Exception) and response.usage is not None:
                spent = (response.usage.prompt_tokens or 0, response.usage.completion_tokens or 0)
                self.tokens = (self.tokens[0] + spent[0], self.tokens[1] + spent[1])
                item = self._spent.setdefault(id(request), [0, 0])
                item[0], item[1] = item[0] + spent[0], item[1] + spent[1]
        return responses

    def _judge(self, requests: list[JudgeRequest], settings: dict) -> list[str | Exception]:
        """The batch's verdicts; then one usage record per verdict (its requests' tokens together, under its mode's
        route), which lmms-eval sums into results.json's `usage`: per task, per route, and so per verdict."""
        self._spent = {}
        texts = super()._judge(requests, settings)
        mode = settings["verdict_mode"]
        for request, text in zip(requests, texts):
            if not isinstance(text, Exception):
                prompt, completion = self._spent.get(id(request), (0, 0))
                log_usage(self.endpoint.model, request.harness_task or None, input_tokens=prompt,
                          output_tokens=completion, source=f"{self.name} {mode}: {self.routes[mode]}")
        return texts

    def _sampling(self, settings: dict, stops: list[str]) -> dict:
        body = {"max_tokens": settings["max_new_tokens"], "temperature": settings["temperature"]}
        if "top_p" in settings:
            body["top_p"] = settings["top_p"]
        if self.endpoint.kind == VLLM:
            body["stop"] = stops or None
            body |= {"return_token_ids": True, **({"top_k": settings["top_k"]} if "top_k" in settings else {})}
        else:
            if "top_k" in settings:
                raise SetupError(f"{self.name}: top_k is not part of the OpenAI API; this server would ignore it")
            body["stop"] = stops[:GENERIC_MAX_STOPS] or None
        return body

    def _text(self, response, stops: list[str]) -> str:
        """The answer's text up to the first stop: decoded from its token ids where the route has them, as
        `mllm_judge_vllm` decodes (the server's own text can end differently on a partial character)."""
        choice = response.choices[0]
        ids = getattr(choice, "token_ids", None)
        if self.tokenizer is not None and ids is not None:
            return cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True), stops)
        return cut_at_stop(choice.message.content or "", stops)

    # The engine's primitives ------------------------------------------------------------------------------------

    def _generate(self, requests: list[JudgeRequest], settings: dict, stops: list[str]) -> list[str | Exception]:
        body = self._sampling(settings, stops)
        responses = self._send(requests, [{"messages": self._messages(r), **body} for r in requests])
        return [response if isinstance(response, Exception) else self._text(response, stops) for response in responses]

    def _choose(self, requests: list[JudgeRequest], continuations: list[str], choices: list[list[str]]) -> list[str | Exception]:
        bodies = [{"messages": self._messages(r, prefill=continuation), "max_tokens": 64, "temperature": 0,
                   "continue_final_message": True, "add_generation_prompt": False,
                   "structured_outputs": {"choice": strings}}
                  for r, continuation, strings in zip(requests, continuations, choices)]
        return [response if isinstance(response, Exception) else response.choices[0].message.content or ""
                for response in self._send(requests, bodies)]

    def _constrained(self, requests: list[JudgeRequest], settings: dict, stops: list[str],
                     options: list[list[str]]) -> list[str | Exception]:
        """On a vLLM server, the offline engine's two steps; elsewhere one answer in the verdict schema."""
        if self.endpoint.kind == VLLM:
            return super()._constrained(requests, settings, stops, options)
        from mllm_judge_tasks.protocol import SPECS

        body = {key: value for key, value in self._sampling(settings, stops).items() if key != "stop"}
        bodies = [{"messages": self._messages(r), **body,
                   "response_format": verdict_schema([SPECS[r.task].verdict_string(o) for o in names])}
                  for r, names in zip(requests, options)]
        texts: list[str | Exception] = []
        for response in self._send(requests, bodies):
            if isinstance(response, Exception):
                texts.append(response)
                continue
            try:
                analysis, verdict = schema_answer(response.choices[0].message.content)
            except ValueError as error:
                texts.append(error)
                continue
            texts.append(f"{analysis.rstrip()}\n{VERDICT_KEY} {verdict}")
        return texts

    def _option_probabilities(self, requests: list[JudgeRequest], options: list[list[str]], settings: dict) -> list:
        if self.tokenizer is None:
            return self._probabilities_from_top_logprobs(requests, options, settings)
        option_ids = [option_token_ids(self.tokenizer, names) for names in options]
        bodies = [{"messages": self._messages(r, prefill=VERDICT_OPENING), "max_tokens": 1, "temperature": 0,
                   "logprobs": True, "continue_final_message": True, "add_generation_prompt": False,
                   "logprob_token_ids": ids, "return_tokens_as_token_ids": True}
                  for r, ids in zip(requests, option_ids)]
        distributions = []
        for ids, response in zip(option_ids, self._send(requests, bodies)):
            if isinstance(response, Exception):
                distributions.append(response)
                continue
            listed = {entry.token: entry.logprob for entry in response.choices[0].logprobs.content[0].top_logprobs}
            weights = [math.exp(listed[f"token_id:{i}"]) if f"token_id:{i}" in listed else 0.0 for i in ids]
            distributions.append([weight / sum(weights) for weight in weights] if sum(weights) > 0 else
                                 ValueError("the server returned no log-probability for any option"))
        return distributions

    def _probabilities_from_top_logprobs(self, requests: list[JudgeRequest], options: list[list[str]],
                                         settings: dict) -> list:
        """A free answer with `top_logprobs`; at the token after its verdict opening, the options' probabilities.
        Where the answer has no opening or the options are not among the top tokens: its own text (counted)."""
        stops = settings["stop_strings"]
        body = {**self._sampling(settings, stops), "logprobs": True, "top_logprobs": GENERIC_TOP_LOGPROBS}
        results: list = []
        sent = self._send(requests, [{"messages": self._messages(r), **body} for r in requests])
        for names, response in zip(options, sent):
            if isinstance(response, Exception):
                results.append(response)
                continue
            weights = verdict_token_weights(response.choices[0].logprobs, names)
            if weights is None:
                self.fallbacks += 1
                results.append(self._text(response, stops))
            else:
                results.append(weights)
        return results

    def generate_until(self, requests) -> list[str]:
        answers = super().generate_until(requests)
        line = f"{self.name}: {self.tokens[0]} prompt and {self.tokens[1]} completion tokens"
        if all(price is not None for price in self.prices):
            line += f", cost {(self.tokens[0] * self.prices[0] + self.tokens[1] * self.prices[1]) / 1e6:.4f}"
        if self.fallbacks:
            line += f"; {self.fallbacks} probability items judged by their free verdict (options not in top_logprobs)"
        print(line, file=sys.stderr)
        return answers

