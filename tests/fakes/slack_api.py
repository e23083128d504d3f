"""A local stand-in for Slack's Web API: records calls, enforces Block Kit limits, rate limits.

It answers like Slack does: `{"ok": false, "error": ...}` with HTTP 200 for API errors, HTTP 429
with `Retry-After` when rate limited, and `invalid_blocks` for blocks over Slack's limits.

Many workspaces and Enterprise Grid organisations: installs and tokens are kept as
`tests.fakes.slack_oauth` describes, and every call records the token it came with and the
workspace it acts in (an org-wide token acts in the workspace of the person or the `team_id` it
names). Rate limits are kept per workspace, like Slack's.

Files go up the way Slack's current upload API takes them: files.getUploadURLExternal hands out
an upload URL on this server, the bytes are POSTed there, and files.completeUploadExternal shares
the file in a channel as one message with the blocks beside it. `messages_in(channel)` is what
someone in a channel sees, whichever way it was posted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.serving import start_on_free_port
from tests.fakes.slack_oauth import APP_ID as APP_ID
from tests.fakes.slack_oauth import CLIENT_ID as CLIENT_ID
from tests.fakes.slack_oauth import CLIENT_SECRET as CLIENT_SECRET
from tests.fakes.slack_oauth import TOKEN as TOKEN
from tests.fakes.slack_oauth import WORKSPACE as WORKSPACE
from tests.fakes.slack_oauth import FakeSlackInstalls

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What files.completeUploadExternal takes as channel_id: a channel, group, DM or MPIM id, never a
# user id (and Slack's ids are longer than the short ones tests like to use).
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
MAX_ALT_TEXT = 1000


@dataclass
class Call:
    """One recorded API call."""

    method: str
    args: dict[str, Any]
    # The bearer token the call came with, and the workspace it acts in: the token's own, or
    # for an organisation's org-wide token (`org`) the workspace the call is about.
    token: str | None = None
    workspace: str | None = None
    org: str | None = None


@dataclass
class Bucket:
    """A token bucket: `burst` sends at once, then `per_second` more each second."""

    per_second: float
    burst: float
    level: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 when a send may go now (and is counted), else the seconds until one may."""
        if self.level < 0:
            self.level, self.at = self.burst, now
        self.level = min(self.burst, self.level + (now - self.at) * self.per_second)
        self.at = now
        if self.level >= 1:
            self.level -= 1
            return 0.0
        return (1 - self.level) / self.per_second


