"""The user's dialogue end to end: the real aiogram client in long polling against the Bot API emulator."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.storage import Attachment, MessageVersion, SelfServed, Ticket, User, Wish
from tests.botrunner import BotRunner, MirrorSearcher, bot_settings
from tests.emulator import sample_pdf, sample_png, utf16_len
from tests.mirror import serving

FULL = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю "
        "поля и жму «Сохранить» — появляется ошибка 500. Браузер Chrome 120, Windows 11.")


@pytest.fixture(scope="module")
def mirror_searcher():
    return MirrorSearcher()


@pytest.fixture
async def runner(emulator, tmp_path, mirror_searcher):
    runner = BotRunner(emulator, bot_settings(emulator, tmp_path / "bot.sqlite3"), mirror_searcher)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


def has_button(data: str):
    return lambda message: any(b.get("callback_data") == data for b in message.buttons)


async def next_question(emulator, user):
    """The bot's next message; help links offered first are declined («Нужна помощь специалиста»)."""
    message = await emulator.wait_for_bot_message(user)
    if has_button("specialist:")(message):
        await emulator.user_presses(user, message, "specialist:")
        message = await emulator.wait_for_bot_message(user)
    return message


async def count(runner: BotRunner, model, *where) -> int:
    assert runner.app is not None
    async with runner.app.service.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_commands_are_registered_and_start_greets(runner, emulator):
    user = emulator.create_user("Анна")
    await emulator.user_sends(user, "/start")
    greeting = await emulator.wait_for_bot_message(user)
    assert "Здравствуйте" in greeting.text and "с 8:00 до 18:00" in greeting.text
    [commands] = emulator.commands.values()
    assert {c["command"] for c in commands} == {"start", "new", "status", "history", "cancel", "help"}


async def test_full_intake_in_one_message_asks_only_to_confirm(runner, emulator):
    user = emulator.create_user("Анна")
    await emulator.user_sends(user, FULL)
    card = await emulator.wait_for_bot_message(user)
    assert card.callback_data("Отправить") == "send:"
    assert "romashka.aspro.cloud" in card.text and "Chrome 120, Windows 11" in card.text
    await emulator.user_presses(user, card, button="Отправить")
    created = await emulator.wait_for_bot_message(user)
    assert "Обращение №1 зарегистрировано" in created.text and "Место в очереди: 1" in created.text
    assert await count(runner, Ticket) == 1
    await emulator.settle()
    assert emulator.sent(user)[0].buttons == []  # the card answered: its buttons are gone


async def test_intake_over_several_messages(runner, emulator):
    user = emulator.create_user("Борис")
    await emulator.user_sends(user, "Не сохраняется сделка, выдаёт ошибку")
    assert "адрес вашего аккаунта" in (await next_question(emulator, user)).text
    await emulator.user_sends(user, "https://romashka.aspro.cloud/crm/deals/12")
    assert "по шагам" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "не знаю")
    assert "браузере" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "Firefox 128, Ubuntu 24.04")
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert "romashka.aspro.cloud" in card.text and "Firefox 128" in card.text and "неизвестны" in card.text
    await emulator.user_presses(user, card, "send:")
    assert "№1" in (await emulator.wait_for_bot_message(user)).text


async def test_refusal_names_the_reason_and_payment_scripts_are_wishes(runner, emulator):
    user = emulator.create_user("Вера")
    await emulator.user_sends(user, "Разработайте нам модуль по заказу для расчёта премий по нашей формуле")
    refusal = await emulator.wait_for_bot_message(user)
    assert "3.2" in refusal.text and not refusal.buttons
    await emulator.user_sends(user, "Напишите скрипт интеграции с ЮKassa для приёма оплат")
    wish = await emulator.wait_for_bot_message(user)
    assert "пожелание" in wish.text
    await emulator.user_sends(user, "Можно вам позвонить по телефону?")
    assert "4.5" in (await emulator.wait_for_bot_message(user)).text
    assert await count(runner, Ticket) == 0 and await count(runner, Wish) == 1


