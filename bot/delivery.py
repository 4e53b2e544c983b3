"""The delivery queue: every message the bot sends is a `messages` row until Telegram accepted it.

A row waits with `relay_due_at` set: the moment its next attempt is due. The first attempt is made at once by
whoever wrote the row (the dialogue's reply, the desk's note, card or copy), which owns it for a lease
(`relay_due_at` a lease ahead, written with the row); a row whose attempt failed with something that can
succeed later gets its next moment by capped exponential backoff (or Telegram's `retry_after`), and a consumer
(`drain`, run by the outbox for users' chats and by the desk's ticker for topics) claims due rows by moving
them a lease ahead in one statement (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so instances never claim the same
row) and sends them in order: one chat's (or one ticket topic's) rows one after another, a row never before an
earlier one of its chat that still waits. An instance that dies holding rows lets them fall due when the lease
ends; a restart finds the queue in the database. While rows wait their backoff one of them is tried early
every `Policy.probe` seconds; when it goes through, the others fall due at once. Telegram's answer settles a
row: accepted (its message id recorded), or refused for good (recorded and logged, the agents told where it
was theirs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, update

from bot.storage import Message, utcnow

log = logging.getLogger(__name__)
messages = Message.__table__
TOPIC = "topic"  # route of a row that goes to its ticket's topic in the agents' group


@dataclass(frozen=True, slots=True)
class Policy:
    """How long rows wait: backoff from `first_delay` doubling up to `cap` seconds, a claim held for `lease`
    seconds, and after `waiting_note` seconds of failing one note that a message still waits."""

    first_delay: float = 1.0
    cap: float = 300.0
    lease: float = 90.0
    waiting_note: float = 3600.0
    probe: float = 5.0  # while rows wait their backoff, one of them is tried this often: Telegram may be back

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds until the next try after `attempts` failures: the first failure is tried again at the next
        pass (the port has made its quick tries already), then `first_delay` doubling up to `cap`, less a
        random tenth so chats do not all come back in the same instant; Telegram's `retry_after` when it said."""
        if retry_after is not None:
            return max(float(retry_after), 0.0)
        if attempts <= 1:
            return 0.0
        return min(self.cap, self.first_delay * 2 ** (attempts - 2)) * random.uniform(0.9, 1.0)


# --- what a delivery came to ---


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int | None  # Telegram's id of the (first) message it became


@dataclass(frozen=True, slots=True)
class Settled:
    """Refused for good (or nothing left to do): recorded, never tried again."""

    reason: str


@dataclass(frozen=True, slots=True)
class Retry:
    error: str
    retry_after: float | None = None
    ambiguous: bool = False  # it may have reached the chat all the same: not tried again at the next pass


Outcome = Sent | Settled | Retry


@dataclass(frozen=True, slots=True)
class Queued:
    """A row as its consumer sends it."""

    id: int
    chat_id: int
    ticket_id: int | None
    route: str | None
    direction: str
    author_kind: str
    kind: str
    text: str | None
    buttons: list[Any] | None
    reply_to: int | None
    telegram_message_id: int | None
    topic_message_id: int | None
    attempts: int
    waiting_noted: bool
    created_at: datetime

    @property
    def key(self) -> tuple[str, int]:
        """The rows that go out one after another in order: a user's chat, or a ticket's topic."""
        return (TOPIC, self.ticket_id or 0) if self.route == TOPIC else ("chat", self.chat_id)


COLUMNS = tuple(messages.c[name] for name in Queued.__dataclass_fields__)
_now, _until = bindparam("now"), bindparam("until")


def _of_route(table: Any, topic: bool) -> Any:
    return table.c.route == TOPIC if topic else table.c.route.is_(None)


