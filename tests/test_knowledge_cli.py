"""`python -m knowledge` as an admin runs it (real processes), and the `Knowledge` facade."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace

import pytest

from knowledge.__main__ import ProgressPrinter
from knowledge.crawler import CrawlProgress
from knowledge.service import Knowledge
from knowledge.settings import KnowledgeSettings
from tests.mirror import PUBLIC_BASE, Mirror, articles, db_url, serving, snapshot

ROOT = Path(__file__).resolve().parent.parent
HIT_FIELDS = {"url", "title", "heading", "snippet", "score"}


def cli(*args: str, db: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url(db), "CRAWL_TIMEOUT": "2", **env}
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *args], input=stdin, capture_output=True, text=True,
        encoding="utf-8", env=environment, cwd=db.parent, timeout=120,
    )


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    with serving(1) as server:
        yield server


@pytest.fixture(scope="module")
def crawled(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    db = tmp_path_factory.mktemp("cli") / "index.sqlite3"
    result = cli("crawl", "--base-url", mirror.base, "--public-base-url", PUBLIC_BASE,
                 "--concurrency", "8", "--timeout", "2", db=db)
    return SimpleNamespace(db=db, result=result)


def test_crawl_prints_progress_lines_and_the_summary(crawled):
    assert crawled.result.returncode == 0, crawled.result.stderr
    assert "new 132, updated 0, removed 0" in crawled.result.stdout
    assert "skipped:" in crawled.result.stdout and "too_large 1" in crawled.result.stdout
    progress = [line for line in crawled.result.stderr.splitlines() if line.startswith("crawl: ")]
    assert progress and "\r" not in crawled.result.stderr  # not a terminal: plain lines, no bar


def test_search_json_puts_the_article_asked_by_its_title_first(crawled):
    for article in articles()[:3]:
        result = cli("search", article["title"], "--json", db=crawled.db)
        assert result.returncode == 0, result.stderr
        hits = json.loads(result.stdout)
        assert 1 <= len(hits) <= 3
        assert all(set(hit) == HIT_FIELDS for hit in hits)
        assert hits[0]["url"].split("#")[0] == article["url"]
        assert hits[0]["title"] == article["title"]


def test_search_limit_and_text_output(crawled):
    result = cli("search", articles()[5]["title"], "--limit", "1", "--json", db=crawled.db)
    assert len(json.loads(result.stdout)) == 1
    text = cli("search", articles()[5]["title"], db=crawled.db)
    assert text.returncode == 0
    assert text.stdout.startswith("1. " + articles()[5]["title"])
    assert articles()[5]["url"] in text.stdout


def test_batch_answers_one_json_array_per_line_in_order(crawled, tmp_path):
    picked = [articles()[7], articles()[40], articles()[90]]
    queries = [picked[0]["title"], "", picked[1]["title"], picked[2]["title"]]
    batch = tmp_path / "queries.txt"
    batch.write_text("\n".join(queries) + "\n", encoding="utf-8")
    for source, stdin in ((str(batch), None), ("-", "\n".join(queries))):
        result = cli("search", "--batch", source, db=crawled.db, stdin=stdin)
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) == 4
        assert lines[1] == []
        tops = [lines[0][0]["url"], lines[2][0]["url"], lines[3][0]["url"]]
        assert [url.split("#")[0] for url in tops] == [article["url"] for article in picked]


def test_search_on_an_empty_index_says_so(tmp_path):
    result = cli("search", "не приходят письма", db=tmp_path / "empty.sqlite3")
    assert result.returncode == 1
    assert "index is empty" in result.stderr
    assert result.stdout == ""


def test_search_without_a_query_is_refused_clearly(crawled):
    result = cli("search", "   ", db=crawled.db)
    assert result.returncode == 2
    assert "query" in result.stderr


def test_stats(crawled):
    result = cli("stats", db=crawled.db)
    assert result.returncode == 0
    assert result.stdout.startswith("pages 132, sections ")
    assert "never" not in result.stdout


def test_an_unreachable_site_exits_non_zero_and_leaves_the_index(crawled, tmp_path):
    db = tmp_path / "index.sqlite3"
    shutil.copy(crawled.db, db)
    before = snapshot(db)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("crawl", "--base-url", f"http://127.0.0.1:{port}/help/", db=db, CRAWL_RETRIES="1")
    assert result.returncode == 1
    assert "could not be reached" in result.stdout
    assert snapshot(db) == before


def test_bad_arguments_get_a_clear_line(tmp_path):
    result = cli("crawl", "--base-url", "ftp://example.com/", db=tmp_path / "x.sqlite3")
    assert result.returncode == 2
    assert "--base-url must start with http:// or https://" in result.stderr
    result = cli("crawl", "--concurrency", "0", db=tmp_path / "x.sqlite3")
    assert result.returncode == 2 and "at least 1" in result.stderr


async def test_the_facade_searches_what_its_crawl_stored(mirror, tmp_path, monkeypatch):
    # the mirror's slow page takes 15 s: a 5 s timeout still leaves it out and gives the others room
    settings = KnowledgeSettings(DATABASE_URL=db_url(tmp_path / "index.sqlite3"), CRAWL_TIMEOUT=5)
    knowledge = Knowledge(settings)
    elsewhere = Knowledge(settings)  # another process, say the bot, holding the index already
    try:
        assert await knowledge.is_empty()
        assert await knowledge.search(articles()[0]["title"]) == []
        assert await elsewhere.search(articles()[0]["title"]) == []
        assert (await knowledge.stats()).last_crawl_at is None

        summary = await knowledge.crawl(base_url=mirror.base, public_base_url=PUBLIC_BASE)
        assert summary.completed and summary.new == 132

        assert not await knowledge.is_empty()
        hits = await knowledge.search(articles()[0]["title"], limit=2)
        assert 1 <= len(hits) <= 2
        assert hits[0].url.split("#")[0] == articles()[0]["url"]
        assert await knowledge.search("   ") == []
        stats = await knowledge.stats()
        assert stats.pages == 132 and stats.sections >= 132
        assert stats.last_crawl_at is not None and stats.last_crawl_at.tzinfo == UTC

        assert await elsewhere.search(articles()[0]["title"]) == []  # not looked again yet
        monkeypatch.setattr("knowledge.service.REFRESH_SECONDS", 0.0)
        found = await elsewhere.search(articles()[0]["title"])
        assert found and found[0].url.split("#")[0] == articles()[0]["url"]
    finally:
        await knowledge.close()
        await elsewhere.close()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise():
    updates = [CrawlProgress(done=n, discovered=60, fetched=n, unchanged=0, errors=0, url=f"u{n}")
               for n in range(1, 61)]
    terminal, log = _Terminal(), io.StringIO()
    bar, lines = ProgressPrinter(terminal), ProgressPrinter(log)
    for update in updates:
        bar(update)
        lines(update)
    bar.finish()
    lines.finish()
    assert terminal.getvalue().count("\r") == 60 and terminal.getvalue().endswith("\n")
    assert "60/60 pages" in terminal.getvalue().rsplit("\r", 1)[-1]
    assert log.getvalue().splitlines() == [
        "crawl: 25/60 pages, 25 fetched, 0 unchanged, 0 errors",
        "crawl: 50/60 pages, 50 fetched, 0 unchanged, 0 errors",
        "crawl: 60/60 pages, 60 fetched, 0 unchanged, 0 errors",
    ]
