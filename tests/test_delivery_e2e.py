"""Delivery end to end: the real bot against the Bot API emulator. Long cards and edits reach the topic whole;
Telegram failing every call for a while (500, an HTML 502 page, dropped connections), with or without a
restart in the middle, delays messages and loses or doubles none."""

from __future__ import annotations

import asyncio
import html
import random
import re

import pytest
from sqlalchemy import select

from bot.storage import Message, Ticket, User
from tests.botrunner import BotRunner, bot_settings, running_desk
from tests.test_desk_e2e import card_of, rows, taken_ticket

WORDS = ("сделка", "не", "сохраняется", "ошибка", "при", "нажатии", "кнопки", "Сохранить", "в", "карточке",
         "клиента", "<b>жирно</b>", "a&b", "<script>", "😀", "🚀", "ёлка", "Ё", "«кавычки»", "—", "<i>",
         "ﬁ", "𝔸", "\u200b")


def long_text(length: int, seed: int) -> str:
    """Cyrillic with emoji, markup a user might type and a few line breaks, exactly `length` characters."""
    rng = random.Random(seed)
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS) + rng.choice((" ", " ", " ", " ", "\n", ". "))
        words.append(word)
        size += len(word)
    return "".join(words)[:length].rstrip() + "."


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def desk_world(emulator):
    anna = emulator.create_user("Анна", username="anna_agent")
    admin = emulator.create_user("Админ", username="admin")
    group = emulator.create_group("Поддержка Аспро.Cloud", members=(anna,), admins=(admin,))
    return group, anna, admin


@pytest.fixture
async def runner(emulator, tmp_path, desk_world):
    group, _anna, admin = desk_world
    async with running_desk(emulator, tmp_path / "bot.sqlite3", group.id, admin.id, DELIVERY_BACKOFF_CAP=1) as runner:
        yield runner


async def ticket_with(runner: BotRunner, emulator, description: str) -> int:
    """A confirmed ticket with this description, as the dialogue writes it; the desk publishes it."""
    assert runner.app is not None and runner.app.desk is not None
    user = emulator.create_user("Клиент")
    async with runner.app.service.writing() as session:
        session.add(User(id=user.id, name="Клиент"))
        await session.flush()
        ticket = Ticket(user_id=user.id, chat_id=user.id, account="romashka.aspro.cloud", category="other",
                        description=description, steps="Открываю CRM → Сделки", environment="Chrome 120")
        session.add(ticket)
        await session.flush()
        number = ticket.id
    runner.app.desk.ticket_filed()
    assert runner.app.ticker is not None
    runner.app.ticker.kick()
    return number


@pytest.mark.parametrize("length", [3900, 4096, 6000, 20_000])
async def test_a_long_description_reaches_the_topic_whole_with_the_buttons_on_the_card(
        runner, emulator, desk_world, length):
    group, anna, _admin = desk_world
    description = long_text(length, seed=length)
    number = await ticket_with(runner, emulator, description)
    topic, card = await card_of(emulator, group, number)
    await emulator.settle(quiet=0.5)
    in_topic = emulator.sent(group, thread_id=topic.thread_id)
    assert in_topic[0].message_id == card.message_id and card.callback_data("Взять")  # the card comes first
    shown = " ".join(message.text or "" for message in in_topic)
    documents = [message for message in in_topic if message.kind == "document"]
    if documents:  # longer than a few messages: attached whole as a .txt
        [document] = documents
        attached = emulator.download(document.data["document"]["file_id"]).decode("utf-8")
        assert flat(description) in flat(attached)
    else:
        assert flat(description) in flat(shown)
    assert all(len(message.text or "") <= 4096 for message in in_topic)
    assert documents if length == 20_000 else not documents
    await emulator.user_presses(anna, card, button="Взять")  # the buttons work: the card is edited in place
    await emulator.wait_for_edit(card)
    [current] = [m for m in emulator.sent(group, thread_id=topic.thread_id) if m.message_id == card.message_id]
    assert "ведёт Анна" in current.text and current.callback_data("Взять") and len(current.text) <= 4096


