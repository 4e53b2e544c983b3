"""The agents' desk end to end: the real bot (aiogram in long polling) against the Bot API emulator,
agents in a forum supergroup, the user in a private chat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.storage import Attachment, Conversation, Message, Reminder, Ticket, TicketEvent, User
from tests.botrunner import BotRunner, bot_settings, running_desk
from tests.emulator import sample_jpeg, sample_pdf, sample_png
from tests.mirror import serving

FULL = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю "
        "поля и жму «Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")
CRITICAL = ("Всё упало, аккаунт romashka.aspro.cloud не открывается вообще ни у кого, ошибка 502 на всех "
            "страницах. Chrome 120, Windows 11. Шаги: просто открываю адрес.")


class Clock:
    """The desk's time, moved by the test (reminders are driven by it, never by sleeping)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def desk_world(emulator):
    anna = emulator.create_user("Анна", username="anna_agent")
    boris = emulator.create_user("Борис", username="boris_agent")
    admin = emulator.create_user("Админ", username="admin")
    group = emulator.create_group("Поддержка Аспро.Cloud", members=(anna, boris), admins=(admin,))
    return group, anna, boris, admin


@pytest.fixture
async def runner(emulator, tmp_path, desk_world):
    group, _anna, _boris, admin = desk_world
    # reminders are driven by the test's clock only
    async with running_desk(emulator, tmp_path / "bot.sqlite3", group.id, admin.id) as runner:
        yield runner


async def file_ticket(emulator, user, text=FULL, screenshot: bytes | None = None):
    """The user's dialogue up to a confirmed ticket; returns the bot's «registered» message."""
    if screenshot is not None:
        await emulator.user_sends(user, photo=screenshot)
        await emulator.wait_for_bot_message(user)
    await emulator.user_sends(user, text)
    while True:
        message = await emulator.wait_for_bot_message(user)
        if any("Отправить" in label for label in message.button_texts):
            break
        if any("Нужна помощь" in label for label in message.button_texts):
            await emulator.user_presses(user, message, button="Нужна помощь")
    await emulator.user_presses(user, message, button="Отправить")
    return await emulator.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""))


async def card_of(emulator, group, number: int):
    topic = None
    for _ in range(200):  # up to 10 s: the topic is opened in the background once the ticket exists
        try:
            topic = emulator.topic_named(group, f"#{number} ·")
            break
        except Exception:
            await asyncio.sleep(0.05)
    assert topic is not None, f"no topic for ticket #{number}"
    card = await emulator.wait_for_bot_message(group, lambda m: m.callback_data("Взять") is not None,
                                               thread_id=topic.thread_id)
    return topic, card


async def taken_ticket(emulator, group, agent):
    """A user's ticket #1, taken by `agent`; the user told so."""
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user)
    topic, card = await card_of(emulator, group, 1)
    await emulator.user_presses(agent, card, button="Взять")
    await emulator.wait_for_bot_message(user, lambda m: "подключился" in (m.text or ""))
    return user, topic, card


async def rows(runner: BotRunner, query):
    assert runner.app is not None
    async with runner.app.service.sessions() as session:
        return (await session.execute(query)).scalars().all()


