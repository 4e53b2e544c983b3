"""A seeded fuzz of the whole bot: `python -m bot` as its own process against the Bot API emulator.

Users in private chats and agents in the forum group send random input one at a time: random Unicode
(other scripts' digits, control and zero-width characters, texts up to 4,096 characters and beyond),
HTML and markdown markup, commands with garbage arguments, presses of real and of forged button data on
the bot's real messages, edits of old messages, files and stickers. After each input the driver waits for
the bot's answer and records what it sent.

What is checked (`Report`): the process stays up; every text and command in a private chat gets a reply
(to the user, or its copy in the ticket's topic when an agent owns the ticket); the log has no traceback
and no error line; no message is sent twice for one input. Shared by tests/test_fuzz_process.py (a few
hundred inputs) and benchmarks/bench_fuzz.py (thousands).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import Message, ProcessedUpdate
from knowledge.db import make_engine
from tests.emulator import BotAPIEmulator, sample_jpeg, sample_pdf
from tests.emulator.models import Chat, ChatMessage, User

ROOT = Path(__file__).resolve().parents[1]
FULL = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю "
        "поля и жму «Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")


# --- what is sent ---

# digits of other scripts: str.isdigit() takes all of them, int() some, the bot none
DIGITS = ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "０１２３４５６７８９", "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉",
          "①②③④⑤⑥⑦⑧⑨⑩⑳", "❶❷❸", "𝟎𝟏𝟐𝟑𝟗", "๐๑๒๓", "߀߁߂", "〇一二三", "ⅠⅡⅢⅫ", "0123456789")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u00ad", "\u034f", "\u180e", "\u3164")
CONTROL = tuple(chr(code) for code in [*range(0, 32), 127, *range(0x80, 0xa0), 0x2028, 0x2029])
MARKUP = ("<b>", "</b>", "<i>x</i>", "<a href=\"javascript:alert(1)\">", "</a>", "<tg-spoiler>", "<pre><code>",
          "&amp;", "&lt;", "&#0;", "&#x110000;", "&", "<", ">", "<script>alert(1)</script>", "<blockquote>",
          "*bold*", "_it_", "__u__", "~s~", "||sp||", "[link](http://x)", "`code`", "```py\nx\n```", "\\", "<!--",
          "]]>", "${x}", "{number}", "{0}", "%s", "%(x)s", "'; DROP TABLE tickets;--", "<br/>", "\\n")
WORDS = ("ошибка", "500", "не", "работает", "romashka.aspro.cloud", "https://x.aspro.cloud/crm/deals/1", "Chrome 120",
         "Windows 11", "сделка", "воронка", "срочно", "не знаю", "спасибо", "да", "нет", "шаги", "почта", "шлюха",
         "שלום", "مرحبا", "你好", "こんにちは", "Ünïcödé", "🔥", "👨‍👩‍👧‍👦", "🏳️‍🌈", "#1", "№1", "@bot", "№²")
RANGES = ((0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x52f), (0x590, 0x6ff), (0x900, 0x97f),
          (0xe00, 0xe7f), (0x1100, 0x11ff), (0x1e00, 0x1fff), (0x2000, 0x2bff), (0x3000, 0x30ff), (0x4e00, 0x9fff),
          (0xac00, 0xd7a3), (0xe000, 0xf8ff), (0xfb00, 0xfffd), (0x10000, 0x1007f), (0x1d400, 0x1d7ff),
          (0x1f300, 0x1faff), (0x20000, 0x2a6df), (0xe0000, 0xe007f), (0xf0000, 0xf00ff))
PRIVATE_COMMANDS = ("history", "history", "status", "start", "help", "new", "cancel", "stop", "settings", "take",
                    "History", "HISTORY", "history@support_bot", "истори", "", "/", "h" * 40)
AGENT_COMMANDS = ("take", "note", "queue", "stats", "reindex", "health", "release", "resolve", "refuse", "suspend",
                  "need_info", "info", "dev", "close", "history", "status", "start", "Take", "take@support_bot", "x")
BUTTON_PREFIXES = ("send", "specialist", "helped", "next", "field", "account", "unknown", "back", "edit", "cancel",
                   "csat", "removed", "to", "d:take", "d:release", "d:resolve", "d:suspend", "d:refuse",
                   "d:need_information", "d:passed_to_development", "d:admin_access", "d", "", "x")


def garbage_number(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.3:
        digits = rng.choice(DIGITS)
        return "".join(rng.choice(digits) for _ in range(rng.randint(1, 4)))
    if choice < 0.45:
        return str(rng.choice([0, 1, 2, 3, -1, 2**31, 2**63, 10**30]))
    if choice < 0.55:
        return "9" * rng.choice([20, 400, 4400])
    if choice < 0.7:
        return rng.choice(["+1", " 1", "1_0", "0x1", "1e3", "1.5", "١٢", "1²", "①", "#1", "№1", "1 2", "1,2"])
    return str(rng.randint(1, 5))


def garbage_text(rng: random.Random, limit: int = 200) -> str:
    """Random text: pieces of every kind, up to `limit` characters."""
    pieces: list[str] = []
    size = 0
    target = rng.randint(1, limit)
    while size < target:
        kind = rng.random()
        if kind < 0.25:
            low, high = rng.choice(RANGES)
            piece = "".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 12)))
        elif kind < 0.4:
            piece = rng.choice(WORDS)
        elif kind < 0.5:
            piece = garbage_number(rng)
        elif kind < 0.62:
            piece = rng.choice(MARKUP)
        elif kind < 0.74:
            piece = "".join(rng.choice(INVISIBLE) for _ in range(rng.randint(1, 4)))
        elif kind < 0.8:
            piece = "".join(rng.choice(CONTROL) for _ in range(rng.randint(1, 3)))
        elif kind < 0.86:
            piece = "\u0301" * rng.randint(1, 30)  # combining marks with nothing to combine with
        else:
            piece = " " * rng.randint(1, 3) if rng.random() < 0.7 else "\n" * rng.randint(1, 3)
        pieces.append(piece)
        size += len(piece)
    text = "".join(pieces)[:limit]
    return text if text.strip() else text + rng.choice(WORDS)  # Telegram sends no empty message


def long_text(rng: random.Random) -> str:
    """A text near or over Telegram's 4,096 characters (in UTF-16 units an emoji counts twice)."""
    size = rng.choice([3900, 4000, 4095, 4096, 4097, 4500, 6000])
    return garbage_text(rng, size) + " " + "".join(rng.choice(WORDS) for _ in range(3))


