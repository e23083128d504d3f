"""The whole Pepptalk server on a real port and a fake Slack Web API, driven by signed requests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from pepptalk.bot.app import Pepptalk, create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.services import Services
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

SECRET = "test-signing-secret"


def signed_headers(body: str, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    """Headers Slack would send with `body`, signed `age` seconds ago."""
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body) or ""
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


class SlackHarness:
    """Send what Slack sends; read what Pepptalk did at the fake Web API."""

    def __init__(self, api: FakeSlackApi, pepptalk: Pepptalk, url: str, clock: FakeClock) -> None:
        self.api, self.pepptalk, self.url, self.clock = api, pepptalk, url, clock
        self.http = aiohttp.ClientSession()
        self._responses = 0
        # Answers that came in a slash command's ack, in order.
        self.acks: list[dict[str, Any]] = []

    @property
    def services(self) -> Services:
        return self.pepptalk.services

    async def post(
        self, body: str, *, content_type: str, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        all_headers = {"Content-Type": content_type, **(headers or signed_headers(body))}
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=all_headers) as r:
            await r.read()
            return r

    async def next_response(self, within: float = 5.0) -> dict[str, Any]:
        """The next message Pepptalk posted to a response_url."""
        deadline = asyncio.get_running_loop().time() + within
        while len(self.api.responses) <= self._responses:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("Pepptalk answered nothing at the response_url")
            await asyncio.sleep(0.01)
        self._responses += 1
        return self.api.responses[self._responses - 1]

    async def command(
        self,
        user_id: str,
        text: str,
        *,
        workspace: str = WORKSPACE,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Type /pepptalk `text`; `extra` adds fields (an Enterprise Grid organisation's)."""
        body = urlencode(
            {
                "token": "legacy",
                "team_id": workspace,
                "user_id": user_id,
                "command": "/pepptalk",
                "text": text,
                "response_url": self.api.response_url("command"),
                "trigger_id": "trigger-1",
                "channel_id": "C0",
                **(extra or {}),
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=headers) as r:
            assert r.status == 200
            acked = await r.read()
        # A quick answer comes in the ack itself; a slow one (or none) at the response_url.
        if acked:
            answer: dict[str, Any] = json.loads(acked)
            self.acks.append(answer)
            return answer
        return await self.next_response()

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def click(self, user_id: str, block: dict[str, Any], button: dict[str, Any]) -> None:
        response = await self.interact(
            {
                "type": "block_actions",
                "team": {"id": WORKSPACE},
                "user": {"id": user_id, "team_id": WORKSPACE},
                "trigger_id": "trigger-2",
                "response_url": self.api.response_url("button"),
                "container": {"type": "message"},
                "actions": [
                    {
                        "type": "button",
                        "block_id": block["block_id"],
                        "action_id": button["action_id"],
                        "value": button["value"],
                    }
                ],
            }
        )
        assert response.status == 200

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str,
        retry: int = 0,
        workspace: str | None = WORKSPACE,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Send an event; `extra` adds to (or, with None, takes out of) the envelope."""
        envelope = {
            "type": "event_callback",
            "team_id": workspace,
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            **(extra or {}),
        }
        body = json.dumps({k: v for k, v in envelope.items() if v is not None})
        headers = signed_headers(body)
        if retry:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        response = await self.post(body, content_type="application/json", headers=headers)
        return response.status

    async def close(self) -> None:
        await self.http.close()


@asynccontextmanager
async def running_pepptalk(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackHarness]:
    """Pepptalk on port 0 with its own SQLite file, pointed at a fresh fake Web API."""
    api = await FakeSlackApi().start()
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}",
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_url=api.base_url,
    )
    async with serving(await create_app(settings, clock=clock), api, clock) as harness:
        yield harness


@asynccontextmanager
async def serving(
    pepptalk: Pepptalk, api: FakeSlackApi, clock: FakeClock
) -> AsyncIterator[SlackHarness]:
    """Serve a built Pepptalk on port 0; close it and the fake Web API afterwards."""
    try:
        async with served(pepptalk.web) as url:
            harness = SlackHarness(api, pepptalk, url, clock)
            try:
                yield harness
            finally:
                await harness.close()
    finally:
        await pepptalk.close()
        await api.stop()
