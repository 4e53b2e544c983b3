"""Every input path is total, end to end through the Bot API emulator.

Numbers, ids and button data from outside are read strictly: Unicode digits (superscripts, circled,
Arabic-Indic, Devanagari, fullwidth), numbers too large for the database, forged button data each get the
polite answer any unknown input gets, and change nothing. A handler that fails all the same logs one line
with the update's id, answers the user or the agent, and leaves the update to be tried again."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot import texts
from bot.desk import AgentMessage, AgentPress
from bot.storage import ProcessedUpdate, Ticket
from tests.botrunner import BotRunner, running_desk
from tests.test_desk_e2e import card_of, file_ticket

# str.isdigit() (or isdecimal()) accepts every one of these; int() takes some, the database none
NOT_NUMBERS = ["²", "①", "١٢", "१२", "１２", "12²", "99999999999999999999999", "9" * 5000, "-1", "+1", "0x1f",
               "1_000", "1.0", "٣"]
USAGE = "Укажите номер обращения"


@pytest.fixture
def world(emulator):
    agent = emulator.create_user("Анна", username="anna_agent")
    admin = emulator.create_user("Админ", username="admin")
    group = emulator.create_group("Поддержка Аспро.Cloud", members=(agent,), admins=(admin,))
    return group, agent, admin


@pytest.fixture
async def runner(emulator, tmp_path, world):
    group, _agent, admin = world
    async with running_desk(emulator, tmp_path / "bot.sqlite3", group.id, admin.id,
                            GROUP_MESSAGES_PER_MINUTE=600) as runner:
        yield runner


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


async def test_history_with_any_non_number_is_answered_with_its_usage(runner, emulator, caplog):
    user = emulator.create_user("Вера")
    for argument in NOT_NUMBERS:
        await emulator.user_sends(user, f"/history {argument}")
        answer = await emulator.wait_for_bot_message(user, timeout=10)
        assert USAGE in answer.text, (argument, answer.text)
    await emulator.settle(quiet=0.3)
    assert len(emulator.sent(user)) == len(NOT_NUMBERS)
    assert failures(caplog) == []


async def test_forged_user_buttons_with_unicode_digits_change_nothing(runner, emulator, world, caplog):
    user = emulator.create_user("Глеб")
    registered = await file_ticket(emulator, user)
    await card_of(emulator, world[0], 1)
    emulator.mark_all_seen()
    forged = ["csat:²:5", "csat:1:²", "csat:①:1", "removed:١", "to:1:²", "to:1:99999999999999999999999",
              "to:²:1", "csat:99999999999999999999999:1", "removed:99999999999999999999999", "to:1:x", "to:1:"]
    for data in forged:
        await emulator.user_presses(user, registered, data, forge=True)
        answer = await emulator.wait_for_bot_message(user, timeout=10)
        assert "неактуальна" in answer.text, (data, answer.text)
    await emulator.settle(quiet=0.3)
    async with runner.app.service.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.csat is None
    assert failures(caplog) == []


async def test_agents_commands_and_forged_card_buttons_with_non_numbers(runner, emulator, world, caplog):
    group, agent, admin = world
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user)
    topic, card = await card_of(emulator, group, 1)
    emulator.mark_all_seen()
    for argument in NOT_NUMBERS:
        await emulator.user_sends(agent, f"/take {argument}", chat=group)  # General: the number names the ticket
        answer = await emulator.wait_for_bot_message(group, timeout=10)
        assert "в теме обращения" in answer.text, (argument, answer.text)
        await emulator.user_sends(admin, f"/stats {argument}", chat=group)
        answer = await emulator.wait_for_bot_message(group, timeout=10)
        assert "/stats [дней]" in answer.text, (argument, answer.text)
    for data in ("d:take:²", "d:take:①", "d:take:99999999999999999999999", "d:take:١", "d:suspend:²",
                 "d:refuse:1２", "d::1", "d:take:", "d:take:-1"):
        query = await emulator.user_presses(agent, card, data, forge=True)
        await emulator.wait_for_callback_answer(query)
    await emulator.settle(quiet=0.3)
    async with runner.app.service.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.state == "new" and ticket.assignee_id is None
    assert not [m for m in emulator.sent(group, thread_id=topic.thread_id) if "взял" in (m.text or "")]
    assert failures(caplog) == []


def one_line_failures(caplog: pytest.LogCaptureFixture, update_id: int) -> None:
    """The failure of `update_id` logged once, as one line naming the update and the exception."""
    records = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(records) == 1, [record.getMessage() for record in records]
    message = records[0].getMessage()
    assert str(update_id) in message and "RuntimeError: boom" in message
    assert "\n" not in message and records[0].exc_info is None


async def done_at(runner: BotRunner, update_id: int):
    async with runner.app.service.sessions() as session:
        return (await session.get(ProcessedUpdate, update_id)).done_at


async def apologised(emulator, caplog: pytest.LogCaptureFixture, text: str):
    """A new user writes `text`; the bot's one answer is the apology and its failure is one line in the log."""
    user = emulator.create_user("Ольга")
    sent = await emulator.user_sends(user, text)
    answer = await emulator.wait_for_bot_message(user, timeout=10)
    assert answer.text == texts.plain(texts.render("processing_error"))
    await emulator.settle(quiet=0.3)
    assert len(emulator.sent(user)) == 1
    one_line_failures(caplog, sent.update_id)
    return sent