def forged_data(rng: random.Random) -> str:
    prefix = rng.choice(BUTTON_PREFIXES)
    parts = [prefix] + [rng.choice([garbage_number(rng), garbage_text(rng, 8), "", "yes", "no", "account", "1"])
                        for _ in range(rng.randint(0, 3))]
    data = ":".join(parts) or "x"
    while len(data.encode()) > 64:  # Telegram's limit on callback data
        data = data[:-1]
    return data or "x"


# --- the run ---

@dataclass
class Report:
    inputs: Counter[str] = field(default_factory=Counter)
    replies: int = 0                      # bot messages sent (to users and to the group)
    unanswered: list[str] = field(default_factory=list)   # private texts and commands without a reply
    silent_presses: list[str] = field(default_factory=list)  # private presses without a message (informative)
    doubled: list[str] = field(default_factory=list)      # the same message twice for one input
    unstored: list[str] = field(default_factory=list)     # sent to a user with no stored row (informative)
    tracebacks: int = 0
    errors: list[str] = field(default_factory=list)       # ERROR lines of the bot's log
    alive: bool = False
    answers_at_end: bool = False          # a /help after the fuzz is answered
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # first reply to a private text, seconds

    def read_log(self, log: Path) -> None:
        text = log.read_text("utf-8", errors="replace")
        self.tracebacks = text.count("Traceback")
        self.errors = [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]

    @property
    def sent(self) -> int:
        return sum(self.inputs.values())

    def lines(self) -> list[str]:
        latencies = sorted(self.latencies) or [0.0]
        return [
            f"inputs sent: {self.sent} in {self.seconds:.0f} s "
            f"({', '.join(f'{kind} {number}' for kind, number in self.inputs.most_common())})",
            f"bot messages: {self.replies}",
            f"private texts and commands without a reply: {len(self.unanswered)}",
            f"private presses without a message: {len(self.silent_presses)}",
            f"doubled messages: {len(self.doubled)}; sent to a user without a stored row: {len(self.unstored)}",
            f"tracebacks in the log: {self.tracebacks}; error lines: {len(self.errors)}",
            f"process alive: {'yes' if self.alive else 'NO'}; answers after the fuzz: "
            f"{'yes' if self.answers_at_end else 'NO'}",
            f"first reply to a private text: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms",
        ]


