"""Who is signed in to the history pages. Sessions live in the database, so every replica sees
them and signing out really ends them; the browser holds only a random token in an HttpOnly
cookie, and the database only that token's SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from pepptalk.bot.services import Clock
from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database

COOKIE = "pepptalk_session"
COOKIE_PATH = "/history"
# A session ends 12 hours after sign-in, or after 2 hours unused, whichever comes first.
LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)
# How often a session in use has its last use written down: no write for every page.
TOUCH_EVERY = timedelta(minutes=1)
# Browsers keep Secure cookies only over https, which a server on this machine seldom has.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# 32 random bytes in URL-safe base64; anything else in the cookie was not made here.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
NAME_LENGTH = 200


def new_token() -> str:
    """A random token: 32 bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a token is kept: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_token(value: str | None) -> bool:
    """Whether `value` has the shape of a token made by `new_token`."""
    return value is not None and TOKEN_SHAPE.fullmatch(value) is not None


def secure_cookies(request: web.Request) -> bool:
    """Whether cookies for this request should be Secure: always, but on this machine."""
    return (request.url.host or "") not in LOCAL_HOSTS


def same(a: str | None, b: str | None) -> bool:
    """Whether two secrets are equal, in constant time; None equals nothing."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Visitor:
    """The person a browser is signed in as."""

    platform: Platform
    # The Slack workspace signed in to (on Enterprise Grid, with every workspace of its
    # organisation Pepptalk knew of at sign-in); for Teams, the tenant.
    workspace_ids: frozenset[str]
    # The Slack user id; for Teams, the AAD object id, as Pepptalk's members are known.
    user_id: str
    name: str | None
    csrf_token: str
    session_key: str


class Sessions:
    """Starts, reads and ends the history pages' sessions."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def visitor(self, request: web.Request) -> Visitor | None:
        """Who the request's cookie is signed in as; None without a cookie, or with one that is
        unknown, forged, past its lifetime or idle too long."""
        token = request.cookies.get(COOKIE)
        if not is_token(token):
            return None
        key = token_hash(str(token))
        now = self._clock()
        async with self._database.uow() as uow:
            row = await uow.web_sessions.find(key)
            if row is None:
                return None
            if row.expires_at <= now or row.last_seen_at + IDLE <= now:
                await uow.web_sessions.remove(key)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                await uow.web_sessions.touch(key, now=now)
            return Visitor(
                platform=row.platform,
                workspace_ids=row.workspaces,
                user_id=row.user_id,
                name=row.name,
                csrf_token=row.csrf_token,
                session_key=row.key_hash,
            )

    def csrf_ok(self, visitor: Visitor, token: str | None) -> bool:
        """Whether a form's CSRF token is the visitor's session's (constant-time)."""
        return same(visitor.csrf_token, token)

    async def start(
        self,
        response: web.StreamResponse,
        request: web.Request,
        *,
        platform: Platform,
        workspace_ids: Iterable[str],
        user_id: str,
        name: str | None,
    ) -> None:
        """Sign the browser in: a new session (any session it had ends), its cookie on
        `response`; sessions that ran out are dropped on the way."""
        workspaces = frozenset(workspace_ids)
        if not workspaces or not user_id:
            raise ValueError("a session needs a workspace and a user")
        token, now = new_token(), self._clock()
        async with self._database.uow() as uow:
            earlier = request.cookies.get(COOKIE)
            if is_token(earlier):
                await uow.web_sessions.remove(token_hash(str(earlier)))
            await uow.web_sessions.remove_expired(now=now, idle_since=now - IDLE)
            await uow.web_sessions.add(
                key_hash=token_hash(token),
                platform=platform,
                workspace_ids=workspaces,
                user_id=user_id,
                name=name[:NAME_LENGTH] if name else None,
                csrf_token=new_token(),
                now=now,
                expires_at=now + LIFETIME,
            )
        response.set_cookie(
            COOKIE,
            token,
            path=COOKIE_PATH,
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(request),
        )

    async def end(self, request: web.Request, response: web.StreamResponse) -> None:
        """Sign the browser out: its session ends and its cookie goes."""
        token = request.cookies.get(COOKIE)
        if is_token(token):
            async with self._database.uow() as uow:
                await uow.web_sessions.remove(token_hash(str(token)))
        response.del_cookie(
            COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(request),
        )


SESSIONS_KEY = web.AppKey("history_sessions", Sessions)
