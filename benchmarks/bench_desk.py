"""The agents' desk through the real aiogram client and the Bot API emulator: figures, not pass/fail.

50 users confirm their tickets at the same moment; for each ticket, the time from the user's press
of «Отправить» to its card appearing in the ticket's topic. The bot stays under Telegram's per-group
rate (about 20 messages a minute, topic creation counted too) by queueing, so the figures are the
time to the first card and to all cards, p50/p95, and the number of 429s the group answered (the
emulator enforces the same limit on the group: a queue that works shows none).

    python benchmarks/bench_desk.py [--tickets 50] [--per-minute 20]

`--per-minute 600` shows the bot's own cost without the rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botrunner import BotRunner, bot_settings
from tests.emulator import BotAPIEmulator

MESSAGE = ("Не сохраняется сделка в {account}: открываю CRM → Сделки → Новая сделка, заполняю поля и жму "
           "«Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(tickets: int, per_minute: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with BotAPIEmulator() as emu:
            agent = emu.create_user("Анна")
            group = emu.create_group("Поддержка", members=(agent,))
            if per_minute <= 20:  # Telegram's flood control on the group (off to measure the bot's own cost)
                emu.limit_rate(messages=20, per=60, chat_id=group.id)
            settings = bot_settings(emu, Path(folder) / "bot.sqlite3", AGENT_CHAT_ID=group.id,
                                    GROUP_MESSAGES_PER_MINUTE=per_minute)
            runner = BotRunner(emu, settings)
            await runner.start()
            try:
                users = [emu.create_user(f"Клиент {index}") for index in range(tickets)]
                cards = []
                for index, user in enumerate(users):  # every user reaches the card with «Отправить»
                    await emu.user_sends(user, MESSAGE.format(account=f"company{index}.aspro.cloud"))
                    cards.append(await emu.wait_for_bot_message(user, lambda m: any(
                        "Отправить" in label for label in m.button_texts), timeout=30))
                pressed: dict[int, float] = {}

                async def confirm(user, card) -> None:
                    pressed[user.id] = time.perf_counter()
                    await emu.user_presses(user, card, button="Отправить")

                started = time.perf_counter()
                await asyncio.gather(*(confirm(user, card) for user, card in zip(users, cards, strict=True)))
                numbers: dict[int, int] = {}
                for user in users:
                    created = await emu.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""),
                                                             timeout=60)
                    numbers[int((created.text or "").split("№")[1].split()[0])] = user.id
                appeared: dict[int, float] = {}
                deadline = time.perf_counter() + 60 + tickets * 2 * 60 / min(per_minute, 20)
                while len(appeared) < tickets and time.perf_counter() < deadline:
                    for message in emu.sent(group):
                        card_data = message.callback_data("Взять") if message.buttons else None
                        if card_data and card_data.startswith("d:take:"):
                            number = int(card_data.rsplit(":", 1)[1])
                            appeared.setdefault(number, message.created)
                    await asyncio.sleep(0.05)
            finally:
                await runner.stop()
            latencies = [appeared[n] - pressed[numbers[n]] for n in appeared if n in numbers]
            print(f"tickets confirmed at once: {tickets}; cards in topics: {len(appeared)}; "
                  f"group rate: {per_minute}/min" + (" (emulator enforces 20/min)" if per_minute <= 20 else ""))
            if latencies:
                print(f"time to first card: {min(latencies):.2f} s")
                print(f"time to all cards:  {max(appeared.values()) - started:.2f} s")
                print(f"press → card p50: {statistics.median(latencies):.2f} s, "
                      f"p95: {percentile(latencies, 0.95):.2f} s")
            print(f"429 answers from the group: {emu.failures.get('sendMessage', 0)} sendMessage, "
                  f"{emu.failures.get('createForumTopic', 0)} createForumTopic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--per-minute", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.tickets, args.per_minute))


if __name__ == "__main__":
    main()