class Fuzzer:
    """Users and agents of one world; `run(count)` sends that many seeded inputs, one after another."""

    def __init__(self, emulator: BotAPIEmulator, seed: int, users: int = 5) -> None:
        self.emulator = emulator
        self.rng = random.Random(seed)
        self.agents = [emulator.create_user("Анна", username="anna_agent"),
                       emulator.create_user("Борис", username="boris_agent")]
        self.admin = emulator.create_user("Админ", username="admin")
        self.outsider = emulator.create_user("Гость")
        self.group = emulator.create_group("Поддержка Аспро.Cloud", members=(*self.agents, self.outsider),
                                           admins=(self.admin,))
        emulator.set_member(self.group, self.outsider, "restricted")
        names = ["Вера", "Глеб", "Ольга", "Пётр", "Лейла", "Ğül", "李雷", "‮Мария"]
        self.users = [emulator.create_user(names[i % len(names)] + (str(i) if i >= len(names) else ""))
                      for i in range(users)]
        self.report = Report()
        self.engine: AsyncEngine | None = None  # the bot's database, read to know when an input was handled
        self.wait = 20.0  # for the first reply to a private text

    def env(self) -> dict[str, str]:
        return {"AGENT_CHAT_ID": str(self.group.id), "ADMIN_IDS": str(self.admin.id),
                "GROUP_MESSAGES_PER_MINUTE": "600", "DESK_TICK_SECONDS": "3600"}

    # --- the bot's output, counted per chat ---

    def chats(self) -> list[int]:
        return [user.id for user in self.users] + [self.group.id]

    def counts(self) -> dict[int, int]:
        return {chat: len(self.emulator.sent(chat, include_deleted=True)) for chat in self.chats()}

    def new_since(self, before: dict[int, int]) -> list[ChatMessage]:
        return [message for chat, count in before.items()
                for message in self.emulator.sent(chat, include_deleted=True)[count:]]

    # --- one input ---

    async def step(self, label: str, act: Callable[[], Awaitable[Any]], chat: int | None,
                   pressed: int | None = None) -> None:
        """Run one input; when `chat` is given (a private text or command), a reply is due; `pressed`: the
        private chat of a press (counted when nothing is said there)."""
        self.report.inputs[label] += 1
        before = self.counts()
        started = time.perf_counter()
        await act()
        update_id = max(self.emulator.updates)
        if chat is not None:
            answered = await self._first_reply(before, chat)
            if answered is None:
                self.report.unanswered.append(label)
            else:
                self.report.latencies.append(answered - started)
        await self._handled(update_id)  # what the bot says about this input is said by now, or just after
        with contextlib.suppress(AssertionError):  # a slow step is not a failure; its messages still count
            await self.emulator.settle(quiet=0.05, timeout=30)
        new = self.new_since(before)
        self.report.replies += len(new)
        if pressed is not None and not any(m.chat_id == pressed for m in new):
            data = self.emulator.updates[update_id].get("callback_query", {}).get("data", "")
            self.report.silent_presses.append(f"{label}: {data!r}")
        # the agents' group: one input, one message of each text (a user's chat is checked against the transcript)
        seen = Counter((m.thread_id, m.method, m.source or m.text, json.dumps(m.reply_markup, sort_keys=True))
                       for m in new if m.chat_id == self.group.id)
        self.report.doubled += [f"{label}: topic {key[0]} {key[1]} x{number}: {key[2]!r:.100}"
                                for key, number in seen.items() if number > 1]

    async def check_transcript(self, database_url: str) -> None:
        """A message in a user's chat that no stored reply names is a second copy of one when a stored reply
        has the same text and buttons (doubled), else a message sent without being stored first."""
        engine = make_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = (await connection.execute(
                    select(Message.chat_id, Message.telegram_message_id)
                    .where(Message.direction == "out", Message.telegram_message_id.is_not(None)))).all()
        finally:
            await engine.dispose()
        stored = {(chat, message) for chat, message in rows}
        for user in self.users:
            messages = self.emulator.sent(user, include_deleted=True)
            kept = {self._content(m) for m in messages if (user.id, m.message_id) in stored}
            for message in messages:
                if (user.id, message.message_id) in stored:
                    continue
                if self._content(message) in kept:
                    self.report.doubled.append(f"chat {user.id} {message.method} twice: "
                                               f"{(message.source or message.text)!r:.100}")
                else:
                    self.report.unstored.append(f"chat {user.id} {message.method}: "
                                                f"{(message.source or message.text)!r:.100}")

    @staticmethod
    def _content(message: ChatMessage) -> tuple[str, str, str]:
        return message.method, message.source or message.text, json.dumps(message.reply_markup, sort_keys=True)

    async def _handled(self, update_id: int) -> None:
        """Wait until the bot marked the update handled (its row in processed_updates)."""
        assert self.engine is not None
        deadline = time.perf_counter() + 10.0
        query = select(ProcessedUpdate.done_at).where(ProcessedUpdate.update_id == update_id)
        while time.perf_counter() < deadline:
            async with self.engine.connect() as connection:
                if (await connection.execute(query)).scalar() is not None:
                    return
            await asyncio.sleep(0.01)

    async def _first_reply(self, before: dict[int, int], chat: int) -> float | None:
        deadline = time.perf_counter() + self.wait
        while time.perf_counter() < deadline:
            now = self.counts()
            if now[chat] > before[chat] or now[self.group.id] > before[self.group.id]:
                return time.perf_counter()
            await asyncio.sleep(0.005)
        return None

    def _pick_old(self, chat: Chat, from_bot: bool, with_buttons: bool = False) -> ChatMessage | None:
        messages = [m for m in chat.messages.values() if m.from_bot == from_bot and not m.deleted
                    and (not with_buttons or m.buttons) and (from_bot or m.data.get("text") is not None)]
        return self.rng.choice(messages) if messages else None

    def _topic(self) -> int | None:
        topics = [topic.thread_id for topic in self.group.topics.values() if not topic.deleted and not topic.closed]
        return self.rng.choice(topics) if topics and self.rng.random() < 0.8 else None

    async def one(self) -> None:
        rng, emulator = self.rng, self.emulator
        user = rng.choice(self.users)
        chat = emulator.private_chat(user)
        roll = rng.random()
        if roll < 0.28:
            text = garbage_text(rng)
            await self.step("private text", lambda: emulator.user_sends(user, text), user.id)
        elif roll < 0.33:
            text = long_text(rng)
            await self.step("private long text", lambda: emulator.user_sends(user, text), user.id)
        elif roll < 0.38:
            text = rng.choice([FULL, "romashka.aspro.cloud", "не знаю", "Как настроить воронку?",
                               "Chrome 120, Windows 11", "Открываю сделку и жму «Сохранить»"]) + garbage_text(rng, 20)
            await self.step("private dialogue text", lambda: emulator.user_sends(user, text), user.id)
        elif roll < 0.50:
            command = rng.choice(PRIVATE_COMMANDS)
            argument = rng.choice(["", garbage_number(rng), garbage_text(rng, 30), f"{garbage_number(rng)} x"])
            text = f"/{command} {argument}".rstrip() if command else "/" + argument
            await self.step("private command", lambda: emulator.user_sends(user, text), user.id)
        elif roll < 0.58:
            message = self._pick_old(chat, from_bot=True, with_buttons=True)
            if message is None:
                return
            data = rng.choice([b["callback_data"] for b in message.buttons if b.get("callback_data")])
            await self.step("private press", lambda: self._press(user, message, data), None, pressed=user.id)
        elif roll < 0.66:
            message = self._pick_old(chat, from_bot=True)
            if message is None:
                return
            data = forged_data(rng)
            await self.step("private forged press", lambda: self._press(user, message, data, forge=True), None,
                            pressed=user.id)
        elif roll < 0.71:
            message = self._pick_old(chat, from_bot=False)
            if message is None:
                return
            text = rng.choice([garbage_text(rng), long_text(rng), (message.data.get("text") or "") + "!"])
            await self.step("private edit", lambda: emulator.user_edits(user, message, text), None)
        elif roll < 0.74:
            await self.step("private file or sticker", lambda: self._file(user), user.id)
        elif roll < 0.80:
            agent = rng.choice(self.agents)
            text = rng.choice([garbage_text(rng), "// " + garbage_text(rng, 50), long_text(rng)])
            thread = self._topic()
            await self.step("agent text", lambda: emulator.user_sends(agent, text, chat=self.group, thread_id=thread),
                            None)
        elif roll < 0.90:
            agent = rng.choice([*self.agents, self.admin, self.admin, self.outsider])
            command = rng.choice(AGENT_COMMANDS)
            argument = rng.choice(["", garbage_number(rng), garbage_text(rng, 30), f"{garbage_number(rng)} "
                                   + garbage_text(rng, 20)])
            text = f"/{command} {argument}".rstrip()
            thread = self._topic()
            await self.step("agent command", lambda: emulator.user_sends(agent, text, chat=self.group,
                                                                         thread_id=thread), None)
        elif roll < 0.95:
            message = self._pick_old(self.group, from_bot=True)
            if message is None:
                return
            agent = rng.choice([*self.agents, self.outsider])
            data = forged_data(rng) if rng.random() < 0.7 or not message.buttons else rng.choice(
                [b["callback_data"] for b in message.buttons if b.get("callback_data")])
            await self.step("agent press", lambda: self._press(agent, message, data, forge=True), None)
        else:
            message = self._pick_old(self.group, from_bot=False)
            if message is None or message.data.get("from", {}).get("id") not in {a.id for a in self.agents}:
                return
            author = next(a for a in self.agents if a.id == message.data["from"]["id"])
            text = garbage_text(rng)
            await self.step("agent edit", lambda: emulator.user_edits(author, message, text), None)

    async def _press(self, user: User, message: ChatMessage, data: str, forge: bool = False) -> None:
        await self.emulator.user_presses(user, message, data, forge=forge)

    async def _file(self, user: User) -> None:
        kind = self.rng.random()
        if kind < 0.4:
            await self.emulator.user_sends(user, photo=sample_jpeg(64, 48, str(self.rng.random())),
                                           caption=garbage_text(self.rng, 100) if self.rng.random() < 0.5 else None)
        elif kind < 0.6:
            await self.emulator.user_sends(user, document=(garbage_text(self.rng, 20) + ".pdf", sample_pdf()))
        elif kind < 0.8:
            await self.emulator.user_sends_sticker(user)
        else:
            await self.emulator.user_sends_voice(user)

    # --- the whole run ---

    async def file_tickets(self) -> None:
        """Some users with an open ticket before the fuzz (one taken by an agent), so the desk's paths run."""
        for user in self.users[:2]:
            await self.emulator.user_sends(user, FULL)
            for _ in range(6):
                message = await self.emulator.wait_for_bot_message(user, timeout=30)
                if any("Отправить" in label for label in message.button_texts):
                    await self.emulator.user_presses(user, message, button="Отправить")
                    break
                if any("Нужна помощь" in label for label in message.button_texts):
                    await self.emulator.user_presses(user, message, button="Нужна помощь")
            await self.emulator.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""), timeout=30)
        card = await self.emulator.wait_for_bot_message(self.group, lambda m: m.callback_data("Взять") is not None,
                                                        timeout=30)
        await self.emulator.user_presses(self.agents[0], card, button="Взять")
        await self.emulator.settle(quiet=0.3, timeout=30)
        self.emulator.mark_all_seen()

    async def run(self, count: int, process: asyncio.subprocess.Process, log: Path, database_url: str) -> Report:
        started = time.perf_counter()
        self.engine = make_engine(database_url)
        try:
            await self.file_tickets()
            while self.report.sent < count and process.returncode is None:
                await self.one()
        finally:
            await self.engine.dispose()
        self.report.seconds = time.perf_counter() - started
        self.report.alive = process.returncode is None
        if self.report.alive:
            probe = self.users[-1]
            before = self.counts()
            await self.emulator.user_sends(probe, "/help")
            self.report.answers_at_end = await self._first_reply(before, probe.id) is not None
        await self.emulator.settle(quiet=0.5, timeout=60)
        await self.check_transcript(database_url)
        self.report.read_log(log)
        return self.report
