"""Messages to users' chats through the delivery queue (`bot.delivery`).

A reply is a transcript row written with the dialogue's outcome, held by this process for a lease. `send_all`
makes the first attempt at once (the dialogue's hot path: no statement beyond recording it as sent); one that
can succeed later is left in the queue with its next moment, and so is every later reply to that chat until
the queue has caught up, so a chat's replies never overtake each other. `run` is the queue's consumer for
users' chats: it sleeps until the next row falls due (or it is woken), claims the due rows and sends them,
for as long as it takes. Telegram is reached through `TelegramPort`, the one outbound path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import delivery
from bot.conversation import ChatLocks, ConversationService, Outgoing, database_unreachable
from bot.delivery import Outcome, Policy, Queue, Queued, Retry, Sent, Settled
from bot.locks import ChatLock

if TYPE_CHECKING:
    from handlers.telegram_port import TelegramPort

log = logging.getLogger(__name__)
IDLE_SECONDS = 30.0  # an idle consumer looks again this often (rows an instance that died held fall due)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row] for row in rows
    ])


class Outbox:
    def __init__(self, bot: Bot, service: ConversationService, port: TelegramPort | None = None,
                 attempts: int = 2, policy: Policy | None = None, group_id: int | None = None) -> None:
        if port is None:
            from handlers.telegram_port import TelegramPort
            port = TelegramPort(bot)
        self.bot = bot
        self.service = service
        self.port = port
        self.attempts = attempts
        self.queue = Queue(service.transactions, policy)
        self.group_id = group_id  # the agents' group, where agents' messages are copied from
        self.backlog: set[int] = set()  # chats with replies waiting in the queue: later ones queue behind them
        self.shared: ChatLock | None = None  # several instances: a chat's lock across them
        self.check_database = False  # several instances: another one may hold a chat's backlog
        # told when a ticket's message was refused for good (the user blocked the bot…) / it waits an hour already
        self.on_undelivered: Callable[[Queued, str], Awaitable[None]] | None = None
        self.on_waiting: Callable[[Queued], Awaitable[None]] | None = None
        self._chats = ChatLocks()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def attempts(self) -> int:
        """Tries in place (5xx, the network) before a reply is left to the queue."""
        return self.port.server_attempts

    @attempts.setter
    def attempts(self, value: int) -> None:
        self.port.server_attempts = value

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off a message once one was pressed, so an answered question is not asked twice."""
        if not message_id:
            return
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except (TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter, TelegramServerError,
                TelegramNetworkError) as error:
            log.debug("buttons of message %s in chat %s not removed: %s", message_id, chat_id, error)

    # --- the first attempt, right after the outcome was written ---

    async def send_all(self, messages: list[Outgoing]) -> None:
        """Send in order (one chat's replies never overtake each other), then record them as sent."""
        done: list[tuple[Outgoing, int | None]] = []
        try:
            for message in messages:
                async with self._chat(message.chat_id):
                    outcome = await self._first_attempt(message)
                if outcome is not None:
                    done.append((message, outcome.message_id if isinstance(outcome, Sent) else None))
        finally:
            await self.service.mark_sent_many(done)

    async def send(self, message: Outgoing) -> int | None:
        async with self._chat(message.chat_id):
            outcome = await self._first_attempt(message)
        if outcome is not None:
            await self.service.mark_sent(message, outcome.message_id if isinstance(outcome, Sent) else None)
        return outcome.message_id if isinstance(outcome, Sent) else None

    async def _first_attempt(self, message: Outgoing) -> Sent | Settled | None:
        """Sent or settled; None when the reply was left to the queue (written so already)."""
        row = message.row_id
        if row is not None and (message.chat_id in self.backlog or (self.check_database and await (
                self.service.transactions.read(delivery.waiting_in, False, message.chat_id, row)))):
            self.backlog.add(message.chat_id)
            await self.queue.behind([row])  # due at once, sent after the earlier ones
            self.kick()
            return None
        outcome = await self._deliver(self._as_row(message))
        if isinstance(outcome, Retry):
            if row is None:  # not stored (the database failed too): nothing to keep
                log.error("reply to chat %s not sent: %s", message.chat_id, outcome.error)
                return Settled(outcome.error)
            self.backlog.add(message.chat_id)
            delay = await self.queue.failed([row], outcome)
            log.warning("reply to chat %s waits in the queue (%.1f s): %s", message.chat_id, delay, outcome.error)
            self.kick()
            return None
        return outcome

    @staticmethod
    def _as_row(message: Outgoing) -> Queued:
        return Queued(id=message.row_id or 0, chat_id=message.chat_id, ticket_id=None, route=None, direction="out",
                      author_kind="bot", kind="text", text=message.text,
                      buttons=[list(map(list, row)) for row in message.buttons] or None, reply_to=None,
                      telegram_message_id=None, topic_message_id=None, attempts=0, waiting_noted=False,
                      created_at=datetime.now(UTC))

    async def _deliver(self, row: Queued) -> Outcome:
        outcome = await delivery.to_chat(self.port, row, self.group_id)
        if isinstance(outcome, Settled):
            if outcome.reason.startswith(delivery.BLOCKED):
                await self.service.mark_blocked(row.chat_id)
            if row.ticket_id is not None and self.on_undelivered is not None:
                await self.on_undelivered(row, outcome.reason)  # the agents are told in the topic
        return outcome

    @contextlib.asynccontextmanager
    async def _chat(self, chat_id: int) -> AsyncIterator[None]:
        async with self._chats(chat_id):
            yield

    @contextlib.asynccontextmanager
    async def _key_lock(self, key: tuple[str, int]) -> AsyncIterator[None]:
        # the shared lock first, as the worker takes it before its replies: one order, no deadlock
        async with (self.shared(key[1]) if self.shared else contextlib.nullcontext()), self._chats(key[1]):
            yield

    # --- the queue's consumer for users' chats ---

    def kick(self) -> None:
        self._wake.set()

    def waiting(self, chat_id: int) -> None:
        """A message to this chat was left in the queue elsewhere (the desk): the chat's replies queue behind it."""
        self.backlog.add(chat_id)
        self.kick()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def resume(self, exclusive: bool) -> None:
        """At start: the chats with replies waiting; `exclusive` (one instance, SQLite) takes back the rows a
        previous run held at once instead of after their lease."""
        if exclusive:
            await self.service.transactions.write(delivery.release_all, datetime.now(UTC))
        self.backlog = await self.service.transactions.read(delivery.queued_keys, False)

    async def run(self) -> None:
        """Deliver the due rows for as long as the process runs."""
        while True:
            self._wake.clear()
            pause = IDLE_SECONDS
            try:
                if await self.queue.drain(False, self._deliver, lock=self._key_lock, waiting=self.on_waiting):
                    continue  # more were due
                self.backlog = await self.service.transactions.read(delivery.queued_keys, False)
                pause = await self.queue.seconds_to_next(False, IDLE_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if database_unreachable(error):
                    log.warning("the outbox waits for the database: %s", error)
                else:
                    log.exception("the outbox failed; trying again")
                pause = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(pause, 0.01))
