"""`python -m bot`: the Telegram bot, in long polling or (`WEBHOOK_URL`) behind a webhook with other instances.
The only module of `bot/` that imports aiogram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, Update
from aiogram.utils.token import TokenValidationError, validate_token
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import health, texts
from bot.conversation import ConversationService, database_unreachable
from bot.delivery import Policy
from bot.desk import Desk, Ticker
from bot.locks import PostgresChatLocks, RateLimiter, connect_redis, lease, shared_chat_locks
from bot.migrations.history import migrate_all
from bot.schedule import SupportSchedule
from bot.settings import Settings
from handlers.admin import make_router as make_admin_router
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


class ConfigurationError(Exception):
    """A setting the bot cannot run with: `python -m bot` says so in one line and exits 2."""


def warn_incomplete_desk(settings: Settings) -> None:
    """One line at start for a desk that cannot work: without it tickets are filed and no one sees them."""
    if settings.agent_chat_id is None:
        log.warning("AGENT_CHAT_ID is not set: the bot runs without the agents' desk and tickets reach no one "
                    "(a working desk needs BOT_TOKEN, AGENT_CHAT_ID and ADMIN_IDS)")
    elif not settings.admin_ids:
        log.warning("ADMIN_IDS is not set: nobody can run /reindex, /health or /stats in the agents' group")


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
    retry_first: float = 1.0  # seconds before the second attempt to reach Telegram or the database; doubles
    retry_cap: float = 60.0  # the longest wait between two attempts

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
        warn_incomplete_desk(settings)
        if settings.agent_chat_id is None:  # admins ask /health in private, where it says tickets reach no one
            dispatcher.include_router(make_admin_router(settings.admin_ids, port, lambda: health.gather(
                port, service.sessions, engine.dialect.name, knowledge.stats, datetime.now(UTC))))
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

    async def _until_it_answers(self, what: str, attempt: Callable[[], Awaitable[object]],
                                transient: Callable[[Exception], float | None]) -> bool:
        """Run `attempt` until it succeeds, with capped backoff and one log line per failed attempt.

        `transient(error)`: the least wait before the next attempt, or None for an error no retry helps
        (raised). False when the application was stopped while waiting."""
        delay, number = self.retry_first, 1
        while not self._stopped.is_set():
            try:
                await attempt()
            except Exception as error:
                least = transient(error)
                if least is None:
                    raise
                wait = max(delay, least)
                reason = " ".join(str(error).split()) or type(error).__name__
                log.warning("%s is unreachable (attempt %d: %s); next attempt in %.3g s", what, number, reason, wait)
            else:
                if number > 1:
                    log.info("%s answered on attempt %d", what, number)
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), wait)
            delay, number = min(delay * 2, self.retry_cap), number + 1
        return False

    def _telegram_transient(self, error: Exception) -> float | None:
        if isinstance(error, TelegramUnauthorizedError):
            raise ConfigurationError("BOT_TOKEN was refused by Telegram (Unauthorized)") from error
        if isinstance(error, TelegramNotFound):
            raise ConfigurationError(
                f"the Bot API at {self.settings.telegram_api_url or 'api.telegram.org'} does not know this "
                "bot (Not Found): check BOT_TOKEN and TELEGRAM_API_URL") from error
        if isinstance(error, TelegramRetryAfter):
            return float(error.retry_after)
        return 0.0 if isinstance(error, TelegramAPIError | ClientDecodeError) else None

    async def wait_for_telegram(self) -> bool:
        """Until Telegram answers getMe; a token it refuses is a `ConfigurationError`."""
        return await self._until_it_answers("Telegram", self.bot.me, self._telegram_transient)

    async def prepare(self) -> bool:
        """Tables, Telegram reached, replies left unsent by a previous run, the command menu, the index.
        False when stopped before the database and Telegram answered."""
        if not await self._until_it_answers("The database", self.service.start,
                                            lambda error: 0.0 if database_unreachable(error) else None):
            return False
        if not await self.wait_for_telegram():
            return False
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
            log.warning("the command menu was not set: %s", " ".join(str(error).split()))
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
        return True

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

    def _stop_on_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._stopped.set)

    async def run(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        if handle_signals:  # a stop while Telegram is still out of reach (polling installs its own)
            self._stop_on_signals()
        if self.settings.webhook_url:
            await self.run_webhook(handle_signals)
            return
        try:
            if not await self.prepare() or self._stopped.is_set():
                return
            log.info("polling for updates")
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
            if not await self.prepare():
                return
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
                self._stop_on_signals()
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
    # pymorphy3 says where it loads its dictionaries from at every start; only its warnings concern an operator
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)
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
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
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


