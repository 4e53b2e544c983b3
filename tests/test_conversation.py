"""The conversation service on a real SQLite file with a fake searcher and reader."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import figures, texts
from bot.conversation import ConversationService, Incoming
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
    count_self_served,
)
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.fakes import FakeHit, FakeSchedule, FakeSearcher, fake_moderate, fake_read

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDF = b"%PDF-1.7\n" + b"\0" * 32
WEDNESDAY_NOON = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)      # 12:00 in Moscow
SATURDAY = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Chat:
    """One user's private chat: builds updates with fresh ids."""

    ids = itertools.count(1000)

    def __init__(self, service: ConversationService, chat_id: int = 42) -> None:
        self.service = service
        self.chat_id = chat_id
        self.message_ids = itertools.count(1)

    def incoming(self, type_: str, **values) -> Incoming:
        values.setdefault("message_id", next(self.message_ids))
        return Incoming(update_id=next(self.ids), chat_id=self.chat_id, user_id=self.chat_id, type=type_,
                        name="Анна", **values)

    async def say(self, text: str):
        return await self.service.handle(self.incoming("text", text=text))

    async def press(self, data: str):
        return await self.service.handle(self.incoming("press", text=data))

    async def command(self, name: str, arg: str = ""):
        return await self.service.handle(self.incoming("command", command=name, text=arg))


@pytest.fixture
async def env(tmp_path):
    engine = make_engine(database_url(tmp_path))
    files = {"png": PNG, "pdf": PDF}
    clock = {"now": WEDNESDAY_NOON}

    async def probe(file_id: str) -> bytes | None:
        return files.get(file_id)

    searcher = FakeSearcher()
    service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule(),
                                  searcher=searcher, prober=probe, hours="по рабочим дням с 8:00 до 18:00",
                                  clock=lambda: clock["now"])
    await service.start()
    yield service, engine, clock, searcher
    await engine.dispose()


async def count(engine, model) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model))).scalar_one()


async def test_full_ticket_in_one_message_then_send(env):
    service, _engine, _, _ = env
    chat = Chat(service)
    card = await chat.say("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая, жму "
                          "Сохранить — ошибка. Chrome 120, Windows 11")
    assert "Проверьте" in card[-1].text and [label for label, _ in card[-1].buttons[0]] == ["Отправить"]
    sent = await chat.press("send:")
    assert "№1" in sent[0].text and "Место в очереди: 1" in sent[0].text
    # no first responses yet: an hour of support time for each ticket in the queue
    assert "при нынешней очереди ответ здесь можно ожидать сегодня до 13:00 по московскому времени" in sent[0].text
    async with service.sessions() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket.account == "romashka.aspro.cloud" and ticket.environment == "Chrome 120, Windows 11"
        assert ticket.state == "new" and ticket.created_at.tzinfo is not None
        events = (await session.execute(select(TicketEvent))).scalars().all()
        assert [(e.from_state, e.to_state, e.actor_kind) for e in events] == [(None, "new", "user")]
        transcript = (await session.execute(select(Message).where(Message.ticket_id == 1))).scalars().all()
        assert [m.direction for m in transcript] == ["in", "out", "out"]


async def test_outside_hours_the_next_opening_is_named_and_critical_goes_first(env):
    service, _, clock, _ = env
    clock["now"] = SATURDAY
    first = Chat(service, 1)
    await first.say("Как подключить почту в romashka.aspro.cloud?")
    await first.press("send:")
    urgent = Chat(service, 2)
    answers = await urgent.say("Не открывается аккаунт vektor.aspro.cloud, всё лежит")
    assert "вне очереди" in answers[0].text
    await urgent.say("не знаю")
    await urgent.say("не знаю")
    sent = await urgent.press("send:")
    assert "Место в очереди: 1" in sent[0].text and "срочное" in sent[0].text
    assert "в понедельник, 30 ноября, в 08:00" in sent[0].text


