"""`python -m bot`: the Telegram bot, in long polling or (`WEBHOOK_URL`) behind a webhook with other instances.
The only module of `bot/` that imports aiogram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, Update
from aiogram.utils.token import TokenValidationError, validate_token
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.conversation import ConversationService
from bot.delivery import Policy
from bot.desk import Desk, Ticker
from bot.locks import PostgresChatLocks, RateLimiter, connect_redis, lease, shared_chat_locks
from bot.migrations.history import migrate_all
from bot.schedule import SupportSchedule
from bot.settings import Settings
from handlers.agents import make_router as make_agents_router
from handlers.errors import make_router as make_errors_router
from handlers.outbox import Outbox
from handlers.private import file_prober, make_router
from handlers.telegram_port import TelegramPort
from handlers.worker import Worker
from knowledge.db import make_engine
from knowledge.migrate import SchemaError
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
    redis: Any = None
    _crawl: asyncio.Task[None] | None = field(default=None, repr=False)
    _stopped: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    webhook_port: int | None = None  # the port the webhook server listens on, once started

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
        redis = connect_redis(settings.redis_url) if settings.redis_url else None
        limiter = RateLimiter(settings.send_rate_limit, redis) if settings.send_rate_limit else None
        port = TelegramPort(bot, group_per_minute=settings.group_messages_per_minute,  # the one outbound path
                            limiter=limiter)
        policy = Policy(cap=settings.delivery_backoff_cap, waiting_note=settings.delivery_waiting_note)
        outbox = Outbox(bot, service, port, policy=policy, group_id=settings.agent_chat_id)
        # Several instances run only behind a webhook (Telegram gives updates to one poller): chat locks shared then
        shared = shared_chat_locks(engine, redis) if settings.webhook_url else None
        outbox.shared, outbox.check_database = shared, shared is not None
        worker = Worker(service, outbox, shared=shared)
        dispatcher = Dispatcher(service=service, outbox=outbox, worker=worker, settings=settings)
        dispatcher.include_router(make_errors_router())
        dispatcher.include_router(make_router())
        desk = ticker = None
        if settings.agent_chat_id is not None:
            desk = Desk(service, port,
                        group_id=settings.agent_chat_id, schedule=SupportSchedule.from_settings(settings),
                        agent_ids=settings.agent_ids, admin_ids=settings.admin_ids,
                        need_info_suspend_days=settings.need_info_suspend_days, reopen_days=settings.reopen_days,
                        agent_cache_seconds=settings.agent_cache_seconds, crawl=knowledge.crawl,
                        index_stats=knowledge.stats, policy=policy)
            service.desk = desk
            desk.kick_outbox = outbox.waiting
            outbox.on_undelivered, outbox.on_waiting = desk.undelivered, desk.still_waiting
            ticker = Ticker(desk, settings.desk_tick_seconds)
            desk.kick_ticker = ticker.kick
            if settings.webhook_url:  # reminders and topics of new tickets by one instance at a time
                ticker.exclusive = lambda: lease(engine, "desk")
            worker.after = lambda: ticker.kick() if desk.take_due() else None
            dispatcher["desk"] = desk
            dispatcher.include_router(make_agents_router(settings.agent_chat_id))
        return cls(settings, engine, bot, dispatcher, service, knowledge, outbox, worker, desk, ticker, redis)

    async def prepare(self) -> None:
        """Tables, replies left unsent by a previous run, the command menu, the index."""
        await self.service.start()
        if self.worker.shared is not None:  # other instances may be running: chat by chat, under their locks
            chats = await self.worker.recover()
            if chats:
                log.info("recovered what a stopped instance left in %d chats", chats)
        else:
            pending = await self.service.recover()
            if pending:
                log.info("%d replies left unsent by the previous run are due now", len(pending))
        await self.outbox.resume(exclusive=self.worker.shared is None)  # one instance: the rows it held are free
        self.outbox.start()  # the delivery queue's consumer for users' chats
        try:
            await self.bot.set_my_commands([BotCommand(command=name, description=description)
                                            for name, description in texts.COMMANDS.items()])
        except Exception as error:  # Telegram is unreachable at start: the menu is set at the next one
            log.warning("the command menu was not set: %s", error)
        if self.desk is not None:
            recovered = await self.desk.recover()
            if recovered:
                log.info("handled %d agents' updates stored by the previous run", recovered)
        if self.ticker is not None:
            self.ticker.start()  # tickets without a topic, reminders that fell due
        if await self.knowledge.is_empty():
            log.info("the help-center index is empty: crawling it in the background; answering without links")
            self._crawl = asyncio.create_task(self._crawl_index())
        else:
            await self.knowledge.load()  # built now, not while the first user waits

    async def _crawl_index(self) -> None:
        try:
            async with lease(self.engine, "crawl") as mine:  # one instance crawls; the others load its index
                if not mine:
                    log.info("another instance is crawling the help center")
                    return
                summary = await self.knowledge.crawl()
        except Exception:
            log.exception("the background crawl of the help center failed")
            return
        level = logging.INFO if summary.completed else logging.WARNING
        for line in summary.lines():
            log.log(level, "crawl: %s", line)

    async def run(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        if self.settings.webhook_url:
            await self.run_webhook(handle_signals)
            return
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

    async def run_webhook(self, handle_signals: bool = True) -> None:
        """Serve Telegram's webhook; an update is answered 200 only once it is stored (else Telegram resends it)."""
        settings = self.settings
        assert settings.webhook_url
        self.worker.wait_for_database = False  # a request that cannot be stored is answered 500
        runner: web.AppRunner | None = None
        try:
            await self.prepare()
            server = web.Application()
            server.router.add_post(settings.webhook_route, self._on_webhook)
            runner = web.AppRunner(server, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
            await site.start()
            self.webhook_port = runner.addresses[0][1]
            if not settings.webhook_secret:
                log.warning("WEBHOOK_SECRET is not set: anyone who knows the URL can post updates")
            await self.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                       allowed_updates=self.dispatcher.resolve_used_update_types())
            log.info("webhook mode: listening on %s:%s%s for %s", settings.webhook_host, self.webhook_port,
                     settings.webhook_route, settings.webhook_url)
            if handle_signals:
                loop = asyncio.get_running_loop()
                for number in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(number, self._stopped.set)
            await self._stopped.wait()
        finally:
            if settings.webhook_delete_on_stop:
                try:
                    await self.bot.delete_webhook()
                except Exception as error:
                    log.warning("deleteWebhook failed at stop: %s", error)
            if runner is not None:
                await runner.cleanup()
            await self.close()

    async def _on_webhook(self, request: web.Request) -> web.Response:
        secret = self.settings.webhook_secret
        if secret and not secrets.compare_digest(
                request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode(), secret.encode()):
            log.warning("a webhook request from %s without the right secret token was refused", request.remote)
            return web.Response(status=401, text="Unauthorized")
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except ValueError:
            log.warning("a webhook request with a malformed update was refused")
            return web.Response(status=400, text="Bad Request")
        try:
            await self.dispatcher.feed_update(self.bot, update)  # stores it (handling goes on in the background)
        except Exception:
            log.exception("update %s could not be stored; Telegram will send it again", update.update_id)
            return web.Response(status=500, text="Not stored")
        return web.Response(status=200)

    async def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(RuntimeError):  # not polling
            await self.dispatcher.stop_polling()


    async def close(self) -> None:
        await self.worker.drain()
        await self.outbox.stop()
        if self.ticker is not None:
            await self.ticker.stop()
        if self.desk is not None and self.desk.reindex.task is not None:
            self.desk.reindex.task.cancel()
        if self._crawl is not None and not self._crawl.done():
            self._crawl.cancel()
        await self.knowledge.close()
        await self.service.close()
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        if isinstance(self.worker.shared, PostgresChatLocks):
            await self.worker.shared.close()
        await self.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    del argv  # `python -m bot` takes its settings from the environment
    settings = load_settings(Settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiogram writes a line per update handled (its errors stay): at load, formatting them costs more than it tells
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    try:
        app = Application.create(settings)
    except (ValueError, TokenValidationError) as error:
        message = str(error) if "BOT_TOKEN" in str(error) else "BOT_TOKEN is not a valid bot token"
        print(f"Configuration error: {message}", file=sys.stderr)
        return 2
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(app.run())
    except SchemaError as error:
        print(f"Database error: {error}", file=sys.stderr)
        return 2
    return 0


def migrate_main(argv: list[str] | None = None) -> int:
    """`python -m bot migrate`: apply the pending schema migrations of the bot and the index, then exit."""
    del argv
    settings = load_settings(Settings)
    settings.ensure_sqlite_dir()

    async def run() -> list[str]:
        engine = make_engine(settings.database_url)
        try:
            return await migrate_all(engine)
        finally:
            await engine.dispose()

    try:
        migrated = asyncio.run(run())
    except SchemaError as error:
        print(f"Database error: {error}", file=sys.stderr)
        return 2
    print(f"Migrated: {', '.join(migrated)}" if migrated else "The database schema is up to date.")
    return 0