async def test_a_failing_private_update_is_logged_once_answered_and_kept(runner, emulator, caplog, monkeypatch):
    def broken(text: str):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.app.service, "reader", broken)
    sent = await apologised(emulator, caplog, "Не сохраняется сделка, ошибка 500")
    assert await done_at(runner, sent.update_id) is None  # tried again at the next start


async def test_a_failing_card_press_and_agent_message_are_logged_once_and_answered(runner, emulator, world, caplog,
                                                                                   monkeypatch):
    group, agent, _admin = world
    user = emulator.create_user("Клиент")
    await file_ticket(emulator, user)
    topic, card = await card_of(emulator, group, 1)
    emulator.mark_all_seen()

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.app.desk, "act", broken)
    query = await emulator.user_presses(agent, card, button="Взять")
    answer = await emulator.wait_for_callback_answer(query)
    assert answer.text == texts.desk("processing_error") and answer.show_alert
    await emulator.settle(quiet=0.3)
    press_update = max(emulator.updates)
    one_line_failures(caplog, press_update)
    assert await done_at(runner, press_update) is None

    caplog.clear()
    monkeypatch.setattr(runner.app.desk, "_relay_out", broken)
    sent = await emulator.user_sends(agent, "Здравствуйте!", chat=group, thread_id=topic.thread_id)
    line = await emulator.wait_for_bot_message(group, thread_id=topic.thread_id, timeout=10)
    assert line.text == texts.plain(texts.desk("processing_error"))
    await emulator.settle(quiet=0.3)
    one_line_failures(caplog, sent.update_id)
    assert await done_at(runner, sent.update_id) is None


async def test_an_exception_out_of_a_handler_is_logged_once_and_the_user_answered(runner, emulator, caplog,
                                                                                  monkeypatch):
    async def broken(incoming):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.app.worker, "accept", broken)
    await apologised(emulator, caplog, "Добрый день")


def test_nul_characters_of_agents_updates_are_dropped_before_they_are_stored():
    # PostgreSQL's text refuses NUL: an agent's message with one failed to be stored (found by the fuzz)
    message = AgentMessage(update_id=1, user_id=2, name="А\x00нна", message_id=3, text="при\x00вет",
                           command="no\x00te", argument="x\x00")
    assert (message.name, message.text, message.command, message.argument) == ("Анна", "привет", "note", "x")
    assert AgentPress(update_id=1, user_id=2, name="\x00", data="d:take:\x001", message_id=3).data == "d:take:1"
