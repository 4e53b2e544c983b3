"""`python -m bot console`: the user's dialogue in a terminal, over the same domain code and database.

An admin can try the triage and its texts without a token or Telegram. Type messages as a user
would; a number presses the button with that number; `:file PATH` sends a file as a document,
`:photo PATH` as a photo, `:edit TEXT` edits your last message, `:quit` leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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

HELP = "A number presses a button; :file PATH, :photo PATH, :edit TEXT, :quit."


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
        self.buttons: list[str] = []
        self.last_message_id = 0

    def _incoming(self, type_: str, **values: object) -> Incoming:
        return Incoming(update_id=next(self.update_ids), chat_id=self.chat_id, user_id=self.chat_id,
                        type=type_, name="Консоль", **values)  # type: ignore[arg-type]

    def parse(self, line: str) -> Incoming | None:
        line = line.rstrip("\n")
        pressed = numbers.number(line.strip(), 1, len(self.buttons)) if self.buttons else None
        if pressed is not None:
            return self._incoming("press", text=self.buttons[pressed - 1])
        if line.startswith((":file ", ":photo ")):
            command, _, path = line.partition(" ")
            file = Path(path.strip())
            size = file.stat().st_size if file.is_file() else None
            kind = PHOTO if command == ":photo" else DOCUMENT
            return self._incoming("media", kind=kind, file_id=str(file), file_name=file.name, size=size,
                                  message_id=next(self.message_ids))
        if line.startswith(":edit "):
            return self._incoming("edit", text=line[6:], message_id=self.last_message_id)
        message_id = next(self.message_ids)
        if line.startswith("/") and len(line) > 1:
            head, _, arg = line[1:].partition(" ")
            return self._incoming("command", command=head.lower(), text=arg.strip(), message_id=message_id)
        self.last_message_id = message_id
        return self._incoming("text", text=line, message_id=message_id)

    async def send(self, line: str) -> list[Outgoing]:
        incoming = self.parse(line)
        if incoming is None:
            return []
        replies = await self.service.handle(incoming)
        self.show(replies)
        for reply in replies:
            await self.service.mark_sent(reply, None)
        return replies

    def show(self, replies: list[Outgoing]) -> None:
        """Print the replies; the last keyboard shown stays pressable until another one comes."""
        if any(reply.buttons for reply in replies):
            self.buttons = []
        for reply in replies:
            self.write(texts.plain(reply.text))
            row_labels = []
            for row in reply.buttons:
                for label, data in row:
                    self.buttons.append(data)
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
        write("(The help-center index is empty: answers come without links. Fill it with "
              "`python -m knowledge crawl`.)")
    console = Console(service, chat_id, write)
    write(HELP)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot console", description=__doc__.splitlines()[0])
    parser.add_argument("--chat-id", type=int, default=1, help="the chat (and user) id to talk as")
    args = parser.parse_args(argv)
    settings = load_settings(Settings)
    return asyncio.run(run(settings, args.chat_id, sys.stdin, print))