async def test_the_whole_life_of_a_ticket(runner, emulator, desk_world):
    group, anna, boris, _admin = desk_world
    user = emulator.create_user("Пользователь", username="client")
    await file_ticket(emulator, user, screenshot=sample_png(640, 480))
    topic, card = await card_of(emulator, group, 1)
    assert "romashka.aspro.cloud" in topic.name and not topic.name.startswith("🔥")
    for expected in ("romashka.aspro.cloud", "ошибка", "Описание", "Шаги воспроизведения", "Chrome 120"):
        assert expected in card.text
    # the screenshot re-sent into the topic, after the card
    await emulator.wait_for_bot_message(group, lambda m: m.kind == "photo", thread_id=topic.thread_id)
    await emulator.settle(quiet=0.3)
    screenshots = [m for m in emulator.sent(group, thread_id=topic.thread_id) if m.kind == "photo"]
    assert len(screenshots) == 1

    # two agents press «Взять»: the first takes it, the second is told who has it
    await emulator.user_presses(anna, card, button="Взять")
    taken = await emulator.wait_for_bot_message(group, lambda m: "взял" in (m.text or ""), thread_id=topic.thread_id)
    assert "Анна" in taken.text
    joined = await emulator.wait_for_bot_message(user)
    assert "подключился специалист Анна" in joined.text
    await emulator.wait_for_edit(card)
    [current] = [m for m in emulator.sent(group, thread_id=topic.thread_id) if m.message_id == card.message_id]
    assert "в работе · ведёт Анна" in current.text and current.callback_data("Взять")  # buttons kept
    query = await emulator.user_presses(boris, card, button="Взять")
    answer = await emulator.wait_for_callback_answer(query)
    assert "уже ведёт" in answer.text and "Анна" in answer.text

    # relay both ways, with a photo; the bot says nothing else to the user
    await emulator.user_sends(anna, "Здравствуйте! Пришлите, пожалуйста, скриншот ошибки.", chat=group,
                              thread_id=topic.thread_id)
    relayed = await emulator.wait_for_bot_message(user)
    assert relayed.text == "Здравствуйте! Пришлите, пожалуйста, скриншот ошибки."
    await emulator.user_sends(user, photo=sample_jpeg(800, 600), caption="Вот он")
    copy = await emulator.wait_for_bot_message(group, lambda m: m.text == "Вот он", thread_id=topic.thread_id)
    assert copy.kind == "photo" and copy.text == "Вот он"
    await emulator.user_sends(anna, "Спасибо, вижу", chat=group, thread_id=topic.thread_id, reply_to=copy)
    thanks = await emulator.wait_for_bot_message(user)
    assert thanks.text == "Спасибо, вижу" and thanks.data["reply_to_message"]["caption"] == "Вот он"
    await emulator.user_sends(anna, "// похоже на баг в форме сделки", chat=group, thread_id=topic.thread_id)
    await emulator.user_sends(anna, document=("fix.png", sample_png(10, 10)), caption="Инструкция",
                              chat=group, thread_id=topic.thread_id)
    document = await emulator.wait_for_bot_message(user)
    assert document.text == "Инструкция"  # the note before it never reached the user
    await emulator.settle()
    assert not any("похоже на баг" in m.text for m in emulator.sent(user))

    # the user replies to the agent's message: the copy in the topic replies to the agent's original
    await emulator.user_sends(user, "Ответ на ваш вопрос", reply_to=relayed)
    reply_copy = await emulator.wait_for_bot_message(group, lambda m: m.text == "Ответ на ваш вопрос",
                                                     thread_id=topic.thread_id)
    assert reply_copy.data["reply_to_message"]["text"].startswith("Здравствуйте! Пришлите")

    # need information → a reminder after one working day, driven by the desk's clock
    assert runner.app is not None and runner.app.desk is not None
    clock = Clock(datetime(2025, 12, 5, 9, 0, tzinfo=UTC))  # Friday, 12:00 in Moscow
    runner.app.desk.clock = clock
    await emulator.user_presses(anna, card, button="Нужна информация")
    asked = await emulator.wait_for_bot_message(user)
    assert "нужна дополнительная информация" in asked.text
    assert await runner.app.desk.run_due() == 0
    clock.advance(days=1)  # Saturday: not a working day yet
    assert await runner.app.desk.run_due() == 0
    clock.advance(days=2)  # Monday 12:00: one working day later
    assert await runner.app.desk.run_due() == 1
    reminder = await emulator.wait_for_bot_message(user)
    assert "Напоминаем" in reminder.text and "4.8" in reminder.text
    assert await runner.app.desk.run_due() == 0  # sent once

    # admin access (SLA 4.3), then resolved: the topic closes, CSAT, the removal reminder
    await emulator.user_presses(anna, card, button="Доступ администратора")
    request = await emulator.wait_for_bot_message(user)
    assert "администратором" in request.text and "4.3" in request.text
    await emulator.user_sends(user, "Добавила доступ")
    answer = await emulator.wait_for_bot_message(group, lambda m: m.text == "Добавила доступ",
                                                 thread_id=topic.thread_id)
    changed = await emulator.wait_for_bot_message(group, lambda m: m.text.startswith("Пользователь:"),
                                                  thread_id=topic.thread_id)
    assert changed.message_id > answer.message_id  # the topic reads in order: the answer, then what it changed
    await emulator.user_presses(anna, card, button="Решено")
    resolved = await emulator.wait_for_bot_message(user)
    assert "решено" in resolved.text and [b["text"] for b in resolved.buttons] == ["1", "2", "3", "4", "5"]
    removal = await emulator.wait_for_bot_message(user)
    assert "удалите сотрудника" in removal.text and removal.callback_data("Удалил") == "removed:1"
    await emulator.settle()
    assert emulator.topic_named(group, "#1 ·").closed
    await emulator.user_presses(user, resolved, button="5")
    assert "Спасибо за оценку" in (await emulator.wait_for_bot_message(user)).text

    clock.advance(days=1)  # the next working day: reminded once more
    assert await runner.app.desk.run_due() == 1
    again = await emulator.wait_for_bot_message(user)
    assert "удалите сотрудника" in again.text
    await emulator.user_presses(user, again, button="Удалил")
    assert "доступ сотрудника поддержки удалён" in (await emulator.wait_for_bot_message(user)).text

    [ticket] = await rows(runner, select(Ticket))
    assert ticket.state == "resolved" and ticket.csat == 5 and ticket.assignee_name == "Анна"
    assert ticket.first_response_at is not None
    events = await rows(runner, select(TicketEvent).order_by(TicketEvent.id))
    assert [(e.to_state, e.actor_kind) for e in events] == [
        ("new", "user"), ("in_progress", "agent"), ("need_information", "agent"),
        ("in_progress", "user"),  # the user's answer ends the wait for information (SLA 4.8)
        ("resolved", "agent")]
    assert events[1].actor_id == anna.id
    transcript = await rows(runner, select(Message).where(Message.ticket_id == 1).order_by(Message.id))
    notes = [m for m in transcript if m.internal and m.author_kind == "agent"]
    assert [m.text for m in notes] == ["// похоже на баг в форме сделки"]
    agents = [m for m in transcript if m.author_kind == "agent" and not m.internal]
    assert {m.author_id for m in agents} == {anna.id} and len(agents) == 3
    reminders = await rows(runner, select(Reminder).order_by(Reminder.id))
    assert [(r.kind, r.outcome) for r in reminders] == [
        ("need_info", "sent"), ("need_info", "cancelled"), ("need_info_suspend", "cancelled"),
        ("access_removal", "sent")]