async def test_outage_goes_out_of_turn(runner, emulator):
    waiting = emulator.create_user("Галина")
    await emulator.user_sends(waiting, "Как настроить права доступа к сделкам в vektor.aspro.cloud?")
    await emulator.user_presses(waiting, await emulator.wait_for_bot_message(waiting, has_button("send:")), "send:")
    await emulator.wait_for_bot_message(waiting)
    user = emulator.create_user("Дмитрий")
    await emulator.user_sends(user, "Аккаунт romashka.aspro.cloud не открывается ни у кого с утра, всё лежит!")
    urgent = await emulator.wait_for_bot_message(user)
    assert "вне очереди" in urgent.text
    while True:  # answer whatever is still asked with «не знаю»
        message = await emulator.wait_for_bot_message(user)
        if has_button("send:")(message):
            break
        await emulator.user_presses(user, message, button="Не знаю")
    await emulator.user_presses(user, message, "send:")
    created = await emulator.wait_for_bot_message(user)
    assert "срочное" in created.text and "Место в очереди: 1" in created.text


async def test_profanity_twice_suspends_the_conversation(runner, emulator):
    user = emulator.create_user("Егор")
    await emulator.user_sends(user, "Не сохраняется сделка, ошибка")
    await emulator.wait_for_bot_message(user)
    await emulator.user_sends(user, "да блять, сколько можно")
    assert "переформулируйте" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "вы там идиоты все")
    assert "4.8" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "romashka.aspro.cloud")
    assert "/new" in (await emulator.wait_for_bot_message(user)).text
    assert await count(runner, Ticket) == 0


async def test_pdf_sent_as_a_screenshot_is_refused_by_content(runner, emulator):
    user = emulator.create_user("Жанна")
    await emulator.user_sends(user, "Не сохраняется сделка в romashka.aspro.cloud, ошибка")
    await emulator.wait_for_bot_message(user)
    await emulator.user_sends(user, document=("screenshot.png", sample_pdf(), "image/png"))
    refused = await emulator.wait_for_bot_message(user)
    assert "JPG, GIF или PNG" in refused.text
    await emulator.user_sends(user, document=("report.pdf", sample_png(), "application/pdf"))
    assert "Скриншот добавлен" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends_album(user, [sample_png(tag="1"), sample_png(tag="2")])
    answer = await emulator.wait_for_bot_message(user)
    assert "всего: 2" in answer.text
    await emulator.settle()
    assert len(emulator.sent(user)) == 4  # the album answered once
    assert await count(runner, Attachment, Attachment.accepted.is_(True)) == 3


async def test_restart_mid_dialogue_continues(runner, emulator):
    user = emulator.create_user("Зоя")
    await emulator.user_sends(user, "Не сохраняется сделка, ошибка 500")
    assert "адрес вашего аккаунта" in (await next_question(emulator, user)).text
    await runner.restart()
    await emulator.user_sends(user, "romashka.aspro.cloud")
    assert "по шагам" in (await emulator.wait_for_bot_message(user)).text


async def test_duplicated_update_has_one_effect(runner, emulator):
    user = emulator.create_user("Игорь")
    await emulator.user_sends(user, FULL)
    card = await emulator.wait_for_bot_message(user)
    await emulator.user_presses(user, card, "send:")
    await emulator.wait_for_bot_message(user)
    await emulator.settle()
    press_update = max(emulator.updates)
    first_update = min(u for u in emulator.updates if "message" in emulator.updates[u])
    emulator.redeliver(first_update)
    emulator.redeliver(press_update)
    await emulator.wait_for_deliveries(press_update, times=2)
    await emulator.settle()
    assert len(emulator.sent(user)) == 2
    assert await count(runner, Ticket) == 1


