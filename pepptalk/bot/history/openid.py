"""What both sign-ins share: how a failure is named, HTTP to the identity providers, their
signing keys (kept an hour), and the checks an identity token must pass before anyone is let in.

Token times are checked against the services' clock rather than PyJWT's own reading of the
system time, so the whole sign-in follows one clock (tests move it)."""

from __future__ import annotations

import asyncio
import json
import math
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import jwt

from pepptalk.bot.history.sessions import same
from pepptalk.core.kinds import Platform

# How long keys fetched from a provider serve before they are fetched again.
KEYS_FRESH_FOR = 3600.0
HTTP_TIMEOUT = 10.0
# Clocks differ a little between Pepptalk and the provider.
LEEWAY = 60.0
ALGORITHM = "RS256"
# An error code from a provider, as far as it goes into a log line.
ERROR_CODE = re.compile(r"[a-z_]{1,40}")


class Problem(StrEnum):
    """Why a sign-in ended without a session: the `problem` the sign-in page explains."""

    DENIED = "denied"
    EXPIRED = "expired"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"
    NOT_CONFIGURED = "not_configured"


class SignInError(Exception):
    """A sign-in that cannot go on: the problem to show, and a reason for the log (never a
    token or a code)."""

    def __init__(self, problem: Problem, reason: str) -> None:
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    platform: Platform
    workspace_ids: frozenset[str]
    user_id: str
    name: str | None


class Provider(Protocol):
    """An identity provider's half of the sign-in."""

    platform: Platform
    # Whether the provider takes PKCE (then a verifier is kept with the state).
    pkce: bool

    def authorize_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        challenge: str | None,
        query: Mapping[str, str],
    ) -> str:
        """Where the browser goes to sign in."""
        ...

    async def identity(
        self, *, code: str, redirect_uri: str, nonce: str, verifier: str | None
    ) -> Identity:
        """The code redeemed and its identity token checked: who signed in."""
        ...


def claim(claims: Mapping[str, Any], name: str, shape: re.Pattern[str]) -> str | None:
    """A claim of the identity token when it is a string of the expected shape, else None."""
    value = claims.get(name)
    return value if isinstance(value, str) and shape.fullmatch(value) else None


def error_code(value: object) -> str:
    """A provider's error code for the log: as it came when it looks like one, else "other"."""
    return value if isinstance(value, str) and ERROR_CODE.fullmatch(value) else "other"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


