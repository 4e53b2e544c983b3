"""One incoming user event, handled end to end without Telegram.

The order is fixed: the update is stored first (a re-delivered `update_id` is a no-op), then read
by moderation and triage, searched in the help center when it starts a request, passed through the
intake state machine, and the new state, the effects (ticket, wish, self-served) and the replies are
written in one transaction. Replies are rows of the transcript until the caller confirms they were
sent, so nothing is lost when the process dies between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import extraction, failures, figures, intake, numbers, screenshots, texts, transcript
from bot.intake import DialogueState, HitLike, ReadingLike, Reply
from bot.storage import (
    Message,
    ProcessedUpdate,
    User,
    create_all,
    sessionmaker,
    utcnow,
)

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


# --- what the service is given ---


class ModerationLike(Protocol):
    @property
    def profanity(self) -> bool: ...
    @property
    def insult(self) -> bool: ...


class Searcher(Protocol):
    async def search(self, query: str, limit: int = 3) -> Sequence[HitLike]: ...


class Schedule(Protocol):
    def is_open(self, at: datetime) -> bool: ...
    def next_open(self, at: datetime) -> datetime: ...
    def working_seconds_between(self, start: datetime, end: datetime) -> float: ...
    def add_working_seconds(self, at: datetime, seconds: float) -> datetime: ...


class Desk(Protocol):
    """The agents' desk: takes a user's update that belongs to an open ticket (None: the dialogue handles it)."""

    async def claim(self, incoming: Incoming, state: DialogueState) -> list[Outgoing] | None: ...

    def ticket_filed(self) -> None: ...


Reader = Callable[[str], ReadingLike]
Moderator = Callable[[str], ModerationLike]
# Reads the first bytes of a file the user sent (None when it cannot be read).
Prober = Callable[[str], Awaitable[bytes | None]]


def drop_nul(event: object, *names: str) -> None:
    """PostgreSQL's text holds no NUL character (Telegram sends none; a forged update might): dropped from
    these string fields of a frozen dataclass."""
    for name in names:
        value = getattr(event, name)
        if value and "\x00" in value:
            object.__setattr__(event, name, value.replace("\x00", ""))


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from a user's private chat, as plain values (also stored as JSON for recovery)."""

    update_id: int
    chat_id: int
    user_id: int
    type: str                      # text, media, press, command, edit, unsupported
    message_id: int = 0
    text: str = ""                 # the text, the caption, the command's argument or the button's data
    name: str = ""                 # the user's name
    username: str | None = None
    kind: str = ""                 # media: photo, animation, document; unsupported: sticker, voice, ...
    file_id: str = ""
    file_unique_id: str | None = None
    file_name: str | None = None
    size: int | None = None
    media_group_id: str | None = None
    command: str = ""
    reply_to: int = 0              # the message it replies to, in the same chat (0: none)

    def __post_init__(self) -> None:
        drop_nul(self, "text", "name", "username", "file_name", "command")

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}  # plain values only

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incoming:
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send: HTML text and inline buttons as (label, callback data) rows."""

    chat_id: int
    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    row_id: int | None = None  # its transcript row; None for a message that could not be stored


class ChatLocks:
    """One FIFO lock per chat, dropped when nobody holds or waits for it: `async with locks(chat_id)`."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id], self._locks[chat_id]


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What handling an update read before its write transaction."""

    exists: bool                  # the chat has a conversation row
    started: int | None           # the first transcript row of the current draft
    previous_account: str | None  # the account of the user's last ticket
    incoming_row: int | None      # the transcript row of this update's message


SERVICE_COMMANDS = frozenset({"status", "history"})
RELATIVE_SCORE = 0.8  # a link after the first is shown when it scores at least this share of the first


class ConversationService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        reader: Reader,
        moderator: Moderator,
        schedule: Schedule,
        searcher: Searcher | None = None,
        prober: Prober | None = None,
        hours: str = "",
        timezone: str = "Europe/Moscow",
        clock: Callable[[], datetime] = utcnow,
        search_limit: int = 3,
        auto_migrate: bool = True,
    ) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine)
        self.reader = reader
        self.moderator = moderator
        self.schedule = schedule
        self.searcher = searcher
        self.prober = prober
        self.hours = hours
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.search_limit = search_limit
        self.auto_migrate = auto_migrate
        self._chat_lock = ChatLocks()  # one chat's updates one after another, in arrival order
        self._write_lock: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())
        self.transactions = transcript.Transactions(engine, self._write_lock)
        self._inflight: set[int] = set()  # update ids stored and not yet handled by this process
        self._sent: list[dict[str, Any]] = []  # replies sent, not yet recorded as such (row, at, telegram)
        self._flushing = False
        self.desk: Desk | None = None  # set by the application when the agents' desk runs

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: AsyncEngine, *, searcher: Searcher | None, prober: Prober | None = None,
    ) -> ConversationService:
        """The dialogue with the real reader, moderation and support calendar (the bot and the console)."""
        from bot.moderation import moderate, prepare
        from bot.schedule import SupportSchedule
        from bot.triage import read_message

        prepare()  # the dictionary and look-alike tables load now, not on a user's first message
        return cls(
            engine,
            reader=read_message,
            moderator=moderate,
            schedule=SupportSchedule.from_settings(settings),
            searcher=searcher,
            prober=prober,
            hours=texts.hours_text(settings.support_open_hour, settings.support_close_hour, settings.support_timezone),
            timezone=settings.support_timezone,
            auto_migrate=settings.auto_migrate,
        )

    async def start(self) -> None:
        await create_all(self.engine, apply=self.auto_migrate)

    async def close(self) -> None:
        """Give back the connection the dialogue keeps (before the engine is disposed)."""
        await self.transactions.close()

    def writing(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A write transaction queued with the dialogue's own (the desk writes through it too)."""
        return self._writing()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction. SQLite takes one writer at a time: queueing writers here in order is
        much faster than letting them wait on the file lock (its busy handler sleeps). The queue is
        left once the transaction is committed: giving the connection back to the pool (its reset)
        happens outside it."""
        async with self.sessions() as session, self._write_lock, session.begin():
            yield session

    # --- the public surface ---

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Store, then handle one update; a re-delivered update returns no replies."""
        if not await self.store(incoming):
            return []
        return await self.process(incoming)

    async def process(self, incoming: Incoming) -> list[Outgoing]:
        """Handle a stored update, after the earlier ones of its chat; a handled one has no second effect."""
        try:
            async with self._chat_lock(incoming.chat_id):
                try:
                    return await self._process(incoming)
                except Exception as error:
                    if database_unreachable(error):
                        raise  # not the update's fault: the caller tries it again once the database is back
                    tries = await self.failed(incoming.update_id, incoming.chat_id, error)
                    # the user is told once; a later try that works answers as usual
                    return [Outgoing(incoming.chat_id, texts.render("processing_error"))] if tries == 1 else []
        finally:
            self._inflight.discard(incoming.update_id)

    async def failed(self, update_id: int, chat_id: int, error: BaseException) -> int:
        """Log a failed update in one line and count the failure with it (`bot.failures`): it stays stored
        and is tried again, up to `failures.TRIES` times. Returns which failure of the update this was."""
        try:
            async with self._writing() as session:
                tries = await failures.record(session, update_id, self.clock())
        except Exception as other:  # the database is down too: it stays stored, tried on the next start
            log.error("update %s of chat %s failed: %s; not recorded: %s", update_id, chat_id,
                      failures.describe(error), failures.describe(other))
            return 1
        log.error("update %s of chat %s failed (try %d of %d): %s", update_id, chat_id, tries, failures.TRIES,
                  failures.describe(error))
        return tries

    async def recover(self) -> list[Outgoing]:
        """Handle the updates stored but not handled (the process died), then return every unsent reply."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(ProcessedUpdate).where(ProcessedUpdate.done_at.is_(None), ProcessedUpdate.event.is_not(None),
                                              # private chats only: the agents' group (negative id) is the desk's
                                              ProcessedUpdate.chat_id.is_(None) | (ProcessedUpdate.chat_id >= 0))
                .order_by(ProcessedUpdate.update_id)
            )).scalars().all()
        for row in rows:
            if row.update_id not in self._inflight:
                self._inflight.add(row.update_id)
                await self.process(Incoming.from_json(row.event or {}))
        if rows:
            log.info("recovered %d stored updates", len(rows))
        return await self.unsent()

    async def pending(self, chat_id: int, before: int | None = None) -> list[Incoming]:
        """A chat's updates stored and not handled yet (by any instance), oldest first: handled before a
        later one, so a chat's order holds when its updates reach different instances."""
        query = select(ProcessedUpdate.event).where(
            ProcessedUpdate.chat_id == chat_id, ProcessedUpdate.done_at.is_(None), ProcessedUpdate.event.is_not(None))
        if before is not None:
            query = query.where(ProcessedUpdate.update_id < before)
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(ProcessedUpdate.update_id))).scalars().all()
        return [Incoming.from_json(event) for event in rows if event]

    async def chats_to_recover(self) -> list[int]:
        """Chats with an update stored but not handled, or a reply not sent (an instance died)."""
        async with self.sessions() as session:
            updates = (await session.execute(select(ProcessedUpdate.chat_id).distinct().where(
                ProcessedUpdate.done_at.is_(None), ProcessedUpdate.chat_id.is_not(None)))).scalars().all()
            replies = (await session.execute(select(Message.chat_id).distinct().where(
                Message.direction == "out", Message.sent_at.is_(None), Message.internal.is_(False)))).scalars().all()
        return sorted({*updates, *replies})

    async def unsent(self, chat_id: int | None = None) -> list[Outgoing]:
        query = select(Message).where(Message.direction == "out", Message.sent_at.is_(None),
                                      Message.internal.is_(False))
        if chat_id is not None:
            query = query.where(Message.chat_id == chat_id)
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(Message.id))).scalars().all()
        return [Outgoing(row.chat_id, row.text or "", _buttons(row.buttons), row.id) for row in rows]

    async def mark_sent(self, outgoing: Outgoing, telegram_message_id: int | None) -> None:
        await self.mark_sent_many([(outgoing, telegram_message_id)])

    async def mark_sent_many(self, sent: Sequence[tuple[Outgoing, int | None]]) -> None:
        """Record that Telegram accepted these replies (None: it refused them for good).

        Group commit: while one call writes, others only add their rows; the writing call loops until
        nothing is left, so one transaction records the replies of many chats.
        """
        now = self.clock()
        self._sent.extend({"row": outgoing.row_id, "at": now, "telegram": message_id}
                          for outgoing, message_id in sent if outgoing.row_id is not None)
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._sent:
                batch, self._sent = self._sent, []
                try:
                    await self.transactions.write_one(transcript.mark_sent, batch)
                except BaseException:
                    self._sent[:0] = batch  # recorded by the next call (or sent again after a restart)
                    raise
        finally:
            self._flushing = False

    async def mark_blocked(self, chat_id: int) -> None:
        """The user blocked the bot (Telegram answered 403): recorded until they write again."""
        async with self._writing() as session:
            await session.execute(update(User).where(User.id == chat_id).values(blocked_bot=True))

    async def store(self, incoming: Incoming) -> bool:
        """Record the update and the user's message before anything else happens.

        True when the update is to be handled (`process`): it is new, or a run died before handling it.
        False for one handled already or being handled now: a re-delivered update is a no-op.
        """
        if incoming.update_id in self._inflight:
            return False
        self._inflight.add(incoming.update_id)
        try:
            fresh = await self._store(incoming)
        except BaseException:
            self._inflight.discard(incoming.update_id)
            raise
        if not fresh:
            self._inflight.discard(incoming.update_id)
        return fresh

    async def _store(self, incoming: Incoming) -> bool:
        now = self.clock()
        # one statement on PostgreSQL, except an edit (it reads the original first)
        write = self.transactions.write if incoming.type == "edit" else self.transactions.write_one
        try:
            return await write(transcript.store_update_at_once, incoming, now)
        except IntegrityError:
            # stored by another instance at the same moment, or the user's row written since: read again
            try:
                return await write(transcript.store_update_at_once, incoming, now)
            except IntegrityError:
                return False

    # --- handling ---

    async def _process(self, incoming: Incoming) -> list[Outgoing]:
        now = self.clock()
        chat_id, update_id = incoming.chat_id, incoming.update_id
        # everything handling reads before its write transaction, in one statement
        row = await self.transactions.read(transcript.load, update_id, chat_id, incoming.user_id)
        done_at, exists, step, strikes, data, started, previous_account, incoming_row = row
        if done_at is not None:
            return []  # handled already: no second effect
        loaded = _Loaded(exists=bool(exists), started=started if exists else None,
                         previous_account=previous_account, incoming_row=incoming_row)
        state = DialogueState.from_data(step, strikes, data) if exists else DialogueState()
        if self.desk is not None:
            claimed = await self.desk.claim(incoming, state)
            if claimed is not None:  # a message of an open ticket: relayed by the desk, not triaged
                return claimed
        if incoming.type == "command" and incoming.command in SERVICE_COMMANDS:
            replies = await self._service_command(incoming)
            return await self._commit(incoming, loaded, state, intake.Outcome(state, replies), now)
        event = await self._event(incoming, state)
        context = intake.Context(previous_account=loaded.previous_account, hours=self.hours,
                                 next_hits=await self._next_hits(state, event))
        outcome = intake.advance(state, event, context)
        if isinstance(event, intake.Press) and [r.key for r in outcome.replies] == ["stale_button"]:
            log.warning("chat %s: button data %r does not apply to its dialogue (stale or forged); nothing changed",
                        incoming.chat_id, incoming.text[:80])
        return await self._commit(incoming, loaded, state, outcome, now, event)

    async def _event(self, incoming: Incoming, state: DialogueState) -> intake.Event:
        if incoming.type == "text":
            return await self._text(incoming.text, incoming.message_id, intake.starts_request(state))
        if incoming.type == "edit":
            flagged = self._flagged(incoming.text)
            reading = None if flagged else self.reader(incoming.text)
            return intake.Edit(incoming.message_id, incoming.text, reading, flagged)
        if incoming.type == "press":
            return intake.parse_button(incoming.text)
        if incoming.type == "command":
            return intake.Command(incoming.command, incoming.text)
        if incoming.type == "media":
            caption = None
            if incoming.text.strip():
                caption = await self._text(incoming.text, incoming.message_id, intake.starts_request(state))
            verdict = await self.judge_file(incoming)
            return intake.Media(incoming.kind, incoming.file_id, verdict.accepted, verdict.mime, incoming.size,
                                verdict.reason, incoming.media_group_id, caption, incoming.message_id)
        return intake.Unsupported(incoming.kind or "other")

    async def judge_file(self, incoming: Incoming) -> screenshots.Verdict:
        """SLA 4.6 on a file the user sent (`type == "media"`): a document is read only when its size
        does not refuse it already. The intake and the desk (files sent into an open ticket) apply it alike."""
        head = None
        if incoming.kind == screenshots.DOCUMENT and not (
                incoming.size is not None and incoming.size > screenshots.MAX_SCREENSHOT_BYTES):
            head = await self._probe(incoming.file_id)
        return screenshots.judge(incoming.kind, incoming.size, head)

    def _flagged(self, text: str) -> bool:
        verdict = self.moderator(text)  # SLA 4.2: no obscenities, no insults
        return bool(verdict.profanity or verdict.insult)

    async def _text(self, text: str, message_id: int, new_request: bool) -> intake.Text:
        verdict = self.moderator(text)  # SLA 4.2: no obscenities, no insults
        if verdict.profanity or verdict.insult:
            return intake.Text(text, message_id, None, True)
        rude = bool(getattr(verdict, "rude", False))  # rudeness with no label: answered, not refused
        reading = self.reader(text)
        hits: Sequence[HitLike] = ()
        if new_request and reading.readable and reading.scope == "in" \
                and reading.category not in intake.WISH_CATEGORIES and (not reading.critical or reading.outage_unsure):
            problems = list(reading.problems)
            query = extraction.original_span(text, problems[0].text) if reading.multi_problem and problems else text
            hits = await self._search(extraction.search_query(query))
        return intake.Text(text, message_id, reading, False, hits, rude)

    async def _next_hits(self, state: DialogueState, event: intake.Event) -> Sequence[HitLike]:
        """SLA 2.4, 4.7: when the user takes up the next problem of a split, the help center is asked about it."""
        if state.step != intake.Step.OFFER_NEXT or not state.pending:
            return ()
        if not isinstance(event, intake.Press | intake.Text) or intake.next_press(state, event) != "yes":
            return ()
        problem = state.pending[0]
        if problem.critical or problem.category in intake.WISH_CATEGORIES:
            return ()
        return await self._search(extraction.search_query(problem.text))

    async def _search(self, query: str) -> Sequence[HitLike]:
        if self.searcher is None:
            return ()
        try:
            hits = list(await self.searcher.search(query, limit=self.search_limit))[: self.search_limit]
        except Exception:
            log.exception("help-center search failed; answering without links")
            return ()
        # The search decides whether anything is convincing and ranks best first: the first link passed
        # its gate and always stays; the next ones stay, in rank order, unless far weaker than it.
        if not hits:
            return []
        return [hits[0], *(hit for hit in hits[1:] if hit.score >= RELATIVE_SCORE * hits[0].score)]

    async def _probe(self, file_id: str) -> bytes | None:
        if self.prober is None:
            return None
        try:
            return await self.prober(file_id)
        except Exception:
            log.exception("could not read file %s", file_id)
            return None

    async def _commit(
        self,
        incoming: Incoming,
        loaded: _Loaded,
        before: DialogueState,
        outcome: intake.Outcome,
        now: datetime,
        event: intake.Event | None = None,
    ) -> list[Outgoing]:
        """Write the outcome in one short transaction (everything it needs was read before it)."""
        state = outcome.state
        rendered = [_render(reply) for reply in outcome.replies]  # before the transaction: it stays short
        chat_id, user_id, row = incoming.chat_id, incoming.user_id, loaded.incoming_row
        started = loaded.started if before.draft is not None or state.draft is None else row
        first = started if state.draft is not None else None  # the draft's first transcript row
        data = state.to_data()

        def values(draft_started: int | None) -> dict[str, Any]:
            return {"step": str(state.step), "strikes": state.strikes, "data": data,
                    "draft_started_message_id": draft_started, "updated_at": now}

        if not outcome.effects and not _flagged(event) and not isinstance(event, intake.Media) and (
                state.draft is None or first is not None):
            # the common outcome (replies and the dialogue's new state): one statement on PostgreSQL
            parts = _parts(rendered)
            ids = await self.transactions.write_one(transcript.finish, chat_id, user_id, incoming.update_id,
                                                    loaded.exists, values(first), _stored(parts), now)
            return [Outgoing(chat_id, text, buttons, message_id)
                    for (text, buttons), message_id in zip(parts, ids, strict=True)]

        pace = None  # the desk's recent pace, for the moment a new ticket's answer can be expected
        if any(isinstance(effect, intake.SubmitTicket) for effect in outcome.effects):
            async with self.sessions() as session:
                pace = await figures.reply_pace(session, self.schedule, now)

        def write(connection: Connection) -> list[Outgoing]:
            if _flagged(event):  # SLA 4.2: kept for the record, never passed on with the ticket
                if incoming.type != "edit":
                    connection.execute(transcript.FLAG_ROW, {"row": row})
                else:
                    connection.execute(transcript.FLAG_EDITED, {"in_chat": chat_id, "telegram": incoming.message_id})
            if isinstance(event, intake.Media):
                connection.execute(transcript.INSERT_ATTACHMENT, {
                    "chat_id": chat_id, "ticket_id": None, "message_id": row, "file_id": incoming.file_id,
                    "file_unique_id": incoming.file_unique_id, "kind": incoming.kind, "mime_detected": event.mime,
                    "declared_name": incoming.file_name, "size": incoming.size,
                    "media_group_id": incoming.media_group_id, "accepted": event.accepted, "created_at": now})
            replies = list(rendered)
            ticket: int | None = None
            for effect in outcome.effects:
                if isinstance(effect, intake.SubmitTicket):
                    ticket, place = transcript.create_ticket(connection, _new_ticket(incoming, effect.draft, started),
                                                             now)
                    replies.insert(0, _render(self._ticket_reply(ticket, place, effect.draft.critical, now, pace)))
                elif isinstance(effect, intake.RecordWish):
                    connection.execute(transcript.INSERT_WISH, {
                        "user_id": user_id, "chat_id": chat_id, "category": effect.category, "text": effect.text,
                        "account": effect.account, "created_at": now})
                elif isinstance(effect, intake.SelfServed):
                    connection.execute(transcript.INSERT_SELF_SERVED, {
                        "user_id": user_id, "chat_id": chat_id, "query": effect.query,
                        "category": before.draft.category if before.draft else None, "links": effect.links,
                        "created_at": now})
            parts = _parts(replies)
            ids = transcript.insert_replies(connection, chat_id, ticket, _stored(parts), now)
            conversation = values(ids[0] if state.draft is not None and first is None and ids
                                  else first)  # a draft begun by a button starts at its reply
            if ticket is not None:
                conversation["last_ticket_id"] = ticket
            transcript.save_conversation(connection, chat_id, user_id, loaded.exists, conversation)
            transcript.mark_done(connection, incoming.update_id, now)
            return [Outgoing(chat_id, text, buttons, message_id)
                    for (text, buttons), message_id in zip(parts, ids, strict=True)]

        replies = await self.transactions.write(write)
        if self.desk is not None and any(isinstance(effect, intake.SubmitTicket) for effect in outcome.effects):
            self.desk.ticket_filed()  # its card is due in the agents' group
        return replies

    def _ticket_reply(self, number: int, place: int, critical: bool, now: datetime, pace: float | None) -> Reply:
        """SLA 2.1: the queue place, and when a specialist starts and is likely to answer (today, tomorrow…)."""
        open_now = self.schedule.is_open(now)
        next_open = "" if open_now else texts.when_text(self.schedule.next_open(now).astimezone(self.zone), now)
        expected = ""
        if pace is not None:
            moment = self.schedule.add_working_seconds(now, pace * place).astimezone(self.zone)
            expected = texts.when_text(_round_up(moment), now, by=True)
        return Reply("ticket_created", {"number": number, "place": place, "critical": critical,
                                        "open_now": open_now, "next_open": next_open, "expected": expected,
                                        "hours": self.hours})

    async def _service_command(self, incoming: Incoming) -> list[Reply]:
        if incoming.command == "status":
            tickets = await self.transactions.read(transcript.own_tickets, incoming.user_id, 20)
            if not tickets:
                return [Reply("no_tickets")]
            return [Reply("status", {"tickets": [
                {"number": t.id, "state": t.state, "description": t.description,
                 "created_at": t.created_at.astimezone(self.zone)} for t in tickets]})]
        argument = incoming.text.strip().lstrip("№#")
        if not argument:
            last = await self.transactions.read(transcript.own_tickets, incoming.user_id, 1)
            if not last:
                return [Reply("history_usage")]
            argument = str(last[0].id)
        number = numbers.ticket_number(argument)
        if number is None:
            return [Reply("history_usage")]
        found = await self.transactions.read(transcript.ticket_history, number, incoming.user_id)
        if found is None:  # users reach only their own tickets
            return [Reply("history_not_found", {"number": number})]
        ticket, messages = found
        return [Reply("history", {"number": ticket.id, "state": ticket.state, "messages": [
            {"author": m.author_kind, "text": texts.plain(m.text or "") if m.author_kind == "bot" else m.text,
             "kind": m.kind, "at": m.created_at.astimezone(self.zone), "edited": m.edited_at is not None}
            for m in messages]})]


