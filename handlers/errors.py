"""The net under every handler: an exception that leaves one is logged in one line with the update's id
(not aiogram's traceback), and a user who wrote in the private chat is answered.

Only a database that cannot be reached goes on up: the webhook then answers 500 and Telegram sends the
update again (polling waits for the database before it gets here)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.enums import ChatType
from aiogram.types import ErrorEvent, Update

from bot import failures, texts
from bot.conversation import Outgoing, database_unreachable
from handlers.outbox import Outbox

log = logging.getLogger(__name__)


def private_chat(update: Update) -> int | None:
    """The private chat an update came from, if it came from one."""
    message = update.message or update.edited_message
    if message is None and update.callback_query is not None:
        message = update.callback_query.message  # type: ignore[assignment]
    if message is None or message.chat.type != ChatType.PRIVATE:
        return None
    return message.chat.id


async def on_error(event: ErrorEvent, outbox: Outbox) -> object:
    if database_unreachable(event.exception):
        return UNHANDLED
    update_id = event.update.update_id
    log.error("update %s failed in its handler: %s", update_id, failures.describe(event.exception))
    chat_id = private_chat(event.update)
    if chat_id is not None:
        try:
            await outbox.send_all([Outgoing(chat_id, texts.render("processing_error"))])
        except Exception as error:
            log.error("update %s: the user not told of the failure: %s", update_id, failures.describe(error))
    return True


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
