"""Run the real bot (`bot.app.Application`, aiogram in long polling) against the Bot API emulator.

Shared by the end-to-end tests and the dialogue benchmark. `restart()` stops the dispatcher and
starts a new application on the same database file, as a restarted process would. `bot_process` runs
`python -m bot` as a process of its own instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.conversation import Searcher
from bot.settings import Settings
from knowledge.model import Hit
from tests.dbs import database_url
from tests.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[1]


def bot_settings(emulator: BotAPIEmulator, database: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.base_url,
        "DATABASE_URL": database_url(database.parent, database.name),
        # nothing listens there: an empty index is crawled in the background and fails fast, offline
        "HELP_BASE_URL": "http://127.0.0.1:9/help/",
        "CRAWL_RETRIES": 0,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class MirrorSearcher:
    """The real search over the help-center mirror's articles, built from the fixture (no crawl)."""

    def __init__(self) -> None:
        from knowledge.search import SearchIndex
        from tests.helpcenter import mirror_sections

        self.index = SearchIndex(mirror_sections())

    async def search(self, query: str, limit: int = 3) -> list[Hit]:
        return self.index.search(query, limit)


class BotRunner:
    def __init__(self, emulator: BotAPIEmulator, settings: Settings, searcher: Searcher | None = None) -> None:
        self.emulator = emulator
        self.settings = settings
        self.searcher = searcher  # in place of the crawled index, e.g. an index of the mirror's articles
        self.app: Application | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Application:
        self.app = Application.create(self.settings)
        if self.searcher is not None:
            self.app.service.searcher = self.searcher
        self.task = asyncio.create_task(self.app.run(handle_signals=False, polling_timeout=1))
        await self.emulator.wait_until_polling(timeout=10)
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, 10)
        self.app, self.task = None, None

    async def restart(self) -> Application:
        await self.stop()
        return await self.start()


@contextlib.asynccontextmanager
async def running_desk(emulator: BotAPIEmulator, database: Path, group_id: int, admin_id: int,
                       **settings: object) -> AsyncIterator[BotRunner]:
    """The bot in this process with the agents' desk in group `group_id` (admin `admin_id`); its periodic work
    waits for the test unless `DESK_TICK_SECONDS` says otherwise."""
    values: dict[str, object] = {"DESK_TICK_SECONDS": 3600, **settings}
    runner = BotRunner(emulator, bot_settings(emulator, database, AGENT_CHAT_ID=group_id, ADMIN_IDS=str(admin_id),
                                              **values))
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@contextlib.asynccontextmanager
async def spawn_bot(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` as its own process with exactly `env`, its output appended to `log` (killed at the end if
    still running)."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=log.parent, env=env,
                                                       stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def bot_process(emulator: BotAPIEmulator, database_url: str, log: Path,
                      **env: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` against the emulator on `database_url`, with the settings of a test and `env`."""
    values = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "BOT_TOKEN": emulator.token,
              "TELEGRAM_API_URL": emulator.base_url, "DATABASE_URL": database_url,
              "HELP_BASE_URL": "http://127.0.0.1:9/help/", "CRAWL_RETRIES": "0", **env}
    async with spawn_bot(values, log) as process:
        yield process
