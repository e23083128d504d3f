"""Slash-command ack latency: Pepptalk's /slack/events against a bare Bolt app that only acks.

Both servers run in this process on 127.0.0.1, with their Web API client pointed at the local
FakeSlackApi. Each request is a signed `/pepptalk help`; the time measured is from sending the
request to reading the HTTP response, which is when Slack would see the ack.

    .venv/bin/python -m bench.ack_latency [--requests 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.core.i18n import copy_for
from tests.fakes.serving import served
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

SECRET = "bench-signing-secret"
WARMUP = 20


@dataclass(frozen=True)
class Result:
    """Latencies (seconds) of one run, and how long the whole run took."""

    latencies: list[float]
    wall: float

    def percentile(self, p: float) -> float:
        """The p-th percentile (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def slowest(self) -> float:
        return max(self.latencies)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def line(self, name: str) -> str:
        """One printable row."""
        return (
            f"{name:<10} n={len(self.latencies):<5} p50={self.p50 * 1000:7.2f} ms  "
            f"p99={self.p99 * 1000:7.2f} ms  max={self.slowest * 1000:7.2f} ms  "
            f"{self.rate:8.1f} req/s"
        )


def signed_command(fake: FakeSlackApi, i: int) -> tuple[bytes, dict[str, str]]:
    """A `/pepptalk help` body and headers, signed the way Slack signs them."""
    body = urlencode(
        {
            "token": "verification-token-unused",
            "team_id": WORKSPACE,
            "team_domain": "pepptalk-test",
            "channel_id": "D0BENCH",
            "user_id": f"UBENCH{i:05d}",
            "user_name": f"bench{i}",
            "command": "/pepptalk",
            "text": "help",
            "response_url": fake.response_url(f"r{i}"),
            "trigger_id": f"{i}.1.bench",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body) or ""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app on 127.0.0.1, a free port; yields its /slack/events URL."""
    async with served(app) as url:
        yield f"{url}/slack/events"


def bare_web_app(fake: FakeSlackApi) -> web.Application:
    """The smallest Bolt app: same secret and client, `/pepptalk` only acks."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=fake.base_url, timeout=10),
        signing_secret=SECRET,
    )

    @bolt.command("/pepptalk")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    return app


async def hammer(
    session: aiohttp.ClientSession,
    url: str,
    fake: FakeSlackApi,
    *,
    first: int,
    count: int,
    concurrency: int,
) -> Result:
    """Send `count` signed commands, `concurrency` at a time; time each until its response."""
    slots = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        body, headers = signed_command(fake, i)
        async with slots:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"request {i}: HTTP {response.status}")
            latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(first, first + count)))
    return Result(latencies=latencies, wall=time.perf_counter() - started)


async def wait_until(done: Callable[[], bool]) -> bool:
    """Poll until `done()`, for at most 30 s; whether it got done."""
    for _ in range(600):
        if done():
            return True
        await asyncio.sleep(0.05)
    return done()


async def measure(
    name: str,
    app: web.Application,
    fake: FakeSlackApi,
    *,
    requests: int,
    concurrency: int,
    expect_responses: bool,
) -> Result:
    """Warm a server up, then time `requests` commands against it."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with serving(app) as url, aiohttp.ClientSession(connector=connector) as session:
        before = len(fake.responses)
        await hammer(session, url, fake, first=0, count=WARMUP, concurrency=concurrency)
        result = await hammer(
            session, url, fake, first=WARMUP, count=requests, concurrency=concurrency
        )
        if expect_responses:
            # Let every background respond() land before the server goes away.
            wanted = before + WARMUP + requests
            if not await wait_until(lambda: len(fake.responses) >= wanted):
                print(
                    f"{name}: only {len(fake.responses) - before} of "
                    f"{WARMUP + requests} replies reached the response_url"
                )
    return result


async def main(requests: int, concurrency: int) -> None:
    """Run both servers and print the comparison."""
    fake = await FakeSlackApi().start()
    with tempfile.TemporaryDirectory(prefix="pepptalk-bench-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'pepptalk.db'}",
            slack_bot_token=SecretStr(TOKEN),
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=fake.base_url,
        )
        pepptalk = await create_app(settings)
        try:
            print(
                f"{requests} signed `/pepptalk help` requests, {concurrency} concurrent, "
                f"after {WARMUP} warm-up requests each"
            )
            ours = await measure(
                "pepptalk",
                pepptalk.web,
                fake,
                requests=requests,
                concurrency=concurrency,
                expect_responses=True,
            )
            print(ours.line("pepptalk"))
            bare = await measure(
                "bare",
                bare_web_app(fake),
                fake,
                requests=requests,
                concurrency=concurrency,
                expect_responses=False,
            )
            print(bare.line("bare bolt"))
            print(
                f"ratio pepptalk/bare: p50 {ours.p50 / bare.p50:.2f}x, "
                f"p99 {ours.p99 / bare.p99:.2f}x"
            )
            oops = copy_for("en")("errors.something_wrong")
            failed = sum(1 for r in fake.responses if r.get("text") == oops)
            print(
                f"replies posted to response_url: {len(fake.responses)} "
                f"({failed} were the 'something went wrong' reply), "
                f"block violations: {len(fake.violations)}"
            )
        finally:
            await pepptalk.close()
            await fake.stop()


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per server")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = cli()
    asyncio.run(main(options.requests, options.concurrency))
