"""The bot's tables on the shared engine (`knowledge.db.make_engine`): users, conversations, tickets,
their events and transcripts, attachments, processed updates, self-served conversations and wishes.

Timestamps are aware UTC datetimes in Python whatever the database keeps (SQLite has no time zones).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.tickets import WAITING, QueueItem, TicketState, check_transition, place_in_queue
from knowledge.db import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Telegram user id
    name: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    last_account: Mapped[str | None] = mapped_column(String(255))
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)  # 403 from Telegram
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Conversation(Base):
    """One private chat's dialogue: its step and draft ticket (the single source of truth)."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    step: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)     # draft ticket and dialogue memory
    strikes: Mapped[int] = mapped_column(Integer, default=0)      # moderation offences (SLA 4.2, 4.8)
    draft_started_message_id: Mapped[int | None] = mapped_column(BigInteger)  # first transcript row of the draft
    last_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_queue", "state", "critical", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the ticket number shown to everyone
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text)
    steps: Mapped[str | None] = mapped_column(Text)
    steps_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    environment: Mapped[str | None] = mapped_column(Text)
    help_links: Mapped[list[Any]] = mapped_column(default=list)   # the links the user was shown
    article_read: Mapped[str | None] = mapped_column(Text)       # SLA 1.2
    state: Mapped[str] = mapped_column(String(32), default=TicketState.NEW)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(255))
    topic_id: Mapped[int | None] = mapped_column(BigInteger)     # the agents' forum topic
    # the instance opening the topic now (one topic even with several instances), kept fresh while it works
    topic_claim: Mapped[str | None] = mapped_column(String(32))
    topic_claimed_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(64))       # SLA 4.8 reason when suspended/refused
    csat: Mapped[int | None] = mapped_column(Integer)
    admin_access: Mapped[bool] = mapped_column(Boolean, default=False)  # SLA 4.3 requested
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)   # arrival in the queue (SLA 2.1)
    first_response_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")


class TicketEvent(Base):
    """A state change of a ticket: who, when, from what to what, and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_kind: Mapped[str] = mapped_column(String(16))  # user, agent, system
    reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Message(Base):
    """One message of a transcript (SLA 4.4), both directions; bot replies wait here until sent."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat", "chat_id", "telegram_message_id"),
        Index("ix_messages_unsent", "direction", "sent_at"),
        Index("ix_messages_update", "update_id"),
        Index("ix_messages_relay", "relay_due_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))          # in, out
    author_kind: Mapped[str] = mapped_column(String(16))       # user, bot, agent
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text, photo, document, sticker, ...
    text: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[Any] | None] = mapped_column()        # inline keyboard of an outgoing message
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # an agents' note, never sent to the user
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)   # obscene or insulting: never passed on (SLA 4.2)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)  # in the user's chat
    topic_message_id: Mapped[int | None] = mapped_column(BigInteger)     # its copy in the agents' topic
    # the delivery queue (`bot.delivery`): set while the message waits to reach Telegram, the moment its next
    # attempt is due; a row being sent is claimed by moving it a lease ahead (an instance that died lets it fall due)
    relay_due_at: Mapped[datetime | None] = mapped_column()
    # where a queued row goes: None the chat of `chat_id` (the user), "topic" the ticket's topic in the agents' group
    route: Mapped[str | None] = mapped_column(String(8))
    reply_to: Mapped[int | None] = mapped_column(BigInteger)      # the message it answers, in the chat it goes to
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed tries so far
    delivery_error: Mapped[str | None] = mapped_column(String(255))  # why the last one failed
    waiting_noted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # told: it waits
    sent_at: Mapped[datetime | None] = mapped_column()          # outgoing: when Telegram accepted it
    edited_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[MessageVersion]] = relationship(order_by="MessageVersion.id")


class MessageVersion(Base):
    """An earlier text of an edited message: edits never overwrite history."""

    __tablename__ = "message_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)   # when this version was replaced


class Attachment(Base):
    """A file a user sent (SLA 4.6), accepted or refused."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))              # photo, animation, document
    mime_detected: Mapped[str | None] = mapped_column(String(64))  # by content (magic bytes)
    declared_name: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedUpdate(Base):
    """Every update received: the unique key makes a re-delivered update a no-op.

    `event` keeps the update as a plain event, so one stored but not yet handled (the process died)
    is handled on the next start; `done_at` marks it handled.
    """

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    event: Mapped[dict[str, Any] | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()


class SelfServed(Base):
    """A conversation closed by a help-center link (counted in the deflection figures)."""

    __tablename__ = "self_served"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    query: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    links: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Wish(Base):
    """An improvement idea or a payment-script request, recorded (SLA 3.1 last item, 3.2)."""

    __tablename__ = "wishes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """A reminder due at a moment: need-information nudges (SLA 4.8) and admin-access removal (SLA 4.3).

    `done_at` is set once it was sent or cancelled, so a tick that runs twice sends it once.
    """

    __tablename__ = "desk_reminders"
    __table_args__ = (Index("ix_desk_reminders_due", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))      # need_info, need_info_suspend, access_removal
    due_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))  # sent, cancelled, failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def create_all(engine: AsyncEngine, *, apply: bool = True) -> None:
    """Bring the bot's and the index's tables to the current schema by their migrations
    (`bot/migrations`, `knowledge/migrations`); with `apply=False` a pending one raises `SchemaError`."""
    from bot.migrations.history import migrate_all

    await migrate_all(engine, apply=apply)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# --- queries shared by the dialogue and the agents' desk ---


def set_ticket_state(
    session: AsyncSession,
    ticket: Ticket,
    target: TicketState | str,
    *,
    actor_kind: str,
    actor_id: int | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Move a ticket along an allowed transition and record who did it and when."""
    state = check_transition(ticket.state, target)
    moment = at or utcnow()
    event = TicketEvent(ticket_id=ticket.id, from_state=ticket.state, to_state=state, actor_id=actor_id,
                        actor_kind=actor_kind, reason=reason, created_at=moment)
    session.add(event)
    ticket.state = state
    ticket.updated_at = moment
    if reason is not None:
        ticket.reason = reason
    if state in (TicketState.RESOLVED, TicketState.REFUSED):
        ticket.closed_at = moment
    elif state == TicketState.REOPENED:
        ticket.closed_at = None
        ticket.queued_at = moment
    return event


async def queue_place(session: AsyncSession, ticket: Ticket) -> int:
    """The ticket's place among the waiting tickets: critical first, then by arrival (SLA 2.1)."""
    rows = await session.execute(
        select(Ticket.id, Ticket.critical, Ticket.queued_at).where(Ticket.state.in_([str(s) for s in WAITING]))
    )
    waiting = [QueueItem(number, critical, queued_at) for number, critical, queued_at in rows]
    return place_in_queue(QueueItem(ticket.id, ticket.critical, ticket.queued_at), waiting)


async def count_self_served(session: AsyncSession, since: datetime | None = None) -> int:
    query = select(func.count(SelfServed.id))
    if since is not None:
        query = query.where(SelfServed.created_at >= since)
    return int((await session.execute(query)).scalar_one())
