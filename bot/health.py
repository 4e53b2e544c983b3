"""What `/health` reports: Telegram, the database, the index and the queue, each saying what failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from bot import figures


class WebhookInfo(Protocol):
    async def webhook_info(self) -> tuple[int, str | None]: ...


async def gather(port: WebhookInfo, sessions: Callable[[], Any], dialect: str,
                 index_stats: Callable[[], Awaitable[Any]] | None, now: datetime) -> dict[str, Any]:
    try:
        pending, error = await port.webhook_info()
        telegram = f"на связи, ожидающих обновлений {pending}" + (f", последняя ошибка: {error}" if error else "")
    except Exception as exc:  # the report says what failed
        telegram = f"ошибка: {exc}"
    index = None
    if index_stats is not None:
        try:
            index = await index_stats()
        except Exception as exc:
            index = exc
    return await figures.health(sessions, dialect, telegram, index, now)
