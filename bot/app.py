"""`python -m bot`: the Telegram bot in long polling. The only module of `bot/` that imports aiogram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.utils.token import TokenValidationError, validate_token
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.conversation import ConversationService
from bot.desk import Desk, Ticker
from bot.schedule import SupportSchedule
from bot.settings import Settings
from handlers.agents import make_router as make_agents_router
from handlers.outbox import Outbox
from handlers.private import file_prober, make_router
from handlers.telegram_port import TelegramPort
from handlers.worker import Worker
from knowledge.db import make_engine
from knowledge.service import Knowledge
from knowledge.settings import load_settings

log = logging.getLogger("bot")


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    bot: Bot
    dispatcher: Dispatcher
    service: ConversationService
    knowledge: Knowledge
    outbox: Outbox
    worker: Worker
    desk: Desk | None = None
    ticker: Ticker | None = None
    _crawl: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, settings: Settings) -> Application:
        if not settings.bot_token:
            raise ValueError("BOT_TOKEN is required but not set")
        validate_token(settings.bot_token)
        settings.ensure_sqlite_dir()
        engine = make_engine(settings.database_url)
        session = AiohttpSession()
        if settings.telegram_api_url:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
        bot = Bot(settings.bot_token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
        knowledge = Knowledge(settings, engine)
        service = ConversationService.from_settings(settings, engine, searcher=knowledge, prober=file_prober(bot))
        port = TelegramPort(bot, group_per_minute=settings.group_messages_per_minute)  # the one outbound path
        outbox = Outbox(bot, service, port)
        worker = Worker(service, outbox)
        dispatcher = Dispatcher(service=service, outbox=outbox, worker=worker, settings=settings)
        dispatcher.include_router(make_router())
        desk = ticker = None
        if settings.agent_chat_id is not None:
            desk = Desk(service, port,
                        group_id=settings.agent_chat_id, schedule=SupportSchedule.from_settings(settings),
                        agent_ids=settings.agent_ids, admin_ids=settings.admin_ids,
                        need_info_suspend_days=settings.need_info_suspend_days, reopen_days=settings.reopen_days,
                        agent_cache_seconds=settings.agent_cache_seconds, crawl=knowledge.crawl,
                        index_stats=knowledge.stats)
            service.desk = desk
            ticker = Ticker(desk, settings.desk_tick_seconds)
            worker.after = ticker.kick
            dispatcher["desk"] = desk
            dispatcher.include_router(make_agents_router(settings.agent_chat_id))
        return cls(settings, engine, bot, dispatcher, service, knowledge, outbox, worker, desk, ticker)

    async def prepare(self) -> None:
        """Tables, replies left unsent by a previous run, the command menu, the index."""
        await self.service.start()
        pending = await self.service.recover()
        if pending:
            log.info("sending %d replies left unsent by the previous run", len(pending))
            await self.outbox.send_all(pending)
        await self.bot.set_my_commands([BotCommand(command=name, description=description)
                                        for name, description in texts.COMMANDS.items()])
        if self.desk is not None:
            recovered = await self.desk.recover()
            if recovered:
                log.info("handled %d agents' updates stored by the previous run", recovered)
        if self.ticker is not None:
            self.ticker.start()  # tickets without a topic, reminders that fell due
        if await self.knowledge.is_empty():
            log.info("the help-center index is empty: crawling it in the background; answering without links")
            self._crawl = asyncio.create_task(self._crawl_index())

    async def _crawl_index(self) -> None:
        try:
            summary = await self.knowledge.crawl()
        except Exception:
            log.exception("the background crawl of the help center failed")
            return
        level = logging.INFO if summary.completed else logging.WARNING
        for line in summary.lines():
            log.log(level, "crawl: %s", line)

    async def run(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        await self.prepare()
        log.info("polling for updates")
        try:
            # Updates are only stored while polling (the worker handles them in the background), so the
            # next getUpdates, which confirms a batch to Telegram, is sent once the batch is stored.
            await self.dispatcher.start_polling(
                self.bot, handle_signals=handle_signals, polling_timeout=polling_timeout, close_bot_session=False,
                allowed_updates=self.dispatcher.resolve_used_update_types(), handle_as_tasks=False,
            )
        finally:
            await self.close()

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # not polling
            await self.dispatcher.stop_polling()

    async def close(self) -> None:
        await self.worker.drain()
        if self.ticker is not None:
            await self.ticker.stop()
        if self.desk is not None and self.desk.reindex.task is not None:
            self.desk.reindex.task.cancel()
        if self._crawl is not None and not self._crawl.done():
            self._crawl.cancel()
        await self.knowledge.close()
        await self.bot.session.close()
        await self.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    del argv  # `python -m bot` takes its settings from the environment
    settings = load_settings(Settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = Application.create(settings)
    except (ValueError, TokenValidationError) as error:
        message = str(error) if "BOT_TOKEN" in str(error) else "BOT_TOKEN is not a valid bot token"
        print(f"Configuration error: {message}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run())
    return 0

