"""Updates are stored while polling, handled in the background: one chat in order, chats in parallel.

The dispatcher polls with `handle_as_tasks=False`, so aiogram asks Telegram for the next batch (and
so confirms this one) only after every update of the batch was stored. Storing is quick; the rest
(triage, search, files, replies) runs in a task per update, and tasks of one chat wait for each
other, replies included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.conversation import ChatLocks, ConversationService, Incoming
from bot.locks import ChatLock
from handlers.outbox import Outbox

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self, service: ConversationService, outbox: Outbox, drain_seconds: float = 30.0, shared: ChatLock | None = None,
    ) -> None:
        self.service = service
        self.shared = shared  # a chat's lock across instances (Redis or PostgreSQL); None: one instance
        self.wait_for_database = True  # polling; the webhook answers 500 instead
        self.outbox = outbox
        self.drain_seconds = drain_seconds
        self.tasks: set[asyncio.Task[None]] = set()
        self.chats = ChatLocks()  # a chat's replies go out in the order its updates came

    async def accept(self, incoming: Incoming) -> None:
        """Store the update now; handle it in the background unless it was handled before.

        Polling (`wait_for_database`): while the database is unreachable the update waits here, so the
        next getUpdates, which would confirm it to Telegram, is not sent; storing is retried until it
        works. Webhook: the error goes up and the request is answered 500, so Telegram sends it again.
        """
        delay = 0.5
        while True:
            try:
                fresh = await self.service.store(incoming)
                break
            except (SQLAlchemyError, OSError) as error:
                if not self.wait_for_database:
                    raise
                log.warning("the database is unreachable (%s): update %s is not confirmed to Telegram; "
                            "trying again in %.1f s", type(error).__name__, incoming.update_id, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if delay > 0.5:
            log.info("the database is reachable again: update %s stored", incoming.update_id)
        if fresh:
            self.spawn(self._run(incoming), f"update-{incoming.update_id}")

    def spawn(self, job: Coroutine[Any, Any, None], name: str | None = None) -> None:
        """Run a job in the background, off the polling path; kept until it ends and drained at a stop."""
        task = asyncio.create_task(job, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, incoming: Incoming) -> None:
        try:
            async with self.chats(incoming.chat_id), self._across_instances(incoming.chat_id):
                if self.shared is not None:
                    for earlier in await self.service.pending(incoming.chat_id, before=incoming.update_id):
                        await self.outbox.send_all(await self.service.process(earlier))
                if incoming.type == "press":
                    await self.outbox.clear_buttons(incoming.chat_id, incoming.message_id)
                await self.outbox.send_all(await self.service.process(incoming))
        except Exception:
            log.exception("update %s of chat %s: replies not sent", incoming.update_id, incoming.chat_id)

    async def recover(self) -> int:
        """Several instances: what a dead instance left (updates not handled, replies not sent), chat by
        chat under the chat's shared lock, so nothing is handled or sent by two instances."""
        chats = await self.service.chats_to_recover()
        for chat_id in chats:
            async with self.chats(chat_id), self._across_instances(chat_id):
                for incoming in await self.service.pending(chat_id):
                    await self.outbox.send_all(await self.service.process(incoming))
                await self.outbox.send_all(await self.service.unsent(chat_id))
        return len(chats)

    def _across_instances(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        return self.shared(chat_id) if self.shared is not None else contextlib.nullcontext()

    async def drain(self) -> None:
        """Let the updates being handled finish (at a stop); what remains is handled on the next start."""
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=self.drain_seconds)
            for task in pending:
                task.cancel()
