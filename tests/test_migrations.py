"""The schema made by the migrations is the schema of the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.migrations.history import bot_history, histories, migrate_all
from bot.storage import Base
from knowledge.db import make_engine
from knowledge.migrate import SchemaError, knowledge_history, migrate
from knowledge.storage import metadata as kb_metadata
from tests.dbs import database_url


def _differences(sync_connection) -> dict[str, list]:
    found = {}
    for history in histories():
        context = MigrationContext.configure(sync_connection, opts={
            "compare_type": True, "include_name": lambda name, kind, _p, h=history: kind != "table" or h.owns(name),
        })
        found[history.name] = compare_metadata(context, history.metadata)
    return found


async def test_migrated_schema_equals_the_models(tmp_path):
    engine = make_engine(database_url(tmp_path))
    try:
        assert await migrate_all(engine) == ["knowledge", "bot"]
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        # a model changed without a migration: `alembic revision --autogenerate -m "..."` (README)
        assert differences == {"knowledge": [], "bot": []}
        assert set(Base.metadata.tables) | set(kb_metadata.tables) <= tables
        assert await migrate_all(engine) == []  # nothing pending the second time
    finally:
        await engine.dispose()


async def test_the_index_migrates_alone(tmp_path):
    engine = make_engine(database_url(tmp_path))
    try:
        assert await migrate(engine, [knowledge_history()]) == ["knowledge"]
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        assert set(kb_metadata.tables) <= tables
        assert not set(Base.metadata.tables) & tables
        assert await migrate_all(engine) == ["bot"]
    finally:
        await engine.dispose()


async def test_pending_migrations_refuse_to_start_when_not_applied(tmp_path):
    engine = make_engine(database_url(tmp_path))
    try:
        with pytest.raises(SchemaError, match="python -m bot migrate"):
            await migrate_all(engine, apply=False)
        await migrate_all(engine)
        await migrate_all(engine, apply=False)  # up to date: starts
    finally:
        await engine.dispose()


async def test_a_schema_newer_than_the_code_is_refused(tmp_path):
    engine = make_engine(database_url(tmp_path))
    try:
        await migrate_all(engine)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'fromthefuture'"))
        with pytest.raises(SchemaError, match="newer version"):
            await migrate_all(engine)
    finally:
        await engine.dispose()


async def test_tables_made_before_migrations_are_adopted(tmp_path):
    """A database whose tables `create_all` made (before migrations existed) is stamped, not re-created."""
    engine = make_engine(database_url(tmp_path))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.run_sync(kb_metadata.create_all)
            await conn.execute(text("INSERT INTO users (id, name, blocked_bot, created_at, updated_at) "
                                    "VALUES (7, 'Анна', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        assert await migrate_all(engine) == ["knowledge", "bot"]
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT name FROM users"))).scalar_one() == "Анна"
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        assert version == ScriptDirectory.from_config(bot_history().config()).get_current_head()
    finally:
        await engine.dispose()


async def test_tables_of_an_older_schema_are_adopted_at_the_baseline_and_migrated(tmp_path):
    """Tables `create_all` made before the desk's reminders, the messages' update index, the tickets'
    topic claim, the relay queue and the delivery queue existed: stamped at the first schema, then migrated."""
    engine = make_engine(database_url(tmp_path))
    older = [table for table in Base.metadata.sorted_tables if table.name != "desk_reminders"]
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=older))
            await conn.execute(text("DROP INDEX ix_messages_update"))
            await conn.execute(text("DROP INDEX ix_messages_relay"))
            for column in ("relay_due_at", "route", "reply_to", "attempts", "delivery_error", "waiting_noted"):
                await conn.execute(text(f"ALTER TABLE messages DROP COLUMN {column}"))
            for column in ("topic_claim", "topic_claimed_at"):
                await conn.execute(text(f"ALTER TABLE tickets DROP COLUMN {column}"))
        assert await migrate_all(engine) == ["knowledge", "bot"]
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == {"knowledge": [], "bot": []}
    finally:
        await engine.dispose()
