"""A local stand-in for the Bot Framework connector Teams bots talk to, for its token keys, and
for the login server the bot gets its own tokens from.

The connector records what the bot sends (`/v3/conversations/...`), answers roster lookups and
new 1:1 conversations, and can answer 429 with `Retry-After` as Teams does under load, or any
status to one chosen conversation. The OpenID server publishes a key the tests sign tokens with,
and the login server hands out tokens over HTTPS (MSAL takes nothing else); both can be made
slow, and run in threads of their own, so a test can tell a slow server from a blocked loop.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import itertools
import json
import shutil
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
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
    authorization: str | None = None


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
    troubles: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)
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
        self, conversation_part: str, *statuses: int, retry_after: int | None = None
    ) -> None:
        """Answer the next calls to the conversation whose id contains `conversation_part` with
        these statuses, one call each (with `Retry-After` when given), then as usual."""
        self.troubles.setdefault(conversation_part, []).extend(
            (status, retry_after) for status in statuses
        )

    def _troubled(self, conversation: str) -> web.Response | None:
        for part, answers in self.troubles.items():
            if part in conversation and answers:
                status, retry_after = answers.pop(0)
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
        troubled = self._troubled(request.match_info["cid"])
        if troubled is not None:
            return troubled
        if self.limit_every and next(self._posts) % self.limit_every == 0:
            self.limited += 1
            return web.json_response(
                {"error": {"code": "Throttled", "message": "Too many requests"}},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        body = await request.json()
        self.sent.append(
            Sent(
                "post",
                request.match_info["cid"],
                body,
                request.match_info.get("aid"),
                request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": f"msg-{next(self._ids)}"}, status=201)

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


TENANT_PATH = "botframework.com"


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
) -> x509.Certificate:
    """A certificate for `key`: a CA's own when `issuer` is None, else one for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


class FakeLogin:
    """The login server (Microsoft Entra ID, to MSAL) over HTTPS on 127.0.0.1, with a CA of its
    own in `ca_file` (point REQUESTS_CA_BUNDLE at it). Tokens live a minute, so MSAL never
    reuses one (it wants five minutes left) and every send asks again; each answer comes after
    `delay` seconds. `url` is what MICROSOFT_LOGIN_URL takes."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.tokens: list[str] = []
        self.folder = Path(tempfile.mkdtemp(prefix="fake-login-"))
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("Fake login CA", ca_key)
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _certificate("127.0.0.1", key, (ca, ca_key))
        self.ca_file = self.folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        chain, key_file = self.folder / "chain.pem", self.folder / "key.pem"
        chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                with contextlib.suppress(ConnectionError):  # the bot may have given up waiting
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                tenant = owner.url
                self._answer(
                    {
                        "issuer": f"{tenant}/v2.0",
                        "authorization_endpoint": f"{tenant}/oauth2/v2.0/authorize",
                        "token_endpoint": f"{tenant}/oauth2/v2.0/token",
                    }
                )

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(owner.delay)  # this server's own thread: a slow Microsoft
                token = f"fake-token-{len(owner.tokens) + 1}"
                owner.tokens.append(token)
                self._answer({"token_type": "Bearer", "expires_in": 60, "access_token": token})

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/{TENANT_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
