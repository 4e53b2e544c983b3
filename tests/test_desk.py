"""The desk's rules on plain values: working-hours arithmetic of reminders and the `/stats` figures,
across a weekend and a holiday (12 June 2025 is Russia Day, 13 June a day off moved by decree)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.conversation import ConversationService, Incoming
from bot.desk import Desk, need_info_due, next_working_morning
from bot.schedule import SupportSchedule
from bot.storage import Reminder, SelfServed, Ticket, TicketEvent, User
from knowledge.db import make_engine
from tests.fakes import fake_moderate, fake_read

MSK = ZoneInfo("Europe/Moscow")
SCHEDULE = SupportSchedule()
HOUR = 3600.0


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=MSK).astimezone(UTC)


def test_the_calendar_the_tests_rely_on():
    working = [day for day in range(9, 19) if SCHEDULE.is_working_day(datetime(2025, 6, day).date())]
    assert working == [9, 10, 11, 16, 17, 18]


def test_need_information_reminders_skip_the_holiday_and_the_weekend():
    asked = msk(11, 15)  # Wednesday before the long weekend
    assert need_info_due(SCHEDULE, asked, 1) == msk(16, 15)  # Monday, not Thursday (a holiday)
    assert need_info_due(SCHEDULE, asked, 3) == msk(18, 15)
    assert need_info_due(SCHEDULE, asked, 5) == datetime(2025, 6, 20, 15, tzinfo=MSK)


def test_a_reminder_due_after_hours_waits_for_the_opening():
    asked = msk(11, 19)  # after closing: one working day later is Monday 19:00, after hours too
    assert need_info_due(SCHEDULE, asked, 1) == msk(17, 8)


def test_access_removal_is_reminded_the_next_working_morning():
    assert next_working_morning(SCHEDULE, msk(11, 16)) == msk(16, 8)
    assert next_working_morning(SCHEDULE, msk(14, 12)) == msk(17, 8)  # closed on a Saturday
    assert next_working_morning(SCHEDULE, msk(16, 7)) == msk(17, 8)   # before Monday's opening


class Silent:
    """A port the figures never use: any call is a failure of the test."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the desk called Telegram ({name}) while computing figures")


