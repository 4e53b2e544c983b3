"""pytest fixtures: an emulator on a free loopback port per test, an aiogram Bot for it, a polling runner.

Enabled for the whole suite by tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

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
    """Run `dispatcher.start_polling(bot)` in a task while the block runs; stop it cleanly afterwards.

    The block starts once the bot waits in getUpdates; if polling dies first (a failing startup hook),
    its exception is raised here. Keyword arguments go to start_polling (polling_timeout defaults to 1 s).
    """
    kwargs.setdefault("polling_timeout", 1)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, **kwargs))
    ready = asyncio.create_task(emu.wait_until_polling())
    try:
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
            raise RuntimeError("polling stopped before it started")
        ready.result()
        yield task
    finally:
        ready.cancel()
        if not task.done():
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def webhook_server(
    dispatcher: Any, bot: Any, path: str = "/hook", middlewares: tuple[Any, ...] = (), **handler_kwargs: Any
) -> AsyncIterator[str]:
    """Serve aiogram's SimpleRequestHandler on a free loopback port; yields the webhook URL.

    Extra keyword arguments go to SimpleRequestHandler (secret_token, handle_in_background, ...);
    `middlewares` are aiohttp middlewares in front of it (a flaky proxy, a counter).
    """
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    app = web.Application(middlewares=middlewares)
    SimpleRequestHandler(dispatcher, bot, **handler_kwargs).register(app, path=path)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        await runner.cleanup()
