"""Bad input through the real text pipeline (moderation, triage, extraction, the dialogue, escaping and
splitting): arbitrary Unicode, control and zero-width characters, RTL, markup-looking and 100,000-character
texts. Nothing raises; every reply is valid Telegram HTML within Telegram's limit and shows the user's
text as text, never as markup. Forged button data changes nothing and is logged."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import extraction
from bot.conversation import ConversationService, Incoming
from bot.moderation import moderate
from bot.storage import Conversation, Ticket
from bot.texts import MESSAGE_LIMIT
from bot.triage import read_message
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.emulator.formatting import parse_html, utf16_len
from tests.fakes import FakeSchedule, FakeSearcher

SPECIAL = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202b", "\u202e",
           "\u2066", "\u2069", "\x00", "\x07", "\x1b", "\r", "\t", "\u0301", "\U0001F600", "\ud7ff"]
MARKUP = ["<b>", "</b>", "<i>", "<a href=\"javascript:alert(1)\">", "</a>", "<tg-spoiler>", "&amp;", "&lt;",
          "&", "<", ">", "<pre><code class=\"x\">", "*bold*", "_it_", "[link](http://x)", "`code`", "<!--", "]]>"]
WORDS = ["ошибка", "500", "не", "работает", "romashka.aspro.cloud", "https://x.aspro.cloud/crm/deals/1",
         "Chrome 120", "Windows 11", "сделка", "воронка", "срочно", "שלום", "مرحبا", "/start", "спасибо"]
texts = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(SPECIAL), st.sampled_from(MARKUP),
                           st.sampled_from(WORDS)), max_size=40).map(" ".join)


class Loop:
    """One event loop and one service for all examples (a database per example would be slow)."""

    def __init__(self, tmp_path) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = make_engine(database_url(tmp_path, "fuzz.sqlite3"))
        self.service = ConversationService(self.engine, reader=read_message, moderator=moderate,
                                           schedule=FakeSchedule(), searcher=FakeSearcher(), hours="с 8 до 18")
        self.run(self.service.start())
        self.ids = itertools.count(1)

    def run(self, job):
        return self.loop.run_until_complete(job)

    def send(self, chat_id: int, kind: str, text: str, **extra) -> list:
        number = next(self.ids)
        incoming = Incoming(update_id=number, chat_id=chat_id, user_id=chat_id, type=kind, message_id=number,
                            text=text, name="Тест", **extra)
        return self.run(self.service.handle(incoming))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Iterator[Loop]:
    loop = Loop(tmp_path_factory.mktemp("fuzz"))
    yield loop
    loop.run(loop.engine.dispose())
    loop.loop.close()


def check_reply(text: str) -> None:
    assert utf16_len(text) <= MESSAGE_LIMIT
    _shown, entities = parse_html(text)  # Telegram would accept it (raises on a parse error)
    assert all(e["type"] in {"bold", "italic", "text_link", "code", "pre", "blockquote", "underline",
                             "expandable_blockquote"} for e in entities)
    assert all(not e.get("url", "").startswith("javascript") for e in entities)  # no user-made link


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_readers_take_any_text(text):
    reading = read_message(text)
    assert reading.scope in {"in", "out"}
    moderate(text)
    extraction.extract_environment(text)
    extraction.extract_steps(text)
    extraction.account_from_answer(text)
    extraction.search_query(text)


chats = itertools.count(1000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=texts, second=texts)
def test_the_dialogue_answers_any_text_with_valid_html_within_limits(pipeline, first, second):
    chat = next(chats)
    for text in (first, second, "romashka.aspro.cloud", "не знаю", "не знаю"):
        for reply in pipeline.send(chat, "text", text):
            check_reply(reply.text)
    for reply in pipeline.send(chat, "command", "", command="history"):
        check_reply(reply.text)


@pytest.mark.parametrize("unit", ["<b>ошибка</b> & в romashka.aspro.cloud \u200f שלום \u202e ", "я" * 50 + "\n",
                                  "<a href='x'>" * 10 + "&lt;" * 10])
def test_a_100000_character_message_is_handled_and_split(pipeline, unit):
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    chat = next(chats)
    replies = pipeline.send(chat, "text", text)
    assert replies
    for follow_up in ("romashka.aspro.cloud", "не знаю", "не знаю"):
        replies += pipeline.send(chat, "text", follow_up)
    for reply in replies:
        check_reply(reply.text)
    history = pipeline.send(chat, "command", "", command="status")
    for reply in history:
        check_reply(reply.text)


@pytest.mark.parametrize("data", ["send:", "send:999", "field:account", "account:yes", "next:yes", "drop:table",
                                  "", ":", "x" * 64, "helped:\u202e", "edit:'; DROP TABLE tickets;--"])
def test_forged_button_data_changes_nothing_and_is_logged(pipeline, data, caplog):
    chat = next(chats)
    pipeline.send(chat, "text", "Не сохраняется сделка, ошибка 500")  # a draft waiting for the account

    async def state():
        async with pipeline.service.sessions() as session:
            row = await session.get(Conversation, chat)
            count = (await session.execute(select(func.count(Ticket.id)))).scalar_one()
            return row.step, row.data, count

    before = pipeline.run(state())
    with caplog.at_level(logging.WARNING, logger="bot.conversation"):
        replies = pipeline.send(chat, "press", data)
    after = pipeline.run(state())
    assert after == before
    assert [r.text for r in replies] and all("неактуальна" in r.text for r in replies)
    assert any("stale or forged" in record.getMessage() for record in caplog.records)
