"""Load through the Bot API emulator: many users writing at once to `python -m bot` (its own process), and
the same load against a bare aiogram echo bot on the same emulator. Figures, not pass/fail.

Each simulated user writes a dialogue of messages (a problem, the account, steps, browser, commands),
each after the bot's answer to the previous one. Two runs per bot:
- paced: a user writes the next message 1-3 s after the answer (`--pause`; people read and type far
  slower, so this is a crowd of very quick users), the users starting at random moments of the first
  pause. This is the load the targets are for: >= 0.7x the echo bot's throughput, p95 < 200 ms.
- flat out: the next message at once, so the bot is never idle: its capacity on this machine, where the
  bot, the emulator and the simulated users share the cores. Each user waits for the answer before
  writing again, so latency here is at least users / throughput (the echo bot's p95 is ~0.5 s): the
  latency target cannot apply to this run.
Printed for each: throughput (messages answered per second), latency from a user's message to the bot's
first answer (p50/p95), CPU per message, the bot process's peak memory, and the share of the echo bot's
throughput; then the memory that 1,000 open dialogues (drafts waiting for the user) add to the process.

    python benchmarks/bench_load.py [--users 500] [--messages 10] [--pause 1-3] [--postgres] [--desk]

`--desk` runs the agents' desk too (a forum group with an agent): tickets get cards in topics and the
users' later messages are relayed into them, all under Telegram's 20 messages a minute per group.

The database is a SQLite file, or PostgreSQL: `DATABASE_URL=postgresql+asyncpg://...` (a fresh database
is created on that server), or `--postgres` starts a throwaway cluster with `.ci/services`.
The bot's cap on sends per second (SEND_RATE_LIMIT, Telegram's 30/s) is off here, as the echo bot has none.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import BotAPIEmulator  # noqa: E402
from tests.mirror import serving  # noqa: E402

SEND = "Отправить"  # the button under the summary: pressing it files the ticket
DIALOGUE = (
    "Не сохраняется сделка, выдаёт ошибку 500",
    "romashka.aspro.cloud",
    "Открываю сделку, меняю сумму и нажимаю «Сохранить»",
    "Chrome 120, Windows 11",
    SEND,
    "/status",
    "Как настроить воронку продаж?",  # with a ticket open: added to it (with the desk) or a new question
    "/help",
    "Спасибо!",
    "/start",
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def memory_kb(pid: int, field: str) -> int:
    """VmHWM (peak) or VmRSS (now) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def start_process(
    emu: BotAPIEmulator, command: list[str], env: dict[str, str], folder: str,
) -> asyncio.subprocess.Process:
    full = {**os.environ, "BOT_TOKEN": emu.token, "TELEGRAM_API_URL": emu.base_url, "PYTHONPATH": str(ROOT), **env}
    process = await asyncio.create_subprocess_exec(*command, cwd=folder, env=full, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    await emu.wait_until_polling(timeout=120)
    return process


Pause = tuple[float, float]  # seconds a user takes before the next message: (shortest, longest)
FLAT_OUT: Pause = (0.0, 0.0)


async def user_dialogue(emu: BotAPIEmulator, index: int, messages: int, timings: list[float], pause: Pause,
                        rng: random.Random) -> None:
    user = emu.create_user(f"Клиент {index}")
    if pause[1] > 0:
        await asyncio.sleep(rng.uniform(0, pause[1]))  # users do not all start at the same instant
    for n in range(messages):
        start = time.perf_counter()
        step = DIALOGUE[n % len(DIALOGUE)]
        if step == SEND:
            summary = next((m for m in reversed(emu.sent(user)) if any(SEND in (b.get("text") or "")
                                                                         for b in m.buttons)), None)
            if summary is not None:
                await emu.user_presses(user, summary, button=SEND)
            else:  # the echo bot shows no buttons: the same press, on its last message
                await emu.user_presses(user, emu.sent(user)[-1], "send", forge=True)
        else:
            await emu.user_sends(user, step)
        answer = await emu.wait_for_bot_message(user, lambda m, t=start: m.created >= t, timeout=120)
        timings.append(answer.created - start)
        # later answers to the same message are not waited for
        if pause[1] > 0 and n < messages - 1:
            await asyncio.sleep(rng.uniform(*pause))


async def load(emu: BotAPIEmulator, users: int, messages: int, pause: Pause = FLAT_OUT,
               seed: int = 1) -> tuple[float, list[float]]:
    timings: list[float] = []
    rng = random.Random(seed)  # the same moments for both bots
    start = time.perf_counter()
    await asyncio.gather(*(user_dialogue(emu, n, messages, timings, pause, rng) for n in range(users)))
    return time.perf_counter() - start, timings


async def open_dialogues(emu: BotAPIEmulator, count: int) -> None:
    async def one(n: int) -> None:
        user = emu.create_user(f"Открытый {n}")
        await emu.user_sends(user, "Не сохраняется сделка, выдаёт ошибку 500")
        await emu.wait_for_bot_message(user, timeout=120)

    for first in range(0, count, 200):
        await asyncio.gather(*(one(n) for n in range(first, min(count, first + 200))))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(name: str, elapsed: float, timings: list[float], peak_kb: int, cpu: float) -> float:
    throughput = len(timings) / elapsed
    print(f"  {name:<22} {len(timings)} messages in {elapsed:.1f} s: {throughput:.0f} msg/s   "
          f"p50 {percentile(timings, 0.5) * 1000:.0f} ms   p95 {percentile(timings, 0.95) * 1000:.0f} ms   "
          f"mean {statistics.fmean(timings) * 1000:.0f} ms   peak memory {peak_kb / 1024:.0f} MiB   "
          f"CPU {cpu / len(timings) * 1000:.1f} ms/msg ({cpu / elapsed:.0%} of a core)")
    return throughput


def start_postgres() -> dict[str, str]:
    out = subprocess.run(["bash", "-c", "source .ci/services && services_start >&2 && "
                          "echo \"$DATABASE_URL $SERVICES_DIR $PG_BIN\""], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    return {"DATABASE_URL": out[0], "SERVICES_DIR": out[1], "PG_BIN": out[2]}


def stop_postgres(env: dict[str, str]) -> None:
    subprocess.run(["bash", "-c", "source .ci/services && services_stop"], cwd=ROOT, env={**os.environ, **env},
                   check=False)


async def measure(emu: BotAPIEmulator, pid: int, name: str, users: int, messages: int,
                  pause: Pause) -> tuple[float, list[float]]:
    cpu = cpu_seconds(pid)
    elapsed, timings = await load(emu, users, messages, pause)
    rate = report(name, elapsed, timings, memory_kb(pid, "VmHWM"), cpu_seconds(pid) - cpu)
    await emu.settle(quiet=0.5, timeout=120)
    return rate, timings


async def main(users: int, messages: int, pause: Pause, postgres: bool, desk: bool) -> None:
    logging.basicConfig(level=logging.ERROR)
    services = start_postgres() if postgres else {}
    if services:
        os.environ["DATABASE_URL"] = services["DATABASE_URL"]
    runs = {"paced": pause, "flat out": FLAT_OUT}
    results: dict[tuple[str, str], tuple[float, list[float]]] = {}
    try:
        from tests.dbs import ON_POSTGRES, database_url  # reads DATABASE_URL

        with tempfile.TemporaryDirectory() as folder, serving() as mirror:
            url = database_url(Path(folder), "load.sqlite3")
            engine = "PostgreSQL" if ON_POSTGRES or services else "SQLite"
            print(f"{users} users x {messages} messages through the emulator; the bot on {engine}, "
                  "searching the help-center mirror's index" + (", with the agents' desk" if desk else ""))
            index = {"DATABASE_URL": url, "HELP_BASE_URL": mirror.base}
            crawl = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "knowledge", "crawl", cwd=folder, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT), **index})
            if await crawl.wait():
                raise RuntimeError("the crawl of the help-center mirror failed")
            async with BotAPIEmulator() as emu:
                extra = {}
                if desk:
                    agent = emu.create_user("Агент", username="agent")
                    group = emu.create_group("Поддержка", members=(agent,), admins=(agent,))
                    extra = {"AGENT_CHAT_ID": str(group.id), "ADMIN_IDS": str(agent.id)}
                process = await start_process(emu, [sys.executable, "-m", "bot"],
                                              {**index, **extra, "SEND_RATE_LIMIT": "0"}, folder)
                try:
                    await load(emu, 20, 3)  # warm-up: reading rules and caches load on first use
                    for run, run_pause in runs.items():
                        results["support bot", run] = await measure(emu, process.pid, f"support bot, {run}",
                                                                     users, messages, run_pause)
                    before = memory_kb(process.pid, "VmRSS")
                    await open_dialogues(emu, 1000)
                    await emu.settle(quiet=0.5, timeout=120)
                    after = memory_kb(process.pid, "VmRSS")
                finally:
                    process.terminate()
                    await process.wait()
            async with BotAPIEmulator() as emu:
                process = await start_process(emu, [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")], {},
                                              folder)
                try:
                    await load(emu, 20, 3)
                    for run, run_pause in runs.items():
                        results["echo bot", run] = await measure(emu, process.pid, f"echo bot, {run}", users,
                                                                  messages, run_pause)
                finally:
                    process.terminate()
                    await process.wait()
            for run in runs:
                bot_rate, timings = results["support bot", run]
                echo_rate, _ = results["echo bot", run]
                print(f"  {run}: the support bot's throughput is {bot_rate / echo_rate:.2f}x the echo bot's "
                      f"(target >= 0.7x), p95 {percentile(timings, 0.95) * 1000:.0f} ms (target < 200 ms)")
            print(f"  memory for 1,000 more open dialogues: {(after - before) / 1024:+.1f} MiB "
                  f"(resident {before / 1024:.0f} -> {after / 1024:.0f} MiB; dialogues live in the database)")
    finally:
        if services:
            stop_postgres(services)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--pause", default="1-3", help="seconds a user takes before the next message, as LOW-HIGH")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster for the run")
    parser.add_argument("--desk", action="store_true", help="run the agents' desk as well")
    args = parser.parse_args()
    low, _, high = args.pause.partition("-")
    asyncio.run(main(args.users, args.messages, (float(low), float(high or low)), args.postgres, args.desk))
