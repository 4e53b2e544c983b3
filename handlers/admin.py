"""`/health` in an admin's private chat, for a bot run without the agents' group (no AGENT_CHAT_ID).

With a desk, admins ask in the group; without one this is the only place that says tickets reach no one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot import texts
from handlers.telegram_port import TelegramPort


def make_router(admin_ids: list[int], port: TelegramPort, report: Callable[[], Awaitable[dict[str, Any]]]) -> Router:
    """`report`: the figures of `/health`; the reply says the desk is missing. Others' /health is a user's text."""
    admins = frozenset(admin_ids)

    async def asks_health(message: Message) -> bool:
        command = (message.text or "").split(maxsplit=1)[0].split("@", 1)[0] if message.text else ""
        return (message.chat.type == ChatType.PRIVATE and command == "/health"
                and message.from_user is not None and message.from_user.id in admins)

    async def on_health(message: Message) -> None:
        text = texts.health_report({**await report(), "desk": False})
        for part in texts.split_html(text):
            await port.send(message.chat.id, part)

    router = Router(name="admin")
    router.message.register(on_health, asks_health)
    return router
