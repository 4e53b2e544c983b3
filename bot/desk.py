"""The agents' desk, without Telegram: a forum topic per ticket, the queue, take-over, the two-way relay,
ticket states from the regulation, reminders, CSAT and the admins' figures.

Telegram is reached through `Port` (implemented with aiogram in `handlers/telegram_port.py`), so every
rule here runs on plain values. The database is the source of truth: a ticket's topic, owner and state,
the transcript (SLA 4.4) with who and when, and the reminders with the moment each falls due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, failures, figures, health, numbers, texts, transcript
from bot.conversation import ChatLocks, ConversationService, Incoming, Outgoing, database_unreachable, drop_nul
from bot.delivery import TOPIC, Outcome, Policy, Queue, Queued, Retry, Sent, Settled
from bot.intake import DialogueState, Step, unsupported_key
from bot.screenshots import Verdict
from bot.storage import (
    Attachment,
    Conversation,
    Message,
    MessageVersion,
    ProcessedUpdate,
    Reminder,
    Ticket,
    TicketEvent,
    User,
    set_ticket_state,
    utcnow,
)
from bot.tickets import CLOSED, OPEN, WAITING, InvalidTransition, TicketState, can_transition

log = logging.getLogger(__name__)

S = TicketState
Buttons = list[list[tuple[str, str]]]


# --- what the desk needs from Telegram ---


class DeskError(Exception):
    """A call Telegram refused for good (after the retries)."""


class Refused(DeskError):
    """400: Telegram refused the call itself (bad parameters, markup it cannot parse…)."""


class Unavailable(DeskError):
    """429, 5xx, an answer that is no Bot API answer (an HTML error page), a timeout or a dropped connection,
    still failing after the quick retries: worth trying again later (`retry_after`: when Telegram said)."""

    def __init__(self, message: str, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.ambiguous = ambiguous  # a timeout or a dropped connection: Telegram may have done it all the same


class TopicMissing(Refused):
    """«message thread not found»: the topic was deleted by hand."""


class TooLong(Refused):
    """«message is too long» (or a caption): sent again split."""


class BadMarkup(Refused):
    """«can't parse entities»: sent again as escaped plain text."""


class Unchanged(Refused):
    """«message is not modified» or «message to edit not found»: an edit with nothing left to do."""


class Blocked(DeskError):
    """403: the user blocked the bot."""


class Port(Protocol):
    async def create_topic(self, chat_id: int, name: str) -> int: ...
    async def set_topic_open(self, chat_id: int, thread_id: int, is_open: bool) -> None: ...
    async def send(self, chat_id: int, text: str, *, thread_id: int | None = None, buttons: Buttons | None = None,
                   reply_to: int | None = None, html: bool = True) -> int: ...
    async def copy(self, chat_id: int, from_chat_id: int, message_id: int, *, thread_id: int | None = None,
                   reply_to: int | None = None) -> int: ...
    async def send_file(self, chat_id: int, kind: str, file_id: str, *, thread_id: int | None = None) -> int: ...
    async def send_text_file(self, chat_id: int, name: str, content: str, caption: str, *,
                             thread_id: int | None = None) -> int: ...
    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Buttons | None = None) -> None: ...
    async def member_status(self, chat_id: int, user_id: int) -> str: ...
    async def webhook_info(self) -> tuple[int, str | None]: ...


class Schedule(Protocol):
    def is_open(self, at: datetime) -> bool: ...
    def next_open(self, at: datetime) -> datetime: ...
    def working_seconds_between(self, start: datetime, end: datetime) -> float: ...
    def add_working_days(self, at: datetime, days: int) -> datetime: ...


# --- what agents do, as plain values ---


@dataclass(frozen=True, slots=True)
class AgentMessage:
    """A message in the agents' group. `thread_id` only for a real topic (`is_topic_message`)."""

    update_id: int
    user_id: int
    name: str
    message_id: int
    thread_id: int | None = None
    text: str = ""                 # text or caption
    command: str = ""              # without the slash and the bot's name
    argument: str = ""
    reply_to: int | None = None    # the replied message in the topic (not the topic's own first message)
    kind: str = "text"             # text, photo, document, animation, other
    edited: bool = False           # an edit of a message sent before

    def __post_init__(self) -> None:
        drop_nul(self, "name", "text", "command", "argument")


@dataclass(frozen=True, slots=True)
class AgentPress:
    update_id: int
    user_id: int
    name: str
    data: str
    message_id: int
    thread_id: int | None = None

    def __post_init__(self) -> None:
        drop_nul(self, "name", "data")


@dataclass(slots=True)
class ReindexState:
    task: asyncio.Task[None] | None = None
    message_id: int | None = None
    last_edit: float = 0.0


QUEUED_NOTE = "note"  # kind of a bot's line for the agents queued behind a user's message (`relay_pending`)
TOPIC_CLAIM_SECONDS = 60.0  # a topic claim not refreshed for this long belongs to an instance that died
NEED_INFO_REMINDER_DAYS = (1, 3)  # SLA 4.8: reminders after 1 and 3 working days
STATE_BUTTONS = ("need_information", "passed_to_development", "suspend", "refuse", "admin_access", "resolve")
COMMAND_ACTIONS = {"info": "need_information", "need_info": "need_information", "dev": "passed_to_development",
                   "suspend": "suspend", "refuse": "refuse", "access": "admin_access", "resolve": "resolve",
                   "take": "take", "release": "release"}


def _queued(row: Message) -> Queued:
    return Queued(*(getattr(row, name) for name in Queued.__dataclass_fields__))


def card_buttons(number: int) -> Buttons:
    label = texts.DESK_BUTTONS
    return [[(label["take"], f"d:take:{number}"), (label["release"], f"d:release:{number}")],
            [(label["need_information"], f"d:need_information:{number}"),
             (label["passed_to_development"], f"d:passed_to_development:{number}")],
            [(label["suspend"], f"d:suspend:{number}"), (label["refuse"], f"d:refuse:{number}")],
            [(label["admin_access"], f"d:admin_access:{number}"), (label["resolve"], f"d:resolve:{number}")],
            [(label["category"], f"d:category:{number}"), (label["critical"], f"d:critical:{number}")]]


def category_buttons(number: int) -> Buttons:
    return [[(label, f"d:category:{number}:{code}")] for code, label in texts.CATEGORY_LABELS.items()]


def reason_buttons(action: str, number: int) -> Buttons:
    return [[(label, f"d:{action}:{number}:{code}")] for code, (label, _) in texts.REASONS_48.items()]


def need_info_due(schedule: Schedule, at: datetime, days: int) -> datetime:
    """`days` working days after `at`, moved into support hours (SLA 2.1)."""
    return schedule.next_open(schedule.add_working_days(at, days))


def next_working_morning(schedule: Schedule, at: datetime) -> datetime:
    """The opening of the next working day after the one `at` falls on."""
    local_midnight = schedule.next_open(at).replace(hour=0, minute=0, second=0, microsecond=0)
    return schedule.next_open(local_midnight + timedelta(days=1))


