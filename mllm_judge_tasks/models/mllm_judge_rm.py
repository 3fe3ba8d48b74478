"""`mllm_judge_rm`: scalar multimodal reward models judged on the score, pair and batch tasks.

A reward model reads the image, the instruction and one response, and returns a number; the protocol turns an
item's rewards into its verdict (`protocol.reward_verdict`: a score item's reward is its score, a pair goes to
the larger reward or ties within `tie_margin`, a ranking sorts by reward). Each output is a JSON object with
every shown response's reward and the verdict marker last, so results.json, `pack`, `score`, the leaderboard
and the Hub files read it like any judge's.

The same responses come back in score, pair and batch rows, swapped pairs and every judge setting, so the unit
of work is one (image, instruction, response): each distinct one is scored once per run, and its reward is
cached under its own key, shared by every item, task and tie margin that shows it.

    lmms-eval --model mllm_judge_rm --model_args pretrained=Skywork/Skywork-VL-Reward-7B --tasks mllm_judge
"""

from __future__ import annotations

import json
import math
import sys

import torch

from mllm_judge_tasks.prompts import reward_messages
from mllm_judge_tasks.protocol import REWARD_MODE, SPECS, reward_output

from .cache import request_key
from .fingerprint import fingerprint
from .inputs import JudgeRequest, encode, split_images
from .judge_backend import JudgeBackend
from .loading import rank_placement
from .preflight import SetupError
from .reward_models import load_reward_model

REWARD_SETTINGS = {"reward": "last real token"}  # a reward's cache key: no generation settings apply


class MLLMJudgeRM(JudgeBackend):
    name = "mllm_judge_rm"
    verdict_modes = (REWARD_MODE,)

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        layout: str = "auto",
        adapter: str | None = None,
        tie_margin: float | str = 0.0,
        max_pixels: int | None = 1024 * 1024,
        batch_size: int | str = 8,
        dtype: str = "auto",
        device: str | None = None,
        device_map: str | None = None,
        attn_implementation: str = "sdpa",
        cache: str | None = None,
        use_cache: bool | str = True,
        **kwargs,
    ) -> None:
        super().__init__(pretrained=pretrained, batch_size=batch_size, max_pixels=max_pixels, max_new_tokens=None,
                         verdict_mode=REWARD_MODE, cache=cache, use_cache=use_cache, unknown_args=kwargs)
        try:
            self.tie_margin = float(tie_margin)
        except ValueError:
            self.tie_margin = math.nan
        if not math.isfinite(self.tie_margin) or self.tie_margin < 0:
            raise SetupError(f"{self.name}: tie_margin={tie_margin} must be a number >= 0")
        device, device_map = rank_placement(self.accelerator, device, device_map)
        self.reward_model = load_reward_model(pretrained, layout=layout, adapter=adapter, revision=revision,
                                              device=device, device_map=device_map, dtype=dtype,
                                              attn_implementation=attn_implementation)
        self.processor = self.reward_model.processor
        # A reward depends on the weights, numerics and pixels, not on the tie margin; an item's output does.
        self.reward_identity = {
            "pretrained": pretrained, "revision": revision, "files": fingerprint(pretrained, revision),
            "layout": adapter or layout, "dtype": str(self.reward_model.dtype), "device": str(self.reward_model.device),
            "attn_implementation": attn_implementation, "max_pixels": self.max_pixels,
        }
        self.model_identity = {**self.reward_identity, "tie_margin": self.tie_margin}
        self.rewards_seen: dict[str, float] = {}  # this run's rewards by response key
        self.response_stats = {"responses": 0, "scored": 0, "cached": 0}

    @property
    def device(self) -> torch.device:
        return self.reward_model.device

    def _render(self, messages: list[dict], *, task: str, answer_count: int, item_id: str, doc: dict) -> JudgeRequest:
        """One conversation per shown response. The images are those the task's setting shows (none in the
        text-only settings); as the item's key, the conversations' JSON."""
        _, images = split_images(messages, self.max_pixels)
        conversations = [
            self.processor.apply_chat_template(reward_messages(doc["instruction"], response, len(images)), tokenize=False)
            for response in SPECS[task].responses(doc)
        ]
        return JudgeRequest(prompt=json.dumps(conversations, ensure_ascii=False), images=images, task=task,
                            answer_count=answer_count, item_id=item_id, conversations=conversations)

    def _prompt_length(self, request: JudgeRequest) -> int:
        return sum(map(len, request.conversations))

    def _judge(self, requests: list[JudgeRequest], settings: dict) -> list[str | Exception]:
        """Each item's rewards: the distinct responses this run has not scored come from the cache or one forward
        pass each, longest first, in batches of `batch_size`."""
        keys = [[request_key(self.reward_identity, conversation, r.image_digests, REWARD_SETTINGS)
                 for conversation in r.conversations] for r in requests]
        wanted: dict[str, tuple[str, list]] = {}
        for request, row in zip(requests, keys):
            for key, conversation in zip(row, request.conversations):
                wanted.setdefault(key, (conversation, request.images))
        self.response_stats["responses"] += sum(map(len, keys))
        missing = sorted(key for key in wanted if key not in self.rewards_seen)
        cached = self._cache_call("read", lambda: self.cache.get_many(missing), {}) if missing and self.cache else {}
        self.rewards_seen.update((key, json.loads(value)) for key, value in cached.items())
        self.response_stats["cached"] += len(cached)
        self._score([key for key in missing if key not in cached], wanted)
        return [self._output(request.task, [self.rewards_seen[key] for key in row]) for request, row in zip(requests, keys)]

    def _score(self, missing: list[str], wanted: dict[str, tuple[str, list]]) -> None:
        missing = sorted(missing, key=lambda key: -len(wanted[key][0]))
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            batch = encode(self.processor, [wanted[key][0] for key in chunk], [wanted[key][1] for key in chunk],
                           self.reward_model.device, self.reward_model.dtype)
            with torch.inference_mode():
                rewards = self.reward_model.rewards(batch).tolist()
            scored = dict(zip(chunk, rewards))
            self.rewards_seen.update(scored)
            self.response_stats["scored"] += len(chunk)
            finite = {key: json.dumps(value) for key, value in scored.items() if math.isfinite(value)}
            if self.cache is not None and finite:
                self._cache_call("written", lambda: self.cache.put_many(finite), None)

    def _output(self, task: str, rewards: list[float]) -> str | Exception:
        if not all(math.isfinite(reward) for reward in rewards):
            return ValueError(f"the reward model returned {rewards}")
        return reward_output(task, rewards, self.tie_margin)

    def generate_until(self, requests) -> list[str]:
        """The backend's steps (`JudgeBackend.generate_until`), then the responses' count line."""
        answers = super().generate_until(requests)
        stats = self.response_stats
        shared = stats["responses"] - stats["scored"] - stats["cached"]
        print(f"{self.name}: {stats['responses']} responses: {stats['scored']} scored, {stats['cached']} from cache, "
              f"{shared} shown again in another item", file=sys.stderr)
        return answers