async def test_a_description_grown_past_one_message_in_the_dialogue_reaches_the_topic_whole(
        runner, emulator, desk_world):
    group, _anna, _admin = desk_world
    user = emulator.create_user("Клиент")
    extra = long_text(4000, seed=7)
    await emulator.user_sends(user, "Не сохраняется сделка в romashka.aspro.cloud, ошибка 500 при сохранении. "
                                    "Открываю CRM → Сделки → Новая, жму «Сохранить». Chrome 120, Windows 11.")
    while True:
        message = await emulator.wait_for_bot_message(user, timeout=10)
        if any("Отправить" in label for label in message.button_texts):
            break
        if any("Нужна помощь" in label for label in message.button_texts):
            await emulator.user_presses(user, message, button="Нужна помощь")
    await emulator.user_sends(user, extra)  # at the card: added to the description
    summary = await emulator.wait_for_bot_message(user, lambda m: any("Отправить" in b for b in m.button_texts),
                                                  timeout=10)
    await emulator.user_presses(user, summary, button="Отправить")
    await emulator.wait_for_bot_message(user, lambda m: "зарегистрировано" in (m.text or ""))
    topic, _card = await card_of(emulator, group, 1)
    await emulator.settle(quiet=0.5)
    [ticket] = await rows(runner, select(Ticket))
    assert len(ticket.description) > 4000
    shown = " ".join(message.text or "" for message in emulator.sent(group, thread_id=topic.thread_id))
    assert flat(ticket.description) in flat(shown)


async def test_a_4000_character_edit_in_an_open_ticket_is_relayed(runner, emulator, desk_world):
    group, anna, _admin = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    original = await emulator.user_sends(user, "Ошибка в разделе Сделки")
    await emulator.wait_for_bot_message(group, lambda m: m.text == "Ошибка в разделе Сделки",
                                        thread_id=topic.thread_id)
    edited = long_text(4000, seed=3)
    await emulator.user_edits(user, original, edited)
    first = await emulator.wait_for_bot_message(group, lambda m: "(изменено)" in (m.text or ""),
                                                thread_id=topic.thread_id)
    await emulator.settle(quiet=0.5)
    after = [m for m in emulator.sent(group, thread_id=topic.thread_id) if m.message_id >= first.message_id]
    assert flat("(изменено) " + edited) in flat(" ".join(m.text or "" for m in after))


def texts_in(emulator, chat, thread_id: int | None = None) -> list[str]:
    return [message.text or "" for message in emulator.sent(chat, thread_id=thread_id)]


