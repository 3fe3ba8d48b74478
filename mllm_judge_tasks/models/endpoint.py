"""What an OpenAI-compatible endpoint is and can do, asked once before a run; and our requests in its form.

Each verdict mode takes one route, decided by the probe and recorded (printed,
and in the cache key: different routes write different texts):

- on a vLLM server (it answers `GET /version`), the routes that equal the
  offline engine: free generation returning token ids (decoded by the
  checkpoint's tokenizer, as `mllm_judge_vllm` does), constrained as the
  analysis then a prefilled assistant turn with `structured_outputs` choice,
  probability as a prefilled "Judgement: [[" with `logprob_token_ids`;
- elsewhere (hosted APIs, SGLang): free text; constrained as one answer in a
  JSON schema whose verdict is an enum of the protocol's strings; probability
  from `top_logprobs` at the verdict token of a free answer, the item's own
  free verdict where the options are not there (counted, never silent).
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

from mllm_judge_tasks.protocol import VERDICT_KEY

from .inputs import JudgeRequest
from .preflight import SetupError

VLLM = "vllm"
GENERIC = "openai-compatible"
ROUTES = {
    VLLM: {"free": "token ids", "constrained": "prefill + structured_outputs choice",
           "probability": "prefill + logprob_token_ids"},
    GENERIC: {"free": "text", "constrained": "response_format json_schema enum",
              "probability": "top_logprobs at the verdict token, else the free verdict (counted)"},
}


@dataclass(frozen=True)
class Endpoint:
    """The server behind `base_url` as the probe found it."""

    base_url: str
    model: str
    kind: str  # VLLM or GENERIC
    version: str | None = None
    weights: str | None = None  # the served model's `root` (a vLLM server names the folder or Hub id it loaded)


def _get_json(url: str, headers: dict, timeout: float):
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def probe(base_url: str, model: str, api_key: str, timeout: float = 30.0) -> Endpoint:
    """Ask the server what it is and what it serves; a server that does not answer is a setup error."""
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"}
    try:
        httpx.get(f"{base}/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        raise SetupError(f"mllm_judge_openai: cannot reach {base}/models ({type(error).__name__}: {error}); "
                         "is the server up, and does base_url end in /v1?") from None
    listed = _get_json(f"{base}/models", headers, timeout) or {}
    cards = {card.get("id"): card for card in listed.get("data", []) if isinstance(card, dict)}
    version = _get_json(f"{base.removesuffix('/v1')}/version", headers, timeout)
    is_vllm = isinstance(version, dict) and "version" in version
    if is_vllm and model not in cards:
        raise SetupError(f"mllm_judge_openai: the vLLM server at {base} serves {', '.join(map(str, cards)) or 'no model'}, "
                         f"not model={model}")
    kind = VLLM if is_vllm else GENERIC
    root = cards.get(model, {}).get("root")
    return Endpoint(base_url=base, model=model, kind=kind, version=version.get("version") if is_vllm else None,
                    weights=root if isinstance(root, str) else None)


def image_url(image: Image.Image) -> str:
    """A PNG data URL: lossless, so a vLLM server sees the pixels the offline engine sees; the fastest compression
    level, since the client shares the machine with the server, or the network carries little of it anyway."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class ImageURLs:
    """Data URLs of the images lately sent, by pixel digest: an image serves 6 pairs and 4 scores, sent side by
    side, and a constrained item sends it twice; each is encoded once while it is among the last `size`."""

    def __init__(self, size: int = 256):
        self.size = size
        self._urls: OrderedDict[str, str] = OrderedDict()

    def of(self, request: JudgeRequest) -> list[str]:
        urls = []
        for digest, image in zip(request.image_digests, request.images):
            if digest not in self._urls:
                self._urls[digest] = image_url(image)
                if len(self._urls) > self.size:
                    self._urls.popitem(last=False)
            self._urls.move_to_end(digest)
            urls.append(self._urls[digest])
        return urls


def api_messages(request: JudgeRequest, urls: list[str], prefill: str | None = None) -> list[dict]:
    """The request's chat messages with its images' data URLs (`urls`, in order) in place of the placeholders, and
    optionally an assistant turn the judge continues."""
    images = iter(urls)
    messages = []
    for message in request.messages or []:
        content = message["content"]
        if not isinstance(content, str):
            content = [{"type": "image_url", "image_url": {"url": next(images)}} if part.get("type") == "image"
                       else part for part in content]
        messages.append({**message, "content": content})
    if prefill is not None:
        messages.append({"role": "assistant", "content": prefill})
    return messages


def verdict_schema(strings: list[str]) -> dict:
    """A `response_format` for one answer: the analysis, then the verdict as one of the protocol's strings."""
    return {"type": "json_schema", "json_schema": {"name": "judgement", "strict": True, "schema": {
        "type": "object", "additionalProperties": False, "required": ["analysis", "verdict"],
        "properties": {"analysis": {"type": "string"}, "verdict": {"type": "string", "enum": strings}}}}}


def schema_answer(content: str | None) -> tuple[str, str]:
    """(analysis, verdict) from a `verdict_schema` answer; ValueError when the server did not keep to it."""
    answer = json.loads(content or "")
    if not isinstance(answer, dict) or not isinstance(answer.get("verdict"), str):
        raise ValueError(f"the server's answer does not follow the verdict schema: {str(content)[:200]!r}")
    return str(answer.get("analysis", "")), answer["verdict"]


def local_weights(name: str | None) -> Path | None:
    """The served weights' folder when it is on this machine (a test, a server on the same node)."""
    path = Path(name) if name else None
    return path if path is not None and (path / "config.json").is_file() else None


def verdict_token_weights(logprobs, names: list[str]) -> list[float] | None:
    """The options' probabilities at the first token after "[[" that follows the verdict key, renormalised; None
    where there is no such token or no option among its top tokens."""
    if logprobs is None or not logprobs.content:
        return None
    tail, after_key = "", False  # the last characters written, and whether the verdict key was among them
    for entry in logprobs.content:
        if after_key and tail.rstrip().endswith("[["):
            listed: dict[str, float] = {}
            for top in entry.top_logprobs:
                listed.setdefault(top.token.strip(), math.exp(top.logprob))
            weights = [listed.get(name, 0.0) for name in names]
            return [weight / sum(weights) for weight in weights] if sum(weights) > 0 else None
        tail = (tail + entry.token)[-64:]
        after_key = after_key or VERDICT_KEY in tail
    return None
