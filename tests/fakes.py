"""Plain fakes of the reader, moderation, search and schedule for the dialogue's unit tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.reading.normalise import INVISIBLE


@dataclass(frozen=True)
class FakeProblem:
    text: str
    category: str
    critical: bool = False


@dataclass(frozen=True)
class FakeReading:
    category: str = "functionality_question"
    scope: str = "in"
    critical: bool = False
    multi_problem: bool = False
    account: str | None = None
    problems: tuple[FakeProblem, ...] = ()
    profanity: bool = False
    insult: bool = False
    readable: bool = True
    outage_unsure: bool = False


@dataclass(frozen=True)
class FakeModeration:
    profanity: bool = False
    insult: bool = False


_ACCOUNT = re.compile(r"([a-z0-9-]+\.aspro\.cloud)", re.IGNORECASE)
_RULES = (
    ("other_channel_or_offtopic", "out", False, ("телефон", "позвонить", "скайп")),
    ("payment_integration_script", "out", False, ("скрипт оплат", "robokassa", "платёжн")),
    ("general_programming", "out", False, ("python", "javascript", "sql-запрос")),
    ("feature_request", "in", False, ("предлагаю", "добавьте возможность", "было бы удобно")),
    ("outage", "in", True, ("не открывается аккаунт", "всё лежит", "недоступен")),
    ("bug_report", "in", False, ("ошибка", "не сохраняется", "не работает", "пропадает")),
    ("setup_consultation", "in", False, ("как настроить", "как подключить")),
)


def _categorise(text: str) -> FakeProblem:
    low = text.lower()
    for category, _scope, critical, words in _RULES:
        if any(word in low for word in words):
            return FakeProblem(text.strip(), category, critical)
    return FakeProblem(text.strip(), "functionality_question", False)


def fake_read(text: str) -> FakeReading:
    """A keyword reader: enough to drive the dialogue; «и ещё» separates unrelated problems."""
    parts = [part for part in re.split(r"\s+и ещё\s+", text) if part.strip()] or [text]
    problems = sorted((_categorise(part) for part in parts), key=lambda p: not p.critical)
    primary = problems[0]
    scope = next(scope for category, scope, _c, _w in _RULES if category == primary.category) \
        if primary.category != "functionality_question" else "in"
    account = _ACCOUNT.search(text)
    return FakeReading(category=primary.category, scope=scope, critical=primary.critical,
                       multi_problem=len(problems) > 1, account=account.group(1).lower() if account else None,
                       problems=tuple(problems), readable=_readable(text), outage_unsure="у кого-то" in text.lower())


def _readable(text: str) -> bool:
    return bool(re.search(r"[^\W_]", INVISIBLE.sub("", _ACCOUNT.sub("", text))))


def fake_moderate(text: str) -> FakeModeration:
    low = text.lower()
    return FakeModeration(profanity="бля" in low.split() or "хрень" in low, insult="идиоты" in low)


@dataclass(frozen=True)
class FakeHit:
    url: str
    title: str
    heading: str | None = None
    snippet: str = ""
    score: float = 1.0


@dataclass
class FakeSearcher:
    """Returns its hits for queries containing one of `words`; records the queries."""

    words: tuple[str, ...] = ("как настроить", "воронк")
    hits: tuple[FakeHit, ...] = (
        FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки продаж", "Как настроить воронку"),
        FakeHit("https://aspro.cloud/help/articles/2--etapy", "Этапы сделок", None),
    )
    queries: list[str] = field(default_factory=list)

    async def search(self, query: str, limit: int = 3) -> list[FakeHit]:
        self.queries.append(query)
        return list(self.hits[:limit]) if any(word in query.lower() for word in self.words) else []


@dataclass
class FakeSchedule:
    """Open on weekdays 8–18 UTC+3, no holidays: enough to tell «open now» from «next opening»."""

    open_hour: int = 8
    close_hour: int = 18

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(UTC) + timedelta(hours=3)

    def is_open(self, at: datetime) -> bool:
        local = self._local(at)
        return local.weekday() < 5 and self.open_hour <= local.hour < self.close_hour

    def next_open(self, at: datetime) -> datetime:
        local = self._local(at)
        day = local.replace(hour=self.open_hour, minute=0, second=0, microsecond=0)
        if local >= day:
            day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return (day - timedelta(hours=3)).replace(tzinfo=UTC)

    def _opened(self, at: datetime) -> datetime:
        return at if self.is_open(at) else self.next_open(at)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        total, moment = 0.0, start
        while moment < end:
            moment = self._opened(moment)
            closing = self._local(moment).replace(hour=self.close_hour, minute=0, second=0, microsecond=0)
            closing = (closing - timedelta(hours=3)).replace(tzinfo=UTC)
            total += max(0.0, (min(end, closing) - moment).total_seconds())
            moment = closing
        return total

    def add_working_seconds(self, at: datetime, seconds: float) -> datetime:
        moment, remaining = self._opened(at), max(0.0, seconds)
        while True:
            closing = self._local(moment).replace(hour=self.close_hour, minute=0, second=0, microsecond=0)
            closing = (closing - timedelta(hours=3)).replace(tzinfo=UTC)
            if remaining <= (closing - moment).total_seconds():
                return moment + timedelta(seconds=remaining)
            remaining -= (closing - moment).total_seconds()
            moment = self._opened(closing)
