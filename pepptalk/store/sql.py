"""Small SQL helpers the repositories share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.store.models import Member


def upsert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT: both dialects spell it alike, on their own insert()."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def is_postgresql(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL (row locks with SKIP LOCKED are there)."""
    return bool(session.get_bind().dialect.name == "postgresql")


def changed(result: Result[Any]) -> int:
    """How many rows a statement changed (0 when the driver cannot say)."""
    return max(result.rowcount, 0) if isinstance(result, CursorResult) else 0


def active() -> ColumnElement[bool]:
    """Members still in their team."""
    return Member.removed_at.is_(None)
