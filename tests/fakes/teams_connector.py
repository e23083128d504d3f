"""A local stand-in for the Bot Framework connector Teams bots talk to, and for its token keys
(the login server the bot gets its own tokens from is in microsoft_login).

The connector records what the bot sends (`/v3/conversations/...`) and when, answers roster
lookups and new 1:1 conversations, and can answer 429 with `Retry-After` as Teams does under
load, or any status to one chosen conversation (even after carrying the call out, as a 502 or 504
from Teams may). With `enforce_limits` it refuses, as Teams does, a bot that sends faster than
Teams' published limits; with `honours_ids` it drops a message whose activity id it already took
in that conversation. The OpenID server publishes a key the tests sign tokens with; it can be
made slow, and runs in a thread of its own, so a test can tell a slow server from a blocked loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.microsoft_login import FakeLogin as FakeLogin
from tests.fakes.serving import start_on_free_port

ISSUER = "https://api.botframework.com"
# Teams' published limits on a bot sending: per conversation (seconds, most sends), and per app
# per tenant (a second's worth).
TEAMS_PER_CONVERSATION = ((1.0, 7), (2.0, 8))
TEAMS_PER_TENANT = 30


@dataclass
class Sent:
    """One call the bot made to the connector, and when it came (the event loop's clock)."""

    method: str
    conversation: str
    activity: dict[str, Any]
    activity_id: str | None = None
    authorization: str | None = None
    at: float = 0.0

    @property
    def tenant(self) -> str:
        """The tenant the activity is addressed in."""
        conversation = self.activity.get("conversation") or {}
        channel_data = self.activity.get("channelData") or {}
        # botbuilder spells it tenantID; the channel data carries it too.
        tenant = conversation.get("tenantID") or conversation.get("tenantId")
        return str(tenant or (channel_data.get("tenant") or {}).get("id"))


@dataclass(frozen=True)
class Refused:
    """A call the connector turned away on purpose."""

    conversation: str
    status: int


@dataclass
class FakeConnector:
    """The connector. `url` goes in activities' serviceUrl."""

    roster: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    conversations_created: list[dict[str, Any]] = field(default_factory=list)
    limit_every: int | None = None
    retry_after: int = 1
    limited: int = 0
    # Statuses the next calls to a conversation get, by a part of its id: see `trouble`.
    troubles: dict[str, list[tuple[int, int | None, bool]]] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)
    # Teams' published limits on sending (per bot per conversation, per app per tenant), kept
    # as Teams keeps them: a send over them is answered 429 with Retry-After.
    enforce_limits: bool = False
    # Whether a message whose activity id was taken before in its conversation is dropped (and
    # answered with the id it got then) rather than shown again; `repeats` counts those dropped.
    honours_ids: bool = True
    repeats: int = 0
    # Take posts with 202 Accepted and no body, as Teams at times does: no id comes back.
    quiet: bool = False
    _taken: dict[tuple[str, str], str] = field(default_factory=dict)
    port: int = 0
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _posts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def cards(self, conversation_part: str = "") -> list[dict[str, Any]]:
        """Adaptive Cards sent to conversations whose id contains `conversation_part`."""
        return [
            attachment["content"]
            for s in self.sent
            if conversation_part in s.conversation
            for attachment in s.activity.get("attachments") or []
        ]

    def trouble(
        self,
        conversation_part: str,
        *statuses: int,
        retry_after: int | None = None,
        delivered: bool = False,
    ) -> None:
        """Answer the next calls to the conversation whose id contains `conversation_part` with
        these statuses, one call each (with `Retry-After` when given), then as usual. With
        `delivered`, each of those calls is carried out first (the message shows) and then
        answered with the status all the same, as a gateway that timed out does."""
        self.troubles.setdefault(conversation_part, []).extend(
            (status, retry_after, delivered) for status in statuses
        )

    def posted(self, conversation_part: str = "") -> list[Sent]:
        """The messages that show in conversations whose id contains `conversation_part`."""
        return [s for s in self.sent if s.method == "post" and conversation_part in s.conversation]

    def _troubled(self, conversation: str, delivered: bool | None = None) -> web.Response | None:
        """The trouble queued for `conversation`, if any; `delivered`: only trouble that does
        (or does not) carry the call out first."""
        for part, answers in self.troubles.items():
            if part in conversation and answers and delivered in (None, answers[0][2]):
                status, retry_after, _ = answers.pop(0)
                self.refused.append(Refused(conversation, status))
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return web.json_response(
                    {"error": {"code": "ServiceError", "message": f"HTTP {status}"}},
                    status=status,
                    headers=headers,
                )
        return None

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await start_on_free_port(self._runner)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        conversation = request.match_info["cid"]
        troubled = self._troubled(conversation, delivered=False)
        if troubled is not None:
            return troubled
        if self.limit_every and next(self._posts) % self.limit_every == 0:
            return self._throttled(self.retry_after)
        body = await request.json()
        now = asyncio.get_running_loop().time()
        if self.enforce_limits and (wait := self._over_limits(conversation, body, now)):
            return self._throttled(wait)
        given = body.get("id")
        if self.honours_ids and given and (conversation, given) in self._taken:
            self.repeats += 1
            return web.json_response({"id": self._taken[(conversation, given)]}, status=201)
        sent = Sent(
            "post",
            conversation,
            body,
            request.match_info.get("aid"),
            request.headers.get("Authorization"),
            now,
        )
        self.sent.append(sent)
        taken = f"msg-{next(self._ids)}"
        if given:
            self._taken[(conversation, given)] = taken
        if self.quiet:
            return web.Response(status=202)
        return self._troubled(conversation, delivered=True) or web.json_response(
            {"id": taken}, status=201
        )

    def _throttled(self, retry_after: int) -> web.Response:
        self.limited += 1
        return web.json_response(
            {"error": {"code": "Throttled", "message": "Too many requests"}},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def _over_limits(self, conversation: str, body: dict[str, Any], now: float) -> int:
        """Whole seconds until this post would keep within Teams' limits (0: it does)."""
        tenant = Sent("post", conversation, body).tenant
        posts = [s for s in self.sent if s.method == "post"]
        limits = [
            ([s.at for s in posts if s.conversation == conversation], window, most)
            for window, most in TEAMS_PER_CONVERSATION
        ] + [([s.at for s in posts if s.tenant == tenant], 1.0, TEAMS_PER_TENANT)]
        for times, window, most in limits:
            recent = [t for t in times if now - t < window]
            if len(recent) >= most:
                return max(1, math.ceil(recent[-most] + window - now))
        return 0

    async def _update(self, request: web.Request) -> web.Response:
        troubled = self._troubled(request.match_info["cid"])
        if troubled is not None:
            return troubled
        body = await request.json()
        self.sent.append(
            Sent(
                "update",
                request.match_info["cid"],
                body,
                request.match_info["aid"],
                request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": request.match_info["aid"]})

    async def _member(self, request: web.Request) -> web.Response:
        member = self.roster.get(request.match_info["mid"])
        if member is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response(member)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.conversations_created.append(body)
        return web.json_response({"id": f"a:new-{next(self._ids)}"}, status=201)


class FakeOpenId:
    """Publishes one RSA key as Bot Framework does; `token()` signs with it. The metadata comes
    only after `delay` seconds; `fetches` counts how often it was asked for."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.fetches = 0
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        keys = {"keys": [{**public, "kid": "test-key", "endorsements": ["msteams"]}]}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                payload: dict[str, Any]
                if self.path.endswith("/keys"):
                    payload = keys
                else:
                    owner.fetches += 1
                    time.sleep(owner.delay)  # this server's own thread: a slow Microsoft
                    payload = {"issuer": ISSUER, "jwks_uri": f"{owner.base}/keys"}
                data = json.dumps(payload).encode()
                # The bot may have given up waiting: a closed connection is no news.
                with contextlib.suppress(ConnectionError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/.well-known/openidconfiguration"

    def token(
        self, *, audience: str, service_url: str, key: Any = None, kid: str = "test-key"
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 600,
            "serviceurl": service_url,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
