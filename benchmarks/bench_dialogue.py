"""The user's dialogue through the real aiogram client and the Bot API emulator: figures, not pass/fail.

1. How many questions the bot asks before the ticket card (send / edit / cancel) for typical users:
   someone who gives everything in one message should be asked nothing but to confirm.
2. The time from a user's message to the bot's answer, p50/p95, over many users at once.

    python benchmarks/bench_dialogue.py [--users 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.texts import plain, render
from tests.botrunner import BotRunner, MirrorSearcher, bot_settings
from tests.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scenario:
    """A user with a first message and the facts they give when asked (None: «не знаю»)."""

    name: str
    message: str
    account: str = "romashka.aspro.cloud"
    steps: str | None = "Открываю сделку, меняю сумму и нажимаю «Сохранить»"
    environment: str | None = "Яндекс Браузер 24, Windows 10"
    prior: str | None = None  # an earlier ticket by the same user, filed before counting
    helped: bool = False      # a help-center link answers them


SCENARIOS = (
    Scenario("everything in one message",
             "Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю поля и "
             "жму «Сохранить» — ошибка 500. Браузер Chrome 120, Windows 11."),
    Scenario("a bug told over several messages", "Не сохраняется сделка, выдаёт ошибку"),
    Scenario("a question a help link answers", "Как настроить воронку продаж?", helped=True),
    Scenario("a question without the account", "Как настроить права доступа сотрудников к сделкам?"),
    Scenario("an outage (steps unknown)",
             "Аккаунт romashka.aspro.cloud не открывается ни у кого с утра, всё лежит!", steps=None),
    Scenario("a returning user's question (account offered)", "Как настроить уведомления о новых задачах?",
             prior="Как подключить почтовый ящик в romashka.aspro.cloud?"),
    Scenario("two problems in one message (first ticket)",
             "В romashka.aspro.cloud не сохраняется сделка: открываю сделку → меняю сумму → «Сохранить», ошибка "
             "500, Chrome 120 на Windows 11. И ещё вопрос: как настроить воронку продаж?"),
)

_ASKS = {key: plain(render(key)) for key in ("ask_account", "account_not_recognised", "ask_steps",
                                             "ask_steps_and_environment", "ask_environment", "ask_description")}


def is_card(message) -> bool:
    return any(button.get("callback_data") == "send:" for button in message.buttons)


def _data(message) -> set[str]:
    return {button.get("callback_data", "") for button in message.buttons}


async def _reply(emu: BotAPIEmulator, user, scenario: Scenario, question) -> None:
    """Answer one question the way this user would."""
    data, text = _data(question), question.text or ""
    if "specialist:" in data:
        await emu.user_presses(user, question, "specialist:")
    elif "account:yes" in data:
        await emu.user_presses(user, question, "account:yes")
    elif text in (_ASKS["ask_account"], _ASKS["account_not_recognised"]):
        await emu.user_sends(user, scenario.account)
    elif text == _ASKS["ask_steps_and_environment"] and scenario.steps:
        await emu.user_sends(user, f"{scenario.steps}. {scenario.environment or ''}".strip())
    elif text in (_ASKS["ask_steps"], _ASKS["ask_steps_and_environment"]):
        await (emu.user_sends(user, scenario.steps) if scenario.steps else
               emu.user_presses(user, question, "unknown:steps"))
    elif text == _ASKS["ask_environment"]:
        await (emu.user_sends(user, scenario.environment) if scenario.environment else
               emu.user_presses(user, question, "unknown:environment"))
    else:
        raise AssertionError(f"an unexpected question: {text!r}")


async def _answers(emu: BotAPIEmulator, user) -> list:
    """The bot's messages of one turn: the first one, then whatever follows until it goes quiet."""
    replies = [await emu.wait_for_bot_message(user, timeout=10)]
    await emu.settle(quiet=0.1)
    replies.extend(m for m in emu.sent(user) if not m.seen)
    for message in replies:
        message.seen = True
    return replies


