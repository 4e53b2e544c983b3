"""The dialogue's replies: HTML parse mode with a plain-text fallback, 403 recorded, a reply Telegram kept
refusing left unsent for the next start. The calls go through `TelegramPort.call`, the one outbound
path (429 waits, 5xx and network retries, per-chat order, the per-group rate)."""

from __future__ import annotations

import logging
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

from bot.conversation import ConversationService, Outgoing
from bot.desk import Blocked, Refused, Unavailable
from bot.texts import plain

if TYPE_CHECKING:
    from handlers.telegram_port import TelegramPort

log = logging.getLogger(__name__)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row] for row in rows
    ])


class Outbox:
    def __init__(self, bot: Bot, service: ConversationService, port: TelegramPort | None = None,
                 attempts: int = 5) -> None:
        if port is None:
            from handlers.telegram_port import TelegramPort
            port = TelegramPort(bot)
        self.bot = bot
        self.service = service
        self.port = port
        self.attempts = attempts  # 5xx and network errors tried this many times before it waits for a restart

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
        while True:
            text = message.text if html else plain(message.text)
            try:
                sent = await self.port.call(message.chat_id, lambda text=text, html=html: self.bot.send_message(
                    message.chat_id, text, parse_mode="HTML" if html else None,
                    reply_markup=keyboard(message.buttons), disable_web_page_preview=True,
                ), server_attempts=self.attempts)
            except Blocked:
                log.warning("chat %s blocked the bot; reply not delivered", message.chat_id)
                await self.service.mark_blocked(message.chat_id)
                return True, None
            except Refused as error:
                if html and "parse" in str(error).lower():
                    log.error("Telegram could not parse a reply's HTML (%s); sending it as plain text", error)
                    html = False
                    continue
                log.error("Telegram refused a reply to chat %s: %s", message.chat_id, error)
                return True, None
            except Unavailable as error:
                log.error("reply to chat %s not sent: %s", message.chat_id, error)
                return False, None  # stays unsent in the transcript: sent again on the next start
            return True, sent.message_id
