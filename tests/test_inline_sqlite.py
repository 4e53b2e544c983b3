"""SQLite on the event loop's thread: a lock held elsewhere is waited for without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from knowledge.db import make_engine


async def _table(path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)"))
    await engine.dispose()


async def test_statements_run_on_the_loops_thread_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    await _table(path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        rows = [{"n": n, "v": f"v{n}"} for n in range(5)]
        await connection.execute(text("INSERT INTO t (n, v) VALUES (:n, :v)"), rows)
        inserted = (await connection.execute(text("INSERT INTO t (v) VALUES ('x') RETURNING n"))).scalar_one()
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT n, v FROM t ORDER BY n"))).all()
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
    await engine.dispose()
    assert [tuple(row) for row in rows] == [(n, f"v{n}") for n in range(5)] + [(5, "x")]
    assert inserted == 5
    assert mode == "wal"


async def test_a_rolled_back_transaction_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    await _table(path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('gone')"))
            raise RuntimeError("abort")
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    await engine.dispose()


async def test_a_lock_held_by_another_process_is_waited_for_while_the_loop_runs(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    await _table(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another process's transaction holds it
    holder.execute("INSERT INTO t (v) VALUES ('first')")
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('second')"))

    clock = asyncio.create_task(ticker())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()  # waiting for the lock...
    assert ticks >= 10  # ...while the loop went on with other work
    holder.commit()
    await asyncio.wait_for(writer, 5)
    clock.cancel()
    async with engine.connect() as connection:
        values = (await connection.execute(text("SELECT v FROM t ORDER BY n"))).scalars().all()
    await engine.dispose()
    holder.close()
    assert values == ["first", "second"]


async def test_a_lock_held_past_the_timeout_raises_database_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    await _table(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    engine = make_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0.3})
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('never')"))
    assert time.monotonic() - started >= 0.3
    holder.rollback()
    holder.close()
    await engine.dispose()
