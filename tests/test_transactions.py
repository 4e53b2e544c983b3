"""The dialogue's steps (`bot.transcript.Transactions`): one transaction each, and on SQLite a lock held by
another connection is waited for without blocking the loop, the whole step then run again; on PostgreSQL
the steps of every message are one statement each, with the effects they have on SQLite, and a step that
lost a deadlock is run again."""

from __future__ import annotations

import asyncio
import contextlib
import json
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


def _store_rows(connection: Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        "updates": [tuple(r) for r in connection.execute(text(
            "SELECT update_id, chat_id, done_at IS NULL FROM processed_updates ORDER BY update_id"))],
        "users": [tuple(r) for r in connection.execute(text(
            "SELECT id, name, username, blocked_bot FROM users ORDER BY id"))],
        "messages": [tuple(r) for r in connection.execute(text(
            "SELECT update_id, direction, author_kind, author_id, kind, text, telegram_message_id, internal, flagged "
            "FROM messages ORDER BY id"))],
    }


async def test_storing_an_update_is_one_step_with_the_same_effects_on_both_engines(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.conversation import Incoming
    from bot.transcript import mark_done, store_update_at_once

    steps, engine = await _prepared(tmp_path)  # user 1 exists, named "u"
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    async def store(**fields: object) -> bool:
        return await steps.write_one(store_update_at_once, Incoming(**fields), now)  # type: ignore[arg-type]

    assert await store(update_id=10, chat_id=2, user_id=2, type="text", text="Привет", name="Анна",
                       username="anna", message_id=5)
    # re-delivered before it was handled: still to be handled, stored once
    assert await store(update_id=10, chat_id=2, user_id=2, type="text", text="Привет", name="Анна",
                       username="anna", message_id=5)
    assert await store(update_id=11, chat_id=2, user_id=2, type="command", command="status", text="",
                       name="Анна Л.", username="anna", message_id=6)  # renamed in Telegram
    assert await store(update_id=12, chat_id=2, user_id=2, type="press", text="send", name="", message_id=6)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE users SET blocked_bot = true WHERE id = 1"))
    assert await store(update_id=13, chat_id=1, user_id=1, type="media", kind="photo", file_id="f", text="",
                       name="u", message_id=7)
    rows = await steps.read(_store_rows)
    assert rows["updates"] == [(10, 2, True), (11, 2, True), (12, 2, True), (13, 1, True)]
    assert rows["users"] == [(1, "u", None, False), (2, "Анна Л.", "anna", False)]  # unblocked by writing again
    assert rows["messages"] == [  # a button press has no message of its own
        (10, "in", "user", 2, "text", "Привет", 5, False, False),
        (11, "in", "user", 2, "text", "/status", 6, False, False),
        (13, "in", "user", 1, "photo", None, 7, False, False),
    ]
    await steps.write(mark_done, 11, now)  # handled: a re-delivered copy is a no-op
    assert not await store(update_id=11, chat_id=2, user_id=2, type="command", command="status", text="",
                           name="Анна Л.")
    assert len((await steps.read(_store_rows))["messages"]) == 3
    await steps.close()
    await engine.dispose()


async def test_a_plain_outcome_is_one_step_replies_in_order(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.transcript import finish

    steps, engine = await _prepared(tmp_path)
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO processed_updates (update_id, chat_id, received_at) "
                                      "VALUES (7, 1, CURRENT_TIMESTAMP), (8, 1, CURRENT_TIMESTAMP)"))
    state = {"step": "collecting", "strikes": 1, "data": {"draft": {"account": "a.aspro.cloud"}},
             "draft_started_message_id": None, "updated_at": now}
    parts = [("первая часть", None), ("вторая", [[["Отправить", "send"]]]), ("третья", None)]
    first = await steps.write_one(finish, 1, 1, 7, False, state, parts, now)
    assert len(first) == 3 and first == sorted(first)
    again = await steps.write_one(finish, 1, 1, 8, True, {**state, "step": "idle", "strikes": 2, "data": {}}, [], now)
    assert again == []

    def effects(connection: Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[bool]]:
        replies = [tuple(r) for r in connection.execute(text(
            "SELECT id, chat_id, direction, author_kind, kind, text, sent_at IS NULL FROM messages ORDER BY id"))]
        conversation = [tuple(r) for r in connection.execute(text(
            "SELECT chat_id, user_id, step, strikes FROM conversations"))]
        done = [bool(r) for r in connection.execute(text(
            "SELECT done_at IS NOT NULL FROM processed_updates ORDER BY update_id")).scalars()]
        return replies, conversation, done

    replies, conversation, done = await steps.read(effects)
    assert replies == [(first[0], 1, "out", "bot", "text", "первая часть", True),
                       (first[1], 1, "out", "bot", "text", "вторая", True),
                       (first[2], 1, "out", "bot", "text", "третья", True)]
    assert conversation == [(1, 1, "idle", 2)]
    assert done == [True, True]

    def buttons(connection: Connection) -> object:
        return connection.execute(text("SELECT buttons FROM messages WHERE id = :id"), {"id": first[1]}).scalar_one()

    stored = await steps.read(buttons)
    assert (stored if isinstance(stored, list) else json.loads(str(stored))) == [[["Отправить", "send"]]]
    await steps.close()
    await engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's deadlock detection; SQLite takes one writer at a time")
async def test_a_deadlock_victim_step_is_run_again(tmp_path: Path) -> None:
    steps, engine = await _prepared(tmp_path)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO wishes (user_id, chat_id, category, text, created_at) VALUES "
                                      "(1, 1, 'idea', 'a', CURRENT_TIMESTAMP), (1, 1, 'idea', 'b', CURRENT_TIMESTAMP)"))
    runs: list[str] = []

    def cross(connection: Connection, first: str, second: str) -> None:
        runs.append(first)
        connection.execute(text("UPDATE wishes SET account = :by WHERE text = :row"), {"by": first, "row": first})
        connection.execute(text("SELECT pg_sleep(0.3)"))  # both hold their first row now
        connection.execute(text("UPDATE wishes SET account = :by WHERE text = :row"), {"by": first, "row": second})

    await asyncio.gather(steps.write(cross, "a", "b"), steps.write(cross, "b", "a"))
    assert sorted(runs) in (["a", "a", "b"], ["a", "b", "b"])  # the victim ran again and finished

    def accounts(connection: Connection) -> set[str]:
        return set(connection.execute(text("SELECT account FROM wishes")).scalars())

    assert len(await steps.read(accounts)) == 1  # the step that ran last set both rows
    await steps.close()
    await engine.dispose()
