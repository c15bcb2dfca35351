"""What one request may ask of the server, and the ASGI guards that enforce the transport-level parts."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class ServeLimits:
    """Caps on requests; anything over them is a 4xx JSON error, never work done."""

    max_topn: int = 100               # neighbours per query
    max_tokens: int = 500             # tokens per generation
    max_text: int = 2000              # characters of any text field (prompt, sentence, word)
    max_words: int = 20               # words in a list (analogy terms, odd one out, banned words)
    max_generations: int = 4          # generations streaming at once (the next one gets 429)
    max_body: int = 64 * 1024         # bytes of a request body
    max_map: int = 5000               # words on the 2-D map
    max_beam: int = 8                 # translation beam width
    max_batch: int = 64               # neighbour queries answered by one matrix pass

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"serve limit {name} must be a positive integer, got {value!r}")


def _json(status: int, message: str) -> tuple[dict, bytes]:
    body = json.dumps({"error": message}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    return start, body


async def _send_error(send, status: int, message: str) -> None:
    start, body = _json(status, message)
    await send(start)
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Token check on every ``/api/`` call and a cap on request body size (pure ASGI: works for streams).

    The token comes as ``Authorization: Bearer TOKEN`` (or ``X-Wordlab-Token``); it is compared in
    constant time. A body over ``max_body`` bytes is refused with 413 from its ``Content-Length`` or,
    when chunked, as soon as the bytes read pass the cap.
    """

    def __init__(self, app, token: str | None, max_body: int) -> None:
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token is not None and path.startswith("/api/"):
            given = headers.get("x-wordlab-token", "")
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if not given:
                return await _send_error(send, 401, "this server needs a token: send 'Authorization: Bearer TOKEN'")
            if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode("utf-8")):
                return await _send_error(send, 403, "wrong token")
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return await _send_error(send, 400, "Content-Length is not a number")
            if int(length) > self.max_body:
                return await _send_error(send, 413, f"request body of {int(length):,} bytes is over the limit "
                                                    f"of {self.max_body:,}")
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, f"request body is over the limit of {self.max_body:,} bytes")


try:  # raised inside the app's body parsing: FastAPI re-raises HTTPExceptions as they are
    from starlette.exceptions import HTTPException as _Base
except ImportError:  # pragma: no cover - the serve extra is missing
    _Base = Exception  # type: ignore[misc,assignment]


class _TooLarge(_Base):  # type: ignore[misc,valid-type]
    def __init__(self, limit: int = 0) -> None:
        super().__init__(413, f"request body is over the limit of {limit:,} bytes")