def test_the_desks_pace_is_its_first_response_time_per_place_in_the_queue():
    schedule = FakeSchedule()
    start = WEDNESDAY_NOON
    history = [
        (start, start + timedelta(minutes=30)),                                  # alone: 30 minutes
        (start + timedelta(minutes=5), start + timedelta(minutes=65)),           # second in line: 60 / 2
        (start + timedelta(minutes=70), start + timedelta(minutes=100)),         # alone again: 30
        (start + timedelta(minutes=80), None),                                   # not answered yet: no figure
    ]
    assert figures.seconds_per_place(history, schedule) == 1800
    assert figures.seconds_per_place([(start, None)], schedule) is None
    evening = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 17:30 in Moscow, answered at 8:30 the next morning
    assert figures.seconds_per_place([(evening, evening + timedelta(hours=15))], schedule) == 3600


async def test_the_expected_answer_follows_the_desks_recent_pace(env):
    service, _, clock, _ = env
    async with service.writing() as session:
        session.add(User(id=7, name="Ранее"))
        await session.flush()
        for day in range(1, 4):  # answered in 20 working minutes, one at a time
            created = WEDNESDAY_NOON - timedelta(days=day)
            session.add(Ticket(user_id=7, chat_id=7, account="a.aspro.cloud", category="bug_report",
                               description="ранее", state="in_progress", created_at=created, queued_at=created,
                               first_response_at=created + timedelta(minutes=20)))
    first, second = Chat(service, 1), Chat(service, 2)
    for chat in (first, second):
        await chat.say("Как подключить почту в romashka.aspro.cloud?")
    assert "ожидать сегодня до 12:20 по московскому" in (await first.press("send:"))[0].text
    assert "ожидать сегодня до 12:40 по московскому" in (await second.press("send:"))[0].text  # second in line
    clock["now"] = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 2:00 at night in Moscow
    night = Chat(service, 3)
    await night.say("Как подключить почту в romashka.aspro.cloud?")
    sent = (await night.press("send:"))[0].text
    assert "приступят к обращениям сегодня в 08:00" in sent and "ожидать сегодня до 09:00" in sent


async def test_duplicated_update_has_one_effect(env):
    service, engine, _, _ = env
    chat = Chat(service)
    update = chat.incoming("text", text="Как подключить почту в romashka.aspro.cloud?")
    first = await service.handle(update)
    again = await service.handle(update)
    assert first and again == []
    press = chat.incoming("press", text="send:")
    assert await service.handle(press)
    assert await service.handle(press) == []
    assert await count(engine, Ticket) == 1
    assert await count(engine, Message) == 3  # question, card, ticket reply; the press is not a message


async def test_links_that_helped_end_as_self_served(env):
    service, engine, _, searcher = env
    chat = Chat(service)
    offered = await chat.say("Как настроить воронку продаж?")
    assert 'href="https://aspro.cloud/help/articles/1--voronki"' in offered[-1].text
    assert [row[0][1] for row in offered[-1].buttons] == ["helped:", "specialist:"]
    assert searcher.queries == ["Как настроить воронку продаж?"]
    done = await chat.press("helped:")
    assert "помогла" in done[0].text
    assert await count(engine, SelfServed) == 1 and await count(engine, Ticket) == 0
    async with service.sessions() as session:
        assert await count_self_served(session) == 1
        assert await count_self_served(session, since=WEDNESDAY_NOON + timedelta(minutes=1)) == 0


async def test_need_specialist_keeps_the_question(env):
    service, _, _, _ = env
    chat = Chat(service)
    await chat.say("Как настроить воронку продаж?")
    asked = await chat.press("specialist:")
    assert "адрес вашего аккаунта" in asked[0].text
    card = await chat.say("romashka.aspro.cloud")
    assert "Как настроить воронку продаж?" in card[0].text


async def test_wishes_are_recorded_and_refusals_store_nothing(env):
    service, engine, _, _ = env
    chat = Chat(service)
    await chat.say("Предлагаю добавить тёмную тему")
    await chat.say("Напишите скрипт оплаты через Robokassa")
    refused = await chat.say("Помогите с python скриптом для парсинга")
    assert "3.2" in refused[0].text
    async with service.sessions() as session:
        wishes = (await session.execute(select(Wish.category))).scalars().all()
    assert wishes == ["feature_request", "payment_integration_script"]
    assert await count(engine, Ticket) == 0