async def test_long_and_markup_looking_text_breaks_nothing(runner, emulator):
    user = emulator.create_user("Кира")
    markup = "<b>жирный</b> <a href='x'>ссылка</a> &amp; <i>не закрыт *_[`"
    await emulator.user_sends(user, "Как настроить воронку? " + markup + " " + "слово " * 1700)
    await emulator.wait_for_bot_message(user)
    await emulator.settle()
    sent = emulator.sent(user)
    assert emulator.failures["sendMessage"] == 0
    assert all(utf16_len(message.text) <= 4096 for message in sent)
    await emulator.user_sends(user, "romashka.aspro.cloud")
    card_parts = []
    while not card_parts or not card_parts[-1].buttons:
        card_parts.append(await emulator.wait_for_bot_message(user))
    assert len(card_parts) >= 3  # the 10,000-character description shown in full, split
    assert markup in "".join(part.text for part in card_parts)  # shown as the user wrote it
    assert emulator.failures["sendMessage"] == 0


async def test_stickers_and_voice_get_a_short_answer(runner, emulator):
    user = emulator.create_user("Лев")
    await emulator.user_sends_sticker(user)
    assert "Стикеры" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends_voice(user)
    assert "Голосовые" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends_location(user)
    assert "Геопозиция" in (await emulator.wait_for_bot_message(user)).text


async def test_edited_message_updates_the_draft(runner, emulator):
    user = emulator.create_user("Мария")
    text = "Не сохраняется сделка в romashka.aspro.cloud: ошибка, {}"
    first = await emulator.user_sends(user, text.format("Chrome 119 Windows 10"))
    assert "по шагам" in (await next_question(emulator, user)).text
    await emulator.user_edits(user, first, text.format("Chrome 120 Windows 11"))
    assert "Учёл исправление" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "Открываю сделку и нажимаю сохранить")
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert "Chrome 120, Windows 11" in card.text


async def test_an_edited_addition_reaches_the_ticket_and_the_history_keeps_both(runner, emulator):
    user = emulator.create_user("Марк")
    await emulator.user_sends(user, FULL)
    await emulator.wait_for_bot_message(user, has_button("send:"))
    added = await emulator.user_sends(user, "Только у менеджеров отдела продаж")
    assert "Добавил это к описанию" in (await emulator.wait_for_bot_message(user)).text
    await emulator.wait_for_bot_message(user, has_button("send:"))
    await emulator.user_edits(user, added, "Только у менеджеров отдела закупок")
    assert "Учёл исправление" in (await emulator.wait_for_bot_message(user)).text
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert "отдела закупок" in card.text and "отдела продаж" not in card.text
    await emulator.user_presses(user, card, "send:")
    assert "№1" in (await emulator.wait_for_bot_message(user)).text
    async with runner.app.service.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        versions = (await session.execute(select(MessageVersion.text))).scalars().all()
    assert ticket.description.endswith("Только у менеджеров отдела закупок") and "продаж" not in ticket.description
    assert versions == ["Только у менеджеров отдела продаж"]  # the earlier version stays in the history


async def test_an_edit_that_gave_the_draft_nothing_is_not_claimed_as_applied(runner, emulator):
    user = emulator.create_user("Мирон")
    greeting = await emulator.user_sends(user, "/help")
    await emulator.wait_for_bot_message(user)
    await emulator.user_sends(user, FULL)
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    await emulator.user_edits(user, greeting, "/help пожалуйста")
    answer = await emulator.wait_for_bot_message(user)
    assert "ничего не попало" in answer.text and "Учёл" not in answer.text
    await emulator.user_presses(user, card, "send:")
    await emulator.wait_for_bot_message(user)
    async with runner.app.service.sessions() as session:
        assert (await session.execute(select(Ticket.description))).scalar_one() == FULL


BUG_AT = "Не сохраняется сделка в {}, ошибка 500. Шаги: открываю сделку, жму «Сохранить». Chrome 120, Windows 11"


async def send_and_read_account(runner: BotRunner, emulator, user, card) -> str:
    """Send the card; the account of the ticket filed."""
    await emulator.user_presses(user, card, "send:")
    await emulator.wait_for_bot_message(user)
    async with runner.app.service.sessions() as session:
        return (await session.execute(select(Ticket.account))).scalar_one()