class Recording:
    """A port that records what the desk sends (for the reminder rules)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, chat_id, text, *, thread_id=None, buttons=None, reply_to=None) -> int:
        self.sent.append((chat_id, text))
        return len(self.sent)

    async def set_topic_open(self, chat_id, thread_id, is_open) -> None:
        self.sent.append((chat_id, f"topic open={is_open}"))


@pytest.fixture
async def store(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=SCHEDULE)
    await service.start()
    yield service
    await engine.dispose()


def ticket(number: int, created: datetime, **values) -> Ticket:
    fields = {"id": number, "user_id": 7, "chat_id": 7, "account": "romashka.aspro.cloud", "category": "bug_report",
              "description": f"Проблема {number}", "state": "new", "queued_at": created, "created_at": created,
              "updated_at": created}
    return Ticket(**{**fields, **values})


async def test_stats_in_working_hours_across_the_holiday_weekend(store):
    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        # created Wednesday 17:00, answered Monday 9:00 (2 working hours), resolved Monday 12:00 (5 h)
        session.add(ticket(1, msk(11, 17), state="resolved", first_response_at=msk(16, 9), closed_at=msk(16, 12),
                           csat=5))
        # created Tuesday 10:00, answered 10:30 (0.5 h), resolved Wednesday 10:00 (8 + 2 = 10 h)
        session.add(ticket(2, msk(10, 10), state="resolved", first_response_at=msk(10, 10, 30),
                           closed_at=msk(11, 10), csat=3, category="setup_consultation"))
        session.add(ticket(3, msk(16, 9), state="suspended", critical=True, reason="untimely_information"))
        session.add(TicketEvent(ticket_id=3, from_state="need_information", to_state="suspended",
                                actor_kind="system", reason="untimely_information", created_at=msk(16, 9)))
        session.add(SelfServed(user_id=7, chat_id=7, query="как настроить воронку", created_at=msk(16, 10)))
        session.add(ticket(4, msk(1, 10)))  # outside a 7-day window
    desk = Desk(store, Silent(), group_id=-100, schedule=SCHEDULE, clock=lambda: msk(17, 9))
    figures = await desk.stats(7)
    assert figures["tickets"] == 3
    assert figures["by_state"] == {"resolved": 2, "suspended": 1}
    assert figures["by_category"] == {"bug_report": 2, "setup_consultation": 1}
    assert figures["by_criticality"] == {"normal": 2, "critical": 1}
    assert figures["median_first_response"] == pytest.approx(1.25 * HOUR)
    assert figures["median_resolution"] == pytest.approx(7.5 * HOUR)
    assert figures["csat_average"] == pytest.approx(4.0) and figures["csat_count"] == 2
    assert figures["self_served"] == 1 and figures["self_served_share"] == pytest.approx(0.25)
    assert figures["suspended_by_reason"] == {"untimely_information": 1}
    assert (await desk.stats(30))["tickets"] == 4


async def test_queue_waits_in_working_hours_critical_first(store):
    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        session.add(ticket(1, msk(11, 17)))                 # Wed 17:00 → Mon 12:00: 1 + 4 = 5 h
        session.add(ticket(2, msk(16, 11), critical=True))  # Mon 11:00 → 12:00: 1 h
        session.add(ticket(3, msk(16, 9), state="in_progress"))
    desk = Desk(store, Silent(), group_id=-100, schedule=SCHEDULE, clock=lambda: msk(16, 12))
    queue = await desk.queue()
    assert [item["number"] for item in queue] == [2, 1]
    assert [item["waiting"] / HOUR for item in queue] == pytest.approx([1.0, 5.0])


async def test_no_answer_suspends_with_the_48_reason_after_the_configured_days(store):
    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        session.add(ticket(1, msk(10, 9), state="in_progress", topic_id=5, assignee_id=1, assignee_name="Анна"))
    now = {"at": msk(11, 15)}
    port = Recording()
    desk = Desk(store, port, group_id=-100, schedule=SCHEDULE, need_info_suspend_days=2, clock=lambda: now["at"])
    assert await desk.act(1, "need_information", 1, "Анна") is None
    async with store.sessions() as session:
        due = [(r.kind, r.due_at) for r in (await session.execute(select(Reminder).order_by(Reminder.id))).scalars()]
    assert due == [("need_info", msk(16, 15)), ("need_info", msk(18, 15)), ("need_info_suspend", msk(17, 15))]
    now["at"] = msk(16, 15)
    assert await desk.run_due() == 1
    assert await desk.run_due() == 0  # idempotent
    now["at"] = msk(17, 15)
    assert await desk.run_due() == 1
    async with store.sessions() as session:
        suspended = await session.get(Ticket, 1)
        assert suspended is not None and suspended.state == "suspended"
        assert suspended.reason == "untimely_information"
    to_user = [text for chat, text in port.sent if chat == 7]
    assert "Напоминаем" in to_user[1] and "приостановлена" in to_user[-1] and "4.8" in to_user[-1]
    now["at"] = msk(18, 16)  # the 3-day reminder was cancelled with the suspension
    assert await desk.run_due() == 0


def test_the_card_shows_links_earlier_tickets_and_escapes_what_the_user_wrote():
    from bot import texts

    card = texts.ticket_card({
        "number": 7, "user": "Анна <script>", "account": "romashka.aspro.cloud", "category": "bug_report",
        "critical": False, "state": "new", "description": "Ошибка <b>500</b> & всё", "steps": None,
        "steps_unknown": True, "environment": "Chrome 120", "article_read": None,
        "help_links": [{"url": "https://aspro.cloud/help/deals/", "title": "Сделки", "heading": "Сохранение"}],
        "earlier": [{"number": 3, "state": "resolved", "description": "Не приходят письма"}], "screenshots": 2})
    assert "Ошибка &lt;b&gt;500&lt;/b&gt; &amp; всё" in card and "Анна &lt;script&gt;" in card
    assert '<a href="https://aspro.cloud/help/deals/">Сделки — Сохранение</a>' in card
    assert "#3 (решено): Не приходят письма" in card
    assert "пользователь не знает" in card and "Скриншотов: 2" in card
    assert texts.plain(card).count("Обращение #7") == 1


async def test_the_group_gate_lets_the_limit_through_then_waits_for_the_window():
    from handlers.telegram_port import RateGate

    now = {"t": 100.0}
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now["t"] += seconds

    gate = RateGate(3, clock=lambda: now["t"], sleep=sleep)
    for _ in range(3):
        await gate.wait(-100)
        now["t"] += 1.0
    assert slept == []
    await gate.wait(-100)  # the fourth within a minute waits until the first leaves the window
    assert slept == [pytest.approx(57.0)] and now["t"] == pytest.approx(160.0)
    await gate.wait(-200)  # another group is not held up
    assert len(slept) == 1


class Relaying(Recording):
    def __init__(self) -> None:
        super().__init__()
        self.copied: list[tuple[int, int, int]] = []
        self.edited: list[tuple[int, str]] = []  # (message id, text) of each edit

    async def member_status(self, chat_id, user_id) -> str:
        return "member"

    async def copy(self, chat_id, from_chat_id, message_id, *, thread_id=None, reply_to=None) -> int:
        self.copied.append((chat_id, from_chat_id, message_id))
        return 1000 + message_id

    async def edit(self, chat_id, message_id, text, buttons=None) -> None:
        self.edited.append((message_id, text))


async def test_an_agents_message_stored_by_a_run_that_died_is_relayed_once_on_the_next_start(store):
    from bot.desk import AgentMessage

    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        session.add(ticket(1, msk(10, 9), state="in_progress", topic_id=5, assignee_id=1, assignee_name="Анна"))
    answer = AgentMessage(update_id=10, user_id=1, name="Анна", message_id=33, thread_id=5, text="Ответ")
    died = Desk(store, Relaying(), group_id=-100, schedule=SCHEDULE)
    assert await died.seen(answer)  # stored while polling; the process dies before handling it
    assert await store.recover() == []  # the dialogue leaves the group's updates to the desk

    port = Relaying()
    restarted = Desk(store, port, group_id=-100, schedule=SCHEDULE)
    assert await restarted.recover() == 1
    assert port.copied == [(7, -100, 33)]
    assert not await restarted.seen(answer)  # Telegram re-delivers it: no second effect
    assert await restarted.recover() == 0
    assert port.copied == [(7, -100, 33)]


class Judging(Relaying):
    """A relaying port that also reads files' heads (the intake's prober) and counts the reads."""

    def __init__(self, heads: dict[str, bytes]) -> None:
        super().__init__()
        self.heads = heads
        self.read: list[str] = []

    async def probe(self, file_id: str) -> bytes | None:
        self.read.append(file_id)
        return self.heads.get(file_id)


def sent_file(update_id: int, file_id: str, **values) -> Incoming:
    fields = {"update_id": update_id, "chat_id": 7, "user_id": 7, "type": "media", "kind": "document",
              "file_id": file_id, "message_id": 100 + update_id}
    return Incoming(**{**fields, **values})


async def relaying_desk(store, port: Judging, *tickets: Ticket, clock=lambda: msk(16, 12)) -> Desk:
    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        session.add_all(tickets)
    store.prober = port.probe
    desk = Desk(store, port, group_id=-100, schedule=SCHEDULE, clock=clock)
    store.desk = desk
    return desk


async def test_a_file_too_big_or_an_album_of_pdfs_is_refused_once_and_never_relayed(store):
    from bot.storage import Attachment

    port = Judging({"pdf1": b"%PDF-1.7\n", "pdf2": b"%PDF-1.7\n"})
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="in_progress", topic_id=5, assignee_id=1,
                                            assignee_name="Анна"))
    [big] = await store.handle(sent_file(1, "big", file_name="screen.png", size=11 * 1024 * 1024))
    assert "слишком большой" in big.text and "10 МБ" in big.text
    assert port.read == []  # its size refuses it: never downloaded
    album = [sent_file(n, f"pdf{n - 1}", file_name=f"scan{n}.pdf", size=2048, media_group_id="album") for n in (2, 3)]
    [refused] = await store.handle(album[0])
    assert "JPG, GIF или PNG" in refused.text
    assert await store.handle(album[1]) == []  # one album, answered once (as the intake does)
    await desk.relay_pending()  # what the ticker would copy to the topic
    assert port.read == ["pdf1", "pdf2"] and port.copied == []
    notes = [text for chat, text in port.sent if chat == -100]
    assert len(notes) == 2 and "больше 10 МБ" in notes[0] and "scan2.pdf" in notes[1]
    async with store.sessions() as session:
        files = (await session.execute(select(Attachment).order_by(Attachment.id))).scalars().all()
    assert [(f.ticket_id, f.accepted) for f in files] == [(1, False)] * 3


async def test_a_refused_file_does_not_reopen_a_resolved_ticket(store):
    port = Judging({})
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="resolved", topic_id=5, closed_at=msk(16, 11)))
    [answer] = await store.handle(Incoming(update_id=1, chat_id=7, user_id=7, type="unsupported", kind="voice",
                                           message_id=50))
    assert "Голосовые сообщения" in answer.text  # the dialogue's own answer
    async with store.sessions() as session:
        resolved = await session.get(Ticket, 1)
    assert resolved is not None and resolved.state == "resolved"
    await desk.relay_pending()
    assert port.copied == [] and port.sent == []


async def test_a_screenshot_held_by_the_which_ticket_question_joins_the_ticket_chosen(store):
    from bot.storage import Attachment, Message

    port = Judging({})
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="in_progress", topic_id=5),
                        ticket(2, msk(16, 10), state="in_progress", topic_id=6))
    [question] = await store.handle(sent_file(1, "shot", kind="photo", size=50_000))
    assert "несколько открытых" in question.text
    choice = question.buttons[1][0][1]
    assert choice.startswith("to:2:")
    await store.handle(Incoming(update_id=2, chat_id=7, user_id=7, type="press", text=choice))
    await desk.relay_pending()  # what the ticker would copy to the topic
    assert port.copied == [(-100, 7, 101)]
    async with store.sessions() as session:
        [shot] = (await session.execute(select(Attachment))).scalars().all()
        row = await session.get(Message, shot.message_id)
    assert (shot.ticket_id, shot.accepted, shot.mime_detected) == (2, True, "image/jpeg")
    assert row is not None and row.ticket_id == 2


async def test_screenshots_added_to_an_open_ticket_are_counted_on_its_card(store):
    import asyncio

    from bot.storage import Conversation, Message

    port = Judging({})
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="in_progress", topic_id=5),
                               ticket(2, msk(16, 10), state="new", topic_id=6))
    async with store.writing() as session:
        session.add_all([Message(chat_id=-100, ticket_id=number, direction="out", author_kind="bot", kind="card",
                                 text="card", topic_message_id=card) for number, card in ((1, 70), (2, 80))])

    async def settled() -> None:
        while desk._background:
            await asyncio.gather(*desk._background)

    await store.handle(Incoming(update_id=1, chat_id=7, user_id=7, type="text", text="Ещё подробности",
                                message_id=50, reply_to=0))
    await settled()
    assert port.edited == []  # a text changes nothing on the card
    await store.handle(sent_file(2, "shot1", kind="photo", size=50_000))  # two open: which ticket?
    await settled()
    assert port.edited == []  # held until the user chooses
    async with store.sessions() as session:
        row = (await session.execute(select(Message.id).where(Message.update_id == 2))).scalar_one()
    await store.handle(Incoming(update_id=3, chat_id=7, user_id=7, type="press", text=f"to:1:{row}"))
    await settled()
    assert port.edited and port.edited[-1][0] == 70 and "Скриншотов: 1" in port.edited[-1][1]
    album = [sent_file(n, f"shot{n}", kind="photo", size=50_000, media_group_id="a", reply_to=0) for n in (4, 5, 6)]
    async with store.writing() as session:  # the user last wrote in ticket 1: the album goes there
        session.add(Conversation(chat_id=7, user_id=7, last_ticket_id=1))
    before = len(port.edited)
    for shot in album:
        await store.handle(shot)
    await settled()
    assert 1 <= len(port.edited) - before <= 3
    assert port.edited[-1][0] == 70 and "Скриншотов: 4" in port.edited[-1][1]  # the last edit counts them all


async def test_a_ticket_waiting_for_information_returns_to_the_queue_and_its_reminders_stop(store):
    async with store.writing() as session:
        session.add(User(id=7, name="Клиент"))
        await session.flush()
        session.add(ticket(1, msk(10, 9), state="in_progress", topic_id=5, assignee_id=1, assignee_name="Анна"))
    port = Recording()
    desk = Desk(store, port, group_id=-100, schedule=SCHEDULE, admin_ids=(9,), clock=lambda: msk(11, 15))
    assert await desk.act(1, "need_information", 1, "Анна") is None
    assert "может только" in (await desk.act(1, "release", 2, "Борис") or "")  # not theirs: nothing changes
    assert await desk.act(1, "release", 1, "Анна") is None
    async with store.sessions() as session:
        released = await session.get(Ticket, 1)
        reminders = (await session.execute(select(Reminder.outcome))).scalars().all()
        events = (await session.execute(select(TicketEvent.from_state, TicketEvent.to_state)
                                        .order_by(TicketEvent.id))).all()
    assert released is not None and (released.state, released.assignee_id) == ("new", None)
    assert released.queued_at == msk(10, 9)  # its place by arrival is kept (SLA 2.1)
    assert reminders == ["cancelled"] * 3
    assert events[-1] == ("need_information", "new")
    assert [item["number"] for item in await desk.queue()] == [1]
    assert "вернул(а) обращение #1 в очередь (было: нужна информация)" in port.sent[-1][1]
    assert "и так в очереди" in (await desk.act(1, "release", 9, "Админ") or "")


class Throttled(Judging):
    """The group is behind Telegram's rate: copies fail with Unavailable until `open` is set."""

    def __init__(self) -> None:
        super().__init__({})
        self.open = False
        self.gone: set[int] = set()  # messages the user deleted: Telegram refuses to copy them

    async def copy(self, chat_id, from_chat_id, message_id, *, thread_id=None, reply_to=None) -> int:
        from bot.desk import Refused, Unavailable

        if not self.open:
            raise Unavailable("429 for too long")
        if message_id in self.gone:
            raise Refused("Bad Request: message to copy not found")
        return await super().copy(chat_id, from_chat_id, message_id, thread_id=thread_id, reply_to=reply_to)


