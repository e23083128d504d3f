"""A PostgreSQL schema of a benchmark's own, made before and dropped after, whatever happens."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.config import async_database_url
from pepptalk.store.database import create_engine


async def in_own_schema(
    url: str, prefix: str, work: Callable[[AsyncEngine, str], Awaitable[int]]
) -> int:
    """Run `work` on an engine whose every connection works in a new schema (`prefix` and the
    process id), then drop the schema."""
    schema = f"{prefix}_{os.getpid()}"
    admin = create_engine(async_database_url(url))
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = create_engine(
                async_database_url(url), connect_args={"server_settings": {"search_path": schema}}
            )
            try:
                return await work(engine, schema)
            finally:
                await engine.dispose()
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            print(f"schema {schema} dropped")
    finally:
        await admin.dispose()