async def test_a_cyrillic_address_is_filed_as_written(runner, emulator):
    user = emulator.create_user("Виктор")
    await emulator.user_sends(user, BUG_AT.format("ооо-вектор.aspro.cloud"))
    card = await emulator.wait_for_bot_message(user)
    assert card.callback_data("Отправить") == "send:"  # nothing asked about the address
    assert "ооо-вектор.aspro.cloud" in card.text and "bektop" not in card.text
    assert await send_and_read_account(runner, emulator, user, card) == "ооо-вектор.aspro.cloud"


async def test_a_look_alike_address_is_asked_about_with_buttons(runner, emulator):
    user = emulator.create_user("Олег")
    await emulator.user_sends(user, BUG_AT.format("оmega-tex.aspro.cloud"))
    question = await next_question(emulator, user)
    assert "Вы имели в виду omega-tex.aspro.cloud" in question.text and "«о»" in question.text
    assert question.button_texts == ["Да, omega-tex.aspro.cloud", "Нет, как написано"]
    await emulator.user_presses(user, question, button="Да")
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert await send_and_read_account(runner, emulator, user, card) == "omega-tex.aspro.cloud"


async def test_a_typo_in_the_product_domain_is_fixed_without_asking(runner, emulator):
    user = emulator.create_user("Филипп")
    await emulator.user_sends(user, BUG_AT.format("megapolis.aspro.clod"))
    card = await emulator.wait_for_bot_message(user)
    assert card.callback_data("Отправить") == "send:" and "megapolis.aspro.cloud" in card.text
    assert "Вы имели в виду" not in card.text


async def test_links_the_user_said_did_not_help_are_not_offered_again(runner, emulator):
    user = emulator.create_user("Роман")
    await emulator.user_sends(user, "Как подключить почту в romashka.aspro.cloud?")
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert card.button_texts[0] == "Это помогло"
    await emulator.user_sends(user, "не помогло")
    again = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert "Это помогло" not in again.button_texts and "помогла, нажмите" not in again.text
    assert "Добавил" not in " ".join(m.text for m in emulator.sent(user))  # not glued to the description
    await emulator.user_presses(user, again, "send:")
    await emulator.wait_for_bot_message(user)
    async with runner.app.service.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.description == "Как подключить почту в romashka.aspro.cloud?" and ticket.help_links


async def test_the_card_shows_the_users_words_once(runner, emulator):
    user = emulator.create_user("Савва")
    await emulator.user_sends(user, "Не сохраняется сделка в romashka.aspro.cloud, ошибка 500. Открываю сделку и "
                                    "жму сохранить. Пользуюсь в сафари на макбуке и на Windows 10 и 11")
    card = await emulator.wait_for_bot_message(user, has_button("send:"))
    assert "Браузер и система: сафари на макбуке и на Windows 10 и 11" in card.text
    assert "Шаги воспроизведения" not in card.text  # they are in the description already
    assert card.text.count("Открываю сделку") == 1


async def test_a_split_off_problem_loses_its_lead_in(runner, emulator):
    user = emulator.create_user("Тимур")
    await emulator.user_sends(user, "Не открывается карточка сделки в romashka.aspro.cloud, ошибка 500. "
                                    "Второе, совсем другое: не приходят уведомления о задачах")
    split = await emulator.wait_for_bot_message(user)
    assert "Не открывается карточка сделки в romashka.aspro.cloud" in split.text
    assert "• Не приходят уведомления о задачах" in split.text and "Второе" not in split.text
    while True:  # links declined, whatever is still asked answered with «не знаю»
        message = await next_question(emulator, user)
        if has_button("send:")(message):
            break
        await emulator.user_presses(user, message, button="Не знаю")
    await emulator.user_presses(user, message, "send:")
    await emulator.wait_for_bot_message(user)
    offer = await emulator.wait_for_bot_message(user)
    assert "«Не приходят уведомления о задачах»" in offer.text


TUESDAY = datetime(2026, 12, 8, tzinfo=UTC)  # a working Tuesday, 3:00 in Moscow


