"""A local stand-in for Slack's Web API: records calls, enforces Block Kit limits, rate limits.

It answers like Slack does: `{"ok": false, "error": ...}` with HTTP 200 for API errors, HTTP 429
with `Retry-After` when rate limited, and `invalid_blocks` for blocks over Slack's limits.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.serving import start_on_free_port

TOKEN = "xoxb-test-token"
WORKSPACE = "T0PEPP"


@dataclass
class Call:
    """One recorded API call."""

    method: str
    args: dict[str, Any]


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
class FakeSlackApi:
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
    violations: list[str] = field(default_factory=list)
    # Answer 429 to every Nth chat.postMessage (None: never), asking to wait `retry_after` s.
    limit_every: int | None = None
    retry_after: int = 1
    # Like Slack's workspace-wide cap on chat.postMessage: at most this many a minute.
    max_per_minute: int | None = None
    rate_limited: int = 0
    _runner: web.AppRunner | None = None
    _post_count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _recent: deque[float] = field(default_factory=deque)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0

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
    ) -> None:
        profile = {"display_name": name, "real_name": name}
        if email is not None:
            # Slack shows it only to apps with users:read.email.
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": WORKSPACE,
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

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/files/{file_id}/download/{name}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await start_on_free_port(self._runner)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = await self._args(request)
        self.calls.append(Call(method, args))
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

    def _limited(self) -> web.Response | None:
        import asyncio

        count = next(self._post_count)
        if self.limit_every and count % self.limit_every == 0:
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if self.max_per_minute is not None:
            now = asyncio.get_running_loop().time()
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            if len(self._recent) >= self.max_per_minute:
                self.rate_limited += 1
                wait = max(1, int(60 - (now - self._recent[0])) + 1)
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            self._recent.append(now)
        return None

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team_id": WORKSPACE,
            "team": "Pepptalk Test",
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "url": "https://pepptalk-test.slack.com/",
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
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
        limited = self._limited()
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
        dm = "D" + channel[1:] if channel.startswith("U") else channel
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        self.posted.add((dm, ts))
        return {"ok": True, "channel": dm, "ts": ts}

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
