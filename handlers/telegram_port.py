"""The one way to Telegram (`bot.desk.Port` with aiogram) for the desk and the dialogue's replies alike.

`TelegramPort.call` keeps one chat's calls in order, stays under the per-group rate by queueing (Telegram
allows about 20 messages a minute in a group), makes a couple of quick tries where a failure may pass at
once, and turns every answer Telegram or the network can give into one of the desk's exceptions, which the
delivery queue (`bot.delivery`) acts on:
- can succeed later → `Unavailable` (429, waited out here when short, its `retry_after` kept when not; 5xx;
  an answer that is no Bot API answer, such as a proxy's HTML 502 page, which aiogram raises as
  `ClientDecodeError`; a timeout; a dropped connection; 401 while a token is being changed);
- can be repaired → `TooLong` (split), `BadMarkup` (plain text), `TopicMissing` (topic recreated),
  `Unchanged` (an edit with nothing left to do);
- cannot → `Blocked` (403) and `Refused` (any other 400, 404, 413).
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
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
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
from aiogram.types import BufferedInputFile, ReplyParameters

from bot.conversation import ChatLocks
from bot.desk import BadMarkup, Blocked, Buttons, Refused, TooLong, TopicMissing, Unavailable, Unchanged
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


def refusal(error: TelegramBadRequest) -> Refused:
    """What a 400 says, as the exception the delivery acts on (with the method, for the log)."""
    said = f"{getattr(error.method, '__api_method__', type(error.method).__name__)}: {error}"
    text = str(error).lower()
    if "thread not found" in text:
        return TopicMissing(said)
    if "too long" in text:
        return TooLong(said)
    if "can't parse" in text or "can not parse" in text or "unsupported start tag" in text:
        return BadMarkup(said)
    if "not modified" in text or "message to edit not found" in text:
        return Unchanged(said)
    return Refused(said)


class TelegramPort:
    def __init__(self, bot: Bot, *, group_per_minute: int = 20, server_attempts: int = 2, max_wait: float = 30.0,
                 max_retry_after: int = 3, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter  # messages per second with the token, shared by the instances through Redis
        self.gate = RateGate(group_per_minute)
        self.server_attempts = server_attempts  # tries in place before the queue takes over
        self.max_wait = max_wait  # a 429 asking for longer is left to the queue
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
            failures = waits = 0
            while True:
                if message and self.limiter is not None:
                    await self.limiter.wait()
                try:
                    return await make()
                except TelegramRetryAfter as error:
                    waits += 1
                    if waits > self.max_retry_after or error.retry_after > self.max_wait:
                        raise Unavailable(f"chat {chat_id}: 429, retry after {error.retry_after} s",
                                          float(error.retry_after)) from error
                    log.warning("Telegram asks to wait %s s before writing to chat %s", error.retry_after, chat_id)
                    await asyncio.sleep(float(error.retry_after))
                except TelegramForbiddenError as error:
                    raise Blocked(str(error)) from error
                except TelegramBadRequest as error:
                    raise refusal(error) from error
                except (TelegramNotFound, TelegramEntityTooLarge, TelegramMigrateToChat) as error:
                    raise Refused(str(error)) from error
                except TelegramNetworkError as error:
                    # a timeout or a dropped connection: the request may have been carried out and only the answer
                    # lost (the Bot API has no idempotency key), so it is not tried again at once, but after backoff
                    raise Unavailable(f"chat {chat_id}: {str(error)[:200]}", ambiguous=True) from error
                except (TelegramServerError, ClientDecodeError, TelegramAPIError) as error:
                    # 5xx, an HTML error page instead of an answer, anything else Telegram may mend
                    failures += 1
                    if failures >= attempts:
                        raise Unavailable(f"chat {chat_id}: {type(error).__name__}: {str(error)[:200]}") from error
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
                   reply_to: int | None = None, html: bool = True) -> int:
        sent = await self.call(chat_id, lambda: self.bot.send_message(
            chat_id, text, message_thread_id=thread_id, reply_markup=keyboard(buttons or []),
            reply_parameters=self._reply(reply_to), disable_web_page_preview=True,
            parse_mode="HTML" if html else None))
        return sent.message_id

    async def send_text_file(self, chat_id: int, name: str, content: str, caption: str, *,
                             thread_id: int | None = None) -> int:
        """A text too long for a few messages, as a .txt document (its caption HTML, within 1,024)."""
        document = BufferedInputFile(content.encode("utf-8"), filename=name)
        sent = await self.call(chat_id, lambda: self.bot.send_document(
            chat_id, document, caption=caption, parse_mode="HTML", message_thread_id=thread_id))
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
