"""What the instances of the bot share: one chat handled by one instance at a time, one crawl at a time,
and the rate of messages sent with the bot's token.

With Redis (`REDIS_URL`) the chat locks live there; on PostgreSQL without Redis they are advisory
locks held on a connection of their own. On SQLite there is one instance, and the process's own
locks are enough: `shared_chat_locks` returns None.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

ChatLock = Callable[[int], AbstractAsyncContextManager[None]]
CHAT_NAMESPACE = 0x62636874  # first key of the two-key advisory locks of chats ("bcht")
LEASE_NAMESPACE = 0x626C7365  # ... of jobs that run in one instance at a time ("blse")
LOCK_SECONDS = 120  # a Redis chat lock expires after this (its holder died)


def _key(name: str) -> int:
    """A stable 31-bit key of a name (advisory locks take integers)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


def _chat_key(chat_id: int) -> int:
    return chat_id & 0x7FFFFFFF if -(2**31) <= chat_id < 2**31 else _key(str(chat_id))


class PostgresChatLocks:
    """`async with locks(chat_id)`: a session advisory lock, taken on a connection of its own and waited for.

    The lock connections come from a pool of their own (`holders` of them), so chats waiting for their
    locks never take the connections that handling a chat needs.
    """

    def __init__(self, engine: AsyncEngine, holders: int = 8) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        self.engine = create_async_engine(engine.url, pool_size=holders, max_overflow=0, pool_pre_ping=True)
        self._holders = asyncio.Semaphore(holders)

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[None]:
        key = _chat_key(chat_id)
        async with self._holders, self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), {"ns": CHAT_NAMESPACE, "key": key})
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": CHAT_NAMESPACE, "key": key})
                await conn.commit()


class RedisChatLocks:
    """`async with locks(chat_id)`: a Redis lock per chat (expires if its holder dies)."""

    def __init__(self, redis: Any, prefix: str = "bot:chat:") -> None:
        self.redis = redis
        self.prefix = prefix

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[None]:
        lock = self.redis.lock(f"{self.prefix}{chat_id}", timeout=LOCK_SECONDS, sleep=0.01)
        await lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # expired meanwhile: another holder may have it now
                await lock.release()


def connect_redis(url: str) -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(url)


def shared_chat_locks(engine: AsyncEngine, redis: Any | None) -> ChatLock | None:
    if redis is not None:
        return RedisChatLocks(redis)
    if engine.dialect.name == "postgresql":
        return PostgresChatLocks(engine)
    return None


@asynccontextmanager
async def lease(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """`async with lease(engine, "crawl") as mine:` True in the one instance that runs the job now.

    On PostgreSQL an advisory lock held on a connection for the job's time (released if the instance
    dies); on SQLite, one instance: always True.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    params = {"ns": LEASE_NAMESPACE, "key": _key(name)}
    async with engine.connect() as conn:
        mine = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), params)).scalar_one())
        await conn.commit()
        try:
            yield mine
        finally:
            if mine:
                await conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), params)
                await conn.commit()


class RateLimiter:
    """Telegram counts messages per bot token (about 30 a second in all): `await limiter.wait()` before a send.

    A fixed one-second window; with Redis the window's counter is shared by every instance, otherwise it
    is this process's own (one instance). A 429 that still comes is handled by the outbox (retry_after).
    """

    def __init__(self, per_second: int = 30, redis: Any | None = None, key: str = "bot:sends:") -> None:
        self.per_second = per_second
        self.redis = redis
        self.key = key
        self._window = 0
        self._count = 0

    async def wait(self) -> None:
        while True:
            now = time.time()
            window = int(now)
            if self.redis is not None:
                name = f"{self.key}{window}"
                async with self.redis.pipeline(transaction=True) as pipe:
                    count, _ = await pipe.incr(name).expire(name, 5).execute()
            else:
                if window != self._window:
                    self._window, self._count = window, 0
                self._count += 1
                count = self._count
            if count <= self.per_second:
                return
            await asyncio.sleep(window + 1 - now)
