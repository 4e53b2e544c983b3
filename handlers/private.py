"""The user's private chat: updates become plain `Incoming` values, replies go out through the outbox."""

from __future__ import annotations

import io
import logging

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, Update

from bot.conversation import Incoming, Prober
from bot.screenshots import ANIMATION, DOCUMENT, HEAD_BYTES, MAX_SCREENSHOT_BYTES, PHOTO
from handlers.worker import Worker

log = logging.getLogger(__name__)

UNSUPPORTED = ("sticker", "voice", "video_note", "video", "audio", "location", "venue", "contact", "poll", "dice")


def _user(message: Message) -> tuple[int, str, str | None]:
    user = message.from_user
    if user is None:
        return message.chat.id, "", None
    return user.id, user.full_name, user.username


def to_incoming(update_id: int, message: Message, edited: bool = False) -> Incoming:
    """Translate a Telegram message into the domain's plain value."""
    user_id, name, username = _user(message)
    base = {"update_id": update_id, "chat_id": message.chat.id, "user_id": user_id, "name": name,
            "username": username, "message_id": message.message_id,
            "reply_to": message.reply_to_message.message_id if message.reply_to_message else 0}
    caption = message.caption or ""
    if edited:
        return Incoming(type="edit", text=message.text or caption, **base)
    if message.text is not None:
        text = message.text
        if text.startswith("/") and len(text) > 1:
            head, _, arg = text[1:].partition(" ")
            return Incoming(type="command", command=head.split("@", 1)[0].lower(), text=arg.strip(), **base)
        return Incoming(type="text", text=text, **base)
    media = {"text": caption, "media_group_id": message.media_group_id}
    if message.photo:
        largest = message.photo[-1]
        return Incoming(type="media", kind=PHOTO, file_id=largest.file_id, file_unique_id=largest.file_unique_id,
                        size=largest.file_size, **media, **base)
    if message.animation is not None:
        animation = message.animation
        return Incoming(type="media", kind=ANIMATION, file_id=animation.file_id,
                        file_unique_id=animation.file_unique_id, file_name=animation.file_name,
                        size=animation.file_size, **media, **base)
    if message.document is not None:
        document = message.document
        return Incoming(type="media", kind=DOCUMENT, file_id=document.file_id,
                        file_unique_id=document.file_unique_id, file_name=document.file_name,
                        size=document.file_size, **media, **base)
    kind = next((name for name in UNSUPPORTED if getattr(message, name, None) is not None), "other")
    return Incoming(type="unsupported", kind=kind, text=caption, **base)


def file_prober(bot: Bot) -> Prober:
    """Reads the head of a file the user sent (via getFile), for the content check of SLA 4.6."""

    async def probe(file_id: str) -> bytes | None:
        file = await bot.get_file(file_id)
        if file.file_path is None or (file.file_size or 0) > MAX_SCREENSHOT_BYTES:
            return None
        buffer = io.BytesIO()
        await bot.download_file(file.file_path, destination=buffer)
        return buffer.getvalue()[:HEAD_BYTES]

    return probe


async def on_message(message: Message, event_update: Update, worker: Worker) -> None:
    await worker.accept(to_incoming(event_update.update_id, message))


async def on_edit(message: Message, event_update: Update, worker: Worker) -> None:
    await worker.accept(to_incoming(event_update.update_id, message, edited=True))


async def on_press(query: CallbackQuery, event_update: Update, worker: Worker) -> None:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    incoming = Incoming(update_id=event_update.update_id, chat_id=chat_id, user_id=query.from_user.id,
                        name=query.from_user.full_name, username=query.from_user.username, type="press",
                        text=query.data or "", message_id=query.message.message_id if query.message else 0)
    await worker.accept(incoming)
    worker.spawn(_answer(query), f"answer-{query.id}")


async def _answer(query: CallbackQuery) -> None:
    """Stop the button's spinner (in the background: the polling path only stores)."""
    try:
        await query.answer()
    except Exception:  # an old query cannot be answered; the press is still handled
        log.debug("callback query %s not answered", query.id)


# Filters are coroutines: aiogram runs a plain function (a magic filter too) on a thread, one hop per update.
async def in_private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


async def pressed_in_private(query: CallbackQuery) -> bool:
    return query.message is not None and query.message.chat.type == ChatType.PRIVATE


def make_router() -> Router:
    """A router for the private chat (a new one per dispatcher: a router belongs to one parent)."""
    router = Router(name="private")
    router.message.register(on_message, in_private)
    router.edited_message.register(on_edit, in_private)
    router.callback_query.register(on_press, pressed_in_private)
    return router
