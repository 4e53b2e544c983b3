"""pytest fixtures: an emulator on a free loopback port per test, an aiogram Bot for it, a polling runner.

Enabled for the whole suite by tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .server import BotAPIEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """A started Bot API emulator (127.0.0.1, a free port), stopped after the test."""
    emu = BotAPIEmulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def tg_bot(emulator: BotAPIEmulator) -> AsyncIterator[Any]:
    """The real aiogram Bot pointed at the emulator."""
    bot = emulator.make_bot()
    try:
        yield bot
    finally:
        await close_bot(bot)


async def close_bot(bot: Any) -> None:
    """Close a Bot's HTTP session at once (aiogram's own close waits 250 ms for TLS, useless on loopback)."""
    client = getattr(bot.session, "_session", None)
    if client is not None:
        await client.close()
    else:
        await bot.session.close()


@contextlib.asynccontextmanager
async def polling(dispatcher: Any, bot: Any, emu: BotAPIEmulator, **kwargs: Any) -> AsyncIterator[asyncio.Task[None]]:
    """Run `dispatcher.start_polling(bot)` in a task while the block runs; stop it cleanly afterwards."""
    kwargs.setdefault("polling_timeout", 1)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, **kwargs))
    try:
        await emu.wait_until_polling()
        yield task
    finally:
        if dispatcher._running_lock.locked():
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