class Desk:
    def __init__(
        self,
        service: ConversationService,
        port: Port,
        *,
        group_id: int,
        schedule: Schedule,
        agent_ids: Sequence[int] = (),
        admin_ids: Sequence[int] = (),
        need_info_suspend_days: int = 5,
        reopen_days: int = 7,
        agent_cache_seconds: float = 60.0,
        topic_claim_seconds: float = TOPIC_CLAIM_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        crawl: Callable[..., Awaitable[Any]] | None = None,
        index_stats: Callable[[], Awaitable[Any]] | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.service = service
        self.sessions = service.sessions
        self.port = port
        self.group_id = group_id
        self.schedule = schedule
        self.agent_ids = frozenset(agent_ids)
        self.admin_ids = frozenset(admin_ids)
        self.need_info_suspend_days = need_info_suspend_days
        self.reopen_days = reopen_days
        self.agent_cache_seconds = agent_cache_seconds
        self.topic_claim_seconds = topic_claim_seconds
        self.clock = clock
        self.crawl = crawl
        self.index_stats = index_stats
        self._members: dict[int, tuple[float, bool]] = {}
        self._publishing = asyncio.Lock()
        self._tickets = ChatLocks()  # one ticket's changes one after another
        self._opening = ChatLocks()  # one ticket's topic opened once
        self._relaying = asyncio.Lock()  # the users' messages copied to topics one after another, in order
        self._background: set[asyncio.Task[Any]] = set()
        self._refreshing: set[int] = set()  # tickets whose card is being refreshed in the background
        self._stale_cards: set[int] = set()  # ... and changed again meanwhile: refreshed once more
        self._due = False  # a new ticket or a queued copy waits for the ticker
        self._reminding = asyncio.Lock()
        self.reindex = ReindexState()
        self.outbound = Queue(service.transactions, policy)  # every message the desk sends waits there until sent
        # a message to a user's chat waits: the outbox's consumer takes it, and the chat's next replies queue behind
        self.kick_outbox: Callable[[int], None] | None = None
        self.kick_ticker: Callable[[], None] | None = None  # a message to a topic waits: the ticker drains them

    # ------------------------------------------------------------------ who may act

    async def is_agent(self, user_id: int) -> bool:
        """`AGENT_IDS`, `ADMIN_IDS` or a member of the agents' group (getChatMember, cached briefly)."""
        if user_id in self.agent_ids or user_id in self.admin_ids:
            return True
        now = time.monotonic()
        cached = self._members.get(user_id)
        if cached is not None and now - cached[0] < self.agent_cache_seconds:
            return cached[1]
        try:
            status = await self.port.member_status(self.group_id, user_id)
        except DeskError as error:
            if cached is not None:  # Telegram cannot say now: as it said last time
                log.warning("membership of %s not checked (%s); as last known", user_id, error)
                return cached[1]
            status = "left"
        allowed = status in ("creator", "administrator", "member")  # a restricted guest is not an agent
        self._members[user_id] = (now, allowed)
        return allowed

    # ------------------------------------------------------------------ tickets reach the agents

    async def publish_pending(self) -> int:
        """Open a topic with the card for every open ticket that has none yet (critical first, then by number)."""
        published = 0
        async with self._publishing:
            async with self.sessions() as session:
                numbers = (await session.execute(
                    select(Ticket.id).where(Ticket.topic_id.is_(None), Ticket.state.in_([str(s) for s in OPEN]),
                                            or_(Ticket.topic_claim.is_(None),  # not opened by another instance now
                                                Ticket.topic_claimed_at < self._claim_cutoff()))
                    .order_by(Ticket.critical.desc(), Ticket.id))).scalars().all()  # SLA 2.1: critical first
            for number in numbers:
                try:
                    await self._ensure_topic(number)
                    published += 1
                except DeskError as error:
                    log.error("ticket %s: topic not opened: %s", number, error)
        return published

    async def _ensure_topic(self, number: int, missing: int | None = None) -> int:
        """The ticket's topic, opened when it has none (or when `missing`, the one it had, was deleted).

        One ticket's topic is opened once even when a publish and a user's message race for it: in this
        process through a lock, across instances through a claim on the ticket's row (`_claim_topic`). The
        instance that holds the claim opens the topic and posts the card; the others wait for it, then use
        its topic. A claim that is no longer kept fresh (its instance died) expires and is taken over."""
        async with self._opening(number):
            pause = 0.02
            while True:
                async with self.sessions() as session:
                    thread_id, claim, claimed_at = (await session.execute(
                        select(Ticket.topic_id, Ticket.topic_claim, Ticket.topic_claimed_at)
                        .where(Ticket.id == number))).one()
                busy = claim is not None and claimed_at is not None and claimed_at >= self._claim_cutoff()
                if not busy:
                    if thread_id is not None and thread_id != missing:
                        return int(thread_id)
                    token = await self._claim_topic(number, thread_id)
                    if token is not None:
                        opened = await self._open_topic(number, token, recreated=missing is not None)
                        if opened is not None:
                            return opened
                        continue  # the claim was taken over meanwhile: the other instance's topic counts
                await asyncio.sleep(pause)  # another instance opens it now
                pause = min(pause * 2, 0.5)

    def _claim_cutoff(self) -> datetime:
        """Claims refreshed before this moment belong to an instance that is gone (wall time, not `clock`)."""
        return utcnow() - timedelta(seconds=self.topic_claim_seconds)

    async def _claim_topic(self, number: int, thread_id: int | None) -> str | None:
        """Compare and set: the right to open the ticket's topic, when its topic is still `thread_id` (none, or
        the deleted one) and nobody holds a live claim. The token of the claim, or None when another has it."""
        token = uuid.uuid4().hex
        same_topic = Ticket.topic_id.is_(None) if thread_id is None else Ticket.topic_id == thread_id
        async with self.service.writing() as session:
            claimed = (await session.execute(
                update(Ticket).where(Ticket.id == number, same_topic,
                                     or_(Ticket.topic_claim.is_(None), Ticket.topic_claimed_at.is_(None),
                                         Ticket.topic_claimed_at < self._claim_cutoff()))
                .values(topic_claim=token, topic_claimed_at=utcnow()))).rowcount
        return token if claimed else None

    @contextlib.asynccontextmanager
    async def _holding_claim(self, number: int, token: str) -> AsyncIterator[None]:
        """Keep the claim fresh while the topic is being opened (Telegram may keep us waiting), then let it go."""
        mine = (Ticket.id == number) & (Ticket.topic_claim == token)

        async def refresh() -> None:
            while True:
                await asyncio.sleep(self.topic_claim_seconds / 4)
                try:
                    async with self.service.writing() as session:
                        await session.execute(update(Ticket).where(mine).values(topic_claimed_at=utcnow()))
                except Exception as error:  # it expires if it cannot be refreshed: another instance may go on
                    log.warning("ticket %s: the topic claim not refreshed: %s", number, error)

        beating = asyncio.create_task(refresh(), name=f"topic-claim-{number}")
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            try:
                async with self.service.writing() as session:
                    await session.execute(update(Ticket).where(mine).values(topic_claim=None, topic_claimed_at=None))
            except Exception as error:  # it expires by itself
                log.warning("ticket %s: the topic claim not released: %s", number, error)

    async def _open_topic(self, number: int, token: str, recreated: bool = False) -> int | None:
        """Create the ticket's topic, post the card and the screenshots; critical ones announced in General.
        None when this instance's claim was taken over before the topic was recorded (its topic is closed)."""
        async with self._holding_claim(number, token):
            return await self._post_topic(number, token, recreated)

    async def _post_topic(self, number: int, token: str, recreated: bool) -> int | None:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, number)
            assert ticket is not None
            card = await self._card(session, ticket)
            files = (await session.execute(
                select(Attachment.kind, Attachment.file_id).where(Attachment.ticket_id == number,
                                                                 Attachment.accepted.is_(True))
                .order_by(Attachment.id))).all()
        card["screenshots"] = len(files)
        name = texts.topic_name(number, ticket.account, ticket.description, ticket.critical)
        thread_id = await self.port.create_topic(self.group_id, name)
        async with self.service.writing() as session:
            recorded = (await session.execute(update(Ticket).where(Ticket.id == number, Ticket.topic_claim == token)
                                              .values(topic_id=thread_id))).rowcount
        if not recorded:
            log.warning("ticket %s: the topic claim expired while topic %s was created; another instance's "
                        "topic is used and this one closed", number, thread_id)
            with contextlib.suppress(DeskError):
                await self.port.set_topic_open(self.group_id, thread_id, False)
            return None
        first, parts, whole = texts.card_messages(card)
        rows = [self._topic_row(number, first, kind="card", buttons=card_buttons(number))]
        rows += [self._topic_row(number, part, kind="card_part") for part in parts]
        if whole is not None:  # longer than a few messages: the description attached whole as a .txt
            rows.append(self._topic_row(number, whole, kind="card_file"))
        rows += [self._topic_row(number, f"{kind} {file_id}", kind="screenshot") for kind, file_id in files]
        if ticket.critical and not recreated:  # SLA 2.1: critical ones go ahead; everyone should see them
            link = f"https://t.me/c/{str(self.group_id).removeprefix('-100')}/{thread_id}"
            rows.append(self._topic_row(number, texts.desk(
                "critical_announce", number=number, account=ticket.account,
                title=texts.shorten(ticket.description, 100), link=link), kind="announce"))
        await self._post(rows, opening=True)
        return thread_id

    async def _card(self, session: AsyncSession, ticket: Ticket) -> dict[str, Any]:
        user = await session.get(User, ticket.user_id)
        earlier = (await session.execute(
            select(Ticket).where(Ticket.user_id == ticket.user_id, Ticket.id != ticket.id)
            .order_by(Ticket.id.desc()).limit(5))).scalars().all()
        user_line = user.name if user else str(ticket.user_id)
        if user and user.username:
            user_line += f" (@{user.username})"
        return {"number": ticket.id, "user": user_line, "account": ticket.account, "category": ticket.category,
                "critical": ticket.critical, "state": ticket.state, "description": ticket.description,
                "steps": ticket.steps, "steps_unknown": ticket.steps_unknown, "environment": ticket.environment,
                "article_read": ticket.article_read, "help_links": ticket.help_links,
                "assignee": ticket.assignee_name,
                "earlier": [{"number": t.id, "state": t.state, "description": t.description} for t in earlier]}

    async def _card_now(self, number: int) -> str | None:
        """The first message of the ticket's card as the ticket is now (None: no such ticket)."""
        async with self.sessions() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            card = await self._card(session, ticket)
            card["screenshots"] = (await session.execute(
                select(func.count(Attachment.id)).where(Attachment.ticket_id == number,
                                                        Attachment.accepted.is_(True)))).scalar_one()
        return texts.card_messages(card)[0]

    async def refresh_card(self, number: int) -> None:
        """The card shows the ticket's current state and who has it (its first message edited in place). An
        edit Telegram cannot make now puts the card back in the queue: the edit made then shows the ticket
        as it is then."""
        async with self.sessions() as session:
            card_row, card_id = (await session.execute(
                select(Message.id, Message.topic_message_id).where(Message.ticket_id == number, Message.kind == "card")
                .order_by(Message.id.desc()).limit(1))).one_or_none() or (None, None)
        if card_row is None or card_id is None:
            return  # not posted yet: it is rendered as the ticket is when it is
        text = await self._card_now(number)
        if text is None:
            return
        outcome = await delivery.outcome_of(lambda: self.port.edit(self.group_id, card_id, text, card_buttons(number)),
                                            f"card of ticket {number} (editMessageText)")
        if isinstance(outcome, Retry):
            log.info("ticket %s: card not refreshed now (%s); queued", number, outcome.error)
            await self.outbound.failed([card_row], outcome)
            self._due = True
            if self.kick_ticker is not None:
                self.kick_ticker()

    def refresh_card_soon(self, number: int) -> None:
        """Refresh a ticket's card in the background (a screenshot added to it: the card counts them). Calls
        while a refresh runs make it run once more, so a burst of files (an album) edits the card once or twice,
        and the last edit counts them all."""
        if number in self._refreshing:
            self._stale_cards.add(number)
            return
        self._refreshing.add(number)

        async def refresh() -> None:
            try:
                while True:
                    self._stale_cards.discard(number)
                    await self.refresh_card(number)
                    if number not in self._stale_cards:
                        return
            except Exception:
                log.exception("ticket %s: card not refreshed", number)
            finally:
                self._refreshing.discard(number)

        self._in_background(refresh())

    async def to_topic(self, number: int, send: Callable[[int], Awaitable[int]]) -> int:
        """Send into the ticket's topic; a topic deleted by hand is recreated, the card re-posted, and the
        message sent again."""
        async with self.sessions() as session:
            thread_id = (await session.execute(select(Ticket.topic_id).where(Ticket.id == number))).scalar()
        if thread_id is None:
            thread_id = await self._ensure_topic(number)
        try:
            return await send(thread_id)
        except TopicMissing:
            log.warning("ticket %s: topic %s is gone; recreating it", number, thread_id)
            thread_id = await self._ensure_topic(number, missing=thread_id)
            return await send(thread_id)

    async def note(self, number: int, text: str, buttons: Buttons | None = None) -> int | None:
        """A line for the agents in the ticket's topic (queued when Telegram cannot take it now)."""
        outcomes = await self._post([self._topic_row(number, part, kind="note", buttons=buttons if index == 0 else None)
                                     for index, part in enumerate(texts.split_html(text))])
        first = outcomes[0] if outcomes else None
        return first.message_id if isinstance(first, Sent) else None

    # ------------------------------------------------------------------ sending: every message a queued row

    def _topic_row(self, number: int, text: str, *, kind: str, buttons: Buttons | None = None,
                   reply_to: int | None = None) -> Message:
        return self._row(chat_id=self.group_id, ticket_id=number, route=TOPIC, kind=kind, text=text, internal=True,
                         buttons=buttons, reply_to=reply_to)

    def _row(self, *, buttons: Buttons | None = None, **values: Any) -> Message:
        """A bot's message, written queued and held for its first attempt by this process (a lease)."""
        now = self.clock()
        return Message(direction="out", author_kind=values.pop("author_kind", "bot"),
                       buttons=[[list(button) for button in row] for row in buttons or []] or None,
                       created_at=now, relay_due_at=delivery.lease_until(self.outbound.policy), attempts=0,
                       waiting_noted=False, **values)

    async def _post(self, rows: Sequence[Message], opening: bool = False) -> list[Outcome | None]:
        """Write the rows, then try each at once, in order; None for one left to the queue. `opening`: the
        card of a topic just opened, which goes before anything waiting for that topic."""
        if not rows:
            return []
        async with self.service.writing() as session:
            session.add_all(rows)
            await session.flush()
            queued = [_queued(row) for row in rows]
        return [await self._attempt(row, opening) for row in queued]

    async def _attempt(self, row: Queued, opening: bool = False) -> Outcome | None:
        """The first try of a row just written: sent or settled, or left to the queue (None) when Telegram
        cannot take it now or an earlier message of its chat (its topic) still waits."""
        topic = row.route == TOPIC
        if not opening and await self.service.transactions.read(delivery.waiting_in, topic, row.key[1], row.id):
            await self.outbound.behind([row.id])
            self._wake(row)
            return None
        outcome = await self._deliver(row)
        if isinstance(outcome, Retry):
            delay = await self.outbound.failed([row], outcome)
            log.warning("message %s (%s) waits in the queue (%.1f s): %s", row.id, row.kind, delay, outcome.error)
            self._wake(row)
            return None
        await self.service.transactions.write(delivery.settle, row, outcome, utcnow())
        return outcome

    def _wake(self, row: Queued) -> None:
        """A row was left to the queue: its consumer is woken (the ticker for topics, the outbox for chats)."""
        if row.route == TOPIC:
            self._due = True
            if self.kick_ticker is not None:
                self.kick_ticker()
        elif self.kick_outbox is not None:
            self.kick_outbox(row.chat_id)

    async def _deliver(self, row: Queued) -> Outcome:
        if row.route != TOPIC:
            outcome = await delivery.to_chat(self.port, row, self.group_id)
            if isinstance(outcome, Settled):
                await self.undelivered(row, outcome.reason)
            return outcome
        where = f"message {row.id} ({row.kind}) to the topic of ticket {row.ticket_id}"
        if row.kind == "announce":  # in General
            return await delivery.outcome_of(lambda: delivery.send_text(self.port, self.group_id, row.text or ""),
                                             where)
        return await delivery.outcome_of(lambda: self.to_topic(row.ticket_id or 0, partial(self._into, row)), where)

    async def _into(self, row: Queued, thread_id: int) -> int:
        """Send a row into the topic `thread_id`, as its kind says."""
        group = self.group_id
        if row.direction == "in":  # the user's message, copied (a reply to one copied before stays a reply)
            reply_to = None
            if row.reply_to:
                async with self.sessions() as session:
                    reply_to = (await session.execute(
                        select(Message.topic_message_id).where(Message.chat_id == row.chat_id,
                                                               Message.telegram_message_id == row.reply_to)
                        .limit(1))).scalar()
            return await self.port.copy(group, row.chat_id, row.telegram_message_id or 0, thread_id=thread_id,
                                        reply_to=reply_to)
        if row.kind == "card" and row.topic_message_id is not None:  # a refresh that waited
            text = await self._card_now(row.ticket_id or 0)
            if text is not None:
                await self.port.edit(group, row.topic_message_id, text, card_buttons(row.ticket_id or 0))
            return row.topic_message_id
        if row.kind == "screenshot":
            kind, _, file_id = (row.text or "").partition(" ")
            return await self.port.send_file(group, kind, file_id, thread_id=thread_id)
        if row.kind == "card_file":
            number = row.ticket_id or 0
            return await self.port.send_text_file(group, f"ticket-{number}.txt", row.text or "",
                                                  texts.desk("description_attached", number=number),
                                                  thread_id=thread_id)
        return await delivery.send_text(self.port, group, row.text or "", thread_id=thread_id,
                                        buttons=delivery.buttons_of(row.buttons), reply_to=row.reply_to,
                                        buttons_first=True)

    async def undelivered(self, row: Queued, reason: str) -> None:
        """A message to a user Telegram refused for good: 403 is recorded and the agents told in the ticket's
        topic; another refusal of a ticket's message (an agent's, or the desk's) told to the agents too."""
        if row.ticket_id is None or reason.startswith(delivery.UNCHANGED):
            return
        if reason.startswith(delivery.BLOCKED):
            await self._blocked(row.chat_id, row.ticket_id)
        else:
            await self.note(row.ticket_id, texts.desk("not_delivered", reason=reason[:300]))

    async def still_waiting(self, row: Queued) -> None:
        """A message has failed for `Policy.waiting_note` already: one note, to the ticket's topic for a message
        to its user, to the admins otherwise (a dialogue's reply, or a topic that cannot be reached)."""
        since = f"{row.created_at.astimezone(self.service.zone):%d.%m %H:%M} (МСК)"
        if row.route != TOPIC and row.ticket_id is not None:
            await self.note(row.ticket_id, texts.desk("still_waiting_user", since=since))
            return
        where = f"теме обращения #{row.ticket_id}" if row.route == TOPIC else f"чат пользователя {row.chat_id}"
        log.error("message %s to the %s has waited since %s", row.id, where, since)
        await self._post([self._row(chat_id=admin, text=texts.desk("still_waiting_admin", where=where, since=since))
                          for admin in sorted(self.admin_ids)])

    # ------------------------------------------------------------------ the user's side

    async def claim(self, incoming: Incoming, state: DialogueState) -> list[Outgoing] | None:
        """A user's update that belongs to a ticket: relay it (None: the dialogue handles it)."""
        if incoming.type == "press":
            if incoming.text.startswith(("csat:", "removed:", "to:")):
                return await self._user_press(incoming)
            return None
        if incoming.type == "command":
            return None
        if incoming.type == "edit":
            return await self._user_edit(incoming)
        if state.step != Step.IDLE or state.draft is not None:
            return None  # a new request is being gathered, or the next problem offered: the dialogue goes on
        since = self.clock() - timedelta(days=self.reopen_days) if self.reopen_days > 0 else None
        found = await self.service.transactions.read(
            transcript.ticket_context, incoming.chat_id, incoming.user_id, incoming.update_id, incoming.reply_to, since)
        if found.previous and found.previous.split(" ", 1)[0].split("@", 1)[0] == "/new":
            return None  # the user asked for a new request: this message starts it
        open_tickets, row, replied, reopenable = found.open_tickets, found.row, found.replied, found.reopenable
        if not open_tickets and reopenable is None:
            return None
        text = incoming.text.strip()
        verdict = self.service.moderator(text) if text else None
        if verdict is not None and (verdict.profanity or verdict.insult):
            # SLA 4.2: kept for the record, never passed on to the agents; the user is asked to rephrase
            async with self.service.writing() as session:
                if row is not None:
                    await session.execute(update(Message).where(Message.id == row).values(flagged=True))
                await self._done(incoming.update_id, session)
            return await self._to_user_rows(incoming.chat_id, [(texts.render("rephrase"), [])])
        file = await self._judge_file(incoming)
        if reopenable is not None:
            if file is not None and not file.accepted:
                return None  # a refused file reopens nothing: the dialogue answers it as the intake does
            return await self._reopen(incoming, reopenable, row, file)
        numbers = [t.id for t in open_tickets]
        last = found.last_ticket
        target = None
        if replied in numbers:
            target = replied
        elif len(numbers) == 1:
            target = numbers[0]
        elif last in numbers:
            target = last  # the ticket they last wrote in
        if file is not None and not file.accepted:
            return await self._refuse_file(incoming, target, row, file)
        if target is None:  # several open and no clue: ask, keeping the message (nothing dropped)
            async with self.service.writing() as session:
                if file is not None:  # linked to the ticket the user chooses
                    session.add(self._attachment(incoming, row, None, file))
                await self._done(incoming.update_id, session)
            buttons = [[(f"№{t.id}: {texts.shorten(t.description, 40)}", f"to:{t.id}:{row or 0}")]
                       for t in open_tickets]
            return await self._to_user_rows(incoming.chat_id, [(texts.desk("which_ticket"), buttons)])
        return await self._relay_in(incoming, target, row, file=file)

    async def _judge_file(self, incoming: Incoming) -> Verdict | None:
        """SLA 4.6 for what the user sent into an open ticket, as the intake judges it: None for a text, a verdict
        for a file; a sticker, a voice message and the like are refused (`reason` "unsupported")."""
        if incoming.type == "media":
            return await self.service.judge_file(incoming)
        if incoming.type == "unsupported":
            return Verdict(False, None, "unsupported")
        return None

    def _attachment(self, incoming: Incoming, row: int | None, number: int | None, file: Verdict) -> Attachment:
        return Attachment(chat_id=incoming.chat_id, ticket_id=number, message_id=row, file_id=incoming.file_id,
                          file_unique_id=incoming.file_unique_id, kind=incoming.kind, mime_detected=file.mime,
                          declared_name=incoming.file_name, size=incoming.size,
                          media_group_id=incoming.media_group_id, accepted=file.accepted, created_at=self.clock())

    async def _refuse_file(self, incoming: Incoming, number: int | None, row: int | None,
                           file: Verdict) -> list[Outgoing]:
        """A file that is no JPG, GIF or PNG screenshot (SLA 4.6), or a sticker, a voice message…, is not passed to
        the topic: the user is told why in the intake's words, the agents that the user tried. The message stays
        in the transcript, the file recorded as refused; an album is answered once."""
        async with self.sessions() as session:
            repeated = incoming.media_group_id is not None and (await session.execute(
                select(Attachment.id).where(Attachment.chat_id == incoming.chat_id, Attachment.accepted.is_(False),
                                            Attachment.media_group_id == incoming.media_group_id).limit(1)
            )).scalar() is not None
        async with self.service.writing() as session:
            if row is not None and number is not None:
                await session.execute(update(Message).where(Message.id == row).values(ticket_id=number))
            if incoming.type == "media":
                session.add(self._attachment(incoming, row, number, file))
            await self._done(incoming.update_id, session)
        log.info("chat %s: %s %s not passed to ticket %s (%s)", incoming.chat_id, incoming.type, incoming.kind,
                 number, file.reason)
        if repeated:
            return []
        if number is not None:
            await self.note(number, texts.file_refused_note(incoming.kind, file.reason, incoming.file_name,
                                                            incoming.text))
        reply = (texts.render("screenshot_refused", {"reason": file.reason}) if incoming.type == "media"
                 else texts.render(unsupported_key(incoming.kind)))
        return await self._to_user_rows(incoming.chat_id, [(reply, [])], number)

    async def _incoming_row(self, session: AsyncSession, incoming: Incoming) -> int | None:
        return (await session.execute(select(Message.id).where(Message.update_id == incoming.update_id))).scalar()

    async def _done(self, update_id: int, session: AsyncSession | None = None) -> None:
        statement = update(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id).values(done_at=self.clock())
        if session is not None:
            await session.execute(statement)
            return
        async with self.service.writing() as own:
            await own.execute(statement)

    async def _to_user_rows(self, chat_id: int, replies: list[tuple[str, Buttons]],
                            number: int | None = None) -> list[Outgoing]:
        """Bot replies to the user, stored in the transcript first and sent by the dialogue's outbox."""
        now = self.clock()
        async with self.service.writing() as session:
            rows = []
            for text, buttons in replies:
                row = Message(chat_id=chat_id, ticket_id=number, direction="out", author_kind="bot", text=text,
                              buttons=[[list(b) for b in r] for r in buttons] or None, created_at=now)
                session.add(row)
                rows.append((text, row, buttons))
            await session.flush()
        return [Outgoing(chat_id, text, buttons, row.id) for text, row, buttons in rows]

    async def _relay_in(self, incoming: Incoming, number: int, row: int | None, ack: bool = True,
                        file: Verdict | None = None) -> list[Outgoing]:
        """Record a user's message in the ticket's transcript (an accepted screenshot, `file`, as an
        attachment of the ticket too) and queue its copy to the ticket's topic: the copy waits its turn
        under Telegram's per-group rate (`relay_pending`, run by the ticker, which each handled update
        wakes), the user's acknowledgement does not."""
        async with self._tickets(number):
            now = self.clock()
            async with self.service.writing() as session:
                ticket = await session.get(Ticket, number)
                assert ticket is not None
                if row is not None:
                    await session.execute(update(Message).where(Message.id == row).values(
                        ticket_id=number, relay_due_at=now, route=TOPIC, reply_to=incoming.reply_to or None))
                if file is not None:
                    session.add(self._attachment(incoming, row, number, file))
                await session.execute(update(Conversation).where(Conversation.chat_id == incoming.chat_id)
                                      .values(last_ticket_id=number))
                answered = ticket.state == S.NEED_INFORMATION
                if answered:  # SLA 4.8: the information came; the reminders stop
                    set_ticket_state(session, ticket, S.IN_PROGRESS, actor_kind="user", actor_id=incoming.user_id,
                                     at=now)
                    await self._cancel_reminders(session, number, ("need_info", "need_info_suspend"))
                    # the agents' note, queued behind the copy of the user's message: the topic reads in order
                    session.add(Message(chat_id=incoming.chat_id, ticket_id=number, direction="out",
                                        author_kind="bot", kind=QUEUED_NOTE, internal=True, relay_due_at=now,
                                        route=TOPIC,
                                        created_at=now, text=texts.desk(
                                            "state_changed", agent="Пользователь",
                                            state=texts.DESK_STATE_LABELS[S.IN_PROGRESS])))
                owned = ticket.assignee_id is not None
                await self._done(incoming.update_id, session)
        self._due = self._due or row is not None or answered
        if file is not None and file.accepted:
            self.refresh_card_soon(number)  # its count of screenshots
        if owned or not ack:
            return []  # an agent owns the ticket: the bot stays silent
        return await self._to_user_rows(incoming.chat_id, [(texts.desk("added_to_ticket", number=number), [])],
                                        number)

    def ticket_filed(self) -> None:
        self._due = True

    def take_due(self) -> bool:
        """Whether a new ticket or a queued copy waits for the ticker since the last call (the worker asks
        after each update, so the ticker is woken for work, not for every message)."""
        due, self._due = self._due, False
        return due

    async def relay_pending(self, batch: int = 20) -> bool:
        """The queue's consumer for the topics: the users' messages waiting for their copies, the notes queued
        behind them, and whatever the desk could not send at once, oldest first (each ticket's in order); True
        when more were due than `batch`. A row Telegram cannot take now waits its backoff; one it refuses for
        good (the message was deleted) leaves the queue."""
        async with self._relaying:
            return await self.outbound.drain(True, self._deliver, waiting=self.still_waiting, limit=batch)

    async def seconds_to_due(self, longest: float) -> float:
        """Until the next row of the topics' queue falls due (at most `longest`)."""
        return await self.outbound.seconds_to_next(True, longest)

    def _in_background(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _user_edit(self, incoming: Incoming) -> list[Outgoing] | None:
        """An edited message already in a topic: the new text goes there marked «(изменено)»; the
        transcript keeps both versions (stored before this runs)."""
        async with self.sessions() as session:
            original = (await session.execute(
                select(Message).where(Message.chat_id == incoming.chat_id, Message.direction == "in",
                                      Message.telegram_message_id == incoming.message_id,
                                      Message.ticket_id.is_not(None)).order_by(Message.id.desc()).limit(1)
            )).scalar_one_or_none()
        if original is not None and original.ticket_id is not None and original.relay_due_at is not None:
            await self._done(incoming.update_id)  # not copied yet: the copy will show the edited text
            return []
        if original is None or original.ticket_id is None:
            return None
        number, copied = original.ticket_id, original.topic_message_id
        # a message of the request itself (it went into the card, not copied): the agents read the new text
        key = "user_edited" if copied is not None else "user_edited_request"
        parts = texts.split_html(texts.desk(key, text=incoming.text))
        async with self._tickets(number):  # a reply to the copy (sent without it if that copy is gone)
            await self._post([self._topic_row(number, part, kind="edit", reply_to=copied if index == 0 else None)
                              for index, part in enumerate(parts)])
        await self._done(incoming.update_id)
        return []

    async def _user_press(self, incoming: Incoming) -> list[Outgoing]:
        kind, _, rest = incoming.text.partition(":")
        parts = rest.split(":")
        number = numbers.ticket_number(parts[0])
        if number is None:
            return await self._stale_press(incoming)
        async with self.sessions() as session:
            ticket = await session.get(Ticket, number)
        if ticket is None or ticket.user_id != incoming.user_id:  # users reach only their own tickets
            log.warning("user %s pressed %r of a ticket not theirs", incoming.user_id, incoming.text[:80])
            return await self._stale_press(incoming)
        if kind == "csat" and len(parts) == 2 and parts[1] in {"1", "2", "3", "4", "5"}:
            async with self.service.writing() as session:
                await session.execute(update(Ticket).where(Ticket.id == number).values(csat=int(parts[1])))
                await self._done(incoming.update_id, session)
            await self.note(number, f"Оценка пользователя: {parts[1]} из 5.")
            return await self._to_user_rows(incoming.chat_id, [(texts.desk("csat_thanks"), [])], number)
        if kind == "removed":
            async with self.service.writing() as session:
                await self._cancel_reminders(session, number, ("access_removal",), outcome="removed")
                await self._done(incoming.update_id, session)
            await self.note(number, texts.desk("access_removed"))
            return await self._to_user_rows(incoming.chat_id, [(texts.desk("access_removed_thanks"), [])], number)
        target = numbers.number(parts[1], 0) if len(parts) == 2 else None  # 0: the message was not stored
        if kind == "to" and target is not None and ticket.state in OPEN:
            row = target or None
            async with self.sessions() as session:
                message = await session.get(Message, row) if row else None
            if message is None or message.chat_id != incoming.chat_id:
                await self._done(incoming.update_id)
                return []
            held = Incoming(update_id=incoming.update_id, chat_id=incoming.chat_id, user_id=incoming.user_id,
                            type="text", message_id=message.telegram_message_id or 0)
            async with self.service.writing() as session:  # a screenshot held with the question joins the ticket
                joined = (await session.execute(
                    update(Attachment).where(Attachment.message_id == row, Attachment.ticket_id.is_(None))
                    .values(ticket_id=number))).rowcount
            await self._relay_in(held, number, row, ack=False)
            if joined:
                self.refresh_card_soon(number)
            return await self._to_user_rows(incoming.chat_id, [(texts.desk("which_ticket_done", number=number), [])],
                                            number)
        return await self._stale_press(incoming)

    async def _stale_press(self, incoming: Incoming) -> list[Outgoing]:
        """A press that applies to nothing (forged, or of a ticket that moved on): answered as the dialogue
        answers a stale button, nothing changed."""
        await self._done(incoming.update_id)
        return await self._to_user_rows(incoming.chat_id, [(texts.render("stale_button"), [])])

    async def _reopen(self, incoming: Incoming, number: int, row: int | None,
                      file: Verdict | None = None) -> list[Outgoing]:
        """A resolved ticket written to again within `REOPEN_DAYS`: back in the queue."""
        async with self._tickets(number):
            async with self.service.writing() as session:
                ticket = await session.get(Ticket, number)
                assert ticket is not None
                set_ticket_state(session, ticket, S.REOPENED, actor_kind="user", actor_id=incoming.user_id,
                                 at=self.clock())
                ticket.assignee_id = None
                ticket.assignee_name = None
                thread_id = ticket.topic_id
                # open again: the access is still needed, so the reminder to remove it waits for the next close
                await self._cancel_reminders(session, number, ("access_removal",))
            if thread_id is not None:
                try:
                    await self.port.set_topic_open(self.group_id, thread_id, True)
                except DeskError as error:
                    log.info("ticket %s: topic not reopened: %s", number, error)
            await self.note(number, texts.desk("user_reopened", number=number))
            await self.refresh_card(number)
        await self._relay_in(incoming, number, row, ack=False, file=file)
        return await self._to_user_rows(incoming.chat_id, [(texts.desk("reopened", number=number), [])], number)

    # ------------------------------------------------------------------ the agents' side

    async def seen(self, event: AgentMessage | AgentPress) -> bool:
        """Store a group update before it is handled; False when it was stored before (a re-delivery: no
        second effect). One stored and not handled (the process died) is handled by `recover`."""
        kind = "press" if isinstance(event, AgentPress) else "message"
        try:
            async with self.service.writing() as session:
                if await session.get(ProcessedUpdate, event.update_id) is not None:
                    return False
                session.add(ProcessedUpdate(update_id=event.update_id, chat_id=self.group_id,
                                            event={"desk": kind, **asdict(event)}, received_at=self.clock()))
        except IntegrityError:
            return False
        return True

    async def handle(self, event: AgentMessage | AgentPress) -> str | None:
        """Handle a stored group update, then mark it handled; a press returns the answer to show.

        One that fails is logged in one line and stays stored for another try (`bot.failures`); the agent is
        told at its first failure: a press by the answer returned, a message by a line in its topic. A
        cancelled one (a stop) stays for `recover`."""
        try:
            if isinstance(event, AgentPress):
                answer = await self.agent_press(event)
            else:
                await self.agent_message(event)
                answer = None
        except Exception as error:
            if database_unreachable(error):  # not the update's fault: not counted
                log.warning("agents' update %s stays stored for the next start: the database is unreachable (%s)",
                            event.update_id, failures.describe(error))
                return None
            if await self.service.failed(event.update_id, self.group_id, error) > 1:
                return None
            if isinstance(event, AgentPress):
                return texts.desk("processing_error")
            try:
                await self.port.send(self.group_id, texts.desk("processing_error"), thread_id=event.thread_id)
            except DeskError as other:
                log.error("agents' update %s: the failure not told: %s", event.update_id, other)
            return None
        await self._done(event.update_id)
        return answer

    async def recover(self) -> int:
        """Handle the group updates stored but not handled by a run that died, in arrival order."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(ProcessedUpdate.event).where(ProcessedUpdate.chat_id == self.group_id,
                                                    ProcessedUpdate.done_at.is_(None),
                                                    ProcessedUpdate.event.is_not(None))
                .order_by(ProcessedUpdate.update_id))).scalars().all()
        for data in rows:
            kind = AgentPress if (data or {}).get("desk") == "press" else AgentMessage
            fields = kind.__dataclass_fields__  # the stored event also keeps its kind and its failures
            event: AgentMessage | AgentPress = kind(**{k: v for k, v in (data or {}).items() if k in fields})
            await self.handle(event)
        return len(rows)

    async def _exists(self, number: int) -> bool:
        async with self.sessions() as session:
            return (await session.execute(select(Ticket.id).where(Ticket.id == number))).scalar() is not None

    async def _ticket_of_thread(self, thread_id: int | None) -> int | None:
        if thread_id is None:
            return None
        async with self.sessions() as session:
            return (await session.execute(select(Ticket.id).where(Ticket.topic_id == thread_id)
                                          .order_by(Ticket.id.desc()).limit(1))).scalar()

    async def agent_message(self, message: AgentMessage) -> None:
        """A message in the agents' group: a command, an internal note, or a reply copied to the user."""
        if not await self.is_agent(message.user_id):
            log.warning("user %s is not an agent; their message in the agents' group is ignored", message.user_id)
            return
        if message.edited:  # an edited command is not run again
            number = await self._ticket_of_thread(message.thread_id)
            if number is not None:
                await self._agent_edit(message, number)
            return
        if message.command in ("queue", "reindex", "health", "stats"):
            await self._group_command(message)
            return
        number = await self._ticket_of_thread(message.thread_id)
        head, _, rest = message.argument.partition(" ")  # `/take 12` in General names the ticket
        named = numbers.ticket_number(head)
        if number is None and message.command in COMMAND_ACTIONS and named is not None:
            async with self.sessions() as session:
                number = (await session.execute(select(Ticket.id).where(Ticket.id == named))).scalar()
            message = AgentMessage(**{**asdict(message), "argument": rest.strip()})
        if number is None:
            if message.command in COMMAND_ACTIONS or message.command == "note":
                await self.port.send(self.group_id, texts.desk("not_in_topic"), thread_id=message.thread_id)
            return  # General topic or an unrelated topic: agents talk among themselves
        if message.command == "note" or (not message.command and message.text.startswith("//")):
            await self._record_agent(message, number, internal=True)
            return
        if message.command:
            action = COMMAND_ACTIONS.get(message.command)
            if action is None:
                return
            reason = message.argument.strip() or None
            answer = await self.act(number, action, message.user_id, message.name, reason)
            if answer:
                await self.note(number, answer)
            return
        await self._relay_out(message, number)

    async def _agent_edit(self, message: AgentMessage, number: int) -> None:
        """An agent edited a message: the transcript keeps both versions, and one that reached the user
        reaches them again marked «(изменено)», as a reply to the first version."""
        now = self.clock()
        async with self.service.writing() as session:
            row = (await session.execute(
                select(Message).where(Message.ticket_id == number, Message.author_kind == "agent",
                                      Message.topic_message_id == message.message_id)
                .order_by(Message.id.desc()).limit(1))).scalar_one_or_none()
            if row is None:
                return
            session.add(MessageVersion(message_id=row.id, text=row.text, created_at=now))
            row.text, row.edited_at = message.text or None, now
            internal, chat_id, delivered = row.internal, row.chat_id, row.telegram_message_id
        if internal or delivered is None:
            return
        await self._post([self._row(chat_id=chat_id, ticket_id=number, text=part, reply_to=delivered if index == 0
                                    else None)
                          for index, part in enumerate(texts.split_html(texts.desk("user_edited", text=message.text)))])

    async def _record_agent(self, message: AgentMessage, number: int, *, internal: bool) -> None:
        now = self.clock()
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            assert ticket is not None
            session.add(Message(chat_id=ticket.chat_id, ticket_id=number, direction="out", author_kind="agent",
                                author_id=message.user_id, kind=message.kind, text=message.text or None,
                                internal=internal, topic_message_id=message.message_id, sent_at=now, created_at=now))

    async def _relay_out(self, message: AgentMessage, number: int) -> None:
        """An agent's message in the topic, copied to the user (replies keep their thread where possible)."""
        async with self._tickets(number):
            async with self.sessions() as session:
                ticket = await session.get(Ticket, number)
                assert ticket is not None
                reply_to = None
                if message.reply_to:
                    reply_to = (await session.execute(
                        select(Message.telegram_message_id).where(Message.ticket_id == number,
                                                                  Message.topic_message_id == message.reply_to)
                        .limit(1))).scalar()
            if ticket.state in CLOSED:
                log.info("ticket %s is closed: the agent's message is kept, not sent", number)
                await self._record_agent(message, number, internal=True)
                await self.note(number, texts.desk("closed_not_sent", number=number))
                return
            if ticket.first_response_at is None:  # the specialist answered now, whenever Telegram delivers it
                async with self.service.writing() as session:
                    await session.execute(update(Ticket).where(Ticket.id == number, Ticket.first_response_at.is_(None))
                                          .values(first_response_at=self.clock()))
            # the copy to the user is a row of the queue: the transcript has it even while Telegram is down
            await self._post([self._row(chat_id=ticket.chat_id, ticket_id=number, author_kind="agent",
                                        author_id=message.user_id, kind=message.kind, text=message.text or None,
                                        topic_message_id=message.message_id, reply_to=reply_to)])

    async def _blocked(self, chat_id: int, number: int) -> None:
        """403: the ticket is marked (its user blocked the bot) and the agents told in the topic."""
        async with self.service.writing() as session:
            await session.execute(update(User).where(User.id == chat_id).values(blocked_bot=True))
            session.add(Message(chat_id=chat_id, ticket_id=number, direction="out", author_kind="bot",
                                kind="blocked", text="user blocked the bot", internal=True, sent_at=self.clock(),
                                created_at=self.clock()))
        await self.note(number, texts.desk("user_blocked"))

    async def tell_user(self, number: int, text: str, buttons: Buttons | None = None) -> int | None:
        """A bot message to the ticket's user, in the transcript; 403 marks the ticket and tells the agents."""
        async with self.sessions() as session:
            chat_id = (await session.execute(select(Ticket.chat_id).where(Ticket.id == number))).scalar_one()
        parts = texts.split_html(text)
        outcomes = await self._post([self._row(chat_id=chat_id, ticket_id=number, text=part,
                                               buttons=buttons if index == len(parts) - 1 else None)
                                     for index, part in enumerate(parts)])
        first = outcomes[0] if outcomes else None
        return first.message_id if isinstance(first, Sent) else None

    async def agent_press(self, press: AgentPress) -> str | None:
        """A button on a card; returns the text of the answer to the press (None: nothing to say)."""
        if not await self.is_agent(press.user_id):
            log.warning("user %s is not an agent; their press %r is ignored", press.user_id, press.data)
            return None
        parts = press.data.split(":")
        number = numbers.ticket_number(parts[2]) if len(parts) >= 3 and parts[0] == "d" else None
        if number is None or not await self._exists(number):
            log.warning("user %s pressed %r: no such ticket (stale or forged); nothing changed",
                        press.user_id, press.data[:80])
            return None
        action = parts[1]
        reason = parts[3] if len(parts) > 3 else None
        if action in ("suspend", "refuse") and reason is None:
            await self.note(number, texts.desk("choose_reason"), reason_buttons(action, number))
            return None
        answer = await self.act(number, action, press.user_id, press.name, reason)
        if answer:
            await self.note(number, answer)
        return answer

    async def act(self, number: int, action: str, agent_id: int, agent: str, reason: str | None = None) -> str | None:
        """Take a ticket or change its state; every change recorded with who and when. Returns a line for the
        agents when the action was refused or has something to say beyond the state line."""
        async with self._tickets(number):
            if action == "take":
                return await self._take(number, agent_id, agent)
            if action == "release":
                return await self._release(number, agent_id, agent)
            if action == "admin_access":
                return await self._admin_access(number, agent_id, agent)
            if action == "category":
                return await self._recategorise(number, agent_id, agent, reason)
            if action == "critical":
                return await self._toggle_critical(number, agent_id, agent)
            if action in ("suspend", "refuse") and reason not in texts.REASONS_48:
                await self.note(number, texts.desk("choose_reason"), reason_buttons(action, number))
                return None
            target = {"need_information": S.NEED_INFORMATION, "passed_to_development": S.PASSED_TO_DEVELOPMENT,
                      "suspend": S.SUSPENDED, "refuse": S.REFUSED, "resolve": S.RESOLVED}.get(action)
            if target is None:
                return None
            return await self._change_state(number, target, agent_id, agent, reason)

    async def _take(self, number: int, agent_id: int, agent: str) -> str | None:
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            if ticket.assignee_id is not None:
                if ticket.assignee_id == agent_id:
                    return texts.desk("already_yours", number=number)
                return texts.desk("already_taken", number=number, agent=ticket.assignee_name or "")
            if ticket.state in CLOSED:
                return texts.desk("transition_refused", current=texts.DESK_STATE_LABELS[ticket.state],
                                  target=texts.DESK_STATE_LABELS[S.IN_PROGRESS])
            ticket.assignee_id, ticket.assignee_name = agent_id, agent
            if can_transition(ticket.state, S.IN_PROGRESS) and ticket.state != S.IN_PROGRESS:
                set_ticket_state(session, ticket, S.IN_PROGRESS, actor_kind="agent", actor_id=agent_id,
                                 at=self.clock())
        await self.note(number, texts.desk("taken", number=number, agent=agent))
        await self.refresh_card(number)
        await self.tell_user(number, texts.desk("specialist_joined", number=number, agent=agent))
        return None

    async def _release(self, number: int, agent_id: int, agent: str) -> str | None:
        """«Вернуть в очередь»: the assignee (or an admin) hands the ticket back. It waits in the queue again, in
        its place by arrival (SLA 2.1), for any specialist to take; anyone else's press changes nothing."""
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            if ticket.state in CLOSED:
                return texts.desk("transition_refused", current=texts.DESK_STATE_LABELS[ticket.state],
                                  target=texts.DESK_STATE_LABELS[S.NEW])
            if ticket.assignee_id is None and ticket.state in WAITING:
                return texts.desk("already_queued", number=number)
            if ticket.assignee_id != agent_id and agent_id not in self.admin_ids:
                log.warning("agent %s may not return ticket %s (assignee %s) to the queue; nothing changed",
                            agent_id, number, ticket.assignee_id)
                return texts.desk("release_not_yours", number=number)
            before = ticket.state
            if ticket.state not in WAITING:
                set_ticket_state(session, ticket, S.NEW, actor_kind="agent", actor_id=agent_id, at=self.clock())
            ticket.assignee_id = ticket.assignee_name = None
            await self._cancel_reminders(session, number, ("need_info", "need_info_suspend"))  # nobody waits now
        await self.note(number, texts.desk("released", number=number, agent=agent,
                                           state=texts.DESK_STATE_LABELS[before]))
        await self.refresh_card(number)
        return None

    async def _recategorise(self, number: int, agent_id: int, agent: str, code: str | None) -> str | None:
        """The agent corrects the reading: the category, chosen from the list; recorded with who and when."""
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            current = texts.CATEGORY_LABELS.get(ticket.category, ticket.category)
            if code not in texts.CATEGORY_LABELS:
                choose = texts.desk("choose_category", number=number, current=current)
            elif code == ticket.category:
                return None
            else:
                self._record_correction(session, ticket, agent_id, f"category:{ticket.category}>{code}")
                ticket.category = code
                if code == "outage":  # SLA 2.1: every outage goes out of turn
                    ticket.critical = True
                choose = None
        if choose is not None:
            await self.note(number, choose, category_buttons(number))
            return None
        await self.refresh_card(number)
        await self.note(number, texts.desk("category_changed", agent=agent, before=current,
                                           after=texts.CATEGORY_LABELS[code]))
        return None

    async def _toggle_critical(self, number: int, agent_id: int, agent: str) -> str | None:
        """SLA 2.1: the agent marks a ticket critical (out of turn) or takes the mark off; recorded."""
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            if ticket.critical and ticket.category == "outage":
                return texts.desk("outage_stays_critical")
            ticket.critical = not ticket.critical
            self._record_correction(session, ticket, agent_id, f"critical:{'on' if ticket.critical else 'off'}")
            critical = ticket.critical
        await self.refresh_card(number)
        await self.note(number, texts.desk("critical_on" if critical else "critical_off", agent=agent))
        return None

    def _record_correction(self, session: AsyncSession, ticket: Ticket, agent_id: int, what: str) -> None:
        """A correction of the reading is an event of the ticket that keeps its state."""
        session.add(TicketEvent(ticket_id=ticket.id, from_state=ticket.state, to_state=ticket.state, actor_id=agent_id,
                                actor_kind="agent", reason=what[:64], created_at=self.clock()))

    async def _admin_access(self, number: int, agent_id: int, agent: str) -> str | None:
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None or ticket.state in CLOSED:
                return None
            ticket.admin_access = True
            account = ticket.account
        await self.note(number, texts.desk("access_requested", agent=agent))
        await self.tell_user(number, texts.desk("admin_access_request", number=number, account=account))  # SLA 4.3
        return None

    async def _change_state(self, number: int, target: TicketState, actor_id: int | None, actor: str,
                            reason: str | None, actor_kind: str = "agent") -> str | None:
        now = self.clock()
        async with self.service.writing() as session:
            ticket = await session.get(Ticket, number)
            if ticket is None:
                return None
            try:
                set_ticket_state(session, ticket, target, actor_kind=actor_kind, actor_id=actor_id, reason=reason,
                                 at=now)
            except InvalidTransition:
                return texts.desk("transition_refused", current=texts.DESK_STATE_LABELS[ticket.state],
                                  target=texts.DESK_STATE_LABELS[target])
            if actor_kind == "agent" and ticket.assignee_id is None:
                ticket.assignee_id, ticket.assignee_name = actor_id, actor
            await self._cancel_reminders(session, number, ("need_info", "need_info_suspend"))
            if target == S.NEED_INFORMATION:  # SLA 4.8: reminders after 1 and 3 working days, then suspension
                for days in NEED_INFO_REMINDER_DAYS:
                    session.add(Reminder(ticket_id=number, kind="need_info", due_at=need_info_due(
                        self.schedule, now, days), created_at=now))
                session.add(Reminder(ticket_id=number, kind="need_info_suspend", due_at=need_info_due(
                    self.schedule, now, self.need_info_suspend_days), created_at=now))
            access = ticket.admin_access and target in (S.RESOLVED, S.REFUSED)
            if access:  # SLA 4.3: remove the employee at close, reminded once more the next working day
                session.add(Reminder(ticket_id=number, kind="access_removal",
                                     due_at=next_working_morning(self.schedule, now), created_at=now))
            thread_id, account = ticket.topic_id, ticket.account
        await self.refresh_card(number)
        label = texts.DESK_STATE_LABELS[target]
        line = (texts.desk("state_changed_reason", agent=actor, state=label, reason=texts.REASONS_48[reason][0])
                if reason in texts.REASONS_48 else texts.desk("state_changed", agent=actor, state=label))
        await self.note(number, line)
        await self._tell_state(number, target, reason)
        if access:
            await self.tell_user(number, texts.desk("access_removal", number=number, account=account),
                                 [[(texts.DESK_BUTTONS["removed"], f"removed:{number}")]])
        if target in CLOSED and thread_id is not None:
            try:
                await self.port.set_topic_open(self.group_id, thread_id, False)
            except DeskError as error:
                log.info("ticket %s: topic not closed: %s", number, error)
        return None

    async def _tell_state(self, number: int, target: TicketState, reason: str | None) -> None:
        if target == S.NEED_INFORMATION:
            await self.tell_user(number, texts.desk("need_information", number=number))
        elif target == S.PASSED_TO_DEVELOPMENT:
            await self.tell_user(number, texts.desk("passed_to_development", number=number))
        elif target in (S.SUSPENDED, S.REFUSED):
            key = "suspended" if target == S.SUSPENDED else "refused"
            await self.tell_user(number, texts.desk(key, number=number,
                                                    explanation=texts.reason_explanation(reason or "")))
        elif target == S.RESOLVED:
            await self.tell_user(number, texts.desk("resolved", number=number, days=self.reopen_days),
                                 [[(str(score), f"csat:{number}:{score}") for score in range(1, 6)]])

    async def _cancel_reminders(self, session: AsyncSession, number: int, kinds: Sequence[str],
                                outcome: str = "cancelled") -> None:
        await session.execute(update(Reminder).where(Reminder.ticket_id == number, Reminder.kind.in_(list(kinds)),
                                                     Reminder.done_at.is_(None))
                              .values(done_at=self.clock(), outcome=outcome))

    # ------------------------------------------------------------------ reminders

    async def run_due(self) -> int:
        """Send the reminders that fell due (a periodic task calls this; running it twice sends each once)."""
        sent = 0
        async with self._reminding:
            now = self.clock()
            async with self.sessions() as session:
                due = (await session.execute(
                    select(Reminder).where(Reminder.done_at.is_(None), Reminder.due_at <= now)
                    .order_by(Reminder.due_at, Reminder.id))).scalars().all()
            for reminder in due:
                async with self.service.writing() as session:
                    claimed = (await session.execute(
                        update(Reminder).where(Reminder.id == reminder.id, Reminder.done_at.is_(None))
                        .values(done_at=now, outcome="sent"))).rowcount
                if not claimed:
                    continue
                await self._remind(reminder, now)
                sent += 1
        return sent

    async def _remind(self, reminder: Reminder, now: datetime) -> None:
        number = reminder.ticket_id
        async with self.sessions() as session:
            ticket = await session.get(Ticket, number)
        if ticket is None:
            return
        if reminder.kind == "need_info" and ticket.state == S.NEED_INFORMATION:
            await self.tell_user(number, texts.desk("need_information_reminder", number=number))
            await self.note(number, texts.desk("reminder_sent", what="нужна информация"))
        elif reminder.kind == "need_info_suspend" and ticket.state == S.NEED_INFORMATION:
            # SLA 4.8: the solution is delayed by information not given in time
            async with self._tickets(number):
                await self._change_state(number, S.SUSPENDED, None, "Бот", "untimely_information", "system")
            await self.note(number, texts.desk("need_info_suspended", days=self.need_info_suspend_days))
        elif reminder.kind == "access_removal":
            await self.tell_user(number, texts.desk("access_removal", number=number, account=ticket.account),
                                 [[(texts.DESK_BUTTONS["removed"], f"removed:{number}")]])
            await self.note(number, texts.desk("reminder_sent", what="удалить доступ"))

    # ------------------------------------------------------------------ commands for everyone and admins

    async def _group_command(self, message: AgentMessage) -> None:
        reply = None
        if message.command == "queue":
            reply = texts.queue_listing(await self.queue())
        elif message.user_id not in self.admin_ids:
            log.warning("user %s is not an admin; /%s ignored", message.user_id, message.command)
            reply = texts.desk("admins_only")
        elif message.command == "health":
            reply = texts.health_report(await self.health())
        elif message.command == "stats":
            argument = message.argument.strip()
            days = numbers.number(argument, 1, 3650) if argument else 30
            reply = texts.desk("stats_usage") if days is None else texts.stats_report(await self.stats(days))
        elif message.command == "reindex":
            reply = await self.start_reindex(message.thread_id)
        if reply:
            for part in texts.split_html(reply):
                await self.port.send(self.group_id, part, thread_id=message.thread_id)

    async def queue(self) -> list[dict[str, Any]]:
        """Waiting tickets, critical first, then by arrival (SLA 2.1), waiting time in working hours."""
        async with self.sessions() as session:
            return await figures.queue(session, self.schedule, self.clock())

    async def health(self) -> dict[str, Any]:
        return await health.gather(self.port, self.sessions, self.service.engine.dialect.name, self.index_stats,
                                   self.clock())

    async def stats(self, days: int) -> dict[str, Any]:
        """The admins' figures for the last `days` days (tickets created in that window)."""
        async with self.sessions() as session:
            return await figures.stats(session, self.schedule, self.clock(), days)

    async def start_reindex(self, thread_id: int | None) -> str | None:
        """`/reindex`: one progress message edited as the crawl goes (throttled), the summary at the end;
        a second one while it runs is refused."""
        if self.crawl is None:
            return texts.desk("reindex_failed", error="нет источника справки")
        if self.reindex.task is not None and not self.reindex.task.done():
            return texts.desk("reindex_running")
        self.reindex.message_id = await self.port.send(self.group_id, texts.desk("reindex_started"),
                                                       thread_id=thread_id)
        self.reindex.last_edit = 0.0
        self.reindex.task = asyncio.create_task(self._reindex())
        return None

    async def _reindex(self, throttle: float = 2.0) -> None:
        state = self.reindex
        assert self.crawl is not None and state.message_id is not None

        async def progress(done: Any) -> None:
            now = time.monotonic()
            if now - state.last_edit < throttle:
                return
            state.last_edit = now
            try:
                await self.port.edit(self.group_id, state.message_id or 0, texts.desk(
                    "reindex_progress", done=done.done, discovered=done.discovered, fetched=done.fetched,
                    errors=done.errors))
            except DeskError as error:
                log.debug("reindex progress not shown: %s", error)

        try:
            summary = await self.crawl(progress=progress)
            text = texts.desk("reindex_done", summary="\n".join(summary.lines()))
        except Exception as error:
            log.exception("reindex failed")
            text = texts.desk("reindex_failed", error=str(error))
        try:
            await self.port.edit(self.group_id, state.message_id, text)
        except DeskError:
            await self.port.send(self.group_id, text)


@dataclass
class Ticker:
    """The periodic task: due reminders and tickets still without a topic."""

    desk: Desk
    seconds: float
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # Several instances: a tick runs where this lease is held (`bot.locks.lease`); None: one instance
    exclusive: Callable[[], contextlib.AbstractAsyncContextManager[bool]] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name="desk-ticker")

    def kick(self) -> None:
        """A ticket may have been created: publish it now rather than at the next tick."""
        self.wake.set()

    async def _loop(self) -> None:
        due = True  # at the start and every `seconds`: the reminders too; a kick only publishes
        while True:
            self.wake.clear()
            try:
                async with self.exclusive() if self.exclusive else contextlib.nullcontext(True) as mine:
                    if mine:  # another instance ticks now otherwise
                        await self.desk.publish_pending()  # new tickets' cards first (critical first)
                        if await self.desk.relay_pending():
                            self.wake.set()  # more messages wait: again, after any new card
                        if due:
                            await self.desk.run_due()
            except Exception:
                log.exception("desk tick failed")
            pause = self.seconds
            with contextlib.suppress(Exception):  # a message of the topics' queue falls due sooner
                pause = await self.desk.seconds_to_due(self.seconds)
            try:
                await asyncio.wait_for(self.wake.wait(), max(pause, 0.01))
                due = False
            except TimeoutError:
                due = pause >= self.seconds

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