def _round_up(moment: datetime, minutes: int = 10) -> datetime:
    """A moment up to the next round ten minutes: an estimate is not given to the second."""
    base = moment.replace(second=0, microsecond=0)
    if base == moment and base.minute % minutes == 0:
        return base
    return base + timedelta(minutes=minutes - base.minute % minutes)


def database_unreachable(error: BaseException) -> bool:
    """The database cannot be reached just now (down, restarting, a SQLite file locked too long)."""
    if isinstance(error, OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated or isinstance(error.orig, OSError):
            return True
        if isinstance(error, OperationalError | InterfaceError):
            text = str(error.orig).lower()
            return not text or any(word in text for word in ("lock", "busy", "connect", "closed", "shut", "terminat"))
    return False


def _flagged(event: intake.Event | None) -> bool:
    if isinstance(event, intake.Text | intake.Edit):
        return event.flagged
    if isinstance(event, intake.Media):
        return event.caption is not None and event.caption.flagged
    return False


_Rendered = tuple[list[str], list[list[tuple[str, str]]]]


def _render(reply: Reply) -> _Rendered:
    """A reply's text in the parts Telegram takes, and its keyboard."""
    parts = texts.split_html(texts.render(reply.key, reply.params))
    return parts, [[(texts.button_label(b.label, b.params), b.data) for b in row] for row in reply.buttons]


def _parts(rendered: list[_Rendered]) -> list[tuple[str, list[list[tuple[str, str]]]]]:
    """The messages the replies are sent as: each reply's parts in order, its keyboard with the last one."""
    return [(part, keyboard if index == len(parts) - 1 else [])
            for parts, keyboard in rendered for index, part in enumerate(parts)]


def _stored(parts: list[tuple[str, list[list[tuple[str, str]]]]]) -> list[tuple[str, list[Any] | None]]:
    """The parts as transcript rows keep them: buttons as JSON lists, none as NULL."""
    return [(text, [[list(button) for button in row] for row in buttons] or None) for text, buttons in parts]


def _new_ticket(incoming: Incoming, draft: intake.Draft, started: int | None) -> transcript.NewTicket:
    assert draft.account and draft.description
    return transcript.NewTicket(incoming.user_id, incoming.chat_id, {
        "account": draft.account, "category": draft.category or "other", "critical": draft.critical,
        "description": draft.description, "steps": draft.steps, "steps_unknown": draft.steps_unknown,
        "environment": draft.environment, "help_links": draft.help_links, "article_read": draft.article_read,
    }, started)


def _buttons(data: list[Any] | None) -> list[list[tuple[str, str]]]:
    return [[(str(label), str(payload)) for label, payload in row] for row in data or []]
