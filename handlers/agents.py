"""The agents' forum supergroup: messages and card buttons become plain values for `bot.desk.Desk`.

The polling path only records the update (a re-delivered one is dropped); the work runs in the
background, one topic after another in arrival order, so a rate-limited send never holds up polling.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message, Update

from bot.conversation import ChatLocks
from bot.desk import AgentMessage, AgentPress, Desk
from handlers.worker import Worker

log = logging.getLogger(__name__)


def _kind(message: Message) -> str:
    if message.photo:
        return "photo"
    if message.document is not None:
        return "document"
    if message.animation is not None:
        return "animation"
    return "text" if message.text is not None else "other"


def to_agent_message(update_id: int, message: Message, edited: bool = False) -> AgentMessage | None:
    """None for what is not an agent's message: service messages (topic created, closed…), bots."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    if message.text is None and not (message.photo or message.document or message.animation or message.caption):
        return None
    # a reply in General carries a thread id that is not a topic: only `is_topic_message` says it is one
    thread_id = message.message_thread_id if message.is_topic_message else None
    reply = message.reply_to_message
    reply_to = reply.message_id if reply is not None and reply.message_id != thread_id else None
    text = message.text or message.caption or ""
    command = argument = ""
    if message.text is not None and text.startswith("/") and not text.startswith("//") and len(text) > 1:
        head, _, argument = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
    return AgentMessage(update_id=update_id, user_id=user.id, name=user.full_name, message_id=message.message_id,
                        thread_id=thread_id, text=text, command=command, argument=argument.strip(),
                        reply_to=reply_to, kind=_kind(message), edited=edited)


def make_router(group_id: int) -> Router:
    router = Router(name="agents")
    topics = ChatLocks()  # one topic's messages handled in arrival order

    async def on_message(message: Message, event_update: Update, desk: Desk, worker: Worker) -> None:
        event = to_agent_message(event_update.update_id, message, edited=event_update.edited_message is not None)
        if event is None or not await desk.seen(event):
            return

        async def run() -> None:
            async with topics(event.thread_id or 0):
                await desk.handle(event)
        worker.spawn(run(), f"agents-{event.update_id}")

    async def on_press(query: CallbackQuery, event_update: Update, desk: Desk, worker: Worker) -> None:
        message = query.message
        press = AgentPress(update_id=event_update.update_id, user_id=query.from_user.id,
                           name=query.from_user.full_name, data=query.data or "",
                           message_id=message.message_id if message else 0,
                           thread_id=getattr(message, "message_thread_id", None))
        if not await desk.seen(press):
            return

        async def run() -> None:
            async with topics(press.thread_id or 0):
                answer = await desk.handle(press)
                try:
                    await query.answer(answer or None, show_alert=bool(answer))
                except Exception:
                    log.debug("callback query %s not answered", query.id)
        worker.spawn(run(), f"agents-press-{press.update_id}")

    # coroutine filters: aiogram runs a plain function (a magic filter too) on a thread, one hop per update
    async def in_group(message: Message) -> bool:
        return message.chat.id == group_id

    async def pressed_in_group(query: CallbackQuery) -> bool:
        return query.message is not None and query.message.chat.id == group_id

    router.message.register(on_message, in_group)
    router.edited_message.register(on_message, in_group)
    router.callback_query.register(on_press, pressed_in_group)
    return router
