"""The dialogue's steps (`bot.transcript.Transactions`): one transaction each, and on SQLite a lock held by
another connection is waited for without blocking the loop, the whole step then run again."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import create_all
from bot.transcript import Transactions
from knowledge.db import make_engine
from tests.dbs import ON_POSTGRES, database_url


def _insert(connection: Connection, name: str, fail: bool = False) -> int:
    connection.execute(text("INSERT INTO wishes (user_id, chat_id, category, text, created_at) "
                            "VALUES (1, 1, 'idea', :name, CURRENT_TIMESTAMP)"), {"name": name})
    if fail:
        raise RuntimeError("the step fails after its first statement")
    return int(connection.execute(text("SELECT count(*) FROM wishes")).scalar_one())


def _names(connection: Connection) -> list[str]:
    return list(connection.execute(text("SELECT text FROM wishes ORDER BY id")).scalars())


async def _prepared(tmp_path: Path) -> tuple[Transactions, AsyncEngine]:
    engine = make_engine(database_url(tmp_path))
    await create_all(engine)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO users (id, name, blocked_bot, created_at, updated_at) "
                                      "VALUES (1, 'u', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    return Transactions(engine, contextlib.nullcontext()), engine


async def test_a_step_is_one_transaction(tmp_path: Path) -> None:
    steps, engine = await _prepared(tmp_path)
    assert await steps.write(_insert, "first") == 1
    with pytest.raises(RuntimeError):
        await steps.write(_insert, "half", fail=True)
    assert await steps.read(_names) == ["first"]  # the failed step left nothing
    await steps.close()
    assert await steps.write(_insert, "after close") == 2  # a closed connection is opened again
    await steps.close()
    await engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="the file lock is SQLite's")
async def test_a_locked_file_is_waited_for_and_the_whole_step_run_again(tmp_path: Path) -> None:
    steps, engine = await _prepared(tmp_path)
    holder = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    runs = 0
    ticks = 0

    def counted(connection: Connection) -> int:
        nonlocal runs
        runs += 1
        return _insert(connection, "waited")

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    clock = asyncio.create_task(ticker())
    step = asyncio.create_task(steps.write(counted))
    await asyncio.sleep(0.3)
    assert not step.done() and runs >= 2  # tried, found the file locked, tried again...
    assert ticks >= 10  # ...while the loop went on
    holder.rollback()
    holder.close()
    assert await asyncio.wait_for(step, 5) == 1
    clock.cancel()
    assert await steps.read(_names) == ["waited"]  # written once
    await steps.close()
    await engine.dispose()


async def test_a_new_tickets_place_counts_the_waiting_ones_before_it_critical_first(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.transcript import NewTicket, create_ticket

    steps, engine = await _prepared(tmp_path)
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    async def place(critical: bool, minute: int) -> int:
        ticket = NewTicket(1, 1, {"account": "a.aspro.cloud", "category": "bug", "critical": critical,
                                  "description": "не работает", "help_links": []}, None)
        _number, place = await steps.write(create_ticket, ticket, start + timedelta(minutes=minute))
        return place

    assert await place(False, 0) == 1
    assert await place(False, 1) == 2
    assert await place(True, 2) == 1  # an outage goes before the others (SLA 2.1)
    assert await place(False, 3) == 4
    assert await place(True, 4) == 2  # after the earlier outage
    async with engine.begin() as connection:  # one taken by an agent leaves the queue
        await connection.execute(text("UPDATE tickets SET state = 'in_progress' WHERE id = 1"))
    assert await place(False, 5) == 5  # 3, 5 (critical), 2, 4 before it
    await steps.close()
    await engine.dispose()
