"""Webhook mode end to end: the real application serving the emulator's webhook calls, one or two instances
on one database (SQLite here, PostgreSQL and Redis in the suite's second run)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.settings import Settings
from bot.storage import Message, ProcessedUpdate
from tests.botrunner import bot_settings
from tests.dbs import CAN_STOP_SERVER, ON_POSTGRES, pg_ctl

SECRET = "hook_secret-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_settings(emulator, tmp_path) -> Settings:
    port = free_port()
    extra = {"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}
    return bot_settings(emulator, tmp_path / "bot.sqlite3", WEBHOOK_URL=f"http://127.0.0.1:{port}/tg/hook",
                        WEBHOOK_SECRET=SECRET, WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=port, **extra)


@contextlib.asynccontextmanager
async def instance(emulator, settings: Settings) -> AsyncIterator[Application]:
    app = Application.create(settings)
    calls = emulator.calls["setWebhook"]
    task = asyncio.create_task(app.run(handle_signals=False))
    for _ in range(500):
        if emulator.calls["setWebhook"] > calls or task.done():
            break
        await asyncio.sleep(0.01)
    assert not task.done(), task.exception()
    try:
        yield app
    finally:
        await app.stop()
        await asyncio.wait_for(task, 10)


async def stored(app: Application, model, *where) -> int:
    async with app.service.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_webhook_dialogue_with_the_secret_token_checked(emulator, tmp_path):
    settings = webhook_settings(emulator, tmp_path)
    user = emulator.create_user("Анна")
    async with instance(emulator, settings) as app:
        message = await emulator.user_sends(user, "/start")
        greeting = await emulator.wait_for_bot_message(user)
        assert "поддерж" in greeting.text.lower()
        url = f"http://127.0.0.1:{settings.webhook_port}/tg/hook"
        # a forged request without the secret, or with another one, is refused and stores nothing
        emulator.updates[message.update_id + 1000] = {**emulator.updates[message.update_id],
                                                      "update_id": message.update_id + 1000}
        assert await emulator.deliver_to(url, message.update_id + 1000) == 401
        assert await emulator.deliver_to(url, message.update_id + 1000, "another") == 401
        assert await stored(app, ProcessedUpdate, ProcessedUpdate.update_id == message.update_id + 1000) == 0
        # a re-delivered update is answered 200 and has no second effect
        assert await emulator.deliver_to(url, message.update_id, SECRET) == 200
        await emulator.settle()
        assert len(emulator.sent(user)) == 1
    assert emulator.calls["deleteWebhook"] >= 1  # at stop


@pytest.mark.skipif(not (ON_POSTGRES or os.environ.get("REDIS_URL")),
                    reason="several instances share a chat's lock through PostgreSQL or Redis; SQLite serves one")
@pytest.mark.parametrize("rounds", [5])
async def test_two_instances_given_the_same_updates_have_one_effect(emulator, tmp_path, rounds):
    first = webhook_settings(emulator, tmp_path)
    port = free_port()
    # the second instance: same database and public URL (behind one proxy), its own port
    second = first.model_copy(update={"webhook_port": port, "webhook_delete_on_stop": False})
    user = emulator.create_user("Борис")
    async with instance(emulator, second), instance(emulator, first) as app:
        other_url = f"http://127.0.0.1:{port}/tg/hook"
        for n in range(rounds):
            message = await emulator.user_sends(user, f"Спасибо! {n}")
            # the same update reaches the other instance while the first one gets it from the emulator
            assert await emulator.deliver_to(other_url, message.update_id, SECRET) == 200
        await emulator.settle(quiet=0.5)
        answers = emulator.sent(user)
        assert await stored(app, ProcessedUpdate, ProcessedUpdate.done_at.is_(None)) == 0
        assert await stored(app, Message, Message.direction == "in") == rounds  # each stored once
        out = await stored(app, Message, Message.direction == "out")
        assert len(answers) == out  # every reply recorded was sent once, none twice
        assert out >= rounds


@pytest.mark.skipif(not CAN_STOP_SERVER, reason="needs the PostgreSQL server that .ci/services started")
async def test_webhook_answers_500_while_the_database_is_down_and_the_update_comes_again(emulator, tmp_path):
    settings = webhook_settings(emulator, tmp_path)
    user = emulator.create_user("Вадим")
    async with instance(emulator, settings):
        await emulator.user_sends(user, "/help")
        await emulator.wait_for_bot_message(user)
        await emulator.settle()
        await pg_ctl("stop")
        try:
            message = await emulator.user_sends(user, "/start")
            await emulator.wait_for_deliveries(message.update_id, times=3, timeout=10)  # refused, so sent again
            assert len(emulator.sent(user)) == 1
        finally:
            await pg_ctl("start")
        greeting = await emulator.wait_for_bot_message(user, timeout=30)
        assert "Здравствуйте" in greeting.text
        await emulator.settle(quiet=0.5)
        assert len(emulator.sent(user)) == 2
