"""Ticket states from the support regulation, the transitions between them, and the queue order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TicketState(StrEnum):
    NEW = "new"                                      # in the queue, waiting for a specialist (SLA 2.1)
    IN_PROGRESS = "in_progress"                      # a specialist works on it
    NEED_INFORMATION = "need_information"            # waiting for the user (SLA 4.8, untimely information)
    PASSED_TO_DEVELOPMENT = "passed_to_development"  # fixed with an update, no date promised (SLA 2.2, 2.3)
    SUSPENDED = "suspended"                          # paused for one of the SLA 4.8 reasons
    REFUSED = "refused"                              # refused for one of the SLA 4.8 reasons
    RESOLVED = "resolved"
    REOPENED = "reopened"                            # back in the queue after the user wrote again


S = TicketState

# Back to NEW from a state a specialist works in: the assignee handed the ticket back to the queue.
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.NEED_INFORMATION, S.SUSPENDED, S.REFUSED, S.RESOLVED}),
    S.IN_PROGRESS: frozenset(
        {S.NEW, S.NEED_INFORMATION, S.PASSED_TO_DEVELOPMENT, S.SUSPENDED, S.REFUSED, S.RESOLVED}
    ),
    S.NEED_INFORMATION: frozenset({S.NEW, S.IN_PROGRESS, S.SUSPENDED, S.REFUSED, S.RESOLVED}),
    S.PASSED_TO_DEVELOPMENT: frozenset({S.NEW, S.IN_PROGRESS, S.SUSPENDED, S.RESOLVED}),
    S.SUSPENDED: frozenset({S.NEW, S.IN_PROGRESS, S.REOPENED, S.REFUSED, S.RESOLVED}),
    S.REFUSED: frozenset(),
    S.RESOLVED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset(
        {S.IN_PROGRESS, S.NEED_INFORMATION, S.PASSED_TO_DEVELOPMENT, S.SUSPENDED, S.REFUSED, S.RESOLVED}
    ),
}

# Waiting for a specialist: these make up the queue (SLA 2.1).
WAITING: frozenset[TicketState] = frozenset({S.NEW, S.REOPENED})
# Closed: no more work on them; `closed_at` is set when a ticket enters one of these.
CLOSED: frozenset[TicketState] = frozenset({S.RESOLVED, S.REFUSED})
# Open for the user: messages still belong to the ticket.
OPEN: frozenset[TicketState] = frozenset(TicketState) - CLOSED


class InvalidTransition(ValueError):
    """A state change the regulation's workflow does not allow."""

    def __init__(self, current: TicketState, target: TicketState) -> None:
        super().__init__(f"ticket cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: TicketState | str, target: TicketState | str) -> bool:
    return TicketState(target) in TRANSITIONS[TicketState(current)]


def check_transition(current: TicketState | str, target: TicketState | str) -> TicketState:
    """Return the target state, or raise `InvalidTransition`."""
    if not can_transition(current, target):
        raise InvalidTransition(TicketState(current), TicketState(target))
    return TicketState(target)


@dataclass(frozen=True, slots=True)
class QueueItem:
    number: int
    critical: bool
    queued_at: datetime


def queue_key(item: QueueItem) -> tuple[int, datetime, int]:
    """Critical tickets first, then by arrival (SLA 2.1); the number breaks ties."""
    return (0 if item.critical else 1, item.queued_at, item.number)


def queue_order(items: Iterable[QueueItem]) -> list[QueueItem]:
    return sorted(items, key=queue_key)


def place_in_queue(item: QueueItem, waiting: Iterable[QueueItem]) -> int:
    """1-based place of `item` among the waiting tickets (it need not be among them)."""
    key = queue_key(item)
    return 1 + sum(1 for other in waiting if other.number != item.number and queue_key(other) < key)