def _claim_statement(topic: bool, postgres: bool) -> Any:
    queued, earlier = messages.alias("queued"), messages.alias("earlier")
    same_key = (earlier.c.ticket_id == queued.c.ticket_id) if topic else (earlier.c.chat_id == queued.c.chat_id)
    held_before = select(earlier.c.id).where(  # an earlier row of the same chat waits (or is held): not yet
        _of_route(earlier, topic), same_key, earlier.c.relay_due_at > _now, earlier.c.id < queued.c.id).exists()
    due = (select(queued.c.id).where(_of_route(queued, topic), queued.c.relay_due_at <= _now, ~held_before)
           .order_by(queued.c.id).limit(bindparam("limit")))
    if postgres:
        due = due.with_for_update(skip_locked=True, of=queued)
    return (update(messages).where(messages.c.id.in_(due.scalar_subquery()))
            .values(relay_due_at=_until, delivery_error=None).returning(*COLUMNS))


def _backing_off(table: Any, topic: bool) -> Any:
    """Rows waiting their backoff after a failure (not held by a sender: a claim clears the error), other than
    those Telegram itself asked to wait (429)."""
    return and_(_of_route(table, topic), table.c.relay_due_at > _now, table.c.delivery_error.is_not(None),
                ~table.c.delivery_error.contains("429"))


def _probe_statement(topic: bool, postgres: bool) -> Any:
    queued, earlier = messages.alias("queued"), messages.alias("earlier")
    same_key = (earlier.c.ticket_id == queued.c.ticket_id) if topic else (earlier.c.chat_id == queued.c.chat_id)
    behind = select(earlier.c.id).where(_of_route(earlier, topic), same_key, earlier.c.relay_due_at.is_not(None),
                                        earlier.c.id < queued.c.id).exists()
    first = select(queued.c.id).where(_backing_off(queued, topic), ~behind).order_by(queued.c.id).limit(1)
    if postgres:
        first = first.with_for_update(skip_locked=True, of=queued)
    return (update(messages).where(messages.c.id.in_(first.scalar_subquery()))
            .values(relay_due_at=_until, delivery_error=None).returning(*COLUMNS))


_CLAIMS: dict[tuple[bool, bool], Any] = {}
_PROBES: dict[tuple[bool, bool], Any] = {}
RETRY = (update(messages).where(messages.c.id == bindparam("row"))
         .values(relay_due_at=bindparam("due"), attempts=messages.c.attempts + bindparam("failed"),
                 delivery_error=bindparam("error")))
DELIVERED = (update(messages).where(messages.c.id == bindparam("row"))
             .values(relay_due_at=None, sent_at=bindparam("at"), telegram_message_id=bindparam("telegram")))
COPIED = (update(messages).where(messages.c.id == bindparam("row"))  # a row that went to a topic
          .values(relay_due_at=None, topic_message_id=bindparam("topic_message"), sent_at=bindparam("at")))
REFUSED = (update(messages).where(messages.c.id == bindparam("row"))
           .values(relay_due_at=None, sent_at=bindparam("at"), delivery_error=bindparam("error")))
NOTED = update(messages).where(messages.c.id == bindparam("row")).values(waiting_noted=True)


def claim(connection: Connection, topic: bool, now: datetime, until: datetime, limit: int) -> list[Queued]:
    """Due rows of one route, a lease ahead now (ordered by id)."""
    postgres = connection.dialect.name == "postgresql"
    statement = _CLAIMS.get((topic, postgres))
    if statement is None:
        statement = _CLAIMS[(topic, postgres)] = _claim_statement(topic, postgres)
    rows = connection.execute(statement, {"now": now, "until": until, "limit": limit}).all()
    return sorted((Queued(*row) for row in rows), key=lambda row: row.id)


def probe_claim(connection: Connection, topic: bool, now: datetime, until: datetime) -> list[Queued]:
    """The oldest chat's first row waiting its backoff, claimed for an early try."""
    postgres = connection.dialect.name == "postgresql"
    statement = _PROBES.get((topic, postgres))
    if statement is None:
        statement = _PROBES[(topic, postgres)] = _probe_statement(topic, postgres)
    return [Queued(*row) for row in connection.execute(statement, {"now": now, "until": until}).all()]


