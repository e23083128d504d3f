"""A local stand-in for the login server (Microsoft Entra ID) the Teams bot gets its own tokens
from: HTTPS on 127.0.0.1 with a certificate authority of its own (MSAL takes nothing else). It
can be made slow, and runs in a thread of its own, so a test can tell a slow server from a
blocked loop."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import shutil
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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