async def test_outsiders_are_ignored_and_commands_work(runner, emulator, desk_world):
    group, anna, _boris, admin = desk_world
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user)
    topic, card = await card_of(emulator, group, 1)
    outsider = emulator.create_user("Посторонний")
    emulator.set_member(group, outsider, "restricted")  # a guest the admins limited: not an agent
    await emulator.user_sends(outsider, "/take", chat=group, thread_id=topic.thread_id)
    await emulator.user_presses(outsider, card, button="Взять")
    await emulator.settle(0.3)
    [ticket] = await rows(runner, select(Ticket))
    assert ticket.assignee_id is None  # a non-agent's /take is ignored
    assert not any("взял" in m.text for m in emulator.sent(group, thread_id=topic.thread_id))

    # users reach only their own tickets: a forged press on someone else's ticket does nothing
    intruder = emulator.create_user("Чужой клиент")
    await emulator.user_sends(intruder, "/start")
    await emulator.wait_for_bot_message(intruder)
    await emulator.user_presses(intruder, emulator.sent(intruder)[0], "csat:1:1", forge=True)
    await emulator.settle(0.3)
    [ticket] = await rows(runner, select(Ticket))
    assert ticket.csat is None

    await emulator.user_sends(anna, "/queue", chat=group)
    queue = await emulator.wait_for_bot_message(group, lambda m: "Очередь" in (m.text or ""))
    assert "#1" in queue.text and "раб. ч" in queue.text
    await emulator.user_sends(anna, "/take 1", chat=group)  # in General, naming the ticket
    await emulator.wait_for_bot_message(group, lambda m: "взял" in (m.text or ""), thread_id=topic.thread_id)
    await emulator.user_sends(anna, "/stats", chat=group)
    assert "admins" not in (await emulator.wait_for_bot_message(group)).text  # «только администраторам»
    await emulator.user_sends(admin, "/stats 7", chat=group)
    stats = await emulator.wait_for_bot_message(group, lambda m: "Статистика" in (m.text or ""))
    assert "Обращений: 1" in stats.text and "в работе: 1" in stats.text
    await emulator.user_sends(admin, "/health", chat=group)
    health = await emulator.wait_for_bot_message(group, lambda m: "Состояние" in (m.text or ""))
    assert "База данных: доступна" in health.text and "Очередь: 0" in health.text


