"""The one way replies reach Telegram: HTML parse mode, 429 waits, 5xx and network retries, 403 recorded."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import ConversationService, Outgoing
from bot.locks import RateLimiter
from bot.texts import plain

log = logging.getLogger(__name__)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row] for row in rows
    ])


class Outbox:
    def __init__(
        self, bot: Bot, service: ConversationService, attempts: int = 5, max_wait: float = 60.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.bot = bot
        self.limiter = limiter  # shared through Redis by several instances; None: no cap
        self.service = service
        self.attempts = attempts
        self.max_wait = max_wait

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off a message once one was pressed, so an answered question is not asked twice."""
        if not message_id:
            return
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except (TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter, TelegramServerError,
                TelegramNetworkError) as error:
            log.debug("buttons of message %s in chat %s not removed: %s", message_id, chat_id, error)

    async def send_all(self, messages: list[Outgoing]) -> None:
        """Send in order (one chat's replies never overtake each other), then record them as sent."""
        done: list[tuple[Outgoing, int | None]] = []
        try:
            for message in messages:
                delivered, message_id = await self._deliver(message)
                if delivered:
                    done.append((message, message_id))
        finally:
            await self.service.mark_sent_many(done)

    async def send(self, message: Outgoing) -> int | None:
        delivered, message_id = await self._deliver(message)
        if delivered:
            await self.service.mark_sent(message, message_id)
        return message_id

    async def _deliver(self, message: Outgoing) -> tuple[bool, int | None]:
        """(done with it, Telegram's message id): done is False only when it should be sent again later."""
        html = True
        delay = 0.5
        for attempt in range(1, self.attempts + 1):
            if self.limiter is not None:
                await self.limiter.wait()
            try:
                sent = await self.bot.send_message(
                    message.chat_id,
                    message.text if html else plain(message.text),
                    parse_mode="HTML" if html else None,
                    reply_markup=keyboard(message.buttons),
                    disable_web_page_preview=True,
                )
            except TelegramRetryAfter as error:
                wait = min(float(error.retry_after), self.max_wait)
                log.warning("Telegram asks to wait %.0f s before writing to chat %s", wait, message.chat_id)
                await asyncio.sleep(wait)
                continue
            except TelegramForbiddenError:
                log.warning("chat %s blocked the bot; reply not delivered", message.chat_id)
                await self.service.mark_blocked(message.chat_id)
                return True, None
            except TelegramBadRequest as error:
                if html and "parse" in str(error).lower():
                    log.error("Telegram could not parse a reply's HTML (%s); sending it as plain text", error)
                    html = False
                    continue
                log.error("Telegram refused a reply to chat %s: %s", message.chat_id, error)
                return True, None
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    log.error("reply to chat %s not sent after %d attempts: %s", message.chat_id, attempt, error)
                    return False, None  # stays unsent in the transcript: sent again on the next start
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            return True, sent.message_id
        return False, None
