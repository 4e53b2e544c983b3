"""Delivery under Telegram's faults, through the real aiogram client and the Bot API emulator: figures, not pass/fail.

For each fault mix, Telegram fails every call (but getUpdates and getMe) for `--outage` seconds while 20 users
write 3 commands each and, in a ticket taken by an agent, the user and the agent write 5 messages each; then
Telegram answers again. Printed per mix: the messages delivered, lost and doubled (each expected once: the
users' replies, the agent's messages in the user's chat, the user's messages copied to the topic), and the time
from Telegram's recovery to the last of them delivered. The mixes: 500s, HTML 502 pages (a proxy's), dropped
connections, 429 with `retry_after`, a restart in the middle of an outage, and connections dropped after the
call took effect (the answer lost: the one case the Bot API gives no way to tell from a failure).

Then the cost of the durable queue on the path every reply takes (no faults): CPU per message and database
statements per message (on SQLite each is one call into the file; on PostgreSQL one round trip), on this tree
and on the tree before the queue (`--old-ref`, default the merge base with `main`, extracted to a temporary
directory), measured the same way in a process of its own. CPU covers the whole process (the emulator and the
simulated users too), so the difference between the two lines is the queue's; on a shared machine it varies
by tens of per cent from run to run, so the Python function calls per message (counted with cProfile in a
round of their own) are printed too: a figure noise does not move.

    python benchmarks/bench_delivery.py [--outage 20] [--cap 300] [--mixes 500,html,drop,429,restart,drop_after]
                                        [--messages 600] [--repeat 3] [--old-ref REF] [--no-cost]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = Path(os.environ.get("BENCH_ROOT") or HERE.parents[1])
sys.path.insert(0, str(ROOT))

from tests.botrunner import BotRunner, bot_settings  # noqa: E402
from tests.emulator import BotAPIEmulator  # noqa: E402

FULL = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю "
        "поля и жму «Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")
COMMANDS = ("/help", "/start", "/status")
MIXES = {"500": "500s", "html": "HTML 502 pages", "drop": "dropped connections", "429": "429, retry_after 5 s",
         "restart": "HTML 502 + a restart mid-outage", "drop_after": "dropped after taking effect"}


async def taken_ticket(emu: BotAPIEmulator, group: Any, agent: Any) -> tuple[Any, int]:
    """A user's ticket, its card in a topic, taken by the agent: the user and the topic's thread."""
    user = emu.create_user("Клиент")
    await emu.user_sends(user, FULL)
    while True:
        message = await emu.wait_for_bot_message(user, timeout=30)
        if any("Отправить" in label for label in message.button_texts):
            break
        if any("Нужна помощь" in label for label in message.button_texts):
            await emu.user_presses(user, message, button="Нужна помощь")
    await emu.user_presses(user, message, button="Отправить")
    await emu.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""), timeout=30)
    for _ in range(400):
        with contextlib.suppress(Exception):
            topic = emu.topic_named(group, "#1 ·")
            break
        await asyncio.sleep(0.05)
    card = await emu.wait_for_bot_message(group, lambda m: any("Взять" in b for b in m.button_texts),
                                          thread_id=topic.thread_id, timeout=30)
    await emu.user_presses(agent, card, button="Взять")
    await emu.wait_for_bot_message(user, lambda m: "подключился" in (m.text or ""), timeout=30)
    return user, topic.thread_id


async def fault_mix(mode: str, outage: float, cap: float, users: int = 20, relayed: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        async with BotAPIEmulator() as emu:
            agent = emu.create_user("Анна")
            group = emu.create_group("Поддержка", members=(agent,))
            settings = bot_settings(emu, Path(folder) / "bot.sqlite3", AGENT_CHAT_ID=group.id,
                                    GROUP_MESSAGES_PER_MINUTE=600, DESK_TICK_SECONDS=3600,
                                    DELIVERY_BACKOFF_CAP=cap)
            runner = BotRunner(emu, settings)
            await runner.start()
            try:
                client, thread = await taken_ticket(emu, group, agent)
                askers = [emu.create_user(f"Пользователь {n}") for n in range(users)]
                await emu.settle(quiet=0.3)
                emu.mark_all_seen()
                seen = {chat.id: len(emu.sent(chat)) for chat in (client, *askers)}
                seen_topic = len(emu.sent(group, thread_id=thread))
                fault_mode = "html" if mode == "restart" else mode
                emu.outage(outage, fault_mode, retry_after=5)
                recovered = time.perf_counter() + outage
                for n in range(relayed):
                    await emu.user_sends(client, f"Сообщение пользователя {n}")
                    await emu.user_sends(agent, f"Ответ агента {n}", chat=group, thread_id=thread)
                for command in COMMANDS:
                    for user in askers:
                        await emu.user_sends(user, command)
                if mode == "restart":
                    await asyncio.sleep(outage / 2)
                    await runner.stop()
                    await runner.start()
                await asyncio.sleep(max(0.0, recovered - time.perf_counter()))
                expected = len(askers) * len(COMMANDS) + 2 * relayed

                def tally() -> tuple[int, int, int, float]:
                    delivered = lost = doubled = 0
                    last = 0.0
                    groups = [(emu.sent(user)[seen[user.id]:], len(COMMANDS)) for user in askers]
                    client_new = emu.sent(client)[seen[client.id]:]
                    topic_new = emu.sent(group, thread_id=thread)[seen_topic:]
                    for n in range(relayed):
                        groups.append(([m for m in client_new if m.text == f"Ответ агента {n}"], 1))
                        groups.append(([m for m in topic_new if m.text == f"Сообщение пользователя {n}"], 1))
                    for found, want in groups:
                        delivered += min(len(found), want)
                        lost += max(0, want - len(found))
                        doubled += max(0, len(found) - want)
                        last = max([last, *(m.created for m in found)])
                    return delivered, lost, doubled, last

                deadline = time.perf_counter() + 4 * cap + 60
                while time.perf_counter() < deadline:
                    delivered, lost, doubled, last = tally()
                    if delivered == expected:
                        break
                    await asyncio.sleep(0.1)
                await emu.settle(quiet=1.0)
                delivered, lost, doubled, last = tally()
                return {"mix": MIXES[mode], "expected": expected, "delivered": delivered, "lost": lost,
                        "doubled": doubled, "after_recovery": max(0.0, last - recovered)}
            finally:
                await runner.stop()


def count_statements() -> list[int]:
    """Every statement any engine runs, counted (a shared list of one number)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counter = [0]

    def counted(*_args: Any) -> None:
        counter[0] += 1

    event.listen(Engine, "before_cursor_execute", counted)
    return counter


