"""Ticket states and the queue (SLA 2.1, 2.2, 4.8), and their record in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Ticket, TicketEvent, User, create_all, queue_place, sessionmaker, set_ticket_state
from bot.tickets import InvalidTransition, QueueItem, TicketState, can_transition, place_in_queue, queue_order
from knowledge.db import make_engine
from tests.dbs import database_url

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_transitions_follow_the_workflow():
    assert can_transition("new", "in_progress")
    assert can_transition("in_progress", "passed_to_development")
    assert can_transition("resolved", "reopened")
    assert not can_transition("refused", "reopened")  # a refusal is final
    assert not can_transition("new", "passed_to_development")  # only after a specialist looked at it
    for working in ("in_progress", "need_information", "passed_to_development", "suspended"):
        assert can_transition(working, "new")  # the assignee hands it back to the queue
    assert not can_transition("resolved", "new")


def test_critical_first_then_by_arrival():
    items = [QueueItem(1, False, T0), QueueItem(2, True, T0 + timedelta(hours=2)),
             QueueItem(3, False, T0 + timedelta(minutes=1)), QueueItem(4, True, T0 + timedelta(hours=1))]
    assert [item.number for item in queue_order(items)] == [4, 2, 1, 3]
    assert place_in_queue(QueueItem(5, True, T0 + timedelta(hours=3)), items) == 3
    assert place_in_queue(QueueItem(6, False, T0 + timedelta(hours=3)), items) == 5


async def test_state_changes_are_recorded_with_who_and_when(tmp_path):
    engine = make_engine(database_url(tmp_path))
    await create_all(engine)
    sessions = sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            session.add(User(id=7, name="Анна"))
            await session.flush()
            tickets = [Ticket(user_id=7, chat_id=7, account="a.aspro.cloud", category="bug_report",
                              critical=critical, description="d", queued_at=T0 + timedelta(minutes=n))
                       for n, critical in enumerate((False, False, True))]
            session.add_all(tickets)
            await session.flush()
            assert [await queue_place(session, t) for t in tickets] == [2, 3, 1]
            first = tickets[0]
            for state, hours in (("in_progress", 1), ("resolved", 2)):
                set_ticket_state(session, first, state, actor_kind="agent", actor_id=100,
                                 at=T0 + timedelta(hours=hours))
            assert first.closed_at == T0 + timedelta(hours=2)
            set_ticket_state(session, first, TicketState.REOPENED, actor_kind="user", actor_id=7,
                             at=T0 + timedelta(days=1))
            assert first.closed_at is None and first.queued_at == T0 + timedelta(days=1)
            assert await queue_place(session, tickets[1]) == 2  # the reopened one queues after it
            with pytest.raises(InvalidTransition):
                set_ticket_state(session, tickets[1], "passed_to_development", actor_kind="agent")
        async with sessions() as session:
            events = (await session.execute(TicketEvent.__table__.select().order_by(TicketEvent.id))).all()
        assert [(e.from_state, e.to_state, e.actor_kind) for e in events] == [
            ("new", "in_progress", "agent"), ("in_progress", "resolved", "agent"), ("resolved", "reopened", "user")]
        assert events[0].created_at is not None
    finally:
        await engine.dispose()
