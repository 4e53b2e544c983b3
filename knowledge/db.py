"""Database engine shared by the knowledge index and the bot (one `DATABASE_URL`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from knowledge.inline_sqlite import inline_creator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite, which forgets the zone, stores them as naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SQLITE_LOCK_TIMEOUT = 30.0  # seconds a statement waits for another connection's lock on the file


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys, a busy timeout, and runs on the loop's thread."""
    if url.startswith("sqlite"):
        parsed = make_url(url)
        connect_args = {"timeout": SQLITE_LOCK_TIMEOUT, **kwargs.pop("connect_args", {})}
        args, params = parsed.get_dialect()().create_connect_args(parsed)
        kwargs.setdefault("async_creator", inline_creator(*args, **{**params, **connect_args}))
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No ping before each use (a round trip per transaction): a connection the server dropped fails its
    # statement, SQLAlchemy then discards the whole pool, and the dialogue retries once it is reachable.
    kwargs.setdefault("pool_pre_ping", False)
    # many chats handled at once; a few instances stay under PostgreSQL's default 100 connections
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


def sqlite_file_twin(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file (None for another database or an in-memory one).

    Its connections never wait inside SQLite (busy timeout 0): a caller that finds the file locked
    gets "database is locked" at once and waits asynchronously before trying again.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "memory" in str(url.query):
        return None
    twin = create_engine(url.set(drivername="sqlite"), connect_args={"timeout": 0})
    event.listen(twin, "connect", _sqlite_pragmas)
    return twin
