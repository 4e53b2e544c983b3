"""Schema migrations (alembic) applied from code: at the start of the bot and of `python -m knowledge`.

The help-center index and the bot keep their own migration histories (`knowledge/migrations`,
`bot/migrations`) in their own version tables, so the index can run alone. Both are applied on the
connection given, inside one transaction; on PostgreSQL an advisory lock makes instances that start
together apply them one after another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, TypeDecorator, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK = 0x6B625F6D  # pg_advisory_xact_lock key held while a schema is being migrated


class SchemaError(RuntimeError):
    """The database schema cannot be used by this version of the code (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class History:
    """One migration history: where its scripts are, which table records its revision, its tables."""

    name: str              # the section of alembic.ini: `alembic -n NAME ...`
    location: Path
    version_table: str
    metadata: MetaData
    baseline: str          # the first revision: what `create_all` made before migrations existed

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.location))
        config.set_main_option("version_table", self.version_table)
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def owns(self, table_name: str) -> bool:
        return table_name in self.metadata.tables


def knowledge_history() -> History:
    from knowledge.storage import metadata

    return History("knowledge", ROOT / "knowledge" / "migrations", "alembic_version_kb", metadata, "kb0001")


def _pending(connection: Connection, history: History) -> tuple[str | None, str]:
    script = ScriptDirectory.from_config(history.config())
    context = MigrationContext.configure(connection, opts={"version_table": history.version_table})
    current = context.get_current_revision()
    head = script.get_current_head()
    assert head is not None
    if current is not None and current != head:
        try:
            script.get_revision(current)
        except Exception as error:
            raise SchemaError(
                f"the database schema ({history.name}) is at revision {current}, which this version of the bot "
                "does not know: it was migrated by a newer version; run that version or restore a backup"
            ) from error
    return current, head


def upgrade(connection: Connection, histories: list[History], *, apply: bool = True) -> list[str]:
    """Bring each history to its head on this connection; the names of those migrated.

    With `apply=False` a pending migration raises `SchemaError` instead (the bot refuses to start).
    A database made before migrations existed (tables, no version) is stamped at the baseline first.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    migrated: list[str] = []
    for history in histories:
        current, head = _pending(connection, history)
        if current == head:
            continue
        if not apply:
            raise SchemaError(
                f"the database schema ({history.name}) is at revision {current or 'none'}, this version needs "
                f"{head}: run `python -m bot migrate` (or set AUTO_MIGRATE=true to migrate at start)"
            )
        config = history.config(connection)
        if current is None and any(history.owns(name) for name in inspect(connection).get_table_names()):
            # tables made by create_all before migrations: at the head if they match the models, else at the
            # baseline (the first schema) and migrated from there
            command.stamp(config, "head" if _matches(connection, history) else history.baseline)
        command.upgrade(config, "head")
        migrated.append(history.name)
    return migrated


def _matches(connection: Connection, history: History) -> bool:
    """The database's tables of this history are those of its models."""
    from alembic.autogenerate import compare_metadata

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_name": lambda name, kind, _parent: kind != "table" or history.owns(name or ""),
    })
    return not compare_metadata(context, history.metadata)


async def migrate(engine: AsyncEngine, histories: list[History], *, apply: bool = True) -> list[str]:
    """`upgrade` in one transaction of the engine."""
    async with engine.begin() as connection:
        return await connection.run_sync(lambda sync: upgrade(sync, histories, apply=apply))


def run_env(history: History) -> None:
    """The body of a history's `env.py`: on the connection given by `upgrade`, or (the alembic
    command line) on `DATABASE_URL` from the environment or `.env`."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, history)
        return
    import asyncio

    from knowledge.db import make_engine
    from knowledge.settings import KnowledgeSettings

    url = context.config.get_main_option("sqlalchemy.url") or KnowledgeSettings().database_url

    async def online() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: _run(context, sync, history))
        finally:
            await engine.dispose()

    asyncio.run(online())


def _run(context: Any, connection: Connection, history: History) -> None:
    context.configure(
        connection=connection,
        target_metadata=history.metadata,
        version_table=history.version_table,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        include_name=lambda name, kind, _parent: kind != "table" or history.owns(name or ""),
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(kind: str, item: Any, _context: Any) -> str | bool:
    """Columns of a project type (aware UTC datetimes) are plain columns of its underlying type."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False
