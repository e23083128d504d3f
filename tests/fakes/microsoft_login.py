"""A local stand-in for the login server (Microsoft Entra ID) the Teams bot gets its own tokens
from: HTTPS on 127.0.0.1 with a certificate authority of its own (MSAL takes nothing else). It
can be made slow, and runs in a thread of its own, so a test can tell a slow server from a
blocked loop.

It also plays the Microsoft identity platform for people signing in to the history pages: the
authorize page (approving at once as `person`, or saying `access_denied`), the token endpoint's
authorization_code grant (with the PKCE verifier checked), and each tenant's OpenID metadata and
key set, under `/{tenant}/` as Microsoft serves them ("organizations" included)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import ipaddress
import itertools
import json
import shutil
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.id_tokens import Now, Signer, Trouble, real_now

TENANT_PATH = "botframework.com"
# Paths that stand for many tenants: their metadata names the issuer with a placeholder.
MANY_TENANTS = ("organizations", "common")
APP_ID = "app-1"
APP_PASSWORD = "secret"
TENANT = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


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


@dataclass(frozen=True)
class MicrosoftPerson:
    """Someone with a work account: their object id, their tenant, their name."""

    oid: str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
    tid: str = TENANT
    name: str | None = "Anna Seller"


@dataclass
class _Grant:
    person: MicrosoftPerson
    nonce: str
    redirect_uri: str
    challenge: str
    used: bool = False


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FakeLogin:
    """The login server (Microsoft Entra ID, to MSAL) over HTTPS on 127.0.0.1, with a CA of its
    own in `ca_file` (point REQUESTS_CA_BUNDLE at it, and SSL_CERT_FILE for other clients).
    Tokens live a minute, so MSAL never reuses one (it wants five minutes left) and every send
    asks again; each answer comes after `delay` seconds. `url` is what MICROSOFT_LOGIN_URL takes.

    For sign-ins: `person` signs in next (unless `deny`), `trouble` makes the identity tokens
    wrong in one way, `down` makes the token endpoint answer 503; identity tokens are issued at
    `now()` for the app `app_id` with the password `app_password`."""

    def __init__(
        self, *, now: Now = real_now, app_id: str = APP_ID, app_password: str = APP_PASSWORD
    ) -> None:
        self.delay = 0.0
        self.tokens: list[str] = []
        self.now, self.app_id, self.app_password = now, app_id, app_password
        self.person = MicrosoftPerson()
        self.deny = False
        self.trouble: Trouble | None = None
        self.down = False
        self.signer = Signer("microsoft")
        self.authorize_requests: list[dict[str, str]] = []
        self.code_requests: list[dict[str, str]] = []
        self.keys_fetched = 0
        self._grants: dict[str, _Grant] = {}
        self._codes = itertools.count(1)
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
            def _answer(self, payload: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(payload).encode()
                with contextlib.suppress(ConnectionError):  # the bot may have given up waiting
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def _redirect(self, location: str) -> None:
                with contextlib.suppress(ConnectionError):
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                tenant, _, rest = parts.path.strip("/").partition("/")
                if rest == "oauth2/v2.0/authorize":
                    self._redirect(owner.authorize(dict(parse_qsl(parts.query))))
                elif rest == "discovery/v2.0/keys":
                    owner.keys_fetched += 1
                    self._answer(owner.signer.jwks())
                else:
                    self._answer(owner.metadata(tenant))

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = dict(parse_qsl(body.decode()))
                if form.get("grant_type") == "authorization_code":
                    self._answer(*owner.redeem(form))
                    return
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
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/{TENANT_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def metadata(self, tenant: str) -> dict[str, Any]:
        """A tenant's OpenID metadata (for many tenants, the issuer holds `{tenantid}`)."""
        at = f"{self.base}/{tenant}"
        issuer = "{tenantid}" if tenant in MANY_TENANTS else tenant
        return {
            "issuer": f"{self.base}/{issuer}/v2.0",
            "authorization_endpoint": f"{at}/oauth2/v2.0/authorize",
            "token_endpoint": f"{at}/oauth2/v2.0/token",
            "jwks_uri": f"{at}/discovery/v2.0/keys",
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where the authorize page sends the browser: back, with a code or a refusal."""
        self.authorize_requests.append(query)
        back = {"state": query.get("state", "")}
        if query.get("client_id") != self.app_id or query.get("response_type") != "code":
            back.update(error="unauthorized_client")
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            back.update(error="invalid_request")
        elif self.deny:
            back.update(error="access_denied", error_description="The user said no.")
        else:
            code = f"microsoft-code-{next(self._codes)}"
            self._grants[code] = _Grant(
                self.person, query.get("nonce", ""), query["redirect_uri"], query["code_challenge"]
            )
            back["code"] = code
        return f"{query.get('redirect_uri', '')}?{urlencode(back)}"

    def redeem(self, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        """The token endpoint's answer to an authorization code, and its status."""
        self.code_requests.append(form)
        if self.down:
            return {"error": "temporarily_unavailable"}, 503
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password:
            return {"error": "invalid_client"}, 401
        grant = self._grants.get(form.get("code", ""))
        if (
            grant is None
            or grant.used
            or form.get("redirect_uri") != grant.redirect_uri
            or _challenge(form.get("code_verifier", "")) != grant.challenge
        ):
            return {"error": "invalid_grant"}, 400
        grant.used = True
        person = grant.person
        claims: dict[str, Any] = {
            "iss": f"{self.base}/{person.tid}/v2.0",
            "sub": f"pairwise-{person.oid}",
            "oid": person.oid,
            "tid": person.tid,
            "ver": "2.0",
        }
        if person.name is not None:
            claims["name"] = person.name
        token = self.signer.sign(
            claims, now=self.now(), audience=self.app_id, nonce=grant.nonce, trouble=self.trouble
        )
        answer = {"token_type": "Bearer", "scope": "openid profile", "expires_in": 3600}
        return {**answer, "access_token": "signed-in-secret", "id_token": token}, 200

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
