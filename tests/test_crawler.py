"""The crawler against the help-center mirror on loopback: every awkward case of its README."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from knowledge.db import make_engine
from knowledge.model import Section
from knowledge.storage import IndexStore
from tests.mirror import PUBLIC_BASE, Mirror, articles, db_url, query, run_crawl, serving, site_module, snapshot

FIRST = urlsplit(articles()[0]["url"]).path
SECOND = urlsplit(articles()[1]["url"]).path
LEGACY = "/help/articles/legacy-staraya-ssylka"
HUGE = "/help/articles/9990--ogromnaya-stranica"
SLOW = "/help/articles/9991--medlennaya-stranica"
FLAKY = "/help/articles/9992--inogda-nedostupna"
CP1251 = "/help/articles/9993--staraya-kodirovka"
BROKEN = "/help/articles/0000--net-takoj-stranicy"
NEW_IN_REVISION_2 = "/help/articles/9994--novaya-statya-o-shablonah"
NOISE = ("keyboard_arrow", "Была ли статья полезной", "Похожие статьи", "© 2013", "Политика конфиденциальности",
         "Поиск по справке", "gtag", "dataLayer", "metrika", "Рисунок 1", "Центр поддержки Аспро.Cloud",
         "Старые ссылки", "Руководство (PDF)", "Обновлено:")


def public(path: str) -> str:
    return "https://aspro.cloud" + path


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    with serving(1) as server:
        yield server


@pytest.fixture(scope="module")
def mirror_rev2() -> Iterator[Mirror]:
    with serving(2) as server:
        yield server


@pytest.fixture(scope="module")
def first(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One crawl of revision 1 into a fresh SQLite file, with what the server saw."""
    db = tmp_path_factory.mktemp("first") / "index.sqlite3"
    mirror.reset()
    requested: list[str] = []
    progress: list = []
    summary = asyncio.run(run_crawl(db, mirror.base, requested=requested, progress=progress.append))
    return SimpleNamespace(db=db, summary=summary, hits=mirror.stats()["hits"], status=mirror.stats()["status"],
                           requested=requested, progress=progress)


