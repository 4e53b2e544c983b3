"""`python -m bot` as an operator starts it: one clear line and exit 2 for a configuration error; Telegram out
of reach is waited for, one log line per attempt, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import Application
from tests.botrunner import BotRunner, bot_settings, spawn_bot
from tests.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120  # importing aiogram on a loaded machine takes a while


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db", "HELP_BASE_URL": "http://127.0.0.1:9/help/",
            "CRAWL_RETRIES": "0", **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lines_with(log: Path, needle: str) -> list[str]:
    return [line for line in log.read_text("utf-8").splitlines() if needle in line]


async def wait_for_lines(log: Path, needle: str, count: int, seconds: float = START_TIMEOUT) -> list[str]:
    for _ in range(int(seconds * 10)):
        lines = lines_with(log, needle)
        if len(lines) >= count:
            return lines
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} lines with {needle!r}: {lines_with(log, '')}")


@pytest.mark.parametrize(("token", "expected"), [(None, "BOT_TOKEN is required"), ("not-a-token", "BOT_TOKEN")])
def test_bad_token_is_one_line_and_exit_2(tmp_path, token, expected):
    env = base_env(tmp_path)
    if token is not None:
        env["BOT_TOKEN"] = token
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=START_TIMEOUT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr


async def test_telegram_out_of_reach_is_retried_until_it_answers_then_the_bot_serves(tmp_path):
    """No network at start: the process stays up, says so once per attempt, and serves once Telegram is back."""
    port = free_port()
    emulator = BotAPIEmulator()
    log = tmp_path / "bot.log"
    env = base_env(tmp_path, BOT_TOKEN=emulator.token, TELEGRAM_API_URL=f"http://127.0.0.1:{port}")
    async with spawn_bot(env, log) as process:
        attempts = await wait_for_lines(log, "Telegram is unreachable", 2)
        assert process.returncode is None
        assert "attempt 1:" in attempts[0] and "next attempt in 1 s" in attempts[0]
        assert "attempt 2:" in attempts[1] and "next attempt in 2 s" in attempts[1]
        await emulator.start(port=port)  # the network is back
        try:
            await emulator.wait_until_polling(timeout=60)
            user = emulator.create_user("Ольга")
            await emulator.user_sends(user, "/start")
            greeting = await emulator.wait_for_bot_message(user, timeout=30)
            assert "поддержк" in greeting.text.lower()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 60) == 0
        finally:
            await emulator.stop()
    text = log.read_text("utf-8")
    assert "Traceback" not in text and "Unclosed" not in text, text
    assert "Telegram answered on attempt" in text
    assert len(lines_with(log, "AGENT_CHAT_ID is not set")) == 1  # run without a desk: said once, at start


async def test_a_database_out_of_reach_at_start_is_retried_the_same_way(tmp_path):
    log = tmp_path / "bot.log"
    env = base_env(tmp_path, BOT_TOKEN=BotAPIEmulator().token, TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}",
                   DATABASE_URL=f"postgresql+asyncpg://bot:secret@127.0.0.1:{free_port()}/bot")
    async with spawn_bot(env, log) as process:  # stopped while waiting: a clean exit
        attempts = await wait_for_lines(log, "The database is unreachable", 2)
        assert "attempt 2:" in attempts[1] and "next attempt in 2 s" in attempts[1]
        assert not lines_with(log, "Telegram is unreachable")  # one thing at a time: the database first
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    text = log.read_text("utf-8")
    assert "Traceback" not in text and "Unclosed" not in text, text


async def test_a_token_telegram_refuses_is_a_configuration_error(tmp_path):
    emulator = BotAPIEmulator()
    await emulator.start()
    try:
        env = base_env(tmp_path, BOT_TOKEN="123456789:AAThisTokenIsNotKnownToTheServer_00000",
                       TELEGRAM_API_URL=emulator.base_url, AGENT_CHAT_ID="-100123", ADMIN_IDS="1")
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                                                       stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        _, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    finally:
        await emulator.stop()
    assert process.returncode == 2
    lines = [line for line in err.decode().splitlines() if "alembic" not in line]  # migrations log as they run
    assert lines == ["Configuration error: BOT_TOKEN was refused by Telegram (Unauthorized)"], err.decode()


async def test_retry_waits_double_up_to_the_cap(tmp_path, caplog):
    emulator = BotAPIEmulator()
    settings = bot_settings(emulator, tmp_path / "bot.sqlite3")
    settings.telegram_api_url = f"http://127.0.0.1:{free_port()}"
    app = Application.create(settings)
    app.retry_first, app.retry_cap = 0.01, 0.04
    caplog.set_level(logging.WARNING, logger="bot")
    try:
        waiting = asyncio.create_task(app.wait_for_telegram())
        for _ in range(300):
            if len([r for r in caplog.records if "unreachable" in r.getMessage()]) >= 5:
                break
            await asyncio.sleep(0.02)
        await app.stop()
        assert await asyncio.wait_for(waiting, 10) is False
    finally:
        await app.close()
    waits = [r.getMessage().rsplit("next attempt in ", 1)[1] for r in caplog.records if "unreachable" in r.getMessage()]
    assert waits[:5] == ["0.01 s", "0.02 s", "0.04 s", "0.04 s", "0.04 s"]


@pytest.mark.parametrize("command", [[], ["run"], ["migrate"], ["classify"], ["console"]])
def test_every_command_answers_help_and_does_nothing_else(tmp_path, command):
    """Help even with no token and a broken setting: nothing is read, no database file is created."""
    env = base_env(tmp_path, CRAWL_CONCURRENCY="many")
    proc = subprocess.run([sys.executable, "-m", "bot", *command, "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=START_TIMEOUT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m bot {' '.join(command)}".rstrip()), proc.stdout
    assert proc.stderr == ""
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "data").exists()
    if not command:  # the overview names every command
        assert all(name in proc.stdout for name in ("run", "migrate", "classify", "console"))


def test_an_unknown_argument_is_a_usage_error_not_a_start(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bot", "migrate", "--everything"], cwd=tmp_path,
                          env=base_env(tmp_path), capture_output=True, text=True, timeout=START_TIMEOUT)
    assert proc.returncode == 2 and "unrecognized arguments: --everything" in proc.stderr
    assert not (tmp_path / "b.db").exists()


def test_migrate_without_help_migrates_once(tmp_path, monkeypatch, capsys):
    first = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=base_env(tmp_path),
                           capture_output=True, text=True, timeout=START_TIMEOUT)
    assert first.returncode == 0 and first.stdout.startswith("Migrated: "), first.stderr
    for name, value in base_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    from bot.__main__ import main

    assert main(["migrate"]) == 0  # the same command again, in this process: nothing left to do
    assert capsys.readouterr().out.strip() == "The database schema is up to date."


async def test_without_a_desk_the_start_and_an_admins_health_say_tickets_reach_no_one(emulator, tmp_path, caplog):
    admin, user = emulator.create_user("Админ"), emulator.create_user("Клиент")
    caplog.set_level(logging.WARNING, logger="bot")
    runner = BotRunner(emulator, bot_settings(emulator, tmp_path / "bot.sqlite3", ADMIN_IDS=str(admin.id)))
    await runner.start()
    try:
        [warning] = [r.getMessage() for r in caplog.records if "AGENT_CHAT_ID" in r.getMessage()]
        assert "reach no one" in warning and "BOT_TOKEN, AGENT_CHAT_ID and ADMIN_IDS" in warning
        await emulator.user_sends(admin, "/health")
        report = await emulator.wait_for_bot_message(admin, timeout=30)
        assert "Состояние бота" in report.text and "База данных: доступна" in report.text
        assert "Группа специалистов не подключена" in report.text and "AGENT_CHAT_ID" in report.text
        await emulator.user_sends(user, "/health")  # not an admin: the dialogue answers as to any command
        answer = await emulator.wait_for_bot_message(user, timeout=30)
        assert "Состояние бота" not in answer.text
    finally:
        await runner.stop()


async def test_with_a_desk_health_is_asked_in_the_group_and_warns_of_nothing(emulator, tmp_path, caplog):
    admin = emulator.create_user("Админ")
    group = emulator.create_group("Поддержка", admins=(admin,))
    caplog.set_level(logging.WARNING, logger="bot")
    settings = bot_settings(emulator, tmp_path / "bot.sqlite3", AGENT_CHAT_ID=group.id, ADMIN_IDS=str(admin.id))
    runner = BotRunner(emulator, settings)
    await runner.start()
    try:
        assert not [r for r in caplog.records if "is not set" in r.getMessage()]
        await emulator.user_sends(admin, "/health", chat=group)
        report = await emulator.wait_for_bot_message(group, lambda m: "Состояние" in (m.text or ""), timeout=30)
        assert "Группа специалистов" not in report.text
        await emulator.user_sends(admin, "/health")  # in private the admin is a user like any other
        answer = await emulator.wait_for_bot_message(admin, timeout=30)
        assert "Состояние бота" not in answer.text
    finally:
        await runner.stop()


def test_a_desk_without_admins_is_warned_of(caplog):
    from bot.app import warn_incomplete_desk
    from bot.settings import Settings

    caplog.set_level(logging.WARNING, logger="bot")
    warn_incomplete_desk(Settings(_env_file=None, AGENT_CHAT_ID=-100123))  # type: ignore[call-arg]
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("ADMIN_IDS is not set")