def bring_forward(connection: Connection, topic: bool, now: datetime) -> int:
    """Telegram answered again: every row waiting its backoff falls due now."""
    return int(connection.execute(update(messages).where(_backing_off(messages, topic)).values(relay_due_at=now),
                                  {"now": now}).rowcount or 0)


def retry_at(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows tried again later: {"row", "due", "failed" (0 or 1), "error"}."""
    if rows:
        connection.execute(RETRY, list(rows))


def settle(connection: Connection, row: Queued, outcome: Sent | Settled, at: datetime) -> None:
    if isinstance(outcome, Settled):
        connection.execute(REFUSED, {"row": row.id, "at": at, "error": outcome.reason[:255]})
    elif row.route == TOPIC:
        connection.execute(COPIED, {"row": row.id, "topic_message": outcome.message_id, "at": at})
    else:
        connection.execute(DELIVERED, {"row": row.id, "at": at, "telegram": outcome.message_id})


def mark_noted(connection: Connection, row: int) -> None:
    connection.execute(NOTED, {"row": row})


def next_due(connection: Connection, topic: bool) -> datetime | None:
    return connection.execute(select(func.min(messages.c.relay_due_at)).where(_of_route(messages, topic))).scalar()


def waiting_in(connection: Connection, topic: bool, key: int, before: int | None = None) -> bool:
    """A row of this chat (or ticket's topic) still waits for Telegram (before row `before`)."""
    same = messages.c.ticket_id == key if topic else messages.c.chat_id == key
    query = select(messages.c.id).where(_of_route(messages, topic), same, messages.c.relay_due_at.is_not(None))
    if before is not None:
        query = query.where(messages.c.id < before)
    return connection.execute(query.limit(1)).first() is not None


def queued_keys(connection: Connection, topic: bool) -> set[int]:
    column = messages.c.ticket_id if topic else messages.c.chat_id
    return set(connection.execute(select(column).distinct().where(
        _of_route(messages, topic), messages.c.relay_due_at.is_not(None))).scalars())


def release_all(connection: Connection, now: datetime) -> int:
    """One instance only (SQLite), at start: the rows a previous run held fall due at once."""
    return int(connection.execute(update(messages).where(and_(messages.c.relay_due_at > now))
                                  .values(relay_due_at=now)).rowcount or 0)


def lease_until(policy: Policy) -> datetime:
    """When a row claimed (or written to be sent at once) now falls due again if its sender died: wall time."""
    return utcnow() + timedelta(seconds=policy.lease)


# --- the consumer ---

Deliver = Callable[[Queued], Awaitable[Outcome]]
KeyLock = Callable[[tuple[str, int]], contextlib.AbstractAsyncContextManager[None]]


class Queue:
    """The queue's statements through the dialogue's transactions (`bot.transcript.Transactions`)."""

    def __init__(self, transactions: Any, policy: Policy | None = None) -> None:
        self.transactions = transactions
        self.policy = policy or Policy()
        self._probed: dict[bool, datetime] = {}  # when a waiting row was last tried early, per route

    async def failed(self, rows: Sequence[Queued | int], outcome: Retry, attempts: int = 0) -> float:
        """The first row failed (its `attempts` before this one); it and the rows behind it wait. Seconds."""
        error = outcome.error
        delay = self.policy.backoff(attempts + 1 + outcome.ambiguous, outcome.retry_after)
        due = utcnow() + timedelta(seconds=delay)
        await self.transactions.write(retry_at, [
            {"row": row.id if isinstance(row, Queued) else row, "due": due, "failed": int(index == 0),
             "error": error[:255]} for index, row in enumerate(rows)])
        return delay

    async def behind(self, rows: Sequence[int]) -> None:
        """Rows not tried now because earlier ones of their chat wait: due at once, claimed after those."""
        await self.transactions.write(retry_at, [{"row": row, "due": utcnow(), "failed": 0,
                                                  "error": "behind an earlier message"} for row in rows])

    async def drain(self, topic: bool, deliver: Deliver, *, lock: KeyLock | None = None,
                    waiting: Callable[[Queued], Awaitable[None]] | None = None, limit: int = 50,
                    parallel: int = 8) -> bool:
        """Claim the due rows of a route and send them, each chat's in order, chats side by side (at most
        `parallel` at once). True when more were due than `limit` (call again)."""
        now = utcnow()
        rows = await self.transactions.write(claim, topic, now,
                                             now + timedelta(seconds=self.policy.lease), limit)
        if not rows:  # nothing due; when a row tried early goes through, what waited is due now: again
            return await self._probe(topic, deliver, now)
        by_key: dict[tuple[str, int], list[Queued]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        gate = asyncio.Semaphore(parallel)

        async def one_chat(key: tuple[str, int], chat_rows: list[Queued]) -> None:
            async with gate, (lock(key) if lock else contextlib.nullcontext()):
                if await self.transactions.read(waiting_in, topic, key[1], chat_rows[0].id):
                    # an earlier row of this chat is held elsewhere (another instance's claim): after it
                    await self.behind([row.id for row in chat_rows])
                    return
                for index, row in enumerate(chat_rows):
                    try:
                        outcome = await deliver(row)
                    except Exception as error:  # a fault of ours, not Telegram's: logged, the chat goes on
                        log.exception("message %s to %s could not be delivered", row.id, key)
                        outcome = Settled(f"{type(error).__name__}: {error}")
                    if isinstance(outcome, Retry):
                        delay = await self.failed(chat_rows[index:], outcome, row.attempts)
                        log.warning("message %s to %s waits %.1f s more (attempt %d): %s", row.id, key, delay,
                                    row.attempts + 1, outcome.error)
                        if waiting is not None and not row.waiting_noted and \
                                utcnow() - row.created_at >= timedelta(seconds=self.policy.waiting_note):
                            await self.transactions.write(mark_noted, row.id)
                            await waiting(row)
                        return
                    await self.transactions.write(settle, row, outcome, utcnow())

        await asyncio.gather(*(one_chat(key, chat_rows) for key, chat_rows in by_key.items()))
        return len(rows) >= limit

    async def _probe(self, topic: bool, deliver: Deliver, now: datetime) -> bool:
        """Every `Policy.probe` seconds while rows wait their backoff: one of them tried early. When it goes
        through, Telegram is back and every row waiting falls due at once (so a long outage, whose backoff grew
        to minutes, is not followed by minutes of waiting)."""
        last = self._probed.get(topic)
        if last is not None and (now - last).total_seconds() < self.policy.probe:
            return False
        self._probed[topic] = now
        rows = await self.transactions.write(probe_claim, topic, now, now + timedelta(seconds=self.policy.lease))
        if not rows:
            return False
        [row] = rows
        try:
            outcome = await deliver(row)
        except Exception as error:
            log.exception("message %s could not be delivered", row.id)
            outcome = Settled(f"{type(error).__name__}: {error}")
        if isinstance(outcome, Retry):
            await self.failed([row], outcome, row.attempts)
            return False
        await self.transactions.write(settle, row, outcome, utcnow())
        moved = await self.transactions.write(bring_forward, topic, utcnow())
        if moved:
            log.info("Telegram answers again: %d waiting messages are due now", moved)
        return True

    async def seconds_to_next(self, topic: bool, longest: float) -> float:
        """How long the consumer may sleep: until the next row falls due (or the next probe while rows wait
        their backoff), at most `longest`."""
        due = await self.transactions.read(next_due, topic)
        if due is None:
            return longest
        return min(longest, self.policy.probe, max(0.0, (due - utcnow()).total_seconds()))


# --- sending one row, whatever Telegram answers ---


async def outcome_of(make: Callable[[], Awaitable[int | None]], where: str) -> Outcome:
    """Run one delivery and say what it came to; a refusal for good is logged with where it went."""
    from bot.desk import Blocked, Refused, Unavailable, Unchanged

    try:
        return Sent(await make())
    except Unavailable as error:
        return Retry(str(error), error.retry_after, error.ambiguous)
    except Blocked as error:
        log.warning("%s: blocked (%s); recorded", where, error)
        return Settled(f"{BLOCKED}: {error}")
    except Unchanged as error:
        return Settled(f"{UNCHANGED}: {error}")
    except Refused as error:
        log.error("%s: refused by Telegram for good: %s", where, error)
        return Settled(str(error))


BLOCKED = "blocked"
UNCHANGED = "unchanged"


async def send_text(port: Any, chat_id: int, text: str, *, thread_id: int | None = None,
                    buttons: list[list[tuple[str, str]]] | None = None, reply_to: int | None = None,
                    buttons_first: bool = False) -> int:
    """Send HTML text of any length (the first message's id): split to Telegram's limit; a part Telegram
    cannot parse goes again as escaped plain text, a part it finds too long again in halves."""
    from bot import texts
    from bot.desk import BadMarkup, TooLong

    parts = texts.split_html(text)
    first: int | None = None
    for index, part in enumerate(parts):
        keys = buttons if index == (0 if buttons_first else len(parts) - 1) else None
        reply = reply_to if index == 0 else None
        try:
            sent = await port.send(chat_id, part, thread_id=thread_id, buttons=keys, reply_to=reply)
        except BadMarkup as error:
            log.error("chat %s: Telegram could not parse a message's HTML (%s); sent as plain text", chat_id, error)
            sent = await _send_plain(port, chat_id, texts.plain(part), thread_id, keys, reply)
        except TooLong:
            halves = texts.split_html(part, texts.units(part) // 2 + 64)
            sent = await send_text(port, chat_id, halves[0], thread_id=thread_id, reply_to=reply,
                                   buttons=keys if buttons_first else None, buttons_first=True)
            for rest in halves[1:]:
                await send_text(port, chat_id, rest, thread_id=thread_id,
                                buttons=keys if not buttons_first and rest is halves[-1] else None)
        first = sent if first is None else first
    assert first is not None
    return first


async def _send_plain(port: Any, chat_id: int, text: str, thread_id: int | None,
                      buttons: list[list[tuple[str, str]]] | None, reply_to: int | None) -> int:
    from bot import texts

    chunks = texts.split_plain(text)
    first: int | None = None
    for index, chunk in enumerate(chunks):
        sent = await port.send(chat_id, chunk, thread_id=thread_id, reply_to=reply_to if index == 0 else None,
                               buttons=buttons if index == len(chunks) - 1 else None, html=False)
        first = sent if first is None else first
    assert first is not None
    return first


def buttons_of(data: list[Any] | None) -> list[list[tuple[str, str]]]:
    return [[(str(label), str(payload)) for label, payload in row] for row in data or []]


async def to_chat(port: Any, row: Queued, group_id: int | None) -> Outcome:
    """A row for a user's chat: the bot's text, or an agent's message copied from the agents' group."""
    where = f"message {row.id} to chat {row.chat_id} ({'copyMessage' if row.author_kind == 'agent' else 'sendMessage'})"
    if row.author_kind == "agent" and row.topic_message_id is not None and group_id is not None:
        return await outcome_of(lambda: port.copy(row.chat_id, group_id, row.topic_message_id,
                                                  reply_to=row.reply_to), where)
    return await outcome_of(lambda: send_text(port, row.chat_id, row.text or "", buttons=buttons_of(row.buttons),
                                              reply_to=row.reply_to), where)
