"""The Bot API emulator against the real aiogram client: polling, webhook, errors, files, topics, faults."""

import asyncio
import json

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from aiogram.utils.backoff import BackoffConfig
from aiohttp import web

from tests.emulator import BotAPIEmulator, sample_gif, sample_jpeg, sample_pdf, sample_png
from tests.emulator.fixtures import close_bot, polling, webhook_server

FAST_BACKOFF = BackoffConfig(min_delay=0.05, max_delay=0.2, factor=1.5, jitter=0.01)


def echo_dispatcher(seen: list[Update] | None = None) -> Dispatcher:
    """A tiny bot: echoes text in bold with a button, edits its message when the button is pressed."""
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Готово", callback_data="done")]])
        await message.answer(f"<b>Вы написали:</b> {message.text}", parse_mode="HTML", reply_markup=keyboard)

    @router.callback_query(F.data == "done")
    async def done(query: CallbackQuery) -> None:
        await query.answer("Спасибо")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Принято")

    dispatcher = Dispatcher()
    if seen is not None:

        @dispatcher.update.outer_middleware()
        async def remember(handler, update, data):
            seen.append(update)
            return await handler(update, data)

    dispatcher.include_router(router)
    return dispatcher


async def test_echo_and_button_through_long_polling(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user("Анна", username="anna_k")
    async with polling(echo_dispatcher(), tg_bot, emulator):
        sent = await emulator.user_sends(user, "/start привет")
        assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
        reply = await emulator.wait_for_bot_message(user)
        assert reply.text == "Вы написали: /start привет"
        assert reply.source == "<b>Вы написали:</b> /start привет" and reply.parse_mode == "HTML"
        assert {"type": "bold", "offset": 0, "length": 12} in reply.entities
        assert reply.button_texts == ["Готово"]

        query_id = await emulator.user_presses(user, reply, button="Готово")
        answer = await emulator.wait_for_callback_answer(query_id)
        assert answer.text == "Спасибо"
        await emulator.wait_for_edit(reply)
    assert reply.text == "Принято"
    assert reply.reply_markup is None  # editMessageText without a keyboard removes it, as in Telegram
    assert reply.history[0]["text"] == "Вы написали: /start привет"
    assert emulator.calls["sendMessage"] == 1 and emulator.calls["answerCallbackQuery"] == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>жирный", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("цена < 5", 'Unsupported start tag "" at byte offset 9'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("<a href=x", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_html_parse_errors_are_bad_requests(emulator: BotAPIEmulator, tg_bot: Bot, text: str, error: str):
    user = emulator.create_user()
    with pytest.raises(TelegramBadRequest) as raised:
        await tg_bot.send_message(user.id, text, parse_mode="HTML")
    assert raised.value.message == f"Bad Request: can't parse entities: {error}"
    assert emulator.sent(user) == []


async def test_limits_count_after_entity_parsing(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    markup_heavy = "<b>" + "я" * 4096 + "</b>"  # 4103 characters of source, 4096 of text
    message = await tg_bot.send_message(user.id, markup_heavy, parse_mode="HTML")
    assert len(message.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await tg_bot.send_message(user.id, "&lt;" * 4097, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await tg_bot.send_message(user.id, "<b> </b>", parse_mode="HTML")
    escaped = await tg_bot.send_message(user.id, "&lt;script&gt; &amp; &#128512; &nbsp;", parse_mode="HTML")
    assert escaped.text == "<script> & 😀 &nbsp;"
    too_long_data = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="я" * 33)]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await tg_bot.send_message(user.id, "x", reply_markup=too_long_data)


async def test_injected_errors_become_aiogram_exceptions(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    emulator.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as raised:
        await tg_bot.send_message(user.id, "раз")
    assert raised.value.retry_after == 7

    emulator.fail_next("sendMessage", 500, count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await tg_bot.send_message(user.id, "два")
    await tg_bot.send_message(user.id, "три")

    emulator.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await tg_bot.send_message(user.id, "четыре")
    emulator.drop_next("sendMessage", after_executing=True)  # sent, but the answer is lost
    with pytest.raises(TelegramNetworkError):
        await tg_bot.send_message(user.id, "четыре с половиной")

    emulator.block_bot(user)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await tg_bot.send_message(user.id, "пять")

    assert [m.text for m in emulator.sent(user)] == ["три", "четыре с половиной"]
    assert emulator.calls["sendMessage"] == 7 and emulator.failures["sendMessage"] == 6


async def test_rate_limit_answers_429_with_the_wait(emulator: BotAPIEmulator, tg_bot: Bot):
    group = emulator.create_group("Агенты")
    emulator.limit_rate(messages=2, per=60, chat_id=group.id)
    await tg_bot.send_message(group.id, "1")
    await tg_bot.send_message(group.id, "2")
    with pytest.raises(TelegramRetryAfter) as raised:
        await tg_bot.send_message(group.id, "3")
    assert 1 <= raised.value.retry_after <= 60


async def test_unknown_method_and_token_answer_like_telegram(emulator: BotAPIEmulator):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emulator.base_url}/bot{emulator.token}/sendTelepathy", json={}) as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.get(f"{emulator.base_url}/bot1:wrong/getMe") as response:
            assert response.status == 401
        async with session.get(f"{emulator.base_url}/bot{emulator.token}/getme") as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["username"] == emulator.bot.username


async def test_files_sent_by_users_download_as_the_same_bytes(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    photo_bytes = sample_jpeg(1600, 1200, tag="screen")
    photo = await emulator.user_sends(user, photo=photo_bytes, caption="ошибка тут")
    sizes = photo.data["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240), (800, 600), (1280, 960)]
    assert len({s["file_id"] for s in sizes}) == 4
    downloaded = await tg_bot.download(sizes[-1]["file_id"])
    assert downloaded is not None and downloaded.read() == photo_bytes

    pdf = sample_pdf()
    document = await emulator.user_sends(user, document=("screen.png", pdf, "image/png"))
    assert document.data["document"]["mime_type"] == "image/png"  # what the client declared, not the content
    file = await tg_bot.get_file(document.data["document"]["file_id"])
    assert file.file_size == len(pdf) and file.file_path
    downloaded = await tg_bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == pdf

    big = emulator.store_file("document", b"\0" * (20 * 1024 * 1024 + 1), "dump.bin")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await tg_bot.get_file(big.file_id)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await tg_bot.get_file("AgACnope")


async def test_files_sent_by_the_bot(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    png = sample_png(40, 30)
    sent = await tg_bot.send_photo(
        user.id, BufferedInputFile(png, "shot.png"), caption="<i>скрин</i>", parse_mode="HTML"
    )
    assert sent.photo is not None and sent.photo[-1].width == 40 and sent.caption == "скрин"
    assert emulator.download(sent.photo[-1].file_id) == png
    again = await tg_bot.send_photo(user.id, sent.photo[-1].file_id)  # re-sent by file_id
    assert again.photo is not None and again.photo[-1].file_id == sent.photo[-1].file_id

    document = await tg_bot.send_document(user.id, BufferedInputFile(sample_pdf(), "отчёт.pdf"))
    assert document.document is not None and document.document.mime_type == "application/pdf"
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await tg_bot.send_photo(user.id, BufferedInputFile(sample_pdf(), "fake.jpg"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await tg_bot.send_photo(user.id, document.document.file_id)

    album = await tg_bot.send_media_group(
        user.id,
        [InputMediaPhoto(media=BufferedInputFile(sample_jpeg(tag=str(i)), f"{i}.jpg")) for i in range(3)],
    )
    assert len({m.media_group_id for m in album}) == 1 and len(album) == 3
    assert [m.kind for m in emulator.sent(user)] == ["photo", "photo", "document", "photo", "photo", "photo"]


async def test_forum_topics_and_message_thread_not_found(emulator: BotAPIEmulator, tg_bot: Bot):
    agent = emulator.create_user("Олег")
    group = emulator.create_group("Агенты", admins=[agent])
    topic = await tg_bot.create_forum_topic(group.id, "#1 · romashka · не приходят письма")
    card = await tg_bot.send_message(group.id, "Карточка", message_thread_id=topic.message_thread_id)
    assert card.message_thread_id == topic.message_thread_id and card.is_topic_message
    assert card.reply_to_message is not None and card.reply_to_message.forum_topic_created is not None

    reply = await emulator.user_sends(agent, "Здравствуйте!", chat=group, thread_id=topic.message_thread_id)
    assert reply.data["is_topic_message"] is True and reply.thread_id == topic.message_thread_id

    await tg_bot.close_forum_topic(group.id, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await tg_bot.close_forum_topic(group.id, topic.message_thread_id)
    await tg_bot.reopen_forum_topic(group.id, topic.message_thread_id)
    await tg_bot.edit_forum_topic(group.id, topic.message_thread_id, name="#1 · решено")
    assert group.topics[topic.message_thread_id].name == "#1 · решено"

    await tg_bot.delete_forum_topic(group.id, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await tg_bot.send_message(group.id, "ещё", message_thread_id=topic.message_thread_id)

    again = await tg_bot.create_forum_topic(group.id, "#1 · заново")
    emulator.delete_topic(group, again.message_thread_id)  # deleted by hand
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await tg_bot.send_message(group.id, "карточка", message_thread_id=again.message_thread_id)

    general = await emulator.user_sends(agent, "/queue", chat=group)
    answer = await emulator.user_sends(agent, "ответ в общей теме", chat=group, reply_to=general)
    assert answer.thread_id == general.message_id and "is_topic_message" not in answer.data


async def test_members_and_chats_parse_in_aiogram(emulator: BotAPIEmulator, tg_bot: Bot):
    agent, stranger = emulator.create_user("Олег"), emulator.create_user("Пётр")
    member = emulator.create_user("Ира")
    group = emulator.create_group("Агенты", admins=[agent], members=[member])
    owner = await tg_bot.get_chat_member(group.id, agent.id)
    assert owner.status == "creator"
    assert isinstance(await tg_bot.get_chat_member(group.id, member.id), ChatMemberMember)
    assert isinstance(await tg_bot.get_chat_member(group.id, stranger.id), ChatMemberLeft)
    assert isinstance(await tg_bot.get_chat_member(group.id, emulator.bot.id), ChatMemberAdministrator)
    chat = await tg_bot.get_chat(group.id)
    assert chat.is_forum and chat.title == "Агенты"
    await tg_bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert [c.command for c in await tg_bot.get_my_commands()] == ["start"]
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await tg_bot.send_message(-100999, "x")


async def test_confirmed_updates_are_not_delivered_again(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    seen: list[Update] = []
    async with polling(echo_dispatcher(seen), tg_bot, emulator):
        first = await emulator.user_sends(user, "первое")
        await emulator.wait_for_bot_message(user)
    # a new process starts polling from scratch (offset unknown): only what was not confirmed comes
    async with polling(echo_dispatcher(seen), tg_bot, emulator):
        second = await emulator.user_sends(user, "второе")
        await emulator.wait_for_bot_message(user)
    assert [u.update_id for u in seen] == [first.update_id, second.update_id]
    assert emulator.deliveries[first.update_id] == 1


async def test_unconfirmed_updates_survive_a_stopped_bot(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    await emulator.user_sends(user, "пока бот лежал")
    seen: list[Update] = []
    async with polling(echo_dispatcher(seen), tg_bot, emulator):
        reply = await emulator.wait_for_bot_message(user)
    assert reply.text == "Вы написали: пока бот лежал" and len(seen) == 1


async def test_injected_redelivery_reaches_the_bot_again(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    seen: list[Update] = []
    async with polling(echo_dispatcher(seen), tg_bot, emulator):
        message = await emulator.user_sends(user, "дубль")
        await emulator.wait_for_bot_message(user)
        assert message.update_id is not None
        emulator.redeliver(message.update_id)
        await emulator.wait_for_bot_message(user)
        later = await emulator.user_sends(user, "после")
        await emulator.wait_for_bot_message(user, lambda m: "после" in (m.text or ""))
    assert [u.update_id for u in seen] == [message.update_id, message.update_id, later.update_id]
    assert emulator.deliveries[message.update_id] == 2


async def test_polling_rides_out_a_burst_of_server_errors(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    emulator.fail_next("getUpdates", 502, count=3)
    async with polling(echo_dispatcher(), tg_bot, emulator, backoff_config=FAST_BACKOFF):
        await emulator.user_sends(user, "ау")
        assert (await emulator.wait_for_bot_message(user)).text == "Вы написали: ау"
    assert emulator.failures["getUpdates"] == 3


async def test_user_side_updates_are_realistic(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    seen: list[Update] = []
    router = Router()

    @router.message()
    async def any_message(message: Message) -> None:
        await message.answer(message.content_type)

    @router.edited_message()
    async def edited(message: Message) -> None:
        await message.answer(f"изменено: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    @dispatcher.update.outer_middleware()
    async def remember(handler, update, data):
        seen.append(update)
        return await handler(update, data)

    async with polling(dispatcher, tg_bot, emulator):
        album = await emulator.user_sends_album(user, [sample_jpeg(tag="1"), sample_jpeg(tag="2")], caption="скрины")
        original = await emulator.user_sends(user, "romashka.aspro.cloud не работает")
        await emulator.user_edits(user, original, "romashka.aspro.cloud не открывается")
        await emulator.user_sends_sticker(user)
        await emulator.user_sends_voice(user)
        await emulator.user_sends_location(user)
        await emulator.user_sends(user, animation=sample_gif())
        replies = await emulator.wait_for_bot_messages(user, 8)
    assert [r.text for r in replies] == [
        "photo",
        "photo",
        "text",
        "изменено: romashka.aspro.cloud не открывается",
        "sticker",
        "voice",
        "location",
        "animation",
    ]
    groups = {u.message.media_group_id for u in seen[:2] if u.message}
    assert groups == {album[0].media_group_id} and album[0].media_group_id is not None
    edited_update = seen[3].edited_message
    assert edited_update is not None and edited_update.message_id == original.message_id and edited_update.edit_date
    assert original.entities[0]["type"] == "url"


async def test_webhook_mode_with_secret_and_redelivery(emulator: BotAPIEmulator):
    bot = emulator.make_bot(default=DefaultBotProperties(parse_mode="HTML"))
    failures_left = [1]

    @web.middleware
    async def flaky(request: web.Request, handler):
        if failures_left[0]:
            failures_left[0] -= 1
            return web.Response(status=500)
        return await handler(request)

    try:
        async with webhook_server(echo_dispatcher(), bot, middlewares=(flaky,), secret_token="s3cret") as url:
            await bot.set_webhook(url, secret_token="s3cret")
            with pytest.raises(TelegramConflictError):
                await bot.get_updates()
            user = emulator.create_user()
            await emulator.user_sends(user, "через вебхук")
            reply = await emulator.wait_for_bot_message(user)
            assert reply.text == "Вы написали: через вебхук"
            info = await bot.get_webhook_info()
            assert info.last_error_message and "500" in info.last_error_message
            assert info.pending_update_count == 0

            await bot.set_webhook(url, secret_token="wrong")
            refused = await emulator.user_sends(user, "чужой секрет")
            assert refused.update_id is not None
            await emulator.wait_for_deliveries(refused.update_id, 2)  # aiogram refuses the secret, Telegram retries
            assert emulator.pending_update_count == 1 and emulator.sent(user)[-1].text == reply.text
            await bot.set_webhook(url, secret_token="s3cret")
            assert (await emulator.wait_for_bot_message(user)).text == "Вы написали: чужой секрет"
            await bot.delete_webhook()
            # the same update POSTed to an instance once more (as to a second instance behind one URL)
            assert await emulator.deliver_to(url, refused.update_id, "s3cret") == 200
            assert (await emulator.wait_for_bot_message(user)).text == "Вы написали: чужой секрет"
    finally:
        await close_bot(bot)


async def test_feed_webhook_update_with_a_driver_update(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    message = await emulator.user_sends(user, "напрямую")
    assert message.update_id is not None
    await echo_dispatcher().feed_webhook_update(tg_bot, emulator.updates[message.update_id])
    assert (await emulator.wait_for_bot_message(user)).text == "Вы написали: напрямую"


async def test_copy_and_forward_into_a_topic(emulator: BotAPIEmulator, tg_bot: Bot):
    user, agent = emulator.create_user("Анна"), emulator.create_user("Олег")
    group = emulator.create_group("Агенты", admins=[agent])
    topic = await tg_bot.create_forum_topic(group.id, "#7 · romashka")
    shot = await emulator.user_sends(user, photo=sample_jpeg(tag="copy"), caption="вот <b>так</b>")
    copied = await tg_bot.copy_message(group.id, user.id, shot.message_id, message_thread_id=topic.message_thread_id)
    copy = group.messages[copied.message_id]
    assert copy.text == "вот <b>так</b>" and copy.thread_id == topic.message_thread_id and copy.is_topic_message
    assert copy.data["photo"] == shot.data["photo"] and "forward_origin" not in copy.data
    forwarded = await tg_bot.forward_message(group.id, user.id, shot.message_id)
    assert forwarded.forward_origin is not None and forwarded.forward_origin.type == "user"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await tg_bot.copy_message(group.id, user.id, 9999)
    assert [m.method for m in emulator.sent(group)] == ["copyMessage", "forwardMessage"]


async def test_settle_shows_a_silent_bot_and_markdown_is_checked(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    async with polling(echo_dispatcher(), tg_bot, emulator):
        await emulator.user_sends_sticker(user)  # the echo bot has no handler for stickers
        await emulator.settle(quiet=0.1)
        assert emulator.sent(user) == []
        await emulator.user_sends(user, "текст")
        await emulator.settle(quiet=0.1)
        assert [m.text for m in emulator.sent(user)] == ["Вы написали: текст"]
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await tg_bot.send_message(user.id, "Спасибо.", parse_mode="MarkdownV2")
    ok = await tg_bot.send_message(user.id, r"*Спасибо*\.", parse_mode="MarkdownV2")
    assert ok.text == "Спасибо." and ok.entities and ok.entities[0].type == "bold"


async def test_get_updates_offsets_limits_long_poll_and_conflicts(emulator: BotAPIEmulator, tg_bot: Bot):
    user = emulator.create_user()
    waiting = asyncio.create_task(tg_bot.get_updates(timeout=30))
    await emulator.wait_until_polling()
    first = await emulator.user_sends(user, "раз")
    updates = await asyncio.wait_for(waiting, 5)  # the long poll answers as soon as the update is there
    assert [u.update_id for u in updates] == [first.update_id]

    second = await emulator.user_sends(user, "два")
    await emulator.user_sends(user, "три")
    assert [u.update_id for u in await tg_bot.get_updates(limit=1)] == [first.update_id]
    confirmed = await tg_bot.get_updates(offset=second.update_id, limit=1)
    assert [u.update_id for u in confirmed] == [second.update_id]
    assert emulator.pending_update_count == 2  # "раз" is gone for good
    only_buttons = await tg_bot.get_updates(offset=second.update_id + 1, allowed_updates=["callback_query"])
    assert only_buttons == [] and emulator.pending_update_count == 0

    older = asyncio.create_task(tg_bot.get_updates(timeout=30))
    await emulator.wait_until_polling()
    assert await tg_bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 5)


async def test_raw_requests_in_json_and_form_encodings(emulator: BotAPIEmulator):
    user = emulator.create_user()
    url = f"{emulator.base_url}/bot{emulator.token}"
    keyboard = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage", json={"chat_id": user.id, "text": "json", "reply_markup": keyboard}
        ):
            pass
        form = {"chat_id": str(user.id), "text": "форма", "reply_markup": json.dumps(keyboard)}
        async with session.post(f"{url}/sendMessage", data=form) as response:
            assert (await response.json())["result"]["reply_markup"] == keyboard
        async with session.get(f"{url}/sendChatAction", params={"chat_id": user.id, "action": "typing"}) as response:
            assert response.status == 200
        async with session.post(f"{url}/sendChatAction", json={"chat_id": user.id, "action": "dancing"}) as response:
            assert response.status == 400
    assert [m.text for m in emulator.sent(user)] == ["json", "форма"]
    assert emulator.chat_actions == [(user.id, "typing", None)]


async def test_a_method_returned_in_the_webhook_answer_is_executed(emulator: BotAPIEmulator):
    router = Router()

    @router.message(F.text)
    async def reply_in_answer(message: Message):
        return message.answer(f"ответ в вебхуке: {message.text}")  # not awaited: sent back in the HTTP answer

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = emulator.make_bot()
    try:
        async with webhook_server(dispatcher, bot, handle_in_background=False) as url:
            await bot.set_webhook(url)
            user = emulator.create_user()
            await emulator.user_sends(user, "привет")
            reply = await emulator.wait_for_bot_message(user)
            assert reply.text == "ответ в вебхуке: привет"
            assert emulator.calls["sendMessage"] == 1
    finally:
        await close_bot(bot)


async def test_every_kind_of_update_parses_in_aiogram(emulator: BotAPIEmulator, tg_bot: Bot):
    user, agent, newcomer = emulator.create_user("Анна"), emulator.create_user("Олег"), emulator.create_user("Ира")
    group = emulator.create_group("Агенты", admins=[agent])
    topic = await emulator.user_creates_topic(agent, group, "#3 · вопрос")
    await emulator.user_sends(agent, "в теме", chat=group, thread_id=topic.thread_id)
    await emulator.user_joins(newcomer, group)
    await emulator.user_leaves(newcomer, group)
    card = await tg_bot.send_message(
        user.id,
        "карточка",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="y")]]),
    )
    await emulator.user_presses(user, emulator.sent(user)[0], "y")
    await emulator.user_sends(user, document=("скрин.pdf", sample_pdf()), reply_to=card.message_id)
    await emulator.user_sends(user, "пересланное", forwarded_from=agent)
    await emulator.user_sends_video(user, b"\x00\x00\x00\x18ftypmp42")
    emulator.block_bot(user)
    emulator.unblock_bot(user)
    raw = list(emulator.updates.values())
    parsed = [Update.model_validate(data, context={"bot": tg_bot}) for data in raw]
    assert [u.event_type for u in parsed] == [
        "message",  # forum_topic_created
        "message",
        "message",  # new_chat_members
        "chat_member",
        "message",  # left_chat_member
        "chat_member",
        "callback_query",
        "message",
        "message",
        "message",
        "my_chat_member",
        "my_chat_member",
    ]
    assert parsed[0].message and parsed[0].message.forum_topic_created
    assert parsed[7].message and parsed[7].message.reply_to_message and parsed[7].message.document


async def test_rights_and_membership_are_checked(emulator: BotAPIEmulator, tg_bot: Bot):
    agent, stranger = emulator.create_user("Олег"), emulator.create_user("Пётр", started=False)
    weak = emulator.create_group("Без прав", admins=[agent], bot_status="member")
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await tg_bot.create_forum_topic(weak.id, "тема")
    # privacy mode: a bot that is not an admin sees only commands, mentions and replies to itself
    assert (await emulator.user_sends(agent, "просто текст", chat=weak)).update_id is None
    assert (await emulator.user_sends(agent, "/queue", chat=weak)).update_id is not None
    plain = emulator.create_group("Обычная группа", admins=[agent], forum=False)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await tg_bot.create_forum_topic(plain.id, "тема")
    emulator.set_member(plain, emulator.bot, "kicked")
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await tg_bot.send_message(plain.id, "привет")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await tg_bot.send_message(stranger.id, "привет")
    await emulator.user_sends(stranger, "/start")
    await tg_bot.send_message(stranger.id, "теперь можно")


async def test_polling_helper_raises_when_the_bot_cannot_start(emulator: BotAPIEmulator, tg_bot: Bot):
    dispatcher = echo_dispatcher()

    @dispatcher.startup()
    async def broken_startup() -> None:
        raise RuntimeError("database is unreachable")

    with pytest.raises(RuntimeError, match="database is unreachable"):
        async with polling(dispatcher, tg_bot, emulator):
            pass


async def test_webhook_delivers_chats_in_parallel_and_each_chat_in_order(emulator: BotAPIEmulator):
    bot = emulator.make_bot()
    release = asyncio.Event()
    arrivals: list[str] = []

    @web.middleware
    async def slow_first(request: web.Request, handler):
        text = (await request.json())["message"]["text"]
        arrivals.append(text)
        if text == "A1":
            await release.wait()
        return await handler(request)

    anna, boris = emulator.create_user("Анна"), emulator.create_user("Борис")
    try:
        async with webhook_server(echo_dispatcher(), bot, middlewares=(slow_first,)) as url:
            await bot.set_webhook(url)
            for user, text in ((anna, "A1"), (anna, "A2"), (boris, "B1")):
                await emulator.user_sends(user, text)
            assert (await emulator.wait_for_bot_message(boris)).text == "Вы написали: B1"
            assert arrivals == ["A1", "B1"]  # A2 waits for A1 to be answered
            release.set()
            assert [m.text for m in await emulator.wait_for_bot_messages(anna, 2)] == [
                "Вы написали: A1",
                "Вы написали: A2",
            ]
            assert arrivals == ["A1", "B1", "A2"]
    finally:
        await close_bot(bot)