async def test_profanity_twice_suspends_and_is_not_passed_on(env):
    service, _engine, _, _ = env
    chat = Chat(service)
    await chat.say("Не сохраняется сделка")
    first = await chat.say("да бля опять")
    assert "переформулируйте" in first[0].text
    second = await chat.say("вы идиоты")
    assert "4.8" in second[0].text
    async with service.sessions() as session:
        conversation = await session.get(Conversation, chat.chat_id)
        assert conversation.step == "suspended" and conversation.strikes == 2
        assert conversation.data["draft"]["description"] == "Не сохраняется сделка"


async def test_an_offending_message_stays_out_of_the_ticket(env):
    service, _, _, _ = env
    chat = Chat(service)
    await chat.say("Как подключить почту?")
    await chat.say("хрень какая-то, romashka.aspro.cloud")
    await chat.say("romashka.aspro.cloud")
    sent = await chat.press("send:")
    assert "№1" in sent[0].text
    async with service.sessions() as session:
        transcript = (await session.execute(select(Message.text).where(Message.ticket_id == 1,
                                                                       Message.direction == "in"))).scalars().all()
        flagged = (await session.execute(select(Message.text).where(Message.flagged.is_(True)))).scalars().all()
    assert transcript == ["Как подключить почту?", "romashka.aspro.cloud"]
    assert flagged == ["хрень какая-то, romashka.aspro.cloud"]


async def test_pdf_refused_png_document_accepted_by_content(env):
    service, _engine, _, _ = env
    chat = Chat(service)
    await chat.say("Не сохраняется сделка в romashka.aspro.cloud, ошибка")
    refused = await service.handle(chat.incoming("media", kind="document", file_id="pdf", file_name="screen.png",
                                                 size=len(PDF)))
    assert "JPG, GIF или PNG" in refused[0].text
    accepted = await service.handle(chat.incoming("media", kind="document", file_id="png", file_name="x.pdf",
                                                  size=len(PNG)))
    assert "Скриншот добавлен" in accepted[0].text
    big = await service.handle(chat.incoming("media", kind="photo", file_id="big", size=30 * 1024 * 1024))
    assert "слишком большой" in big[0].text
    async with service.sessions() as session:
        rows = (await session.execute(select(Attachment.file_id, Attachment.accepted, Attachment.mime_detected)
                                      .order_by(Attachment.id))).all()
    assert rows == [("pdf", False, None), ("png", True, "image/png"), ("big", False, None)]


async def test_edit_updates_the_draft_and_keeps_the_old_version(env):
    service, _engine, _, _ = env
    chat = Chat(service)
    first = chat.incoming("text", text="Не сохраняется сделка в romashka.aspro.cloud, ошибка")
    await service.handle(first)
    await chat.say("Захожу в сделку и нажимаю сохранить")
    await chat.say("Chrome 119")
    edit = Incoming(update_id=next(Chat.ids), chat_id=chat.chat_id, user_id=chat.chat_id, type="edit",
                    message_id=first.message_id, text="Не сохраняется контакт в romashka.aspro.cloud, ошибка")
    answers = await service.handle(edit)
    assert "контакт" in answers[-1].text
    async with service.sessions() as session:
        versions = (await session.execute(select(MessageVersion.text))).scalars().all()
    assert versions == ["Не сохраняется сделка в romashka.aspro.cloud, ошибка"]


async def test_state_lives_in_the_database_across_service_instances(env, tmp_path):
    service, engine, clock, _ = env
    chat = Chat(service)
    await chat.say("Не сохраняется сделка, ошибка")
    again = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule(),
                                clock=lambda: clock["now"])
    chat.service = again
    asked = await chat.say("romashka.aspro.cloud")
    assert "по шагам" in asked[0].text


async def test_recovery_handles_a_stored_but_unhandled_update(env):
    service, engine, clock, _ = env
    chat = Chat(service)
    update = chat.incoming("text", text="Как подключить почту в romashka.aspro.cloud?")
    assert await service.store(update)  # ... and the process dies before handling it
    restarted = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule(),
                                    clock=lambda: clock["now"])
    pending = await restarted.recover()
    assert len(pending) == 1 and "Проверьте" in pending[0].text
    await restarted.mark_sent(pending[0], 555)
    assert await restarted.unsent() == []
    assert await restarted.handle(update) == []  # Telegram delivers it again: no second effect