async def test_critical_ticket_is_announced_in_general(runner, emulator, desk_world):
    group, *_ = desk_world
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user, CRITICAL)
    topic, card = await card_of(emulator, group, 1)
    assert topic.name.startswith("🔥") and "КРИТИЧНОЕ" in card.text
    announce = await emulator.wait_for_bot_message(group, lambda m: "Критичное обращение" in (m.text or ""))
    assert announce.thread_id is None and str(topic.thread_id) in announce.text


async def test_deleted_topic_is_recreated_with_the_card(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    emulator.delete_topic(group, topic.thread_id)
    await emulator.user_sends(user, "Ещё одна деталь: ошибка только в Chrome")
    new_topic, new_card = await card_of(emulator, group, 1)
    assert new_topic.thread_id != topic.thread_id and "Обращение #1" in new_card.text
    copied = await emulator.wait_for_bot_message(group, lambda m: "Ещё одна деталь" in (m.text or ""),
                                                 thread_id=new_topic.thread_id)
    assert copied.thread_id == new_topic.thread_id
    [ticket] = await rows(runner, select(Ticket))
    assert ticket.topic_id == new_topic.thread_id


async def test_an_edit_of_the_filed_request_reaches_the_topic(runner, emulator, desk_world):
    group, *_ = desk_world
    user = emulator.create_user("Клиент")
    request = await emulator.user_sends(user, FULL)
    card = await emulator.wait_for_bot_message(user, lambda m: any("Отправить" in b for b in m.button_texts))
    await emulator.user_presses(user, card, button="Отправить")
    await emulator.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""))
    topic, _card = await card_of(emulator, group, 1)
    await emulator.user_edits(user, request, FULL.replace("сделка", "задача"))
    edited = await emulator.wait_for_bot_message(group, lambda m: "исправил" in (m.text or ""),
                                                 thread_id=topic.thread_id)
    assert "Не сохраняется задача" in edited.text and "прежний текст" in edited.text