async def file_at(runner: BotRunner, emulator, name: str, moment: datetime) -> str:
    """A user files the FULL ticket at `moment`; the bot's answer to «Отправить»."""
    runner.app.service.clock = lambda: moment
    user = emulator.create_user(name)
    await emulator.user_sends(user, FULL)
    await emulator.user_presses(user, await emulator.wait_for_bot_message(user, has_button("send:")), "send:")
    return (await emulator.wait_for_bot_message(user)).text


async def test_the_ticket_reply_says_today_or_tomorrow(runner, emulator):
    early = await file_at(runner, emulator, "Ярослав", TUESDAY)
    assert "специалисты приступят к обращениям сегодня в 08:00" in early and "вторник" not in early
    assert "при нынешней очереди ответ здесь можно ожидать сегодня до 09:00" in early  # no history: an hour each
    evening = await file_at(runner, emulator, "Яна", TUESDAY + timedelta(hours=16))  # 19:00 in Moscow
    assert "приступят к обращениям завтра в 08:00" in evening and "завтра до 10:00" in evening  # second in line
    friday = await file_at(runner, emulator, "Ян", TUESDAY + timedelta(days=3, hours=16))
    assert "в понедельник, 14 декабря, в 08:00" in friday  # neither today nor tomorrow: the day is named


async def test_in_working_hours_the_reply_says_when_an_answer_is_likely(runner, emulator):
    async with runner.app.service.writing() as session:
        session.add(User(id=1, name="Прежний"))
        await session.flush()
        for days in (1, 4, 5):  # the desk answered the last tickets in 20 working minutes
            created = TUESDAY + timedelta(hours=9) - timedelta(days=days)
            session.add(Ticket(user_id=1, chat_id=1, account="a.aspro.cloud", category="bug_report",
                               description="прежнее", state="resolved", created_at=created, queued_at=created,
                               first_response_at=created + timedelta(minutes=20)))
    text = await file_at(runner, emulator, "Эмма", TUESDAY + timedelta(hours=9))  # 12:00 in Moscow
    assert "Поддержка сейчас работает: при нынешней очереди ответ здесь можно ожидать сегодня до 12:20" in text
    assert "в рабочее время" not in text


async def test_status_and_history(runner, emulator):
    user = emulator.create_user("Нина")
    await emulator.user_sends(user, FULL)
    await emulator.user_presses(user, await emulator.wait_for_bot_message(user), "send:")
    await emulator.wait_for_bot_message(user)
    await emulator.user_sends(user, "/status")
    assert "№1" in (await emulator.wait_for_bot_message(user)).text
    await emulator.user_sends(user, "/history 1")
    history = await emulator.wait_for_bot_message(user)
    assert "Вы" in history.text and "Сделки" in history.text



async def test_a_link_that_helped_ends_self_served(runner, emulator):
    user = emulator.create_user("Ольга")
    await emulator.user_sends(user, "Как настроить воронку продаж?")
    offer = await emulator.wait_for_bot_message(user)
    links = [e["url"] for e in offer.entities if e["type"] == "text_link"]
    assert links and all(link.startswith("https://aspro.cloud/help/") for link in links)
    assert offer.button_texts == ["Это помогло", "Нужна помощь специалиста"]
    await emulator.user_presses(user, offer, button="Это помогло")
    assert "помогла" in (await emulator.wait_for_bot_message(user)).text
    assert await count(runner, SelfServed) == 1 and await count(runner, Ticket) == 0


async def test_links_that_did_not_help_lead_to_a_ticket_with_them(runner, emulator):
    user = emulator.create_user("Пётр")
    await emulator.user_sends(user, "Как подключить почту в romashka.aspro.cloud?")
    card = await emulator.wait_for_bot_message(user)
    assert card.button_texts[0] == "Это помогло" and "Отправить" in card.button_texts  # complete: links on the card
    await emulator.user_presses(user, card, "send:")
    await emulator.wait_for_bot_message(user)
    async with runner.app.service.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.help_links and ticket.help_links[0]["url"].startswith("https://aspro.cloud/help/")


