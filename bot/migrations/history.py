"""The bot's migration history and the schema check at start (the index's history comes first)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.migrate import History, knowledge_history, migrate


def bot_history() -> History:
    from bot.storage import Base

    return History("bot", Path(__file__).resolve().parent, "alembic_version", Base.metadata, "bot0001")


def histories() -> list[History]:
    return [knowledge_history(), bot_history()]


async def migrate_all(engine: AsyncEngine, *, apply: bool = True) -> list[str]:
    """Bring the index's and the bot's tables to the heads of their histories."""
    return await migrate(engine, histories(), apply=apply)