class ProviderHttp:
    """One aiohttp session for the identity providers, opened on first use. Its TLS context
    is made then too, so it trusts what the system (and SSL_CERT_FILE) trusts at that time."""

    def __init__(self, *, timeout: float = HTTP_TIMEOUT) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=ssl.create_default_context())
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    async def close(self) -> None:
        """Release the session's connections."""
        if self._session is not None:
            await self._session.close()

    async def get_json(self, url: str) -> dict[str, Any]:
        """A JSON document the provider publishes; unavailable unless it answers 200 with one."""
        status, body = await self._send("GET", url, None)
        if status != 200:
            raise SignInError(Problem.UNAVAILABLE, f"{_host(url)} answered {status}")
        return body

    async def post_form(self, url: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """POST a form; the status and the JSON answer. A provider that is down, busy or
        answers no JSON makes the sign-in unavailable; a 4xx is the caller's to read."""
        status, body = await self._send("POST", url, form)
        if status == 429 or status >= 500:
            raise SignInError(Problem.UNAVAILABLE, f"{_host(url)} answered {status}")
        return status, body

    async def _send(
        self, method: str, url: str, form: Mapping[str, str] | None
    ) -> tuple[int, dict[str, Any]]:
        try:
            async with self._open().request(
                method, url, data=dict(form) if form is not None else None
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise SignInError(
                Problem.UNAVAILABLE, f"{_host(url)} unreachable: {type(error).__name__}"
            ) from None
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status == 429 or status >= 500:
                return status, {}
            raise SignInError(Problem.UNAVAILABLE, f"{_host(url)} answered {status}, not JSON")
        return status, body


@dataclass(frozen=True)
class Published:
    """What a provider publishes to check its tokens: the issuer (Microsoft's may hold
    `{tenantid}`) and its signing keys by key id."""

    issuer: str
    keys: Mapping[str, jwt.PyJWK]


def signing_keys(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The RSA signing keys of a JSON Web Key Set, by key id; keys of other kinds are left out."""
    found: dict[str, jwt.PyJWK] = {}
    keys = jwks.get("keys")
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            found[str(jwk["kid"])] = jwt.PyJWK(jwk, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            continue  # one broken key does not spoil the others
    return found


class KeySet:
    """A provider's published keys, fetched when first needed and again after an hour; a key id
    not among them has them fetched again, once."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Published]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._published: Published | None = None
        self._fetched_at = -math.inf
        self._lock = asyncio.Lock()

    async def _refresh(self, seen: Published | None) -> Published:
        async with self._lock:
            # Whoever waited for the lock while another fetched takes that fetch.
            if self._published is not None and self._published is not seen:
                return self._published
            published = await self._fetch()
            self._published, self._fetched_at = published, self._clock()
            return published

    async def key(self, key_id: str | None) -> tuple[Published, jwt.PyJWK]:
        """The key a token names, with the rest of what the provider publishes."""
        published = self._published
        if published is None or self._clock() - self._fetched_at > KEYS_FRESH_FOR:
            try:
                published = await self._refresh(published)
            except SignInError:
                # Keys an hour old still serve while the provider cannot give fresh ones.
                if published is None:
                    raise
        found = published.keys.get(key_id or "")
        if found is None:
            published = await self._refresh(published)
            found = published.keys.get(key_id or "")
        if found is None:
            raise SignInError(Problem.REFUSED, "the token's signing key is not the provider's")
        return published, found


Issuer = Callable[[Published, Mapping[str, Any]], str]


async def verified_claims(
    token: str,
    *,
    keys: KeySet,
    audience: str,
    issuer: Issuer,
    nonce: str,
    now: datetime,
) -> dict[str, Any]:
    """The claims of an identity token, once its signature (RS256, by the provider's key), its
    audience, issuer, times and nonce all hold."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SignInError(Problem.REFUSED, "the identity token is not a JWT") from None
    if header.get("alg") != ALGORITHM:
        raise SignInError(Problem.REFUSED, f"the identity token is signed with {header.get('alg')}")
    kid = header.get("kid")
    published, key = await keys.key(kid if isinstance(kid, str) else None)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            audience=audience,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_iss": False,
                "require": ["exp", "iss", "aud"],
            },
        )
    except jwt.InvalidAudienceError:
        raise SignInError(Problem.REFUSED, "the identity token is for another app") from None
    except jwt.InvalidSignatureError:
        raise SignInError(Problem.REFUSED, "the identity token's signature is wrong") from None
    except jwt.PyJWTError as error:
        raise SignInError(Problem.REFUSED, f"the identity token: {type(error).__name__}") from None
    if claims.get("iss") != issuer(published, claims):
        raise SignInError(Problem.REFUSED, "the identity token is from another issuer")
    _check_times(claims, now.timestamp())
    nonce_claim = claims.get("nonce")
    if not same(nonce_claim if isinstance(nonce_claim, str) else None, nonce):
        raise SignInError(Problem.REFUSED, "the identity token's nonce is not this sign-in's")
    return claims


def _check_times(claims: Mapping[str, Any], now: float) -> None:
    times = {name: claims.get(name) for name in ("exp", "iat", "nbf")}
    for name, value in times.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise SignInError(Problem.REFUSED, f"the identity token's {name} is not a time")
    exp, iat, nbf = times["exp"], times["iat"], times["nbf"]
    if isinstance(exp, int | float) and exp + LEEWAY <= now:
        raise SignInError(Problem.EXPIRED, "the identity token has expired")
    for value in (iat, nbf):
        if isinstance(value, int | float) and value - LEEWAY > now:
            raise SignInError(Problem.REFUSED, "the identity token is not valid yet")