async def cost(messages: int, users: int = 50) -> dict[str, float]:
    """CPU and statements per message on the path every reply takes, no faults: `users` chats side by side,
    each writing the next command when the answer to the last came."""
    counter = count_statements()
    with tempfile.TemporaryDirectory() as folder:
        async with BotAPIEmulator() as emu:
            runner = BotRunner(emu, bot_settings(emu, Path(folder) / "bot.sqlite3", SEND_RATE_LIMIT=0))
            await runner.start()
            try:
                chats = [emu.create_user(f"Клиент {n}") for n in range(users)]
                for user in chats:  # warm: every user known, every statement compiled once
                    await emu.user_sends(user, "/help")
                for user in chats:
                    await emu.wait_for_bot_message(user, timeout=30)
                await emu.settle(quiet=0.3)
                per_user = max(1, messages // users)
                cpu, statements = time.process_time(), counter[0]

                async def talk(user: Any) -> None:
                    for n in range(per_user):
                        await emu.user_sends(user, COMMANDS[n % len(COMMANDS)])
                        await emu.wait_for_bot_message(user, timeout=30)

                await asyncio.gather(*(talk(user) for user in chats))
                await emu.settle(quiet=0.3)
                total = per_user * users
                cpu_ms = 1000 * (time.process_time() - cpu) / total
                statements = (counter[0] - statements) / total
                profile = cProfile.Profile()  # the Python function calls of another round: a count noise spares
                profile.enable()
                await asyncio.gather(*(talk(user) for user in chats))
                await emu.settle(quiet=0.3)
                profile.disable()
                calls = pstats.Stats(profile).total_calls / total  # type: ignore[attr-defined]
                return {"messages": total, "cpu_ms": cpu_ms, "statements": statements, "calls": calls}
            finally:
                await runner.stop()


def old_tree(ref: str | None) -> tuple[str, tempfile.TemporaryDirectory[str]]:
    """The tree before the queue, extracted from git into a temporary directory."""
    if ref is None:
        ref = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                             capture_output=True, text=True).stdout.strip()
    folder = tempfile.TemporaryDirectory()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder.name], input=archive, check=True)
    return ref, folder