async def test_a_duplicate_arriving_while_the_first_is_handled_is_dropped(env):
    service, engine, _, _ = env
    chat = Chat(service)
    update = chat.incoming("text", text="Как подключить почту в romashka.aspro.cloud?")
    first, second = await asyncio.gather(service.handle(update), service.handle(update))
    assert sorted([len(first), len(second)]) == [0, 1]
    assert await count(engine, Message) == 2


async def test_status_and_history_show_only_own_tickets_escaped(env):
    service, _, _, _ = env
    chat = Chat(service)
    await chat.say("Как подключить <b>почту</b> & календарь в romashka.aspro.cloud?")
    await chat.press("send:")
    status = await chat.command("status")
    assert "№1" in status[0].text and "в очереди" in status[0].text
    history = await chat.command("history", "1")
    assert "&lt;b&gt;почту&lt;/b&gt; &amp; календарь" in history[0].text
    stranger = Chat(service, 77)
    assert "не найдено" in (await stranger.command("history", "1"))[0].text


async def test_long_message_is_split_within_the_limit(env):
    service, _, _, _ = env
    chat = Chat(service)
    answers = await chat.say("Как подключить почту? " + "<i>&amp;</i> " * 2000 + " romashka.aspro.cloud")
    assert len(answers) > 1
    assert all(len(answer.text.encode("utf-16-le")) // 2 <= 4096 for answer in answers)
    assert answers[-1].buttons  # the buttons go with the last part


async def test_a_failing_update_gets_an_apology_and_is_not_retried_forever(env, caplog):
    _, engine, clock, _ = env

    def broken(text: str):
        raise RuntimeError("reader failed")

    failing = ConversationService(engine, reader=broken, moderator=fake_moderate, schedule=FakeSchedule(),
                                  clock=lambda: clock["now"])
    chat = Chat(failing)
    with caplog.at_level(logging.INFO):
        answers = await chat.say("Как подключить почту?")
    assert [answer.text for answer in answers] == [texts.render("processing_error")]
    assert "сохранено" in answers[0].text
    # one line in the log: the update, the exception, where it was raised; no traceback
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "\n" not in record.getMessage() and record.exc_info is None
    assert "RuntimeError: reader failed" in record.getMessage() and "test_conversation.py" in record.getMessage()
    async with engine.connect() as connection:
        done = (await connection.execute(select(ProcessedUpdate.done_at))).scalars().all()
    assert done == [None]  # kept for another try, not marked handled
    caplog.clear()
    assert await failing.recover() == []  # tried once more at the next start, failing again: no second apology
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert await failing.recover() == []  # given up after that: not tried at every start
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_a_failed_update_is_answered_when_the_next_start_handles_it(env):
    _, engine, clock, _ = env
    calls = {"n": 0}

    def flaky(text: str):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("reader failed once")
        return fake_read(text)

    first = ConversationService(engine, reader=flaky, moderator=fake_moderate, schedule=FakeSchedule(),
                                clock=lambda: clock["now"])
    chat = Chat(first)
    answers = await chat.say("Как подключить почту?")
    assert [answer.text for answer in answers] == [texts.render("processing_error")]
    later = await first.recover()  # the next start: handled now, its answer queued like any other
    assert later and all(answer.text != texts.render("processing_error") for answer in later)


async def test_links_keep_the_searchs_first_result_and_its_order(env):
    """The search ranks and gates; the dialogue never drops its first link (even when a later one
    scores higher) and keeps the others in rank order unless far weaker than the first."""
    service, _, _, searcher = env
    searcher.hits = (
        FakeHit("https://aspro.cloud/help/articles/1--a", "A", score=0.6),
        FakeHit("https://aspro.cloud/help/articles/2--b", "B", score=0.9),
        FakeHit("https://aspro.cloud/help/articles/3--c", "C", score=0.4),
    )
    hits = await service._search("как настроить воронку")
    assert [h.title for h in hits] == ["A", "B"]