async def questions(emu: BotAPIEmulator, scenario: Scenario) -> tuple[int, str]:
    """Questions the bot asks before the card (its confirmation not counted; help links offered count)."""
    user = emu.create_user("Пользователь")
    if scenario.prior:
        await emu.user_sends(user, scenario.prior)
        replies = await _answers(emu, user)
        while not is_card(replies[-1]):
            await _reply(emu, user, scenario, replies[-1])
            replies = await _answers(emu, user)
        await emu.user_presses(user, replies[-1], "send:")
        await _answers(emu, user)
    await emu.user_sends(user, scenario.message)
    replies = await _answers(emu, user)
    asked = 0
    while not is_card(replies[-1]):
        asked += 1
        if scenario.helped and "helped:" in _data(replies[-1]):
            await emu.user_presses(user, replies[-1], "helped:")
            await _answers(emu, user)
            return asked, "self-served by a help link"
        await _reply(emu, user, scenario, replies[-1])
        replies = await _answers(emu, user)
    return asked, "ticket card"


async def latency(emu: BotAPIEmulator, users: int) -> list[float]:
    """Seconds from each user's message to the bot's first answer, all users writing at once."""
    text = ("Не сохраняется сделка в romashka.aspro.cloud: открываю сделку → «Сохранить» → ошибка 500, "
            "Chrome 120, Windows 11")
    people = [emu.create_user(f"Клиент {index}") for index in range(users)]

    async def one(user) -> list[float]:
        timings = []
        for step in ("text", "press", "command"):
            started = time.perf_counter()
            if step == "press":
                card = next(m for m in reversed(emu.sent(user)) if is_card(m))
                await emu.user_presses(user, card, "send:")
            else:
                await emu.user_sends(user, text if step == "text" else "/status")
            await emu.wait_for_bot_message(user, timeout=60)
            timings.append(time.perf_counter() - started)
        return timings

    results = await asyncio.gather(*(one(user) for user in people))
    return [value for timings in results for value in timings]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(title: str, timings: list[float]) -> None:
    print(f"\n{title}, {len(timings)} messages (a text, a button, a command each):")
    print(f"  p50 {percentile(timings, 0.5) * 1000:.0f} ms   p95 {percentile(timings, 0.95) * 1000:.0f} ms   "
          f"mean {statistics.fmean(timings) * 1000:.0f} ms   max {max(timings) * 1000:.0f} ms")


async def main(users: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        async with BotAPIEmulator() as emu:
            # the real search over the help-center mirror's articles, as a crawl of the mirror would give
            runner = BotRunner(emu, bot_settings(emu, Path(folder) / "bench.sqlite3"), MirrorSearcher())
            await runner.start()
            try:
                print("Questions the bot asks before the ticket card (confirming the card not counted, "
                      "help links offered counted):")
                for scenario in SCENARIOS:
                    asked, end = await questions(emu, scenario)
                    print(f"  {scenario.name:<48} {asked}   ({end})")
            finally:
                await runner.stop()
        # Latency with the bot as its own process (`python -m bot`), as in production: the emulator and
        # the simulated users do not share its event loop.
        async with BotAPIEmulator() as emu:
            settings = bot_settings(emu, Path(folder) / "latency.sqlite3")
            env = {**os.environ, "BOT_TOKEN": emu.token, "TELEGRAM_API_URL": emu.base_url,
                   "DATABASE_URL": settings.database_url, "HELP_BASE_URL": settings.help_base_url, "CRAWL_RETRIES": "0",
                   "PYTHONPATH": str(ROOT)}
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=folder, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            try:
                await emu.wait_until_polling(timeout=60)
                await latency(emu, 3)  # warm-up: the first messages load the reading rules and caches
                _report("Time from a user's message to the bot's first answer, one user", await latency(emu, 1))
                _report(f"The same, {users} users writing at once", await latency(emu, users))
            finally:
                process.terminate()
                await process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    asyncio.run(main(parser.parse_args().users))