async def outage_scene(runner: BotRunner, emulator, desk_world, mode: str, restart: bool) -> None:
    """Users and an agent write while Telegram fails every call for a few seconds; then it answers again."""
    group, anna, _admin = desk_world
    user, topic, _card = await taken_ticket(emulator, group, anna)
    asker = emulator.create_user("Спрашивающий")
    await emulator.settle(quiet=0.3)
    emulator.mark_all_seen()
    outage = emulator.outage(4.0, mode)
    for n in range(1, 4):
        await emulator.user_sends(user, f"Пользователь {n}")
        await emulator.user_sends(anna, f"Агент {n}", chat=group, thread_id=topic.thread_id)
    for command in ("/help", "/start", "/status"):
        await emulator.user_sends(asker, command)
    if restart:
        for _ in range(100):  # the replies and copies are queued, then the process stops in the outage
            if emulator.failures["copyMessage"] >= 2 and emulator.failures["sendMessage"] >= 2:
                break
            await asyncio.sleep(0.05)
        await runner.stop()
        await runner.start()
    await asyncio.sleep(max(0.0, (outage.until or 0) - asyncio.get_running_loop().time()))  # Telegram is back
    agent_lines = [f"Агент {n}" for n in range(1, 4)]
    user_lines = [f"Пользователь {n}" for n in range(1, 4)]
    for _ in range(300):  # up to 30 s after Telegram is back
        if [t for t in texts_in(emulator, user) if t.startswith("Агент")] == agent_lines and \
                [t for t in texts_in(emulator, group, topic.thread_id) if t.startswith("Пользователь")] == user_lines \
                and len(emulator.sent(asker)) >= 3:
            break
        await asyncio.sleep(0.1)
    await emulator.settle(quiet=0.5)
    assert [t for t in texts_in(emulator, user) if t.startswith("Агент")] == agent_lines  # once each, in order
    assert [t for t in texts_in(emulator, group, topic.thread_id) if t.startswith("Пользователь")] == user_lines
    answers = texts_in(emulator, asker)
    assert len(answers) == 3 and ["/history N" in answers[0], "Здравствуйте" in answers[1],
                                  "нет обращений" in answers[2]] == [True] * 3
    async with runner.app.service.sessions() as session:  # type: ignore[union-attr]
        waiting = (await session.execute(select(Message.id).where(Message.relay_due_at.is_not(None)))).all()
    assert waiting == []  # the queue is empty
    assert emulator.failures["copyMessage"] >= 6 and emulator.failures["sendMessage"] >= 3  # all failed at first


@pytest.mark.parametrize("mode", ["500", "html", "drop"])
async def test_telegram_failing_for_a_while_delays_every_message_and_loses_or_doubles_none(
        runner, emulator, desk_world, mode):
    await outage_scene(runner, emulator, desk_world, mode, restart=False)


async def test_a_restart_in_the_middle_of_an_outage_loses_nothing(runner, emulator, desk_world):
    await outage_scene(runner, emulator, desk_world, "html", restart=True)


async def test_a_message_waiting_past_the_note_moment_is_told_to_the_agents_once(emulator, tmp_path, desk_world):
    group, anna, _admin = desk_world
    settings = bot_settings(emulator, tmp_path / "bot.sqlite3", AGENT_CHAT_ID=group.id, DESK_TICK_SECONDS=3600,
                            DELIVERY_BACKOFF_CAP=0.5, DELIVERY_WAITING_NOTE=1)
    runner = BotRunner(emulator, settings)
    await runner.start()
    try:
        user, topic, _card = await taken_ticket(emulator, group, anna)
        emulator.outage(3.0, "500", method="copyMessage", chat_id=user.id)  # only the user's chat fails
        await emulator.user_sends(anna, "Ответ агента", chat=group, thread_id=topic.thread_id)
        note = await emulator.wait_for_bot_message(group, lambda m: "не доставлено" in (m.text or ""),
                                                   thread_id=topic.thread_id, timeout=10)
        assert "продолжает попытки" in note.text
        relayed = await emulator.wait_for_bot_message(user, lambda m: m.text == "Ответ агента", timeout=15)
        assert relayed.text == "Ответ агента"
        await emulator.settle(quiet=1.0)
        notes = [t for t in texts_in(emulator, group, topic.thread_id) if "не доставлено" in t]
        assert len(notes) == 1 and texts_in(emulator, user).count("Ответ агента") == 1
    finally:
        await runner.stop()


def test_the_html_of_a_card_is_never_cut_inside_a_tag_or_an_entity():
    from bot.texts import split_html, units

    text = ('<b>Описание</b>\n' + html.escape(long_text(9000, seed=11)) + ' <a href="https://aspro.cloud/help/a b">'
            'статья</a> ' * 30)
    parts = split_html(text)
    assert all(units(part) <= 4096 for part in parts)
    for part in parts:
        assert part.count("<") == part.count(">")
        assert not re.search(r"&[a-z#0-9]*$", part)
        assert part.count("<b>") == part.count("</b>") and part.count("<a ") == part.count("</a>")
    assert flat(html.unescape(re.sub(r"<[^>]+>", "", text))) == flat(
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", part)) for part in parts))