async def test_an_empty_index_is_crawled_in_the_background(emulator, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    with serving() as mirror:
        settings = bot_settings(emulator, tmp_path / "fresh.sqlite3", HELP_BASE_URL=mirror.base,
                                HELP_PUBLIC_BASE_URL="https://aspro.cloud/help/", CRAWL_TIMEOUT=1)
        runner = BotRunner(emulator, settings)
        app = await runner.start()
        try:
            assert "crawling it in the background" in caplog.text
            assert app._crawl is not None
            await asyncio.wait_for(app._crawl, 60)
            user = emulator.create_user("Роза")
            await emulator.user_sends(user, "Как подключить почтовый ящик по IMAP?")
            offer = await emulator.wait_for_bot_message(user)
            assert any(e["type"] == "text_link" and e["url"].startswith("https://aspro.cloud/help/articles/")
                       for e in offer.entities)
        finally:
            await runner.stop()


async def test_replies_survive_429_and_500_from_telegram(runner, emulator):
    user = emulator.create_user("Семён")
    emulator.fail_next("sendMessage", 429, retry_after=1)
    emulator.fail_next("sendMessage", 500)
    await emulator.user_sends(user, "/help")
    answer = await emulator.wait_for_bot_message(user, timeout=10)
    assert "/history N" in answer.text
    await emulator.settle()
    assert len(emulator.sent(user)) == 1
    assert await runner.app.service.unsent() == []


async def test_a_reply_telegram_kept_refusing_is_sent_once_without_a_restart(runner, emulator):
    user = emulator.create_user("Тамара")
    runner.app.outbox.attempts = 2
    emulator.fail_next("sendMessage", 502, count=5)
    await emulator.user_sends(user, "/help")
    assert "/history N" in (await emulator.wait_for_bot_message(user, timeout=30)).text
    await emulator.settle(quiet=0.5)
    assert len(emulator.sent(user)) == 1 and await runner.app.service.unsent() == []
    assert emulator.failures["sendMessage"] == 5  # every try answered 502 until the sixth


async def test_a_reply_still_refused_at_a_restart_is_sent_once_after_it(runner, emulator):
    user = emulator.create_user("Тамара")
    emulator.fail_next("sendMessage", 502, count=10_000)
    await emulator.user_sends(user, "/help")
    for _ in range(200):
        if emulator.failures["sendMessage"] >= 3:
            break
        await asyncio.sleep(0.05)
    assert emulator.sent(user) == [] and len(await runner.app.service.unsent()) == 1
    await runner.stop()
    emulator.clear_faults()
    await runner.start()
    assert "/history N" in (await emulator.wait_for_bot_message(user, timeout=30)).text
    await emulator.settle(quiet=0.5)
    assert len(emulator.sent(user)) == 1


async def test_one_chat_is_answered_in_order(runner, emulator):
    user = emulator.create_user("Ульяна")
    emulator.delay_next("sendMessage", 0.3)  # the first answer is slow to go out
    for command in ("/help", "/start", "/status", "/help"):
        await emulator.user_sends(user, command)
    answers = [message.text for message in await emulator.wait_for_bot_messages(user, 4)]
    assert ["/history N" in answers[0], "Здравствуйте" in answers[1], "нет обращений" in answers[2],
            "/history N" in answers[3]] == [True] * 4


async def test_a_user_who_blocked_the_bot_is_recorded(runner, emulator):
    user = emulator.create_user("Фёдор")
    await emulator.user_sends(user, "/help")
    await emulator.wait_for_bot_message(user)
    emulator.delay_next("sendMessage", 0.5)
    await emulator.user_sends(user, "/help")
    await asyncio.sleep(0.2)
    emulator.block_bot(user)  # while the answer is on its way
    await emulator.settle(quiet=0.8)
    async with runner.app.service.sessions() as session:
        assert (await session.get(User, user.id)).blocked_bot
    assert await runner.app.service.unsent() == []  # not retried for ever
    await emulator.user_sends(user, "/help")  # writing again unblocks
    await emulator.wait_for_bot_message(user)
    async with runner.app.service.sessions() as session:
        assert not (await session.get(User, user.id)).blocked_bot
