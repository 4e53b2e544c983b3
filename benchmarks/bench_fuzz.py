"""The whole bot process (`python -m bot`) under thousands of seeded random inputs through the Bot API
emulator, in private chats and the agents' group (tests/fuzzing.py says what is sent and checked).

Prints the inputs sent by kind, the bot's messages, private texts left without a reply, doubled messages,
tracebacks and error lines in the bot's log, whether the process is still up and still answers, and the
latency of the first reply to a private text. Exits 1 when any check fails.

    python benchmarks/bench_fuzz.py [--inputs 5000] [--seed 1] [--users 6] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botrunner import bot_process, bot_settings
from tests.emulator import BotAPIEmulator
from tests.fuzzing import Fuzzer


def finish(log: Path, folder: Path, keep: Path | None) -> None:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, keep / "bot.log")
        print(f"the bot's log: {keep / 'bot.log'}")
    shutil.rmtree(folder, ignore_errors=True)


async def main(inputs: int, seed: int, users: int, keep: Path | None) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))
    emulator = BotAPIEmulator()
    await emulator.start()
    try:
        fuzzer = Fuzzer(emulator, seed, users=users)
        url = bot_settings(emulator, folder / "bot.sqlite3").database_url
        log = folder / "bot.log"
        async with bot_process(emulator, url, log, **fuzzer.env()) as process:
            await emulator.wait_until_polling(timeout=120)
            report = await fuzzer.run(inputs, process, log, url)
    finally:
        await emulator.stop()
    print(f"seed {seed}, {users} users, 2 agents, 1 admin, 1 guest in the agents' group")
    for line in report.lines():
        print(line)
    for title, items in (("unanswered", report.unanswered), ("doubled", report.doubled),
                         ("without a row", report.unstored), ("silent press", report.silent_presses),
                         ("log", report.errors)):
        for item in items[:10]:
            print(f"  {title}: {item[:200]}")
    finish(log, folder, keep)
    ok = (report.alive and report.answers_at_end and not report.unanswered and not report.doubled
          and not report.tracebacks and not report.errors)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="copy the bot's log into this folder")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.inputs, arguments.seed, arguments.users, arguments.keep)))