async def test_edit_reaches_the_topic_marked_and_history_is_kept(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    original = await emulator.user_sends(user, "Ошибка в разделе Сделки")
    await emulator.wait_for_bot_message(group, lambda m: m.text == "Ошибка в разделе Сделки",
                                        thread_id=topic.thread_id)
    await emulator.user_edits(user, original, "Ошибка в разделе Задачи")
    edited = await emulator.wait_for_bot_message(group, lambda m: "(изменено)" in (m.text or ""),
                                                 thread_id=topic.thread_id)
    assert edited.text == "(изменено) Ошибка в разделе Задачи"
    [row] = await rows(runner, select(Message).where(Message.text == "Ошибка в разделе Задачи")
                       .options(selectinload(Message.versions)))
    assert [v.text for v in row.versions] == ["Ошибка в разделе Сделки"]
    await emulator.settle()
    assert len(emulator.sent(user)) == 3  # the summary, «registered», «a specialist joined»: nothing more

    # an agent's edit reaches the user marked, as a reply to the first version; the transcript keeps both
    said = await emulator.user_sends(anna, "Проверьте раздел Сделки", chat=group, thread_id=topic.thread_id)
    first = await emulator.wait_for_bot_message(user, lambda m: m.text == "Проверьте раздел Сделки")
    await emulator.user_edits(anna, said, "Проверьте раздел Задачи")
    fixed = await emulator.wait_for_bot_message(user, lambda m: "(изменено)" in (m.text or ""))
    assert fixed.text == "(изменено) Проверьте раздел Задачи"
    assert fixed.data["reply_to_message"]["message_id"] == first.message_id
    [agent_row] = await rows(runner, select(Message).where(Message.author_kind == "agent")
                             .options(selectinload(Message.versions)))
    assert agent_row.text == "Проверьте раздел Задачи"
    assert [v.text for v in agent_row.versions] == ["Проверьте раздел Сделки"]

    # SLA 4.2: an insult is kept for the record, never passed to the agents; the user is asked to rephrase
    await emulator.user_sends(user, "Вы там все идиоты, когда почините?")
    assert "переформулируйте" in (await emulator.wait_for_bot_message(user)).text
    await emulator.settle()
    assert not any("идиоты" in (m.text or "") for m in emulator.sent(group, thread_id=topic.thread_id))


async def test_files_sent_into_an_open_ticket_are_checked_like_the_intakes_screenshots(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    thread = topic.thread_id

    # SLA 4.6: a PDF named and declared as a PNG is judged by its content: not passed on, the user told why
    await emulator.user_sends(user, document=("screen.png", sample_pdf(), "image/png"), caption="Вот ошибка")
    told = await emulator.wait_for_bot_message(user)
    assert "JPG, GIF или PNG" in told.text and "4.6" in told.text
    note = await emulator.wait_for_bot_message(group, lambda m: "Не принято" in (m.text or ""), thread_id=thread)
    assert "screen.png" in note.text and "не изображение" in note.text and "Вот ошибка" in note.text
    # a sticker gets the intake's answer; the agents learn the user tried
    await emulator.user_sends_sticker(user)
    assert "Стикеры" in (await emulator.wait_for_bot_message(user)).text
    await emulator.wait_for_bot_message(group, lambda m: "стикер" in (m.text or ""), thread_id=thread)
    # a real PNG, even sent as a file with another name, is a screenshot: relayed, and the ticket's attachment
    await emulator.user_sends(user, document=("error.pdf", sample_png(320, 200)))
    copy = await emulator.wait_for_bot_message(group, lambda m: m.kind == "document", thread_id=thread)
    assert copy.data["document"]["file_name"] == "error.pdf"
    await emulator.settle()

    in_topic = emulator.sent(group, thread_id=thread)
    assert [m.kind for m in in_topic if m.kind not in ("text", None)] == ["document"]  # nothing refused relayed
    assert len(emulator.sent(user)) == 5  # the summary, «registered», «joined», and the two explanations
    files = await rows(runner, select(Attachment).order_by(Attachment.id))
    assert [(f.ticket_id, f.kind, f.declared_name, f.accepted, f.mime_detected) for f in files] == [
        (1, "document", "screen.png", False, None), (1, "document", "error.pdf", True, "image/png")]
    kept = await rows(runner, select(Message).where(Message.ticket_id == 1, Message.direction == "in")
                      .order_by(Message.id))
    assert [(m.kind, m.text) for m in kept][-3:] == [("document", "Вот ошибка"), ("sticker", None),
                                                     ("document", None)]  # nothing lost from the transcript
    assert [m.topic_message_id is not None for m in kept][-3:] == [False, False, True]


async def test_the_assignee_returns_a_ticket_to_the_queue_and_another_agent_takes_it(runner, emulator, desk_world):
    group, anna, boris, admin = desk_world
    user, topic, card = await taken_ticket(emulator, group, anna)
    thread = topic.thread_id

    # not the assignee: the press and the command change nothing (an outsider's press is ignored altogether)
    query = await emulator.user_presses(boris, card, button="Вернуть в очередь")
    assert "может только тот, кто его ведёт" in (await emulator.wait_for_callback_answer(query)).text
    await emulator.user_sends(boris, "/release", chat=group, thread_id=thread)
    for _ in range(2):  # the press's answer is noted in the topic too, as every refused press is
        await emulator.wait_for_bot_message(group, lambda m: "может только" in (m.text or ""), thread_id=thread)
    outsider = emulator.create_user("Посторонний")
    await emulator.user_presses(outsider, card, "d:release:1", forge=True)
    await emulator.settle(0.3)
    [ticket] = await rows(runner, select(Ticket))
    assert (ticket.state, ticket.assignee_id) == ("in_progress", anna.id)

    # the assignee hands it back: in the queue again, the card says so, anyone may take it
    await emulator.user_sends(anna, "/release", chat=group, thread_id=thread)
    note = await emulator.wait_for_bot_message(group, lambda m: "вернул(а)" in (m.text or ""), thread_id=thread)
    assert "Анна вернул(а) обращение #1 в очередь (было: в работе)" in note.text
    [ticket] = await rows(runner, select(Ticket))
    assert (ticket.state, ticket.assignee_id, ticket.assignee_name) == ("new", None, None)
    await emulator.settle()
    [current] = [m for m in emulator.sent(group, thread_id=thread) if m.message_id == card.message_id]
    assert "Состояние: в очереди" in current.text and "ведёт" not in current.text
    await emulator.user_sends(boris, "/queue", chat=group)
    queue = await emulator.wait_for_bot_message(group, lambda m: "Очередь" in (m.text or ""))
    assert "#1" in queue.text
    await emulator.user_presses(boris, card, button="Взять")
    assert "Борис" in (await emulator.wait_for_bot_message(user, lambda m: "подключился" in (m.text or ""))).text

    # an admin may return anyone's ticket; a second press finds it queued already
    await emulator.user_presses(admin, card, button="Вернуть в очередь")
    await emulator.wait_for_bot_message(group, lambda m: "Админ вернул(а)" in (m.text or ""), thread_id=thread)
    query = await emulator.user_presses(admin, card, button="Вернуть в очередь")
    assert "и так в очереди" in (await emulator.wait_for_callback_answer(query)).text
    events = await rows(runner, select(TicketEvent).order_by(TicketEvent.id))
    assert [(e.from_state, e.to_state, e.actor_id) for e in events] == [
        (None, "new", user.id), ("new", "in_progress", anna.id), ("in_progress", "new", anna.id),
        ("new", "in_progress", boris.id), ("in_progress", "new", admin.id)]


async def test_a_429_burst_delivers_every_message_once_in_order(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    emulator.fail_next("copyMessage", 429, retry_after=1, count=3)
    emulator.fail_next("sendMessage", 429, retry_after=1, count=2)
    for index in range(5):
        await emulator.user_sends(anna, f"Сообщение {index}", chat=group, thread_id=topic.thread_id)
    await emulator.user_sends(anna, "/need_info", chat=group, thread_id=topic.thread_id)
    got = [(await emulator.wait_for_bot_message(user, timeout=15)).text for _ in range(6)]
    assert got[:5] == [f"Сообщение {index}" for index in range(5)]
    assert "нужна дополнительная информация" in got[5]
    await emulator.settle()
    assert [m.text for m in emulator.sent(user)].count("Сообщение 0") == 1


async def test_a_blocked_user_marks_the_ticket_and_the_agents_are_told(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    emulator.block_bot(user)
    await emulator.user_sends(anna, "Вы здесь?", chat=group, thread_id=topic.thread_id)
    notice = await emulator.wait_for_bot_message(group, lambda m: "заблокировал" in (m.text or ""),
                                                 thread_id=topic.thread_id)
    assert "не доставлено" in notice.text
    [blocked] = await rows(runner, select(User.blocked_bot).where(User.id == user.id))
    assert blocked is True


async def test_several_open_tickets_ask_which_one(runner, emulator, desk_world):
    group, *_ = desk_world
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user)
    await emulator.user_sends(user, "/new")
    await emulator.wait_for_bot_message(user)
    await file_ticket(emulator, user, "Не работает импорт контактов в romashka.aspro.cloud, ошибка при загрузке "
                                      "файла. Шаги: Контакты → Импорт → выбрать файл. Firefox 120, macOS 14.")
    topic2, _ = await card_of(emulator, group, 2)
    # the last ticket they wrote in (the second) gets the message; nothing is dropped
    await emulator.user_sends(user, "Дополнение к импорту")
    await emulator.wait_for_bot_message(group, lambda m: m.text == "Дополнение к импорту", thread_id=topic2.thread_id)
    assert runner.app is not None
    async with runner.app.service.writing() as session:  # no ticket written in last: the bot asks
        await session.execute(update(Conversation).values(last_ticket_id=None))
    emulator.mark_all_seen()
    await emulator.user_sends(user, "А это к какому?")
    question = await emulator.wait_for_bot_message(user, lambda m: "несколько открытых" in (m.text or ""))
    await emulator.user_presses(user, question, button="№1")
    topic1 = emulator.topic_named(group, "#1 ·")
    await emulator.wait_for_bot_message(group, lambda m: m.text == "А это к какому?", thread_id=topic1.thread_id)


async def test_suspend_with_a_reason_from_the_list_then_reopen_after_resolution(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    user, topic, card = await taken_ticket(emulator, group, anna)
    await emulator.user_presses(anna, card, button="Приостановить")
    reasons = await emulator.wait_for_bot_message(group, lambda m: "Причина" in (m.text or ""),
                                                  thread_id=topic.thread_id)
    assert len(reasons.buttons) == 7  # the seven grounds of SLA 4.8
    await emulator.user_presses(anna, reasons, button="Устаревшее ПО")
    told = await emulator.wait_for_bot_message(user, lambda m: "приостановлена" in (m.text or ""))
    assert "устаревшей версии браузера" in told.text and "4.8" in told.text
    await emulator.user_sends(anna, "/resolve", chat=group, thread_id=topic.thread_id)
    await emulator.wait_for_bot_message(user, lambda m: "решено" in (m.text or ""))
    await emulator.settle()
    assert emulator.topic_named(group, "#1 ·").closed

    await emulator.user_sends(user, "Проблема вернулась после обновления")  # within REOPEN_DAYS
    reopened = await emulator.wait_for_bot_message(user, lambda m: "открыто снова" in (m.text or ""))
    assert "№1" in reopened.text
    await emulator.wait_for_bot_message(group, lambda m: m.text == "Проблема вернулась после обновления",
                                        thread_id=topic.thread_id)
    assert not emulator.topic_named(group, "#1 ·").closed
    [ticket] = await rows(runner, select(Ticket))
    assert ticket.state == "reopened" and ticket.assignee_id is None and ticket.reason == "outdated_software"
    events = await rows(runner, select(TicketEvent.reason).where(TicketEvent.to_state == "suspended"))
    assert events == ["outdated_software"]


async def test_general_topic_replies_are_not_relayed(runner, emulator, desk_world):
    group, anna, boris, _admin = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    question = await emulator.user_sends(boris, "Кто посмотрит #1?", chat=group)
    # a reply in General carries the replied message's id as its thread id, without is_topic_message
    await emulator.user_sends(anna, "Я посмотрю", chat=group, reply_to=question)
    await emulator.user_sends(anna, "Смотрю ваш вопрос", chat=group, thread_id=topic.thread_id)
    relayed = await emulator.wait_for_bot_message(user)
    assert relayed.text == "Смотрю ваш вопрос"
    await emulator.settle()
    assert not any(m.text == "Я посмотрю" for m in emulator.sent(user))


async def test_reindex_edits_one_progress_message_and_refuses_a_second(emulator, tmp_path, desk_world):
    group, anna, _boris, admin = desk_world
    with serving() as mirror:
        settings = bot_settings(emulator, tmp_path / "reindex.sqlite3", AGENT_CHAT_ID=group.id,
                                ADMIN_IDS=str(admin.id), HELP_BASE_URL=mirror.base,
                                HELP_PUBLIC_BASE_URL="https://aspro.cloud/help/", CRAWL_TIMEOUT=1)
        runner = BotRunner(emulator, settings)
        app = await runner.start()
        try:
            await emulator.user_sends(anna, "/reindex", chat=group)  # agents, not admins: refused
            assert "только администраторам" in (await emulator.wait_for_bot_message(group)).text
            await emulator.user_sends(admin, "/reindex", chat=group)
            await emulator.user_sends(admin, "/reindex", chat=group)
            started = await emulator.wait_for_bot_message(group, lambda m: "началась" in (m.text or ""))
            refused = await emulator.wait_for_bot_message(group, lambda m: "уже идёт" in (m.text or ""))
            assert refused.message_id > started.message_id
            assert app.desk is not None and app.desk.reindex.task is not None
            await asyncio.wait_for(app.desk.reindex.task, 30)
            [final] = [m for m in emulator.sent(group) if m.message_id == started.message_id]
            assert final.text.startswith("Переиндексация завершена") and "fetched" in final.text
            assert final.history  # edited in place, not a new message per step
            progress = [m for m in emulator.sent(group) if "Переиндексация" in (m.text or "")
                        and m.message_id != refused.message_id]
            assert progress == [final]
        finally:
            await runner.stop()


async def test_the_agent_corrects_the_category_and_the_urgency_from_the_card(runner, emulator, desk_world):
    group, anna, *_ = desk_world
    _user, topic, card = await taken_ticket(emulator, group, anna)
    await emulator.user_presses(anna, card, button="Изменить категорию")
    choice = await emulator.wait_for_bot_message(group, lambda m: "Категория обращения №1" in (m.text or ""),
                                                 thread_id=topic.thread_id)
    assert "ошибка" in choice.text and len(choice.buttons) == 7  # the in-scope categories of SLA 3.1
    await emulator.user_presses(anna, choice, button="сбой в работе")
    await emulator.wait_for_bot_message(group, lambda m: "ошибка → сбой в работе" in (m.text or ""),
                                        thread_id=topic.thread_id)
    [ticket] = await rows(runner, select(Ticket))
    assert (ticket.category, ticket.critical) == ("outage", True)  # SLA 2.1: an outage goes out of turn
    await emulator.settle()
    assert "Категория: сбой в работе" in emulator.find_message(group, card.message_id).text

    # an outage cannot lose its urgency; once it is a bug again, it can
    query = await emulator.user_presses(anna, card, button="Срочность")
    assert "всегда обрабатывается вне очереди" in (await emulator.wait_for_callback_answer(query)).text
    await emulator.user_presses(anna, choice, button="ошибка")
    await emulator.wait_for_bot_message(group, lambda m: "сбой в работе → ошибка" in (m.text or ""),
                                        thread_id=topic.thread_id)
    await emulator.user_presses(anna, card, button="Срочность")
    await emulator.wait_for_bot_message(group, lambda m: "снял отметку" in (m.text or ""), thread_id=topic.thread_id)
    [ticket] = await rows(runner, select(Ticket))
    assert (ticket.category, ticket.critical) == ("bug_report", False)
    events = await rows(runner, select(TicketEvent.reason).where(TicketEvent.ticket_id == 1,
                                                                TicketEvent.from_state == TicketEvent.to_state))
    assert events == ["category:bug_report>outage", "category:outage>bug_report", "critical:off"]
    # a forged category is no change
    await emulator.user_presses(anna, card, "d:category:1:hacked", forge=True)
    await emulator.settle()
    [ticket] = await rows(runner, select(Ticket))
    assert ticket.category == "bug_report"
