"""The dialogue's reads and writes as plain functions of one connection, each run whole in one go.

`Transactions.write(fn, ...)` runs `fn(connection, ...)` inside one transaction (`read` without
one): the statements of a step reach the database from one place, built once as Core statements with
bound parameters, instead of an ORM session per step with its bookkeeping. On SQLite a step runs on
the event loop's thread on one kept connection of a synchronous engine (a local file answers in
microseconds: no thread, no greenlet); on PostgreSQL each step takes a pooled connection of the async
engine, so chats are handled in parallel, and the steps every message takes (storing it, writing the
dialogue's outcome, recording replies as sent) are one statement each (`write_one`), one round trip
instead of five: data-modifying WITH clauses, run atomically without BEGIN and COMMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import (
    BindParameter,
    Connection,
    and_,
    bindparam,
    case,
    event,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import Policy, lease_until
from bot.storage import (
    Attachment,
    Conversation,
    Message,
    MessageVersion,
    ProcessedUpdate,
    SelfServed,
    Ticket,
    TicketEvent,
    User,
    Wish,
)
from bot.tickets import OPEN, WAITING, TicketState
from knowledge.db import SQLITE_LOCK_TIMEOUT, sqlite_file_twin
from knowledge.inline_sqlite import patiently

log = logging.getLogger(__name__)
P = ParamSpec("P")
CONFLICT_STATES = frozenset({"40P01", "40001"})  # PostgreSQL: deadlock detected, serialization failure
CONFLICT_ATTEMPTS = 5
T = TypeVar("T")

users = User.__table__
conversations = Conversation.__table__
tickets = Ticket.__table__
ticket_events = TicketEvent.__table__
messages = Message.__table__
message_versions = MessageVersion.__table__
attachments = Attachment.__table__
processed = ProcessedUpdate.__table__
self_served = SelfServed.__table__
wishes = Wish.__table__


class Transactions:
    """One step's statements in one transaction (`write`) or one read (`read`), run synchronously."""

    def __init__(self, engine: AsyncEngine, write_lock: contextlib.AbstractAsyncContextManager[object]) -> None:
        self.engine = engine
        self._write_lock = write_lock  # SQLite takes one writer at a time: writers queue here, in order
        # SQLite: a kept connection of a synchronous engine on the same file, used on the loop's thread; a
        # step runs whole without yielding, so it needs no lock of its own
        self._twin = sqlite_file_twin(engine)
        self._kept: Connection | None = None
        # PostgreSQL: a read, or a one-statement write, needs no BEGIN and COMMIT/ROLLBACK round trips around it
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        if self._twin is not None:
            event.listen(engine.sync_engine, "engine_disposed", lambda _engine: self._release())

    async def _on_server(self, engine: AsyncEngine, runner: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a step on a pooled connection; one that PostgreSQL chose as a deadlock's victim (or failed to
        serialise) left nothing behind and is run again whole, after a short random pause."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                async with engine.connect() as connection:
                    return await connection.run_sync(runner, *args, **kwargs)
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) not in CONFLICT_STATES or attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("a step met a concurrent one (%s); running it again", getattr(error.orig, "sqlstate", ""))
                await asyncio.sleep(random.uniform(0, 0.01 * attempt))
        raise AssertionError("unreachable")

    async def read(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._twin is None:
            return await self._on_server(self._autocommit, _alone, fn, *args, **kwargs)
        return await self._on_file(_alone, fn, *args, **kwargs)

    async def write(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self._write_lock:
            if self._twin is None:
                return await self._on_server(self.engine, _in_transaction, fn, *args, **kwargs)
            return await self._on_file(_in_transaction, fn, *args, **kwargs)

    async def write_one(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A step that is one statement on PostgreSQL: sent without BEGIN and COMMIT around it (a statement is
        atomic by itself), one round trip. On SQLite, where it takes several statements, as `write`."""
        if self._twin is None:
            return await self._on_server(self._autocommit, _alone, fn, *args, **kwargs)
        return await self.write(fn, *args, **kwargs)

    async def _on_file(self, runner: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a step on the kept SQLite connection; while another connection holds the file's lock, wait
        without blocking the loop and run the whole step again (up to SQLITE_LOCK_TIMEOUT)."""
        twin = self._twin
        assert twin is not None

        def step() -> T:
            if self._kept is None:
                self._kept = twin.connect()
            try:
                return runner(self._kept, *args, **kwargs)
            except DBAPIError as error:
                if error.connection_invalidated:
                    self._close_kept()
                raise

        return await patiently(step, SQLITE_LOCK_TIMEOUT)

    def _close_kept(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            with contextlib.suppress(Exception):
                kept.close()

    def _release(self) -> None:
        self._close_kept()
        if self._twin is not None:
            self._twin.dispose()  # its connections closed; a later step opens a new one

    async def close(self) -> None:
        """Close the kept SQLite connection (also done when the engine is disposed)."""
        self._release()


def _alone(connection: Connection, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A read, or a write that is one statement, with no transaction of its own around it."""
    try:
        return fn(connection, *args, **kwargs)
    finally:
        connection.rollback()  # ends a read on SQLite's kept connection; a no-op in autocommit


def _in_transaction(connection: Connection, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if connection.in_transaction():
        connection.rollback()
    with connection.begin():
        return fn(connection, *args, **kwargs)


# --- storing an update ---

_u, _chat, _user = bindparam("update_id"), bindparam("chat_id"), bindparam("user_id")
_UPDATE, _USER = processed.c.update_id == _u, users.c.id == _user
_CONVERSATION = conversations.c.chat_id == _chat


def _value(column: Any, where: Any) -> Any:
    return select(column).where(where).scalar_subquery()


SEEN = select(  # the update seen before (and handled?), the user known (and as whom)
    select(processed.c.update_id).where(_UPDATE).exists(), _value(processed.c.done_at, _UPDATE),
    select(users.c.id).where(_USER).exists(), _value(users.c.name, _USER), _value(users.c.username, _USER),
    _value(users.c.blocked_bot, _USER),
)
INSERT_UPDATE = insert(processed)
INSERT_USER = insert(users)
INSERT_MESSAGE = insert(messages)
EDITED_ORIGINAL = (
    select(messages.c.id, messages.c.text)
    .where(messages.c.chat_id == _chat, messages.c.direction == "in",
           messages.c.telegram_message_id == bindparam("telegram"))
    .order_by(messages.c.id.desc()).limit(1)
)
INSERT_VERSION = insert(message_versions)
EDIT_MESSAGE = (update(messages).where(messages.c.id == bindparam("row"))
                .values(text=bindparam("new_text"), edited_at=bindparam("at")))


@dataclass(frozen=True, slots=True)
class Seen:
    update: bool
    done_at: datetime | None
    user: bool
    name: str | None
    username: str | None
    blocked: bool | None


def store_update(connection: Connection, incoming: Any, now: datetime) -> bool:
    """Record an update and the user's message. True: to be handled (new, or stored by a run that died
    before handling it); False: handled already."""
    seen = Seen(*connection.execute(SEEN, {"update_id": incoming.update_id, "user_id": incoming.user_id}).one())
    if seen.update:
        return seen.done_at is None
    connection.execute(INSERT_UPDATE, {"update_id": incoming.update_id, "chat_id": incoming.chat_id,
                                       "event": incoming.to_json(), "received_at": now})
    if not seen.user:
        connection.execute(INSERT_USER, {"id": incoming.user_id, "name": incoming.name,
                                         "username": incoming.username, "created_at": now, "updated_at": now})
    else:
        changes: dict[str, Any] = {}
        if incoming.name and (seen.name, seen.username) != (incoming.name, incoming.username):
            changes.update(name=incoming.name, username=incoming.username)
        if seen.blocked:
            changes["blocked_bot"] = False  # writing again means the bot is no longer blocked
        if changes:
            connection.execute(update(users).where(users.c.id == incoming.user_id).values(**changes))
    _store_message(connection, incoming, now)
    return True


def _store_message(connection: Connection, incoming: Any, now: datetime) -> None:
    if incoming.type == "press":
        return
    if incoming.type == "edit":
        original = connection.execute(EDITED_ORIGINAL, {"chat_id": incoming.chat_id,
                                                        "telegram": incoming.message_id}).one_or_none()
        if original is not None:
            connection.execute(INSERT_VERSION, {"message_id": original.id, "text": original.text, "created_at": now})
            connection.execute(EDIT_MESSAGE, {"row": original.id, "new_text": incoming.text, "at": now})
            return
    kind, text = _message_kind_and_text(incoming)
    connection.execute(INSERT_MESSAGE, {
        "chat_id": incoming.chat_id, "update_id": incoming.update_id, "direction": "in", "author_kind": "user",
        "author_id": incoming.user_id, "kind": kind, "text": text,
        "telegram_message_id": incoming.message_id or None, "created_at": now})


def _message_kind_and_text(incoming: Any) -> tuple[str, str | None]:
    kind = {"media": incoming.kind, "unsupported": incoming.kind}.get(incoming.type, "text")
    text = f"/{incoming.command} {incoming.text}".strip() if incoming.type == "command" else incoming.text
    return kind, text or None


# PostgreSQL: storing an update in one statement. The parts of a statement see the database as it was
# before it: `new_update` is empty when the update was stored before (or is, at this moment, by another
# instance: ON CONFLICT waits for it), and the user's row and message are written only with a new update.

def _typed(name: str, column: Any) -> BindParameter[Any]:
    """A parameter of a column's type (INSERT ... SELECT gives PostgreSQL no column to infer it from)."""
    return bindparam(name, type_=column.type)


_now, _update = _typed("now", processed.c.received_at), _typed("update_id", processed.c.update_id)
_NEW_UPDATE = (pg_insert(processed)
               .values(update_id=_update, chat_id=_typed("chat_id", processed.c.chat_id),
                       event=_typed("event", processed.c.event), received_at=_now)
               .on_conflict_do_nothing(index_elements=[processed.c.update_id])
               .returning(processed.c.update_id).cte("new_update"))
_stored = select(_NEW_UPDATE.c.update_id).exists()
_user_row = pg_insert(users).from_select(
    ["id", "name", "username", "blocked_bot", "created_at", "updated_at"],
    select(_typed("user_id", users.c.id), _typed("name", users.c.name), _typed("username", users.c.username),
           false(), _now, _now).where(_stored), include_defaults=False)
_named = _user_row.excluded.name != ""
_NEW_USER = _user_row.on_conflict_do_update(  # a known user: the name as Telegram has it now, not blocked any more
    index_elements=[users.c.id],
    set_={"name": case((_named, _user_row.excluded.name), else_=users.c.name),
          "username": case((_named, _user_row.excluded.username), else_=users.c.username),
          "blocked_bot": false(), "updated_at": _now},
    where=or_(users.c.blocked_bot, and_(_named, or_(users.c.name != _user_row.excluded.name,
                                                    users.c.username.is_distinct_from(_user_row.excluded.username)))),
).cte("new_user")
_MESSAGE_COLUMNS = ("chat_id", "update_id", "author_id", "kind", "text", "telegram_message_id")
_NEW_MESSAGE = insert(messages).from_select(
    [*_MESSAGE_COLUMNS, "direction", "author_kind", "internal", "flagged", "created_at"],
    select(*(_typed(f"m_{name}", messages.c[name]) for name in _MESSAGE_COLUMNS),
           literal("in"), literal("user"), false(), false(), _now).where(_stored),
    include_defaults=False,
).cte("new_message")
_STORED = select(_stored, select(processed.c.update_id).where(processed.c.update_id == _update).exists(),
                 _value(processed.c.done_at, processed.c.update_id == _update))  # the new update; or seen before
STORE_PRESS_AT_ONCE = _STORED.add_cte(_NEW_USER)
STORE_AT_ONCE = _STORED.add_cte(_NEW_USER).add_cte(_NEW_MESSAGE)


def store_update_at_once(connection: Connection, incoming: Any, now: datetime) -> bool:
    """`store_update` in one statement (PostgreSQL; an edit, which reads the original first, takes several)."""
    if incoming.type == "edit" or connection.dialect.name != "postgresql":
        return store_update(connection, incoming, now)
    bound: dict[str, Any] = {"update_id": incoming.update_id, "chat_id": incoming.chat_id, "event": incoming.to_json(),
                             "now": now, "user_id": incoming.user_id, "name": incoming.name or "",
                             "username": incoming.username}
    if incoming.type != "press":
        kind, text = _message_kind_and_text(incoming)
        bound.update(m_chat_id=incoming.chat_id, m_update_id=incoming.update_id, m_author_id=incoming.user_id,
                     m_kind=kind, m_text=text, m_telegram_message_id=incoming.message_id or None)
    fresh, known, done_at = connection.execute(
        STORE_PRESS_AT_ONCE if incoming.type == "press" else STORE_AT_ONCE, bound).one()
    return bool(fresh) or (known and done_at is None)


# --- handling an update ---

LOADED = select(  # everything handling an update reads before deciding, in one statement
    _value(processed.c.done_at, _UPDATE), select(conversations.c.chat_id).where(_CONVERSATION).exists(),
    *(_value(column, _CONVERSATION) for column in (
        conversations.c.step, conversations.c.strikes, conversations.c.data, conversations.c.draft_started_message_id)),
    _value(users.c.last_account, _USER),
    select(messages.c.id).where(messages.c.update_id == _u).limit(1).scalar_subquery(),
)


def load(connection: Connection, update_id: int, chat_id: int, user_id: int) -> tuple[Any, ...]:
    return tuple(connection.execute(LOADED, {"update_id": update_id, "chat_id": chat_id, "user_id": user_id}).one())


FLAG_ROW = update(messages).where(messages.c.id == bindparam("row")).values(flagged=True)
_in_chat = bindparam("in_chat")  # an UPDATE's parameters may not take a column's name
FLAG_EDITED = (update(messages)
               .where(messages.c.chat_id == _in_chat, messages.c.direction == "in",
                      messages.c.telegram_message_id == bindparam("telegram"))
               .values(flagged=True))
INSERT_ATTACHMENT = insert(attachments)
INSERT_WISH = insert(wishes)
INSERT_SELF_SERVED = insert(self_served)
INSERT_TICKET = insert(tickets).returning(tickets.c.id)
INSERT_EVENT = insert(ticket_events)
SET_LAST_ACCOUNT = update(users).where(users.c.id == bindparam("user")).values(last_account=bindparam("account"))
TRANSCRIPT_TO_TICKET = (
    update(messages)
    .where(messages.c.chat_id == _in_chat, messages.c.ticket_id.is_(None), messages.c.id >= bindparam("started"),
           messages.c.flagged.is_(False))
    .values(ticket_id=bindparam("ticket"))
)
ATTACHMENTS_TO_TICKET = (
    update(attachments)
    .where(attachments.c.chat_id == _in_chat, attachments.c.ticket_id.is_(None), attachments.c.accepted.is_(True),
           attachments.c.message_id >= bindparam("started"))
    .values(ticket_id=bindparam("ticket"))
)
# a new ticket's place: the waiting tickets before it in `bot.tickets.queue_key` order (critical first, then by
# arrival, SLA 2.1), counted by the database
_earlier = or_(tickets.c.queued_at < bindparam("at"),
               and_(tickets.c.queued_at == bindparam("at"), tickets.c.id < bindparam("number")))
_waiting = and_(tickets.c.state.in_([str(state) for state in WAITING]), tickets.c.id != bindparam("number"))
AHEAD_OF_CRITICAL = select(func.count()).where(_waiting, tickets.c.critical.is_(True), _earlier)
AHEAD_OF_OTHERS = select(func.count()).where(_waiting, or_(tickets.c.critical.is_(True), _earlier))
INSERT_REPLIES = insert(messages).returning(messages.c.id, sort_by_parameter_order=True)  # one statement
INSERT_CONVERSATION = insert(conversations)
# the columns set are the parameters given (all but "chat")
UPDATE_CONVERSATION = update(conversations).where(conversations.c.chat_id == bindparam("chat"))
DONE = update(processed).where(processed.c.update_id == bindparam("handled")).values(done_at=bindparam("at"))
SENT = (update(messages).where(messages.c.id == bindparam("row"))
        .values(sent_at=bindparam("at"), telegram_message_id=bindparam("telegram"), relay_due_at=None))


@dataclass(frozen=True, slots=True)
class NewTicket:
    user_id: int
    chat_id: int
    values: dict[str, Any]       # the ticket's columns
    started: int | None          # the first transcript row of the dialogue that produced it


def create_ticket(connection: Connection, ticket: NewTicket, now: datetime) -> tuple[int, int]:
    """Insert the ticket, its first event and its transcript; return its number and its place in the queue."""
    values = {**ticket.values, "user_id": ticket.user_id, "chat_id": ticket.chat_id, "state": TicketState.NEW,
              "queued_at": now, "created_at": now, "updated_at": now}
    number = connection.execute(INSERT_TICKET, values).scalar_one()
    connection.execute(INSERT_EVENT, {"ticket_id": number, "from_state": None, "to_state": TicketState.NEW,
                                      "actor_id": ticket.user_id, "actor_kind": "user", "created_at": now})
    connection.execute(SET_LAST_ACCOUNT, {"user": ticket.user_id, "account": values["account"]})
    if ticket.started is not None:
        # the whole dialogue that produced the ticket is its transcript (SLA 4.4)
        bound = {"in_chat": ticket.chat_id, "started": ticket.started, "ticket": number}
        connection.execute(TRANSCRIPT_TO_TICKET, bound)
        connection.execute(ATTACHMENTS_TO_TICKET, bound)
    ahead = AHEAD_OF_CRITICAL if values.get("critical") else AHEAD_OF_OTHERS
    return number, 1 + int(connection.execute(ahead, {"number": number, "at": now}).scalar_one())


def insert_replies(
    connection: Connection, chat_id: int, ticket_id: int | None, parts: Sequence[tuple[str, list[Any] | None]],
    now: datetime,
) -> list[int]:
    """The replies' transcript rows, queued until the caller confirms them (their ids, in order): held by the
    caller's attempt for a lease (`bot.delivery`), then due for any instance's outbox if it did not settle them."""
    if not parts:
        return []
    due = lease_until(HOT)
    return list(connection.execute(INSERT_REPLIES, [{
        "chat_id": chat_id, "ticket_id": ticket_id, "direction": "out", "author_kind": "bot", "text": text,
        "buttons": buttons, "created_at": now, "relay_due_at": due} for text, buttons in parts]).scalars())


def save_conversation(connection: Connection, chat_id: int, user_id: int, exists: bool,
                      values: dict[str, Any]) -> None:
    if exists:
        connection.execute(UPDATE_CONVERSATION, {"chat": chat_id, **values})
    else:
        connection.execute(INSERT_CONVERSATION, {"chat_id": chat_id, "user_id": user_id, **values})


_CONVERSATION_VALUES = ("step", "strikes", "data", "draft_started_message_id", "updated_at")
_REPLY_COLUMNS = ("chat_id", "text", "buttons", "created_at", "relay_due_at")
HOT = Policy()  # the lease of a reply written to be sent at once


@functools.cache
def _finish_statement(replies: int) -> Any:
    """PostgreSQL: a plain outcome (replies, the dialogue's new state, the update done) as one statement."""
    values = {name: _typed(f"c_{name}", conversations.c[name]) for name in _CONVERSATION_VALUES}
    conversation = (pg_insert(conversations)
                    .values(chat_id=_typed("c_chat_id", conversations.c.chat_id),
                            user_id=_typed("c_user_id", conversations.c.user_id), **values)
                    .on_conflict_do_update(index_elements=[conversations.c.chat_id], set_=values))
    done = update(processed).where(processed.c.update_id == _typed("d_update_id", processed.c.update_id)).values(
        done_at=_typed("d_at", processed.c.done_at))
    if replies:
        # INSERT ... SELECT of the rows (a multi-row VALUES would be compiled again at every call)
        each = [select(*(_typed(f"r{index}_{name}", messages.c[name]) for name in _REPLY_COLUMNS),
                       literal("out"), literal("bot"), literal("text"), false(), false()) for index in range(replies)]
        rows = (insert(messages)
                .from_select([*_REPLY_COLUMNS, "direction", "author_kind", "kind", "internal", "flagged"],
                             each[0] if replies == 1 else union_all(*each), include_defaults=False)
                .returning(messages.c.id).cte("replies"))
        statement = select(rows.c.id).order_by(rows.c.id)  # ids are drawn in the rows' order
    else:
        statement = select(literal(0)).where(false())
    return statement.add_cte(conversation.cte("conversation")).add_cte(done.cte("done"))


def finish(connection: Connection, chat_id: int, user_id: int, update_id: int, exists: bool, values: dict[str, Any],
           parts: Sequence[tuple[str, list[Any] | None]], now: datetime) -> list[int]:
    """A plain outcome: the replies' rows (their ids, in order), the dialogue's state, the update done.
    `values`: the conversation's `_CONVERSATION_VALUES`. One statement on PostgreSQL, where the conversation's
    row is written whether or not it was there (`exists` is for SQLite's separate statements)."""
    if connection.dialect.name != "postgresql":
        ids = insert_replies(connection, chat_id, None, parts, now)
        save_conversation(connection, chat_id, user_id, exists, values)
        mark_done(connection, update_id, now)
        return ids
    bound: dict[str, Any] = {f"c_{name}": values[name] for name in _CONVERSATION_VALUES}
    bound.update(c_chat_id=chat_id, c_user_id=user_id, d_update_id=update_id, d_at=now)
    due = lease_until(HOT)
    for index, (text, buttons) in enumerate(parts):
        bound.update({f"r{index}_chat_id": chat_id, f"r{index}_text": text, f"r{index}_buttons": buttons,
                      f"r{index}_created_at": now, f"r{index}_relay_due_at": due})
    return list(connection.execute(_finish_statement(len(parts)), bound).scalars())


def mark_done(connection: Connection, update_id: int, now: datetime) -> None:
    connection.execute(DONE, {"handled": update_id, "at": now})


def mark_sent(connection: Connection, rows: list[dict[str, Any]]) -> None:
    connection.execute(SENT, sorted(rows, key=lambda row: row["row"]))  # one executemany, rows locked in key order


# --- the user's service commands ---

OWN_TICKETS = (select(tickets.c.id, tickets.c.state, tickets.c.description, tickets.c.created_at)
               .where(tickets.c.user_id == bindparam("user")).order_by(tickets.c.id.desc()).limit(bindparam("limit")))
TICKET = select(tickets.c.id, tickets.c.state, tickets.c.user_id).where(tickets.c.id == bindparam("number"))
TICKET_MESSAGES = (select(messages.c.author_kind, messages.c.text, messages.c.kind, messages.c.created_at,
                          messages.c.edited_at)
                   .where(messages.c.ticket_id == bindparam("number"), messages.c.internal.is_(False))
                   .order_by(messages.c.id))


def own_tickets(connection: Connection, user_id: int, limit: int) -> list[Any]:
    """The user's latest tickets, newest first."""
    return list(connection.execute(OWN_TICKETS, {"user": user_id, "limit": limit}))


def ticket_history(connection: Connection, number: int, user_id: int) -> tuple[Any, list[Any]] | None:
    """A ticket of this user and its transcript (None: no such ticket, or another user's)."""
    ticket = connection.execute(TICKET, {"number": number}).one_or_none()
    if ticket is None or ticket.user_id != user_id:
        return None
    return ticket, list(connection.execute(TICKET_MESSAGES, {"number": number}))


# --- a user's message while they have tickets (the agents' desk) ---

OPEN_TICKETS = (select(tickets.c.id, tickets.c.description)
                .where(tickets.c.user_id == _user, tickets.c.state.in_([str(state) for state in OPEN]))
                .order_by(tickets.c.id))
CHAT_CONTEXT = select(  # the chat's last ticket, this update's transcript row, the message the user replied to
    _value(conversations.c.last_ticket_id, _CONVERSATION),
    select(messages.c.id).where(messages.c.update_id == _u).limit(1).scalar_subquery(),
    select(messages.c.ticket_id).where(messages.c.chat_id == _chat,
                                       messages.c.telegram_message_id == bindparam("reply_to"),
                                       messages.c.ticket_id.is_not(None)).limit(1).scalar_subquery(),
)
PREVIOUS_TEXT = (select(messages.c.text)
                 .where(messages.c.chat_id == _chat, messages.c.direction == "in", messages.c.id < bindparam("row"))
                 .order_by(messages.c.id.desc()).limit(1))
REOPENABLE = (select(tickets.c.id)
              .where(tickets.c.user_id == _user, tickets.c.state == TicketState.RESOLVED,
                     tickets.c.closed_at >= bindparam("since"))
              .order_by(tickets.c.closed_at.desc()).limit(1))


@dataclass(frozen=True, slots=True)
class TicketContext:
    open_tickets: list[Any]      # (id, description), oldest first
    last_ticket: int | None      # the ticket the user last wrote in
    row: int | None              # this update's transcript row
    previous: str | None         # the user's message before it
    replied: int | None          # the ticket of the message the user replied to
    reopenable: int | None       # a ticket resolved recently enough to reopen (None when some are open)


def ticket_context(connection: Connection, chat_id: int, user_id: int, update_id: int, reply_to: int,
                   reopen_since: datetime | None) -> TicketContext:
    """What deciding where a user's message goes depends on, in at most four statements."""
    open_tickets = list(connection.execute(OPEN_TICKETS, {"user_id": user_id}))
    last, row, replied = connection.execute(CHAT_CONTEXT, {
        "chat_id": chat_id, "update_id": update_id, "reply_to": reply_to or 0}).one()
    previous = connection.execute(PREVIOUS_TEXT, {"chat_id": chat_id, "row": row or 0}).scalar()
    reopenable = None
    if not open_tickets and reopen_since is not None:
        reopenable = connection.execute(REOPENABLE, {"user_id": user_id, "since": reopen_since}).scalar()
    return TicketContext(open_tickets, last, row, previous, replied if reply_to else None, reopenable)
