"""A local stand-in for the Bot Framework connector Teams bots talk to, and for its token keys.

The connector records what the bot sends (`/v3/conversations/...`), answers roster lookups and
new 1:1 conversations, and can answer 429 with `Retry-After` as Teams does under load. The
OpenID server publishes a key the tests sign tokens with; it runs in its own thread because
botbuilder fetches keys with blocking HTTP.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.serving import start_on_free_port

ISSUER = "https://api.botframework.com"


@dataclass
class Sent:
    """One call the bot made to the connector."""

    method: str
    conversation: str
    activity: dict[str, Any]
    activity_id: str | None = None


@dataclass
class FakeConnector:
    """The connector. `url` goes in activities' serviceUrl."""

    roster: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    conversations_created: list[dict[str, Any]] = field(default_factory=list)
    limit_every: int | None = None
    retry_after: int = 1
    limited: int = 0
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
        if self.limit_every and next(self._posts) % self.limit_every == 0:
            self.limited += 1
            return web.json_response(
                {"error": {"code": "Throttled", "message": "Too many requests"}},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        body = await request.json()
        self.sent.append(
            Sent("post", request.match_info["cid"], body, request.match_info.get("aid"))
        )
        return web.json_response({"id": f"msg-{next(self._ids)}"}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.sent.append(Sent("update", request.match_info["cid"], body, request.match_info["aid"]))
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
    """Publishes one RSA key as Bot Framework does; `token()` signs with it."""

    def __init__(self) -> None:
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
                    payload = {"issuer": ISSUER, "jwks_uri": f"{owner.base}/keys"}
                data = json.dumps(payload).encode()
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
