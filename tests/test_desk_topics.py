"""One forum topic per ticket across instances: two desks (as two bot instances in webhook mode) on one
database, each with its own engine, locks and aiogram client, against the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.conversation import ConversationService
from bot.desk import Desk
from bot.schedule import SupportSchedule
from bot.storage import Ticket, User, utcnow
from handlers.telegram_port import TelegramPort
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.emulator import BotAPIEmulator
from tests.emulator.fixtures import close_bot
from tests.fakes import fake_moderate, fake_read

SCHEDULE = SupportSchedule()


class Instances:
    """Desks sharing one database, as several instances of the bot would."""

    def __init__(self, emulator: BotAPIEmulator, url: str) -> None:
        self.emulator = emulator
        self.url = url
        self.group = emulator.create_group("Поддержка")
        self.desks: list[Desk] = []
        self._closing: list[Any] = []

    async def start(self, **desk: Any) -> Desk:
        engine = make_engine(self.url)
        service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=SCHEDULE)
        await service.start()
        bot = self.emulator.make_bot()
        self._closing.append((engine, bot))
        self.desks.append(Desk(service, TelegramPort(bot), group_id=self.group.id, schedule=SCHEDULE, **desk))
        return self.desks[-1]

    async def file_ticket(self, **values: Any) -> None:
        async with self.desks[0].service.writing() as session:
            session.add(User(id=7, name="Клиент"))
            await session.flush()
            session.add(Ticket(id=1, user_id=7, chat_id=7, account="romashka.aspro.cloud", category="bug_report",
                               description="Не сохраняется сделка", **values))

    async def ticket(self) -> Ticket:
        async with self.desks[0].sessions() as session:
            ticket = await session.get(Ticket, 1)
        assert ticket is not None
        return ticket

    async def claimed(self) -> None:
        """Until an instance holds the claim to open the ticket's topic (up to 5 s)."""
        for _ in range(500):
            if (await self.ticket()).topic_claim is not None:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("no instance claimed the topic")

    async def close(self) -> None:
        for engine, bot in self._closing:
            await close_bot(bot)
            await engine.dispose()


@pytest.fixture
async def instances(emulator: BotAPIEmulator, tmp_path) -> AsyncIterator[Instances]:
    made = Instances(emulator, database_url(tmp_path))
    try:
        yield made
    finally:
        await made.close()


def topic_messages(emulator: BotAPIEmulator, instances: Instances, thread_id: int) -> list[str]:
    return [m.text or "" for m in emulator.sent(instances.group, thread_id=thread_id)]


async def test_two_instances_racing_to_open_a_tickets_topic_create_one(emulator, instances):
    first, second = await instances.start(), await instances.start()
    await instances.file_ticket()
    emulator.delay_next("createForumTopic", 0.5)  # whoever creates it first is slow: the other must wait
    published = await asyncio.gather(first.publish_pending(), second.publish_pending(),
                                     second.note(1, "Пользователь дописал деталь"))
    assert emulator.calls["createForumTopic"] == 1
    assert published[2] is not None
    ticket = await instances.ticket()
    assert ticket.topic_id is not None and (ticket.topic_claim, ticket.topic_claimed_at) == (None, None)
    texts = topic_messages(emulator, instances, ticket.topic_id)
    assert len(texts) == 2 and texts[0].startswith("Обращение #1") and texts[1] == "Пользователь дописал деталь"
    # the topic is known to both from now on: nothing more is created
    assert await first.publish_pending() == 0 and await second.publish_pending() == 0
    assert await first.note(1, "Ещё одна") is not None
    assert emulator.calls["createForumTopic"] == 1


async def test_a_claim_kept_fresh_by_a_slow_instance_is_not_taken_over(emulator, instances):
    """Telegram keeps the creating instance waiting longer than a claim lives: its claim is refreshed
    meanwhile, so the other instance keeps waiting for that topic instead of opening a second one."""
    first = await instances.start(topic_claim_seconds=1.0)
    second = await instances.start(topic_claim_seconds=1.0)
    await instances.file_ticket()
    emulator.delay_next("createForumTopic", 2.5)
    opening = asyncio.create_task(first.publish_pending())
    await instances.claimed()
    assert await second.note(1, "Сообщение пользователя") is not None
    assert await opening == 1
    assert emulator.calls["createForumTopic"] == 1


async def test_the_claim_of_an_instance_that_died_expires(emulator, instances):
    desk = await instances.start(topic_claim_seconds=0.5)
    # an instance claimed the topic a moment ago and died before creating it
    await instances.file_ticket(topic_claim="dead", topic_claimed_at=utcnow())
    assert await desk.publish_pending() == 0  # another instance is on it (for all this one knows)
    assert await desk.note(1, "Сообщение пользователя") is not None  # waits, then takes over the expired claim
    assert emulator.calls["createForumTopic"] == 1
    async with desk.service.writing() as session:  # a claim long expired is taken over by the publish
        await session.execute(update(Ticket).values(topic_id=None, topic_claim="dead",
                                                    topic_claimed_at=utcnow() - timedelta(minutes=5)))
    assert await desk.publish_pending() == 1
    assert emulator.calls["createForumTopic"] == 2
    ticket = await instances.ticket()
    assert ticket.topic_claim is None and ticket.topic_id is not None


async def test_an_instance_whose_claim_was_taken_over_closes_its_topic_and_uses_the_winners(emulator, instances):
    desk = await instances.start()
    await instances.file_ticket()
    agent = emulator.create_user("Анна")
    emulator.set_member(instances.group, agent, "administrator")
    emulator.delay_next("createForumTopic", 1.0)
    opening = asyncio.create_task(desk.publish_pending())
    await instances.claimed()
    # meanwhile its claim was taken for stale (a pause longer than a claim lives) and the winner's topic recorded
    winners = await emulator.user_creates_topic(agent, instances.group, "#1 · другой экземпляр")
    async with desk.service.writing() as session:
        await session.execute(update(Ticket).values(topic_id=winners.thread_id, topic_claim=None,
                                                    topic_claimed_at=None))
    assert await opening == 1
    ticket = await instances.ticket()
    assert ticket.topic_id == winners.thread_id and ticket.topic_claim is None
    [own] = [topic for topic in instances.group.topics.values() if topic.thread_id != winners.thread_id]
    assert own.closed and topic_messages(emulator, instances, own.thread_id) == []