@dataclass
class Upload:
    """A file announced with files.getUploadURLExternal; `data` once its bytes arrived, and
    `problem` when they would leave the file unusable."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None
    problem: str | None = None
    # Set by files.completeUploadExternal, which may be called once per file.
    completed: bool = False
    title: str | None = None


@dataclass(frozen=True)
class Answer:
    """When the fake answered a call (the event loop's clock, in seconds), in which workspace
    and channel, and how: the HTTP status, and the Retry-After a 429 asked for (None: none)."""

    method: str
    workspace: str | None
    channel: str
    status: int
    at: float
    retry_after: float | None = None


@dataclass
class Posted:
    """A message as the people in its channel see it: its words, blocks and shared files."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    files: list[Upload] = field(default_factory=list)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except ValueError:
        return False
    return True


def dm_of(user_id: str) -> str:
    """The DM channel between the app and a user, as chat.postMessage and conversations.open
    name it."""
    return "D" + user_id[1:]


def _text_len(obj: dict[str, Any] | None) -> int:
    return len((obj or {}).get("text", ""))


def block_problems(blocks: list[dict[str, Any]], *, max_blocks: int) -> list[str]:
    """Why Slack would refuse these blocks (empty when it would take them)."""
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")
    for block in blocks:
        kind = block.get("type")
        if len(block.get("block_id", "")) > 255:
            problems.append("block_id > 255")
        if kind == "section":
            if _text_len(block.get("text")) > 3000:
                problems.append("section text > 3000")
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append("more than 10 fields")
            if any(_text_len(f) > 2000 for f in fields):
                problems.append("field text > 2000")
            if not block.get("text") and not fields:
                problems.append("section without text or fields")
        elif kind == "header" and _text_len(block.get("text")) > 150:
            problems.append("header text > 150")
        elif kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > 25:
                problems.append("more than 25 elements")
            ids = [e.get("action_id") for e in elements]
            if len(ids) != len(set(ids)):
                problems.append("duplicate action_id in block")
            for element in elements:
                if _text_len(element.get("text")) > 75:
                    problems.append("button text > 75")
                if len(element.get("action_id", "")) > 255:
                    problems.append("action_id > 255")
                if len(element.get("value", "")) > 2000:
                    problems.append("button value > 2000")
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append("more than 10 context elements")
    return problems


@dataclass
class FakeSlackApi(FakeSlackInstalls):
    """The fake server. Start with `await api.start()`; `base_url` then goes in SLACK_API_URL."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What each file serves at its url_private_download, by file id.
    contents: dict[str, bytes] = field(default_factory=dict)
    # Downloads of file contents, and those refused for a missing or wrong token.
    downloads: list[str] = field(default_factory=list)
    refused_downloads: int = 0
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    posted: set[tuple[str, str]] = field(default_factory=set)
    # Every message that became visible, in order (chat.postMessage and shared files alike).
    messages: list[Posted] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    # Errors the next calls of a method answer, in order ("ratelimited": HTTP 429); see fail_next.
    failures: dict[str, deque[str]] = field(default_factory=dict)
    # The next this many POSTs to an upload URL answer HTTP 500.
    failing_uploads: int = 0
    # Answer 429 to every Nth chat.postMessage (None: never), asking to wait `retry_after` s.
    limit_every: int | None = None
    retry_after: int = 1
    # Like Slack's workspace-wide cap on chat.postMessage: at most this many a minute, in each
    # workspace.
    max_per_minute: int | None = None
    rate_limited: int = 0
    # Workspaces whose every chat.postMessage answers 429 without saying how long to wait (a
    # storm with no end in sight, as a proxy in front of Slack may answer); `storm` makes one
    # that says.
    storming: set[str] = field(default_factory=set)
    # Storms that say how long, by workspace: the Retry-After of each chat.postMessage call still
    # to be answered 429.
    storms: dict[str, list[int]] = field(default_factory=dict)
    # Every call to a workspace's API as answered, with its channel, the moment and any
    # Retry-After: how well the app obeyed, as Slack would see it.
    answers: list[Answer] = field(default_factory=list)
    # Slack-like pacing of chat.postMessage (None: off): per workspace and per channel, token
    # buckets; and a share of posts answered 429 at random (seeded, so runs compare).
    workspace_per_minute: float | None = None
    workspace_burst: int = 20
    channel_per_second: float | None = None
    random_429: float = 0.0
    seed: int = 13
    # Methods whose calls get the connection dropped instead of an answer (Slack unreachable).
    unreachable: set[str] = field(default_factory=set)
    # Every Web API call in the order it came: method, workspace (None: an unknown token) and
    # HTTP status (429 when refused), so tests can tell what went out while something waited.
    history: list[tuple[str, str | None, int]] = field(default_factory=list)
    # Once this many messages are visible, further chat.postMessage calls are never answered
    # (as a platform that stalls): what was accepted before is all a crashed sender got done.
    hold_after: int | None = None
    # Seconds a method takes to answer (as a slow Slack does at times).
    slow: dict[str, float] = field(default_factory=dict)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _post_count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _random: random.Random = field(default_factory=random.Random)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url that posts back to this server."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str | None = "Europe/Oslo",
        *,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        workspace: str = WORKSPACE,
    ) -> None:
        profile = {"display_name": name, "real_name": name}
        if email is not None:
            # Slack shows it only to apps with users:read.email.
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": workspace,
            "name": name.lower(),
            "real_name": name,
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "profile": profile,
        }

    def add_file(
        self, file_id: str, name: str, content: str | bytes, filetype: str = "csv"
    ) -> dict[str, Any]:
        """A file someone shared; its content is served only with the bot's token. Returns the
        file object as a `file_share` event lists it."""
        data = content.encode() if isinstance(content, str) else content
        self.contents[file_id] = data
        self.files[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "filetype": filetype,
            "mimetype": "text/csv" if filetype == "csv" else "application/octet-stream",
            "size": len(data),
            "url_private": f"http://127.0.0.1:{self.port}/files/{file_id}/{name}",
            "url_private_download": (
                f"http://127.0.0.1:{self.port}/files/{file_id}/download/{name}"
            ),
        }
        # Slack's event carries a short form of the file; files.info has the rest.
        return {"id": file_id, "name": name, "filetype": filetype}

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages_in(self, channel: str) -> list[Posted]:
        """What someone in `channel` sees (a user id stands for the DM with them)."""
        where = dm_of(channel) if channel.startswith("U") else channel
        return [m for m in self.messages if m.channel == where]

    def storm(self, workspace: str, count: int, *, retry_after: int) -> None:
        """The next `count` chat.postMessage calls in `workspace` answer 429 with
        `Retry-After: retry_after`, whenever they come."""
        self.storms.setdefault(workspace, []).extend([retry_after] * count)

    def fail_next(self, method: str, *errors: str) -> None:
        """The next calls of `method` answer these errors, one each; "ratelimited" answers HTTP
        429 with Retry-After, as Slack does."""
        self.failures.setdefault(method, deque()).extend(errors)

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/files/{file_id}/download/{name}", self._download)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await start_on_free_port(self._runner)
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _rate_limited(self, retry_after: int | None = -1) -> web.Response:
        """429 asking for `retry_after` s (by default the fake's `retry_after`; None: without a
        Retry-After)."""
        self.rate_limited += 1
        wait = self.retry_after if retry_after == -1 else retry_after
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={} if wait is None else {"Retry-After": str(wait)},
        )

    def _injected(self, method: str) -> web.Response | None:
        queued = self.failures.get(method)
        if not queued:
            return None
        error = queued.popleft()
        if error == "ratelimited":
            self.calls.pop()  # a refused call did not do anything
            return self._rate_limited()
        return web.json_response({"ok": False, "error": error})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        if (
            method == "chat.postMessage"
            and self.hold_after is not None
            and len(self.messages) >= self.hold_after
        ):
            await self._stopping.wait()
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        if method in self.slow:
            await asyncio.sleep(self.slow[method])
        if method in self.unreachable and request.transport is not None:
            request.transport.abort()
            return web.Response(status=503)
        if method == "oauth.v2.access":
            self.calls.append(Call(method, args))
            refused = self._client_auth(request, args)
            if refused:
                return web.json_response({"ok": False, "error": refused})
            return web.json_response(self._oauth_v2_access(args))
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        # auth.test may name its token in the body, as Bolt's authorize does.
        token = token or (str(args["token"]) if args.get("token") else None)
        owner = self.tokens.get(token or "")
        if owner is None:
            self.history.append((method, None, 200))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        org = owner if owner in self.orgs else None
        workspace = self._acting_in(org, args) if org else owner
        self.calls.append(Call(method, args, token, workspace, org))
        answer = self._answer(method, args)
        self.history.append((method, workspace, answer.status))
        said = answer.headers.get("Retry-After")
        channel = str(args.get("channel") or args.get("channel_id") or "")
        now = asyncio.get_running_loop().time()
        self.answers.append(
            Answer(
                method,
                workspace,
                channel,
                answer.status,
                now,
                None if said is None else float(said),
            )
        )
        return answer

    def _answer(self, method: str, args: dict[str, Any]) -> web.Response:
        injected = self._injected(method)
        if injected is not None:
            return injected
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = handler(args)
        if isinstance(result, web.Response):
            return result
        return web.json_response(result)

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"name": request.match_info["name"], **body})
        problems = block_problems(body.get("blocks") or [], max_blocks=50)
        if problems:
            self.violations.extend(problems)
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _download(self, request: web.Request) -> web.Response:
        # Like Slack: without the bot's token a private file's URL answers a sign-in page.
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.refused_downloads += 1
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        file_id = request.match_info["file_id"]
        if file_id not in self.contents:
            return web.Response(status=404, text="file_not_found")
        self.downloads.append(file_id)
        return web.Response(body=self.contents[file_id], content_type="text/csv")

    def _limited(self, workspace: str, channel: str = "") -> web.Response | None:
        count = next(self._post_count)
        if self.limit_every and count % self.limit_every == 0:
            return self._rate_limited()
        if workspace in self.storming:
            return self._rate_limited(None)
        if self.storms.get(workspace):
            return self._rate_limited(self.storms[workspace].pop(0))
        if self.random_429 and self._random.random() < self.random_429:
            return self._rate_limited()
        now = asyncio.get_running_loop().time()
        lane = (
            self._buckets.setdefault(f"{workspace}/{channel}", Bucket(self.channel_per_second, 1))
            if self.channel_per_second is not None and channel
            else None
        )
        if lane is not None and (wait := lane.take(now)):
            return self._limited_for(wait)
        if self.workspace_per_minute is not None:
            bucket = self._buckets.setdefault(
                workspace, Bucket(self.workspace_per_minute / 60, self.workspace_burst)
            )
            if wait := bucket.take(now):
                if lane is not None:
                    lane.level += 1  # refused: the channel's share was not used
                return self._limited_for(wait)
        if self.max_per_minute is not None:
            recent = self._recent.setdefault(workspace, deque())
            while recent and now - recent[0] >= 60:
                recent.popleft()
            if len(recent) >= self.max_per_minute:
                return self._limited_for(60 - (now - recent[0]))
            recent.append(now)
        return None

    def _limited_for(self, seconds: float) -> web.Response:
        """429 with Retry-After in whole seconds, as Slack sends it (never less than one)."""
        self.rate_limited += 1
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(max(1, math.ceil(seconds)))},
        )

    def _acting_in(self, org: str, args: dict[str, Any]) -> str:
        """The workspace a call with an organisation's token is about: the `team_id` it names,
        or the workspace of the person (or DM) it names; the organisation itself otherwise."""
        if str(args.get("team_id")) in self.org_of:
            return str(args["team_id"])
        for key in ("user", "user_id", "users", "channel", "channel_id"):
            named = str(args.get(key) or "")
            for user_id in (named, "U" + named[1:], "W" + named[1:]) if named else ():
                user = self.users.get(user_id)
                if user is not None and self.org_of.get(user["team_id"]) == org:
                    return str(user["team_id"])
        return org

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        call = self.calls[-1]
        return self.whoami(str(call.org or call.workspace))

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        # A workspace's token sees that workspace's people only; an organisation's, its own.
        call = self.calls[-1]
        if user is None or not self.in_reach(call.org or str(call.workspace), user["team_id"]):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.files.get(str(args.get("file")))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": found}

    def _check_blocks(self, args: dict[str, Any], max_blocks: int) -> dict[str, Any] | None:
        problems = block_problems(args.get("blocks") or [], max_blocks=max_blocks)
        if problems:
            self.violations.extend(problems)
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | web.Response:  # noqa: N802
        limited = self._limited(str(self.calls[-1].workspace), str(args.get("channel", "")))
        if limited is not None:
            self.calls.pop()  # a refused call did not post anything
            return limited
        channel = str(args.get("channel", ""))
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if channel.startswith("U") and channel not in self.users:
            return {"ok": False, "error": "channel_not_found"}
        if channel.startswith("U") and self.users[channel].get("deleted"):
            return {"ok": False, "error": "account_inactive"}
        problem = self._check_blocks(args, 50)
        if problem:
            return problem
        dm = dm_of(channel) if channel.startswith("U") else channel
        ts = self._next_ts()
        self.posted.add((dm, ts))
        self.messages.append(Posted(dm, ts, str(args.get("text", "")), args.get("blocks") or []))
        return {"ok": True, "channel": dm, "ts": ts}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        # Slack updates only a message the app posted, named by the channel and ts it returned.
        if (str(args.get("channel")), str(args.get("ts"))) not in self.posted:
            return {"ok": False, "error": "message_not_found"}
        return self._check_blocks(args, 50) or {
            "ok": True,
            "channel": args.get("channel"),
            "ts": args.get("ts"),
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if len(view.get("title", {}).get("text", "")) > 24:
            self.violations.append("modal title > 24")
            return {"ok": False, "error": "invalid_arguments"}
        return self._check_blocks(view, 100) or {"ok": True, "view": {"id": "V1", **view}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        return self._check_blocks(view, 100) or {"ok": True, "view": {"id": "V2", **view}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # Only the 1:1 DM is modelled: one user, not a group DM.
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if len(users) != 1:
            return {"ok": False, "error": "invalid_arguments"}
        user = self.users.get(users[0])
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if user.get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        if user.get("is_bot"):
            return {"ok": False, "error": "cannot_dm_bot"}
        return {"ok": True, "channel": {"id": dm_of(users[0])}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        filename = str(args.get("filename") or "")
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        alt = args.get("alt_txt")
        if alt is not None and len(str(alt)) > MAX_ALT_TEXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F0UPLOAD{next(self._file_ids):03d}"
        self.uploads[file_id] = Upload(file_id, filename, length, None if alt is None else str(alt))
        return {
            "ok": True,
            "file_id": file_id,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}",
        }

    async def _upload(self, request: web.Request) -> web.Response:
        # Like Slack's upload URL: no token needed (the URL is the secret), raw bytes in the body.
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        if self.failing_uploads:
            self.failing_uploads -= 1
            return web.Response(status=500, text="internal error")
        # Slack takes the bytes as the whole body or as a multipart form's `file`.
        if request.content_type == "multipart/form-data":
            part = (await request.post()).get("file")
            data = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            data = await request.read()
        upload.data = data
        # Slack takes the bytes either way; what is wrong with them shows at completion.
        if len(data) != upload.length:
            upload.problem = f"{upload.file_id}: {len(data)} bytes sent, {upload.length} announced"
        elif upload.filename.endswith(".json"):
            # Pepptalk's files are its charts (PNG) and people's exports (JSON).
            if not _is_json(data):
                upload.problem = f"{upload.file_id}: {upload.filename} is not UTF-8 JSON"
        elif not data.startswith(PNG_SIGNATURE):
            upload.problem = f"{upload.file_id}: {upload.filename} is not a PNG"
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def _files_completeUploadExternal(  # noqa: N802
        self, args: dict[str, Any]
    ) -> dict[str, Any] | web.Response:
        limited = self._limited(str(self.calls[-1].workspace), str(args.get("channel_id", "")))
        if limited is not None:
            self.calls.pop()  # a refused call did not share anything
            return limited
        listed = args.get("files")
        if not isinstance(listed, list) or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        uploads = [self.uploads.get(str(f.get("id"))) for f in listed if isinstance(f, dict)]
        if len(uploads) != len(listed) or any(u is None for u in uploads):
            return {"ok": False, "error": "file_not_found"}
        files = [u for u in uploads if u is not None]
        for upload in files:
            if upload.completed:
                self.violations.append(f"{upload.file_id} completed twice")
                return {"ok": False, "error": "invalid_arguments"}
            problem = upload.problem or (
                None if upload.data is not None else f"{upload.file_id}: nothing uploaded"
            )
            if problem:
                self.violations.append(problem)
                return {
                    "ok": False,
                    "error": "invalid_file",
                    "response_metadata": {"messages": [problem]},
                }
        channel = None if args.get("channel_id") is None else str(args["channel_id"])
        if channel is not None:
            if not CHANNEL_ID.match(channel):
                self.violations.append(f"channel_id {channel!r} is not a channel id")
                return {"ok": False, "error": "invalid_arguments"}
            if channel.startswith("D") and "U" + channel[1:] not in self.users:
                return {"ok": False, "error": "channel_not_found"}
        refused = self._check_blocks(args, 50)
        if refused:
            return refused
        for upload, listing in zip(files, listed, strict=True):
            upload.completed = True
            upload.title = str(listing.get("title") or upload.filename)
        if channel is not None:
            blocks = args.get("blocks") or []
            if args.get("initial_comment") and blocks:
                self.violations.append("initial_comment given: Slack drops the blocks")
                blocks = []
            text = str(args.get("initial_comment") or "")
            self.messages.append(Posted(channel, self._next_ts(), text, blocks, files))
        # Slack shares the file after answering, so the answer names no share (nor its ts) yet.
        return {"ok": True, "files": [{"id": u.file_id, "title": u.title} for u in files]}
