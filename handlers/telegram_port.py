"""The one outbound path to Telegram (`bot.desk.Port` with aiogram). Every call, the desk's and the
dialogue's replies (`handlers.outbox`), goes through `TelegramPort.call`, which keeps one chat's calls
in order, stays under the per-group rate by queueing (Telegram allows about 20 messages a minute in a
group), waits out 429 `retry_after`, retries 5xx and network errors with backoff, and turns the answers
the callers act on into exceptions of their own (403 → `Blocked`, «message thread not found» →
`TopicMissing`, other 400s → `Refused`, retries exhausted → `Unavailable`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetFile,
    GetUpdates,
    SendMessage,
)
from aiogram.methods.base import Response
from aiogram.types import ReplyParameters

from bot.conversation import ChatLocks
from bot.desk import Blocked, Buttons, Refused, TopicMissing, Unavailable
from bot.locks import RateLimiter
from handlers.outbox import keyboard

log = logging.getLogger(__name__)

T = TypeVar("T")

# aiogram validates each answer with `Response[<the method's result>]`; pydantic keeps such parametrised
# models only in a weak cache, so between garbage collections they are built again, schema and all,
# at a few milliseconds a call. Strong references keep the ones on the hot path built once.
RESPONSE_MODELS = tuple(Response[method.__returning__] for method in (  # type: ignore[name-defined]
    GetUpdates, SendMessage, EditMessageReplyMarkup, EditMessageText, AnswerCallbackQuery, CopyMessage,
    CreateForumTopic, GetChatMember, GetFile))
WINDOW = 60.0  # seconds over which the per-group limit counts


class RateGate:
    """At most `limit` sends per chat in any `WINDOW` seconds; the next one waits for a free slot."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self._sent: dict[int, deque[float]] = {}

    async def wait(self, chat_id: int) -> None:
        window = self._sent.setdefault(chat_id, deque())
        while True:
            now = self.clock()
            while window and now - window[0] >= WINDOW:
                window.popleft()
            if len(window) < self.limit:
                window.append(now)
                return
            await self.sleep(WINDOW - (now - window[0]))


class TelegramPort:
    def __init__(self, bot: Bot, *, group_per_minute: int = 20, server_attempts: int = 5, max_wait: float = 60.0,
                 max_retry_after: int = 20, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter  # messages per second with the token, shared by the instances through Redis
        self.gate = RateGate(group_per_minute)
        self.server_attempts = server_attempts
        self.max_wait = max_wait
        self.max_retry_after = max_retry_after
        self._chats = ChatLocks()

    async def call(self, chat_id: int, make: Callable[[], Awaitable[T]], *, message: bool = True,
                   server_attempts: int | None = None) -> T:
        """The one way to Telegram for the dialogue's replies and the desk alike."""
        attempts = server_attempts or self.server_attempts
        async with self._chats(chat_id):  # one chat's calls in the order they were made
            if message and chat_id < 0:
                await self.gate.wait(chat_id)  # groups: under Telegram's per-group rate
            delay = 0.5
            server_errors = waits = 0
            while True:
                if message and self.limiter is not None:
                    await self.limiter.wait()
                try:
                    return await make()
                except TelegramRetryAfter as error:
                    waits += 1
                    if waits > self.max_retry_after:
                        raise Unavailable(f"chat {chat_id}: still 429 after {waits} waits") from error
                    wait = min(float(error.retry_after), self.max_wait)
                    log.warning("Telegram asks to wait %.0f s before writing to chat %s", wait, chat_id)
                    await asyncio.sleep(wait)
                except TelegramForbiddenError as error:
                    raise Blocked(str(error)) from error
                except TelegramBadRequest as error:
                    if "thread not found" in str(error).lower():
                        raise TopicMissing(str(error)) from error
                    raise Refused(str(error)) from error
                except (TelegramServerError, TelegramNetworkError) as error:
                    server_errors += 1
                    if server_errors >= attempts:
                        raise Unavailable(f"chat {chat_id}: {error}") from error
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)

    @staticmethod
    def _reply(reply_to: int | None) -> ReplyParameters | None:
        # a reply whose original is gone is sent without it rather than refused
        return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None

    async def create_topic(self, chat_id: int, name: str) -> int:
        topic = await self.call(chat_id, lambda: self.bot.create_forum_topic(chat_id, name))
        return topic.message_thread_id

    async def set_topic_open(self, chat_id: int, thread_id: int, is_open: bool) -> None:
        method = self.bot.reopen_forum_topic if is_open else self.bot.close_forum_topic
        await self.call(chat_id, lambda: method(chat_id, thread_id))  # a service message in the group: counted

    async def send(self, chat_id: int, text: str, *, thread_id: int | None = None, buttons: Buttons | None = None,
                   reply_to: int | None = None) -> int:
        sent = await self.call(chat_id, lambda: self.bot.send_message(
            chat_id, text, message_thread_id=thread_id, reply_markup=keyboard(buttons or []),
            reply_parameters=self._reply(reply_to), disable_web_page_preview=True, parse_mode="HTML"))
        return sent.message_id

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int, *, thread_id: int | None = None,
                   reply_to: int | None = None) -> int:
        copied = await self.call(chat_id, lambda: self.bot.copy_message(
            chat_id, from_chat_id, message_id, message_thread_id=thread_id, reply_parameters=self._reply(reply_to)))
        return copied.message_id

    async def send_file(self, chat_id: int, kind: str, file_id: str, *, thread_id: int | None = None) -> int:
        method = {"photo": self.bot.send_photo, "animation": self.bot.send_animation}.get(kind, self.bot.send_document)
        sent = await self.call(chat_id, lambda: method(chat_id, file_id, message_thread_id=thread_id))
        return sent.message_id

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Buttons | None = None) -> None:
        await self.call(chat_id, lambda: self.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, parse_mode="HTML", reply_markup=keyboard(buttons or []),
            disable_web_page_preview=True), message=False)

    async def member_status(self, chat_id: int, user_id: int) -> str:
        member = await self.call(chat_id, lambda: self.bot.get_chat_member(chat_id, user_id), message=False)
        return str(member.status.value if hasattr(member.status, "value") else member.status)

    async def webhook_info(self) -> tuple[int, str | None]:
        info = await self.bot.get_webhook_info()
        return info.pending_update_count, info.last_error_message