def copy_db(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index.sqlite3"
    shutil.copy(source, target)
    return target


def load_sections(db: Path) -> list[Section]:
    async def load() -> list[Section]:
        engine = make_engine(db_url(db))
        try:
            return await IndexStore(engine).load_sections()
        finally:
            await engine.dispose()

    return asyncio.run(load())


def page_urls(db: Path, articles_only: bool = True) -> set[str]:
    where = " WHERE is_article" if articles_only else ""
    return {row[0] for row in query(db, "SELECT public_url FROM kb_pages" + where)}


# ---- the first crawl ---------------------------------------------------------------------------

def test_first_crawl_indexes_every_article_under_its_public_canonical_url(first):
    assert first.summary.completed and first.summary.reached_site
    expected = {a["url"] for a in articles()} | {public(FLAKY), public(CP1251)}
    assert page_urls(first.db) == expected
    assert first.summary.new == len(expected)
    assert all(url.startswith(PUBLIC_BASE) for url in page_urls(first.db, articles_only=False))


def test_progress_counts_every_address_once_and_ends_complete(first):
    assert [update.done for update in first.progress] == list(range(1, len(first.progress) + 1))
    last = first.progress[-1]
    assert last.done == last.discovered
    assert last.fetched == first.summary.fetched
    assert last.errors == len(first.summary.errors)


def test_robots_txt_is_honoured(first):
    assert first.hits["/robots.txt"] == 1
    fetched = set(first.hits)
    assert not [path for path in fetched if path.startswith(("/help/search", "/help/print"))]
    assert first.summary.skipped["robots"] >= 1


def test_the_redirect_loop_is_bounded(first):
    assert first.hits["/help/loop-a"] == 1
    assert first.hits["/help/loop-b"] == 1
    assert first.summary.skipped["redirect_loop"] == 1


def test_the_legacy_redirect_resolves_to_the_first_article_without_a_duplicate(first):
    assert first.hits[LEGACY] == 1
    assert first.hits[FIRST] == 1
    rows = query(first.db, "SELECT url FROM kb_pages WHERE public_url = ?", public(FIRST))
    assert rows == [(public(FIRST),)]
    assert not query(first.db, "SELECT url FROM kb_pages WHERE url LIKE '%legacy%'")


def test_pdf_png_and_the_huge_page_are_skipped(first):
    assert first.hits["/help/upload/rukovodstvo.pdf"] == 1
    assert not [url for url in first.requested if url.endswith(".png")]
    assert first.summary.skipped["not_html"] == 1
    assert first.summary.skipped["too_large"] == 1
    stored = page_urls(first.db, articles_only=False)
    assert public(HUGE) not in stored
    assert not [url for url in stored if "/upload/" in url]


def test_the_slow_page_times_out_once_and_the_crawl_goes_on(first):
    assert first.hits[SLOW] == 1  # not asked again: that would hold the crawl for another timeout
    assert [error for error in first.summary.errors if SLOW in error and "2 s" in error]
    assert public(SLOW) not in page_urls(first.db, articles_only=False)
    assert first.summary.completed


def test_the_503_is_retried_and_the_page_indexed(first):
    assert first.hits[FLAKY] == 2
    assert first.status["503"] == 1
    texts = [s.text for s in load_sections(first.db) if s.page_url == public(FLAKY)]
    assert texts and "повторный запрос проходит" in texts[0]


def test_a_windows_1251_page_reads_right(first):
    sections = [s for s in load_sections(first.db) if s.page_url == public(CP1251)]
    assert sections[0].title == "Старая кодировка"
    assert "«Кириллица»" in sections[0].text
    assert sections[0].breadcrumbs == ("Начало работы",)


def test_other_sites_are_never_requested(first):
    assert first.requested
    assert all(url.startswith(first.requested[0].rsplit("/robots.txt", 1)[0]) for url in first.requested)
    assert first.summary.skipped["offsite"] >= 4


def test_the_broken_link_is_not_indexed(first):
    assert first.hits[BROKEN] == 1
    assert first.summary.skipped["http_404"] == 1
    assert public(BROKEN) not in page_urls(first.db, articles_only=False)


def test_sections_carry_headings_deep_links_and_breadcrumbs_without_navigation_noise(first):
    sections = load_sections(first.db)
    by_page: dict[str, list[Section]] = {}
    for section in sections:
        by_page.setdefault(section.page_url, []).append(section)
    for article in articles():
        got = by_page[article["url"]]
        assert got[0].title == article["title"]
        assert got[0].breadcrumbs == tuple(article["breadcrumbs"])
        headed = [(n, s["heading"]) for n, s in enumerate(article["sections"]) if s.get("heading")]
        assert [(s.url, s.heading) for s in got if s.heading] == [
            (f"{article['url']}#s{n}", heading) for n, heading in headed]
        text = " ".join(s.text for s in got)
        for part in article["sections"]:
            for paragraph in part.get("paragraphs", []):
                assert paragraph in text
    for section in sections:
        assert "  " not in section.text and section.text == section.text.strip()
        for noise in NOISE:
            assert noise not in section.text, (section.url, noise)


# ---- re-crawls ---------------------------------------------------------------------------------

def test_revision_2_updates_removes_and_adds_exactly_the_changed_articles_conditionally(first, mirror_rev2, tmp_path):
    db = copy_db(first.db, tmp_path)
    stored_paths = {urlsplit(url).path for (url,) in query(db, "SELECT url FROM kb_pages WHERE etag IS NOT NULL")}
    before = {row[0]: row[1] for row in query(db, "SELECT url, content_hash FROM kb_pages WHERE is_article")}
    mirror_rev2.reset()
    summary = asyncio.run(run_crawl(db, mirror_rev2.base))

    assert summary.completed
    assert (summary.new, summary.updated, summary.removed) == (1, 1, 1)
    after = {row[0]: row[1] for row in query(db, "SELECT url, content_hash FROM kb_pages WHERE is_article")}
    assert set(after) == set(before) - {public(SECOND)} | {public(NEW_IN_REVISION_2)}
    changed = {url for url in set(before) & set(after) if before[url] != after[url]}
    assert changed == {public(FIRST)}
    headings = [s.heading for s in load_sections(db) if s.page_url == public(FIRST)]
    assert "Что изменилось" in headings

    # Every stored page whose HTML did not change was answered 304, and only those.
    site = site_module()
    old, new = site.Site(1).pages, site.Site(2).pages
    same = {path for path in stored_paths if path in new and old.get(path) == new[path]}
    assert len(same) > 10
    assert mirror_rev2.stats()["not_modified"] == len(same) == summary.not_modified


def test_an_unchanged_site_is_answered_304_and_nothing_is_parsed_again(first, mirror, tmp_path):
    db = copy_db(first.db, tmp_path)
    before = snapshot(db)
    stored = query(db, "SELECT count(*), count(etag) FROM kb_pages")[0]
    mirror.reset()
    summary = asyncio.run(run_crawl(db, mirror.base))
    assert summary.completed
    assert (summary.fetched, summary.new, summary.updated, summary.removed) == (0, 0, 0, 0)
    assert summary.unchanged == stored[0]
    assert mirror.stats()["not_modified"] == summary.not_modified == stored[1]
    assert [row for row in snapshot(db) if len(row) != 2] == [row for row in before if len(row) != 2]


async def test_a_cancelled_crawl_leaves_the_previous_index_whole(first, mirror_rev2, tmp_path):
    db = copy_db(first.db, tmp_path)
    before = snapshot(db)
    done: list[int] = []

    def stop_midway(progress) -> None:
        done.append(progress.done)
        if progress.done == 40:
            task.cancel()

    task = asyncio.create_task(run_crawl(db, mirror_rev2.base, progress=stop_midway))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 40 in done
    assert snapshot(db) == before


def test_a_site_lost_midway_leaves_the_previous_index_whole(first, tmp_path):
    db = copy_db(first.db, tmp_path)
    before = snapshot(db)
    server = Mirror(revision=2)

    def kill_midway(progress) -> None:
        if progress.done == 40:
            server.stop()

    try:
        summary = asyncio.run(run_crawl(db, server.base, progress=kill_midway, retries=1))
    finally:
        server.stop()
    assert summary.reached_site and not summary.completed
    assert any("unreachable" in error for error in summary.errors)
    assert snapshot(db) == before


def test_an_unreachable_site_changes_nothing(first, tmp_path, free_port):
    db = copy_db(first.db, tmp_path)
    before = snapshot(db)
    summary = asyncio.run(run_crawl(db, f"http://127.0.0.1:{free_port}/help/", retries=1))
    assert not summary.reached_site and not summary.completed
    assert summary.errors
    assert snapshot(db) == before


def test_a_base_with_no_pages_under_it_changes_nothing(first, mirror, tmp_path):
    db = copy_db(first.db, tmp_path)
    before = snapshot(db)
    summary = asyncio.run(run_crawl(db, mirror.origin + "/hlep/"))
    assert summary.reached_site and not summary.completed
    assert any("no pages found" in error for error in summary.errors)
    assert snapshot(db) == before


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
