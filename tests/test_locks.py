"""What instances share: a chat's lock, the one-instance lease, the send rate (PostgreSQL / Redis when the
suite runs on them; the process's own on SQLite)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.locks import PostgresChatLocks, RateLimiter, RedisChatLocks, connect_redis, lease
from knowledge.db import make_engine
from tests.dbs import ON_POSTGRES, database_url

REDIS_URL = os.environ.get("REDIS_URL")


async def exclusive(locks) -> list[str]:
    """Two holders of one chat's lock and one of another chat: the first two never overlap."""
    trace: list[str] = []

    async def hold(chat: int, name: str) -> None:
        async with locks(chat):
            trace.append(f"+{name}")
            await asyncio.sleep(0.05)
            trace.append(f"-{name}")

    await asyncio.gather(hold(7, "a"), hold(7, "b"), hold(8, "c"))
    return trace


def assert_exclusive(trace: list[str]) -> None:
    mine = [step for step in trace if step[1] in "ab"]
    assert mine in (["+a", "-a", "+b", "-b"], ["+b", "-b", "+a", "-a"])
    assert trace.index("+c") < max(trace.index("-a"), trace.index("-b"))  # another chat does not wait


@pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's")
async def test_postgres_chat_locks_and_the_lease(tmp_path):
    engine = make_engine(database_url(tmp_path))
    try:
        locks = PostgresChatLocks(engine)
        try:
            assert_exclusive(await exclusive(locks))
        finally:
            await locks.close()
        async with lease(engine, "crawl") as first, lease(engine, "crawl") as second, \
                lease(engine, "reminders") as other:
            assert (first, second, other) == (True, False, True)
        async with lease(engine, "crawl") as again:
            assert again  # released with the job
    finally:
        await engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")
async def test_redis_chat_locks_and_shared_rate():
    redis = connect_redis(REDIS_URL)
    try:
        assert_exclusive(await exclusive(RedisChatLocks(redis, prefix=f"test:{time.time()}:")))
        key = f"test:{time.time()}:"
        limiters = [RateLimiter(5, redis, key=key) for _ in range(2)]  # two instances, one count
        await asyncio.sleep(1 - time.time() % 1)  # the start of a second
        start = time.time()
        await asyncio.gather(*(limiters[n % 2].wait() for n in range(12)))
        assert int(time.time()) - int(start) >= 2  # 12 sends at 5 a second take three windows between them
    finally:
        await redis.aclose()


async def test_the_single_instance_lease_and_rate(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        async with lease(engine, "crawl") as mine:
            assert mine
    finally:
        await engine.dispose()
    limiter = RateLimiter(4)
    await asyncio.sleep(1 - time.time() % 1)
    start = time.time()
    for _ in range(9):
        await limiter.wait()
    assert int(time.time()) - int(start) >= 2
