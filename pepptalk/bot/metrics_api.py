"""The metrics API: `POST /api/metrics`, a team's figures as CSV or JSON, by the team's token."""

from __future__ import annotations

import logging

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from aiohttp.http_exceptions import HttpProcessingError

from pepptalk.bot.services import Services
from pepptalk.core.i18n import copy_for
from pepptalk.handlers.service import MAX_METRICS_BODY, ImportReport

log = logging.getLogger(__name__)
PATH = "/api/metrics"
# The app's client_max_size stays at Slack's 1 MB: this route reads its stream itself.
MAX_BODY = MAX_METRICS_BODY
# Refusals that have an HTTP status of their own; any other refused body is a 400.
_STATUS = {"metrics.too_big": 413, "metrics.bad_type": 415}
# The API answers in English: its readers are programs and the people who write them.
API_COPY = copy_for("en")


def bearer_token(request: web.Request) -> str | None:
    """The token in `Authorization: Bearer <token>`, or None when there is none."""
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _error(status: int, text: str) -> web.Response:
    headers = {hdrs.WWW_AUTHENTICATE: "Bearer"} if status == 401 else None
    return web.json_response({"error": text}, status=status, headers=headers)


def _too_big() -> web.Response:
    log.info("metrics API: refused a body over %d bytes", MAX_BODY)
    return _error(413, API_COPY("metrics.too_big", max=MAX_BODY // (1024 * 1024)))


async def _expect(request: web.Request) -> web.StreamResponse | None:
    """Say no to a body over the limit before it is sent (curl asks first for big bodies)."""
    if (request.content_length or 0) > MAX_BODY:
        return _too_big()
    if request.version == HttpVersion11 and request.headers.get(hdrs.EXPECT, "").lower() == (
        "100-continue"
    ):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return None
    raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers.get(hdrs.EXPECT)}")


async def read_limited(request: web.Request, limit: int = MAX_BODY) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (the rest is never kept)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def register(app: web.Application, services: Services) -> None:
    """Serve POST /api/metrics on `app`."""

    async def metrics(request: web.Request) -> web.Response:
        token = bearer_token(request)
        if token is None:
            log.info("metrics API: a request without a token")
            return _error(401, API_COPY("metrics.api_unauthorized"))
        if (request.content_length or 0) > MAX_BODY:
            return _too_big()
        try:
            body = await read_limited(request)
        except (ConnectionError, HttpProcessingError) as error:
            # The sender went away or broke its own encoding: a line in the log, not a traceback.
            log.info("metrics API: the body did not arrive whole: %r", error)
            return _error(400, API_COPY("metrics.api_incomplete"))
        if body is None:
            return _too_big()
        # The raw header: without one the habit tells CSV from JSON by the body's look.
        content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
        result = await services.habits.import_metrics(
            token=token, body=body, content_type=content_type
        )
        if result is None:
            log.info("metrics API: a token no team has")
            return _error(401, API_COPY("metrics.api_unauthorized"))
        if isinstance(result, ImportReport):
            answer = result.as_json()
            log.info("metrics API: stored %s figures", answer["stored"])
            return web.json_response(answer)
        log.info("metrics API: refused a body (%s)", result.key)
        return _error(_STATUS.get(result.key, 400), result.text(API_COPY))

    app.router.add_post(PATH, metrics, expect_handler=_expect)
