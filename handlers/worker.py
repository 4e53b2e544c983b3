"""Updates are stored while polling, handled in the background: one chat in order, chats in parallel.

The dispatcher polls with `handle_as_tasks=False`, so aiogram asks Telegram for the next batch (and
so confirms this one) only after every update of the batch was stored. Storing is quick; the rest
(triage, search, files, replies) runs in a task per update, and tasks of one chat wait for each
other, replies included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.conversation import ChatLocks, ConversationService, Incoming
from handlers.outbox import Outbox

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, service: ConversationService, outbox: Outbox, drain_seconds: float = 30.0) -> None:
        self.service = service
        self.outbox = outbox
        self.drain_seconds = drain_seconds
        self.tasks: set[asyncio.Task[None]] = set()
        self.chats = ChatLocks()  # a chat's replies go out in the order its updates came
        self.after: Callable[[], None] | None = None  # told after each update (the desk publishes new tickets)

    async def accept(self, incoming: Incoming) -> None:
        """Store the update now; handle it in the background unless it was handled before."""
        if await self.service.store(incoming):
            self.spawn(self._run(incoming), f"update-{incoming.update_id}")

    def spawn(self, job: Coroutine[Any, Any, None], name: str | None = None) -> None:
        """Run a job in the background, off the polling path; kept until it ends and drained at a stop."""
        task = asyncio.create_task(job, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, incoming: Incoming) -> None:
        try:
            async with self.chats(incoming.chat_id):
                if incoming.type == "press":
                    await self.outbox.clear_buttons(incoming.chat_id, incoming.message_id)
                await self.outbox.send_all(await self.service.process(incoming))
            if self.after is not None:
                self.after()
        except Exception:
            log.exception("update %s of chat %s: replies not sent", incoming.update_id, incoming.chat_id)

    async def drain(self) -> None:
        """Let the updates being handled finish (at a stop); what remains is handled on the next start."""
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=self.drain_seconds)
            for task in pending:
                task.cancel()
