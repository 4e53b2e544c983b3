"""SQLite for the asyncio engine, run on the event loop's own thread.

aiosqlite runs every statement on a thread of its own and hands the result back through the event
loop: two thread switches and a wake-up of the loop per statement, which cost far more than the
statement itself (a lookup by key in a local file takes microseconds). Here the statements run where
they are called. What must not block the loop is waiting for a lock another connection holds, so the
connection's own busy timeout is zero and a statement that finds the database locked sleeps
asynchronously and tries again until the timeout the engine was given (30 s by default) has passed;
then it raises "database is locked" as SQLite would.

The class mimics the part of `aiosqlite.Connection` that SQLAlchemy's aiosqlite dialect uses, so the
engine is made with `create_async_engine("sqlite+aiosqlite://...", async_creator=...)` and everything
above it (sessions, Core, alembic) is unchanged.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

FIRST_WAIT = 0.001  # seconds; the wait doubles up to LONGEST_WAIT while the database stays locked
LONGEST_WAIT = 0.05


def locked(error: BaseException) -> bool:
    """SQLite's "database is locked" (or busy), raw or wrapped by SQLAlchemy."""
    cause = getattr(error, "orig", None) or error
    if not isinstance(cause, sqlite3.OperationalError):
        return False
    text = str(cause).lower()
    return "locked" in text or "busy" in text


async def patiently(call: Callable[[], T], patience: float) -> T:
    """Run a SQLite call (a statement, a commit, a whole step); while the database is locked by another
    connection, wait without blocking the loop and run it again, for up to `patience` seconds."""
    try:
        return call()
    except Exception as error:
        if not locked(error) or patience <= 0:
            raise
    deadline = time.monotonic() + patience
    wait = FIRST_WAIT
    while True:
        await asyncio.sleep(wait)
        try:
            return call()
        except Exception as error:
            if not locked(error) or time.monotonic() >= deadline:
                raise
        wait = min(wait * 2, LONGEST_WAIT)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor, timeout: float) -> None:
        self._cursor = cursor
        self._timeout = timeout

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        await patiently(lambda: self._cursor.execute(sql, parameters), self._timeout)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)  # a generator could not be tried twice
        await patiently(lambda: self._cursor.executemany(sql, rows), self._timeout)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None


class _Immediate:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy sets the isolation level through it."""

    def put_nowait(self, item: tuple[Future[Any] | asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the waiting caller, as aiosqlite's thread does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection:
    """The subset of `aiosqlite.Connection` SQLAlchemy's dialect calls, running on the caller's thread."""

    def __init__(self, connection: sqlite3.Connection, timeout: float) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._timeout = timeout
        self._tx = _Immediate()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # truthy while open, as aiosqlite's is
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._open().in_transaction

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor(), self._timeout)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        connection = self._open()
        await patiently(connection.commit, self._timeout)

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any],
                              deterministic: bool = False) -> None:
        self._open().create_function(name, num_params, func, deterministic=deterministic)

    async def close(self) -> None:
        if self._conn is not None:
            connection, self._conn = self._conn, None
            connection.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._conn is not None:
            connection, self._conn = self._conn, None
            connection.close()


def inline_creator(database: str, timeout: float = 30.0, uri: bool = False,
                   **_ignored: Any) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for `create_async_engine`: connections that wait for locks asynchronously."""

    async def connect() -> InlineConnection:
        # isolation_level "" keeps the sqlite3 module's own transaction handling, as aiosqlite has it
        connection = sqlite3.connect(database, timeout=0, uri=uri, check_same_thread=False, isolation_level="")
        return InlineConnection(connection, timeout)

    return connect
