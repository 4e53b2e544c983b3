"""Faults through the Bot API emulator: the bot process killed mid-intake, the database unreachable,
bursts of 429 and 5xx. Nothing a user wrote is lost, nothing is answered twice, one chat stays in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
from pathlib import Path

import pytest

from tests.botrunner import BotRunner, bot_process, bot_settings
from tests.dbs import CAN_STOP_SERVER, ON_POSTGRES, pg_ctl

ROOT = Path(__file__).resolve().parents[1]
FULL = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю "
        "поля и жму «Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")


def bot_texts(emulator, user) -> list[str]:
    return [message.text for message in emulator.sent(user)]


async def test_killed_mid_intake_and_started_again_loses_and_repeats_nothing(emulator, tmp_path):
    url = bot_settings(emulator, tmp_path / "bot.sqlite3").database_url
    log = tmp_path / "bot.log"
    user = emulator.create_user("Вера")
    async with bot_process(emulator, url, log) as process:
        await emulator.wait_until_polling(timeout=60)
        await emulator.user_sends(user, "Не сохраняется сделка, ошибка 500")
        question = await emulator.wait_for_bot_message(user, timeout=30)
        if any(b.get("callback_data", "").startswith("specialist:") for b in question.buttons):
            await emulator.user_presses(user, question, "specialist:")
            question = await emulator.wait_for_bot_message(user, timeout=30)
        assert "адрес вашего аккаунта" in question.text
        # the answer to the next message hangs on its way out (stored, handled, not sent); the process dies then
        emulator.delay_next("sendMessage", 600)
        calls = emulator.calls["sendMessage"]
        await emulator.user_sends(user, "romashka.aspro.cloud")
        for _ in range(600):
            if emulator.calls["sendMessage"] > calls:
                break
            await asyncio.sleep(0.05)
        assert emulator.calls["sendMessage"] > calls
        process.send_signal(signal.SIGKILL)
        await process.wait()
    emulator.clear_faults()
    sent_before = bot_texts(emulator, user)
    async with bot_process(emulator, url, log):
        answer = await emulator.wait_for_bot_message(user, lambda m: "по шагам" in m.text, timeout=60)
        assert "по шагам" in answer.text
        await emulator.user_sends(user, "Открываю CRM, жму «Сохранить» — ошибка. Chrome 120, Windows 11")
        await emulator.wait_for_bot_message(user, lambda m: bool(m.buttons), timeout=30)
        await emulator.settle(quiet=0.5)
    texts = bot_texts(emulator, user)
    assert len(texts) == len(set(texts)), texts  # nothing answered twice
    assert sum("по шагам" in text for text in texts) == 1
    assert len(texts) > len(sent_before)
    assert "Traceback" not in log.read_text("utf-8")


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL run stops its server instead (next test)")
async def test_sqlite_file_locked_for_10_s_updates_wait_and_are_answered_once(emulator, tmp_path, caplog):
    settings = bot_settings(emulator, tmp_path / "bot.sqlite3")
    runner = BotRunner(emulator, settings)
    await runner.start()
    try:
        user = emulator.create_user("Глеб")
        await emulator.user_sends(user, "/help")
        await emulator.wait_for_bot_message(user)
        path = settings.database_url.split("///", 1)[1]
        blocker = sqlite3.connect(path, isolation_level=None, timeout=1)
        blocker.execute("BEGIN EXCLUSIVE")  # nobody else writes for 10 s
        try:
            for command in ("/start", "/status", "/help"):
                await emulator.user_sends(user, command)
            await asyncio.sleep(10)
            assert len(emulator.sent(user)) == 1  # nothing answered while the database is unreachable
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        answers = await emulator.wait_for_bot_messages(user, 3, timeout=60)
        assert ["Здравствуйте" in answers[0].text, "нет обращений" in answers[1].text,
                "/history N" in answers[2].text] == [True, True, True]
        await emulator.settle(quiet=0.5)
        assert len(emulator.sent(user)) == 4
    finally:
        await runner.stop()


@pytest.mark.skipif(not CAN_STOP_SERVER,
                    reason="needs the PostgreSQL server that .ci/services started (it stops and starts it)")
async def test_postgres_down_for_10_s_updates_are_kept_and_answered_once(emulator, tmp_path, caplog):
    runner = BotRunner(emulator, bot_settings(emulator, tmp_path / "bot.sqlite3"))
    await runner.start()
    try:
        user = emulator.create_user("Глеб")
        await emulator.user_sends(user, "/help")
        await emulator.wait_for_bot_message(user)
        await emulator.settle()
        await pg_ctl("stop")
        try:
            with caplog.at_level(logging.WARNING):
                for command in ("/start", "/status", "/help"):
                    await emulator.user_sends(user, command)
                await asyncio.sleep(10)
                assert len(emulator.sent(user)) == 1
        finally:
            await pg_ctl("start")
        answers = await emulator.wait_for_bot_messages(user, 3, timeout=60)
        assert ["Здравствуйте" in answers[0].text, "нет обращений" in answers[1].text,
                "/history N" in answers[2].text] == [True, True, True]
        await emulator.settle(quiet=0.5)
        assert len(emulator.sent(user)) == 4
        assert any("database" in record.getMessage().lower() for record in caplog.records)
    finally:
        await runner.stop()


async def test_bursts_of_429_and_500_deliver_every_reply_once_in_order(emulator, tmp_path):
    runner = BotRunner(emulator, bot_settings(emulator, tmp_path / "bot.sqlite3"))
    await runner.start()
    try:
        runner.app.outbox.attempts = 10
        users = [emulator.create_user(f"Клиент {n}") for n in range(4)]
        emulator.fail_next("sendMessage", 500, count=6)
        emulator.fail_next("sendMessage", 429, retry_after=1, count=3)
        for _ in range(2):
            for user in users:
                for command in ("/help", "/start", "/status"):
                    await emulator.user_sends(user, command)
        for user in users:
            answers = await emulator.wait_for_bot_messages(user, 6, timeout=60)
            expected = ["/history N", "Здравствуйте", "нет обращений"] * 2
            assert [key in answer.text for key, answer in zip(expected, answers, strict=True)] == [True] * 6
        await emulator.settle(quiet=0.5)
        assert all(len(emulator.sent(user)) == 6 for user in users)
        assert await runner.app.service.unsent() == []
    finally:
        await runner.stop()


class GatedSearcher:
    """A help-center search that waits at a gate: the test acts while an update is half handled."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def search(self, query: str, limit: int = 3) -> list:
        self.entered.set()
        await self.gate.wait()
        return []


@pytest.mark.skipif(not CAN_STOP_SERVER, reason="needs the PostgreSQL server that .ci/services started")
async def test_database_lost_while_an_update_is_handled_it_is_handled_once_when_back(emulator, tmp_path, caplog):
    searcher = GatedSearcher()
    runner = BotRunner(emulator, bot_settings(emulator, tmp_path / "bot.sqlite3"), searcher)
    await runner.start()
    try:
        user = emulator.create_user("Лев")
        with caplog.at_level(logging.WARNING):
            await emulator.user_sends(user, "Как настроить воронку продаж?")
            await asyncio.wait_for(searcher.entered.wait(), 30)  # stored, being handled
            await pg_ctl("stop")
            try:
                searcher.gate.set()
                await asyncio.sleep(3)
                assert emulator.sent(user) == []  # no apology, no answer while it is down
            finally:
                await pg_ctl("start")
            answer = await emulator.wait_for_bot_message(user, timeout=30)
        assert "адрес вашего аккаунта" in answer.text or answer.buttons
        await emulator.settle(quiet=0.5)
        assert len(emulator.sent(user)) == 1
        assert any("database is unreachable" in record.getMessage() for record in caplog.records)
    finally:
        await runner.stop()
