"""The delivery queue on plain values: claims in order with leases, backoff capped and honouring Telegram's
`retry_after`, and what each answer of Telegram (or the network) becomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot import delivery
from bot.conversation import ConversationService
from bot.delivery import TOPIC, Policy, Queue, Retry, Sent, Settled
from bot.desk import BadMarkup, Blocked, Refused, TooLong, TopicMissing, Unavailable, Unchanged
from bot.storage import Message
from bot.texts import CAPTION_LIMIT, split_html, split_plain, units
from handlers.telegram_port import TelegramPort
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.fakes import FakeSchedule, fake_moderate, fake_read


@pytest.fixture
async def service(tmp_path):
    engine = make_engine(database_url(tmp_path))
    service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule())
    await service.start()
    yield service
    await service.close()
    await engine.dispose()


async def queued(service, *rows: tuple[int, int | None, datetime]) -> list[int]:
    """Rows (chat, ticket or None, due) in this order; their ids."""
    async with service.writing() as session:
        made = [Message(chat_id=chat, ticket_id=None, direction="out", author_kind="bot", text=f"m{index}",
                        route=TOPIC if ticket else None, relay_due_at=due, created_at=due)
                for index, (chat, ticket, due) in enumerate(rows)]
        session.add_all(made)
        await session.flush()
        return [row.id for row in made]


async def test_due_rows_are_claimed_in_order_once_and_never_past_an_earlier_one_still_waiting(service):
    now = datetime.now(UTC)
    past, future = now - timedelta(seconds=5), now + timedelta(seconds=600)
    a1, b1, a2, c1, c2 = await queued(service, (1, None, past), (2, None, future), (1, None, past),
                                      (3, None, past), (3, None, past))
    await queued(service, (2, None, past))  # behind b1, which waits its backoff
    until = now + timedelta(seconds=90)
    claimed = await service.transactions.write(delivery.claim, False, now, until, 10)
    assert [row.id for row in claimed] == [a1, a2, c1, c2]
    assert await service.transactions.write(delivery.claim, False, now, until, 10) == []  # held for the lease
    later = await service.transactions.write(delivery.claim, False, until + timedelta(seconds=1),
                                             until + timedelta(seconds=91), 2)
    assert [row.id for row in later] == [a1, a2]  # the lease ended (its holder died): due again, 2 at a time
    assert b1 not in [row.id for row in later]


async def test_a_failed_row_and_those_behind_it_wait_and_a_sent_one_leaves_the_queue(service):
    now = datetime.now(UTC) - timedelta(seconds=1)
    first, second = await queued(service, (1, None, now), (1, None, now))
    queue = Queue(service.transactions, Policy(first_delay=2, cap=8))
    rows = await service.transactions.write(delivery.claim, False, datetime.now(UTC),
                                            datetime.now(UTC) + timedelta(seconds=90), 10)
    assert await queue.failed(rows, Retry("502")) == 0.0  # the first failure: again at the next pass
    assert await queue.failed(rows, Retry("502"), attempts=1) == pytest.approx(2, rel=0.1)
    assert await queue.failed(rows, Retry("502"), attempts=9) == pytest.approx(8, rel=0.1)  # capped
    assert await queue.failed(rows, Retry("429", retry_after=33), attempts=9) == 33  # as Telegram said
    assert await queue.failed(rows, Retry("reset", ambiguous=True)) == pytest.approx(2, rel=0.1)  # not at once
    await service.transactions.write(delivery.settle, rows[0], Sent(555), datetime.now(UTC))
    await service.transactions.write(delivery.settle, rows[1], Settled("Bad Request: chat not found"),
                                     datetime.now(UTC))
    async with service.sessions() as session:
        one, two = await session.get(Message, first), await session.get(Message, second)
    assert one is not None and two is not None
    assert (one.relay_due_at, one.telegram_message_id, one.attempts) == (None, 555, 5)
    assert (two.relay_due_at, two.delivery_error, two.sent_at is not None) == (None, "Bad Request: chat not found",
                                                                              True)
    assert await service.unsent() == []


def method() -> SendMessage:
    return SendMessage(chat_id=1, text="x")


@pytest.mark.parametrize(("error", "expected"), [
    (TelegramBadRequest(method(), "Bad Request: message thread not found"), TopicMissing),
    (TelegramBadRequest(method(), "Bad Request: message is too long"), TooLong),
    (TelegramBadRequest(method(), "Bad Request: can't parse entities: unclosed start tag"), BadMarkup),
    (TelegramBadRequest(method(), "Bad Request: message is not modified"), Unchanged),
    (TelegramBadRequest(method(), "Bad Request: message to edit not found"), Unchanged),
    (TelegramBadRequest(method(), "Bad Request: chat not found"), Refused),
    (TelegramForbiddenError(method(), "Forbidden: bot was blocked by the user"), Blocked),
    (TelegramServerError(method(), "Internal Server Error"), Unavailable),
    (ClientDecodeError("Failed to decode object", ValueError(), "<html>502 Bad Gateway</html>"), Unavailable),
    (TelegramNetworkError(method(), "ServerDisconnectedError"), Unavailable),
    (TelegramRetryAfter(method(), "Too Many Requests: retry after 120", 120), Unavailable),
])
async def test_every_answer_becomes_what_the_queue_acts_on(error, expected):
    port = TelegramPort(bot=None, server_attempts=2)  # type: ignore[arg-type]
    calls = 0

    async def make() -> None:
        nonlocal calls
        calls += 1
        raise error

    with pytest.raises(expected) as raised:
        await port.call(1, make)
    if isinstance(error, TelegramBadRequest):
        assert "sendMessage" in str(raised.value)  # the method, for the log
    if isinstance(error, TelegramRetryAfter):
        assert raised.value.retry_after == 120 and calls == 1  # too long to wait in place: the row's next moment
    if isinstance(error, TelegramNetworkError):
        assert raised.value.ambiguous and calls == 1  # it may have gone through: not again at once
    if isinstance(error, TelegramServerError | ClientDecodeError):
        assert calls == 2  # one quick try more in place


async def test_a_part_telegram_cannot_parse_goes_again_as_plain_text():
    class Port:
        def __init__(self) -> None:
            self.sent: list[tuple[str, bool]] = []

        async def send(self, chat_id, text, *, thread_id=None, buttons=None, reply_to=None, html=True) -> int:
            if html and "<b>" in text:
                raise BadMarkup("sendMessage: Bad Request: can't parse entities")
            self.sent.append((text, html))
            return len(self.sent)

    port = Port()
    assert await delivery.send_text(port, 1, "<b>жирно &amp; смело</b>") == 1
    assert port.sent == [("жирно & смело", False)]


def test_captions_and_plain_text_split_within_their_limits():
    caption = "Подпись 😀 <b>важно</b> " * 200
    parts = split_html(caption, CAPTION_LIMIT)
    assert len(parts) > 1 and all(units(part) <= CAPTION_LIMIT for part in parts)
    text = "слово " * 3000
    chunks = split_plain(text)
    assert all(units(chunk) <= 4096 for chunk in chunks) and " ".join(chunks).split() == text.split()


async def test_while_rows_wait_their_backoff_one_is_tried_early_and_its_success_brings_the_rest_forward(service):
    now = datetime.now(UTC)
    first, second, limited = await queued(service, (1, None, now), (2, None, now), (3, None, now))
    queue = Queue(service.transactions, Policy(first_delay=60, cap=60, probe=0.0))
    rows = await service.transactions.write(delivery.claim, False, now + timedelta(seconds=1),
                                            now + timedelta(seconds=90), 10)
    for row in rows:  # Telegram failed them all; they wait a minute (the third as Telegram asked)
        await queue.failed([row], Retry("429, retry after 60", retry_after=60) if row.id == limited
                           else Retry("502"), attempts=3)
    tried: list[int] = []

    async def deliver(row):
        tried.append(row.id)
        return Sent(1000 + row.id)

    assert await queue.drain(False, deliver) is True  # nothing due: one tried early, and it went through
    assert tried == [first]
    assert await queue.drain(False, deliver) is False
    assert tried == [first, second]  # the rest came forward, but not the one Telegram asked to wait
    async with service.sessions() as session:
        waiting = await session.get(Message, limited)
    assert waiting is not None and waiting.relay_due_at is not None