def said(update_id: int, text: str) -> Incoming:
    return Incoming(update_id=update_id, chat_id=7, user_id=7, type="text", text=text, message_id=100 + update_id)


async def test_the_user_is_acknowledged_at_once_and_the_copy_waits_for_the_group(store):
    from bot.storage import Message

    port = Throttled()
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="in_progress", topic_id=5))
    [ack] = await store.handle(said(1, "Вот ещё подробности"))
    [ack2] = await store.handle(said(2, "И ещё одно"))
    assert "№1" in ack.text and "№1" in ack2.text  # answered while the group's copies cannot be made
    assert await desk.relay_pending() is False and port.copied == []  # stays queued: nothing lost
    port.open = True
    assert await desk.relay_pending() is False
    assert port.copied == [(-100, 7, 101), (-100, 7, 102)]  # in the order written
    async with store.sessions() as session:
        rows = (await session.execute(select(Message.telegram_message_id, Message.topic_message_id,
                                             Message.relay_due_at).where(Message.direction == "in")
                                      .order_by(Message.id))).all()
    assert [tuple(row) for row in rows] == [(101, 1101, None), (102, 1102, None)]
    assert await desk.relay_pending() is False and len(port.copied) == 2  # copied once


async def test_a_copy_queued_before_a_stop_is_made_by_the_next_run_and_a_deleted_message_is_dropped(store):
    port = Throttled()
    desk = await relaying_desk(store, port, ticket(1, msk(16, 9), state="in_progress", topic_id=5))
    for n in range(1, 4):
        await store.handle(said(n, f"Сообщение {n}"))
    assert port.copied == []
    # the process stops here; the next one finds the queue in the database
    port = Throttled()
    port.open = True
    port.gone = {102}
    restarted = Desk(store, port, group_id=-100, schedule=SCHEDULE, clock=lambda: msk(16, 12))
    assert await restarted.relay_pending(batch=2) is True  # two at a time: one more waits
    assert await restarted.relay_pending(batch=2) is False
    assert port.copied == [(-100, 7, 101), (-100, 7, 103)]  # the deleted one refused for good, not retried
    assert await restarted.relay_pending() is False and len(port.copied) == 2
    del desk