def cost_in(root: Path, messages: int) -> dict[str, float]:
    env = {**os.environ, "BENCH_ROOT": str(root)}
    done = subprocess.run([sys.executable, str(HERE), "--cost-json", "--messages", str(messages)], env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=20.0, help="seconds Telegram fails every call")
    parser.add_argument("--cap", type=float, default=300.0, help="DELIVERY_BACKOFF_CAP, seconds")
    parser.add_argument("--mixes", default=",".join(MIXES))
    parser.add_argument("--messages", type=int, default=600, help="messages of the cost measurement")
    parser.add_argument("--old-ref", default=None, help="the tree before the queue (default: merge base with main)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cost measurement")
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--cost-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    if args.cost_json:  # one measurement, in the tree of BENCH_ROOT
        print(json.dumps(asyncio.run(cost(args.messages))))
        return
    mixes = [mix for mix in args.mixes.split(",") if mix]
    if mixes:
        print(f"Telegram fails every call for {args.outage:.0f} s, backoff capped at {args.cap:.0f} s")
        print(f"{'fault mix':<34} {'expected':>8} {'delivered':>9} {'lost':>5} {'doubled':>7} "
              f"{'last after recovery':>20}")
        for mode in mixes:
            result = asyncio.run(fault_mix(mode, args.outage, args.cap))
            print(f"{result['mix']:<34} {result['expected']:>8} {result['delivered']:>9} {result['lost']:>5} "
                  f"{result['doubled']:>7} {result['after_recovery']:>19.1f}s")
    if not args.no_cost:
        ref, folder = old_tree(args.old_ref)
        runs: dict[str, list[dict[str, float]]] = {"before": [], "now": []}
        with folder:
            for _ in range(args.repeat):  # interleaved; the least CPU of each (a shared machine only adds)
                runs["before"].append(cost_in(Path(folder.name), args.messages))
                runs["now"].append(cost_in(ROOT, args.messages))
        before, now = (min(runs[name], key=lambda run: run["cpu_ms"]) for name in ("before", "now"))
        print(f"\nCost per message, no faults ({now['messages']:.0f} messages, 50 chats, SQLite, "
              f"least of {args.repeat} runs each):")
        print(f"{'':<28} {'CPU ms':>7} {'statements':>10} {'Python calls':>12}")
        for label, run in ((f"before the queue ({ref[:8]})", before), ("with the queue", now)):
            print(f"{label:<28} {run['cpu_ms']:>7.2f} {run['statements']:>10.2f} {run['calls']:>12.0f}")
        print(f"{'difference':<28} {now['cpu_ms'] - before['cpu_ms']:>+7.2f} "
              f"{now['statements'] - before['statements']:>+10.2f} {now['calls'] - before['calls']:>+12.0f}")
        print("(CPU of the whole process on a shared machine varies by tens of per cent between runs; the Python"
              " calls per message, counted in another round, do not)")


if __name__ == "__main__":
    main()
