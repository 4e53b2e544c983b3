"""The figures the agents and admins ask for: the queue (SLA 2.1) and `/stats`, times in working hours;
`/health`, the bot's own view of itself. Plain queries over the bot's tables, no Telegram."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import Reminder, SelfServed, Ticket, TicketEvent, User
from bot.tickets import WAITING, QueueItem, TicketState, queue_order


class WorkingHours(Protocol):
    def working_seconds_between(self, start: datetime, end: datetime) -> float: ...


RECENT_DAYS = 30          # the first responses an estimate of the wait is drawn from
RECENT_TICKETS = 200
DEFAULT_SECONDS_PER_PLACE = 3600.0  # no history yet: a working hour for each ticket in the queue


def seconds_per_place(history: Sequence[tuple[datetime, datetime | None]], schedule: WorkingHours) -> float | None:
    """The desk's pace: for each answered ticket of `history` ((created, first response) pairs), its wait for
    the first response in working hours divided by its place in the queue when it came (itself and the
    tickets before it not answered yet); the median. None when no ticket was answered."""
    ordered = sorted(history, key=lambda pair: pair[0])
    paces: list[float] = []
    for index, (created, answered) in enumerate(ordered):
        if answered is None:
            continue
        place = 1 + sum(1 for before, first in ordered[:index] if first is None or first > created)
        paces.append(schedule.working_seconds_between(created, answered) / place)
    return statistics.median(paces) if paces else None


async def reply_pace(session: AsyncSession, schedule: WorkingHours, now: datetime) -> float:
    """Working seconds a ticket's first response takes for each place in the queue, from the recent
    first responses (SLA 2.1 keeps the order); `DEFAULT_SECONDS_PER_PLACE` while there are none."""
    since = now - timedelta(days=RECENT_DAYS)
    rows = (await session.execute(
        select(Ticket.created_at, Ticket.first_response_at).where(Ticket.created_at >= since)
        .order_by(Ticket.created_at.desc()).limit(RECENT_TICKETS))).all()
    pace = seconds_per_place([(created, first) for created, first in rows], schedule)
    return DEFAULT_SECONDS_PER_PLACE if pace is None else pace


def _waiting() -> list[str]:
    return [str(state) for state in WAITING]


async def queue(session: AsyncSession, schedule: WorkingHours, now: datetime) -> list[dict[str, Any]]:
    """Waiting tickets, critical first, then by arrival (SLA 2.1), with their waiting time in working hours."""
    rows = (await session.execute(
        select(Ticket, User.blocked_bot).join(User, User.id == Ticket.user_id).where(Ticket.state.in_(_waiting()))
    )).all()
    by_number = {ticket.id: (ticket, blocked) for ticket, blocked in rows}
    order = queue_order(QueueItem(t.id, t.critical, t.queued_at) for t, _ in rows)
    return [{"number": item.number, "critical": item.critical, "account": by_number[item.number][0].account,
             "description": by_number[item.number][0].description, "blocked": by_number[item.number][1],
             "waiting": schedule.working_seconds_between(item.queued_at, now)} for item in order]


async def health(sessions: Callable[[], Any], dialect: str, telegram: str, index: Any, now: datetime,
                 ) -> dict[str, Any]:
    """`index`: the help index's stats, or the exception reading them raised (None: no index)."""
    try:
        async with sessions() as session:
            await session.execute(select(1))
        database = f"доступна ({dialect})"
    except Exception as exc:  # the report says what failed
        database = f"ошибка: {exc}"
    pages = sections = 0
    age = "никогда"
    if isinstance(index, Exception):
        age = f"ошибка: {index}"
    elif index is not None:
        pages, sections = index.pages, index.sections
        if index.last_crawl_at is not None:
            age = f"{(now - index.last_crawl_at).total_seconds() / 3600:.1f} ч назад"
    async with sessions() as session:
        waiting = (await session.execute(select(func.count(Ticket.id))
                                         .where(Ticket.state.in_(_waiting())))).scalar_one()
        reminders = (await session.execute(select(func.count(Reminder.id))
                                           .where(Reminder.done_at.is_(None)))).scalar_one()
    return {"telegram": telegram, "database": database, "pages": pages, "sections": sections,
            "index_age": age, "queue": waiting, "reminders": reminders}


async def stats(session: AsyncSession, schedule: WorkingHours, now: datetime, days: int) -> dict[str, Any]:
    """Tickets created in the last `days` days: by state, category and criticality; the share of
    conversations a help link closed; median first response and resolution in working hours; CSAT;
    suspensions by their SLA 4.8 reason."""
    since = now - timedelta(days=days)
    tickets = (await session.execute(select(Ticket).where(Ticket.created_at >= since))).scalars().all()
    self_served = (await session.execute(select(func.count(SelfServed.id))
                                         .where(SelfServed.created_at >= since))).scalar_one()
    suspended = (await session.execute(
        select(TicketEvent.reason, func.count(TicketEvent.id))
        .where(TicketEvent.to_state == TicketState.SUSPENDED, TicketEvent.created_at >= since)
        .group_by(TicketEvent.reason))).all()
    by_state: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_criticality: dict[str, int] = {}
    for ticket in tickets:
        by_state[ticket.state] = by_state.get(ticket.state, 0) + 1
        by_category[ticket.category] = by_category.get(ticket.category, 0) + 1
        key = "critical" if ticket.critical else "normal"
        by_criticality[key] = by_criticality.get(key, 0) + 1
    first = [schedule.working_seconds_between(t.created_at, t.first_response_at)
             for t in tickets if t.first_response_at is not None]
    resolution = [schedule.working_seconds_between(t.created_at, t.closed_at)
                  for t in tickets if t.state == TicketState.RESOLVED and t.closed_at is not None]
    scores = [t.csat for t in tickets if t.csat is not None]
    total = self_served + len(tickets)
    return {
        "days": days, "tickets": len(tickets), "by_state": by_state, "by_category": by_category,
        "by_criticality": by_criticality, "self_served": self_served,
        "self_served_share": self_served / total if total else None,
        "median_first_response": statistics.median(first) if first else None,
        "median_resolution": statistics.median(resolution) if resolution else None,
        "csat_average": statistics.fmean(scores) if scores else None, "csat_count": len(scores),
        "suspended_by_reason": {reason or "—": count for reason, count in suspended},
    }
