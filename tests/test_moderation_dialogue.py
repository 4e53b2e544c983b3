"""How the dialogue answers rudeness (SLA 4.2, 4.8) with the real moderation: rudeness with no label
and no obscenity is answered, with a polite request to keep it constructive, and never suspends."""

from __future__ import annotations

import pytest

from bot import texts
from bot.conversation import ConversationService
from bot.moderation import moderate
from bot.storage import Conversation
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.fakes import FakeSchedule, FakeSearcher, fake_read
from tests.test_conversation import WEDNESDAY_NOON, Chat

KEEP_CONSTRUCTIVE = texts.render("keep_constructive")


@pytest.fixture
async def service(tmp_path):
    engine = make_engine(database_url(tmp_path))
    service = ConversationService(engine, reader=fake_read, moderator=moderate, schedule=FakeSchedule(),
                                  searcher=FakeSearcher(), hours="по рабочим дням с 8:00 до 18:00",
                                  clock=lambda: WEDNESDAY_NOON)
    await service.start()
    yield service
    await engine.dispose()


async def _conversation(service: ConversationService, chat: Chat) -> Conversation:
    async with service.sessions() as session:
        conversation = await session.get(Conversation, chat.chat_id)
        assert conversation is not None
        return conversation


async def test_rudeness_with_a_proper_rewording_is_answered_and_not_counted(service):
    chat = Chat(service)
    answers = await chat.say("да пошли вы. Не сохраняется сделка в romashka.aspro.cloud: жму «Сохранить» — ошибка")
    assert answers[0].text == KEEP_CONSTRUCTIVE
    assert len(answers) > 1 and "переформулируйте" not in answers[1].text
    conversation = await _conversation(service, chat)
    assert conversation.strikes == 0 and conversation.step != "suspended"
    assert conversation.data["draft"]["description"]


async def test_rudeness_after_an_offence_does_not_suspend(service):
    chat = Chat(service)
    await chat.say("Не сохраняется сделка")
    first = await chat.say("да бля опять")
    assert "переформулируйте" in first[0].text
    rude = await chat.say("да пошли вы все, третий день жду ответа")
    assert rude[0].text == KEEP_CONSTRUCTIVE and "4.8" not in " ".join(a.text for a in rude)
    conversation = await _conversation(service, chat)
    assert conversation.strikes == 1 and conversation.step != "suspended"


async def test_an_insult_after_an_offence_still_suspends(service):
    chat = Chat(service)
    await chat.say("Не сохраняется сделка")
    await chat.say("да бля опять")
    second = await chat.say("слушайте, клоуны, почините уже")
    assert "4.8" in second[0].text
    assert (await _conversation(service, chat)).step == "suspended"
