"""`python -m bot console`: the user's dialogue in a terminal, over the same domain code and database.

An admin can try the triage and its texts without a token or Telegram. Type messages as a user
would; a number presses the button with that number on the bot's latest message (`:press N` presses
one of an earlier message, as tapping it in Telegram would; `:text N` sends the number as text);
`:file PATH` sends a file as a document, `:photo PATH` as a photo, `:edit TEXT` edits your last
message, `:quit` leaves. Log lines go to a file (`--log`), not into the dialogue.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot import numbers, texts
from bot.conversation import ConversationService, Incoming, Outgoing
from bot.screenshots import DOCUMENT, HEAD_BYTES, PHOTO
from bot.settings import Settings
from knowledge.db import make_engine
from knowledge.settings import load_settings

DEFAULT_LOG = "data/console.log"


def _read_head(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


async def _probe(file_id: str) -> bytes | None:
    """A file «sent» from the console is a local path."""
    return await asyncio.to_thread(_read_head, Path(file_id))


class Console:
    def __init__(self, service: ConversationService, chat_id: int, write: Callable[[str], None]) -> None:
        self.service = service
        self.chat_id = chat_id
        self.write = write
        # Update ids of their own (negative), so they never collide with Telegram's in a shared database.
        self.update_ids = itertools.count(-time.time_ns() // 1000, -1)
        self.message_ids = itertools.count(int(time.time()))
        self.buttons: list[tuple[str, str]] = []  # (label, data) of the last keyboard shown, numbered from 1
        self.latest = False  # that keyboard is on the bot's latest message
        self.last_message_id = 0

    def _incoming(self, type_: str, **values: object) -> Incoming:
        return Incoming(update_id=next(self.update_ids), chat_id=self.chat_id, user_id=self.chat_id,
                        type=type_, name="Консоль", **values)  # type: ignore[arg-type]

    def _press(self, number: str) -> Incoming | str:
        """A press of button `number` (ASCII digits), or the note saying why there is none to press."""
        index = (numbers.number(number, 1, len(self.buttons)) or 0) - 1
        if self.latest and 0 <= index < len(self.buttons):
            return self._incoming("press", text=self.buttons[index][1])
        if self.latest:
            return texts.console_note("out_of_range", number=number, count=len(self.buttons))
        if 0 <= index < len(self.buttons):
            return texts.console_note("not_latest", number=number, label=self.buttons[index][0])
        return texts.console_note("no_buttons", number=number)

    def parse(self, line: str) -> Incoming | str:
        """The update a typed line stands for, or a note of the console's own (nothing is sent then)."""
        line = line.rstrip("\n")
        stripped = line.strip()
        if self.buttons and stripped.isascii() and stripped.isdigit():
            return self._press(stripped)
        if line.startswith(":press "):
            index = numbers.number(line[7:].strip(), 1, len(self.buttons)) if self.buttons else None
            if index is not None:  # deliberately, as a tap on an earlier message in Telegram
                return self._incoming("press", text=self.buttons[index - 1][1])
            return texts.console_note("no_buttons", number=line[7:].strip())
        if line.startswith(":text "):  # as typed, even a number or a leading slash
            return self._text(line[6:])
        if line.startswith((":file ", ":photo ")):
            command, _, path = line.partition(" ")
            file = Path(path.strip())
            size = file.stat().st_size if file.is_file() else None
            kind = PHOTO if command == ":photo" else DOCUMENT
            return self._incoming("media", kind=kind, file_id=str(file), file_name=file.name, size=size,
                                  message_id=next(self.message_ids))
        if line.startswith(":edit "):
            return self._incoming("edit", text=line[6:], message_id=self.last_message_id)
        if line.startswith("/") and len(line) > 1:
            head, _, arg = line[1:].partition(" ")
            return self._incoming("command", command=head.lower(), text=arg.strip(),
                                  message_id=next(self.message_ids))
        return self._text(line)

    def _text(self, text: str) -> Incoming:
        self.last_message_id = next(self.message_ids)
        return self._incoming("text", text=text, message_id=self.last_message_id)

    async def send(self, line: str) -> list[Outgoing]:
        incoming = self.parse(line)
        if isinstance(incoming, str):
            self.write(incoming)
            self.write("")
            return []
        replies = await self.service.handle(incoming)
        self.show(replies)
        for reply in replies:
            await self.service.mark_sent(reply, None)
        return replies

    def show(self, replies: list[Outgoing]) -> None:
        """Print the replies; only a keyboard of the bot's latest answer is pressed by a bare number."""
        if any(reply.buttons for reply in replies):
            self.buttons = []
        if replies:
            self.latest = any(reply.buttons for reply in replies)
        for reply in replies:
            self.write(texts.plain(reply.text))
            row_labels = []
            for row in reply.buttons:
                for label, data in row:
                    self.buttons.append((label, data))
                    row_labels.append(f"[{len(self.buttons)}] {label}")
            if row_labels:
                self.write("   ".join(row_labels))
            self.write("")


async def run(settings: Settings, chat_id: int, stdin: TextIO, write: Callable[[str], None]) -> int:
    settings.ensure_sqlite_dir()
    engine = make_engine(settings.database_url)
    from knowledge.service import Knowledge

    knowledge = Knowledge(settings, engine)
    service = ConversationService.from_settings(settings, engine, searcher=knowledge, prober=_probe)
    await service.start()
    if await knowledge.is_empty():
        write(texts.console_note("empty_index"))
    console = Console(service, chat_id, write)
    write(texts.console_note("help"))
    try:
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line or line.strip() == ":quit":
                break
            if line.strip():
                await console.send(line)
    finally:
        await knowledge.close()
        await service.close()
        await engine.dispose()
    return 0


def log_to(target: str) -> None:
    """The console's log lines go to a file (or stderr for `-`), never between the dialogue's lines."""
    if target == "-":
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=[handler], force=True)
    logging.captureWarnings(True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot console",
        description="Talk to the bot's dialogue in this terminal, over the same database (no token needed).",
        epilog=" ".join(__doc__.split("\n\n", 1)[1].split()))
    parser.add_argument("--chat-id", type=int, default=1, help="the chat (and user) id to talk as")
    parser.add_argument("--log", default=DEFAULT_LOG, metavar="FILE",
                        help=f"where log lines go (default: {DEFAULT_LOG}; - for stderr)")
    args = parser.parse_args(argv)
    settings = load_settings(Settings)
    log_to(args.log)
    return asyncio.run(run(settings, args.chat_id, sys.stdin, print))
