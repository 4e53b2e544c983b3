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
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bot import failures
from bot.conversation import ChatLocks, ConversationService, Incoming, Outgoing, database_unreachable
from bot.locks import ChatLock
from handlers.outbox import Outbox

log = logging.getLogger(__name__)
T = TypeVar("T")


async def until_reachable(job: Callable[[], Awaitable[T]], waiting: str, first_delay: float = 0.5) -> T:
    """Run a database job; while the database is unreachable, log what waits and try again with backoff."""
    delay = first_delay
    while True:
        try:
            result = await job()
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning("the database is unreachable (%s): %s; trying again in %.1f s",
                        type(error).__name__, waiting, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        if delay > first_delay:
            log.info("the database is reachable again (%s before)", waiting)
        return result


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
        self.after: Callable[[], None] | None = None  # told after each update (the desk's ticker, if it has work)

    async def accept(self, incoming: Incoming) -> None:
        """Store the update now; handle it in the background unless it was handled before.

        Polling (`wait_for_database`): while the database is unreachable the update waits here, so the
        next getUpdates, which would confirm it to Telegram, is not sent; storing is retried until it
        works. Webhook: the error goes up and the request is answered 500, so Telegram sends it again.
        """
        if self.wait_for_database:
            fresh = await until_reachable(lambda: self.service.store(incoming),
                                          f"update {incoming.update_id} is not confirmed to Telegram")
        else:
            fresh = await self.service.store(incoming)
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
                        await self.outbox.send_all(await self._process(earlier))
                if incoming.type == "press":
                    await self.outbox.clear_buttons(incoming.chat_id, incoming.message_id)
                await self.outbox.send_all(await self._process(incoming))
            if self.after is not None:
                self.after()
        except Exception as error:  # what was not sent stays stored: sent again at the next start
            log.error("update %s of chat %s: replies not sent: %s", incoming.update_id, incoming.chat_id,
                      failures.describe(error))

    async def _process(self, incoming: Incoming) -> list[Outgoing]:
        """Handle a stored update; while the database is unreachable, wait and try again (it stays stored)."""
        return await until_reachable(lambda: self.service.process(incoming),
                                     f"update {incoming.update_id} of chat {incoming.chat_id} waits")

    async def recover(self) -> int:
        """Several instances: the updates a dead instance left unhandled, chat by chat under the chat's shared
        lock, so nothing is handled by two instances (the replies it left unsent wait in the delivery queue)."""
        chats = await self.service.chats_to_recover()
        for chat_id in chats:
            async with self.chats(chat_id), self._across_instances(chat_id):
                for incoming in await self.service.pending(chat_id):
                    await self.outbox.send_all(await self._process(incoming))
                # replies it left unsent are the delivery queue's: due once its lease ended, for any instance
        return len(chats)

    def _across_instances(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        return self.shared(chat_id) if self.shared is not None else contextlib.nullcontext()

    async def drain(self) -> None:
        """Let the updates being handled finish (at a stop); what remains is handled on the next start."""
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=self.drain_seconds)
            for task in pending:
                task.cancel()
