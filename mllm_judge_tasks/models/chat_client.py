"""Chat completions sent concurrently over one kept connection pool: the network half of `mllm_judge_openai`.

One `openai` client and event loop serve the whole run, so connections are
kept between batches; both close when the sender goes away or the process
ends. The client retries 429s, 5xx and timeouts with backoff, honouring
`Retry-After`; a request that still fails comes back as its exception, in its
place, for the backend to record as that item's judge failure.
"""

from __future__ import annotations

import asyncio
import weakref


class ChatSender:
    """Posts chat-completion bodies to one endpoint, at most `max_concurrency` in flight."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float, max_retries: int, max_concurrency: int) -> None:
        self.base_url, self.max_concurrency = base_url, max_concurrency
        self._api_key, self._timeout, self._max_retries = api_key, timeout, max_retries
        self._client, self._loop = None, None  # made on the first request, inside the process that sends

    def _open(self):
        """The client sends through aiohttp (the `openai` package's own `DefaultAioHttpClient`): with dozens of
        requests in flight, httpx's connection pool rescans every connection at each request and response,
        about 2 ms of CPU a request at 64 in flight."""
        if self._client is None:
            from openai import AsyncOpenAI, DefaultAioHttpClient

            self._loop = asyncio.new_event_loop()
            self._client = AsyncOpenAI(base_url=self.base_url, api_key=self._api_key, timeout=self._timeout,
                                       max_retries=self._max_retries, http_client=DefaultAioHttpClient())
            weakref.finalize(self, _close, self._loop, self._client)
        return self._client

    def send(self, payloads: list[dict]) -> list:
        """Every payload at once; each one's `ChatCompletion`, or the server's failure for it (`APIError`, or the
        `ValueError` of a response that is not a completion). Any other exception is a fault of ours and raised."""
        from openai import APIError
        from openai.types.chat import ChatCompletion

        client = self._open()
        # Posted as built (vLLM's own parameters beside the API's) through the client's documented `post`, with its
        # retries, backoff and auth and the typed ChatCompletion back: `chat.completions.create` first walks every
        # message against its typed schema, 3 ms of CPU a request, the client's largest cost at 64 in flight.

        async def run() -> list:
            limit = asyncio.Semaphore(self.max_concurrency)

            async def one(payload: dict):
                async with limit:
                    return await client.post("/chat/completions", body=payload, cast_to=ChatCompletion)

            return await asyncio.gather(*(one(payload) for payload in payloads), return_exceptions=True)

        responses = self._loop.run_until_complete(run())
        for response in responses:
            if isinstance(response, Exception) and not isinstance(response, (APIError, ValueError)):
                raise response
        return responses


def _close(loop: asyncio.AbstractEventLoop, client) -> None:
    loop.run_until_complete(client.close())
    loop.close()
