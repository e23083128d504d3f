"""Serving an aiohttp app on a free port of 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


async def start_on_free_port(runner: web.AppRunner) -> int:
    """Start `runner` on 127.0.0.1 at a port the system picks; that port."""
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return int(port)


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1 while the block runs; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    port = await start_on_free_port(runner)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
