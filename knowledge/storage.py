"""The help-center index in the database: pages, their sections, and the crawls that built them.

Pages are stored under their public-side address (the crawled address mapped onto the public
base), so a mirror on any port and the real site share one index. A crawl's outcome is written
in one transaction: a crawl that stops halfway leaves the previous index whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from knowledge.crawler import CrawlResult, KnownPage, PageResult
from knowledge.db import UTCDateTime
from knowledge.extract import ExtractedPage, site_crumbs, strip_site_crumbs
from knowledge.model import Section
from knowledge.urls import map_to_public, normalize_url, under_prefix

metadata = MetaData()

pages = Table(
    "kb_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),   # public-side address it was fetched from
    Column("public_url", String(2048), nullable=False),         # the address shown to users (canonical)
    Column("canonical_url", String(2048)),
    Column("etag", String(512)),
    Column("last_modified", String(128)),
    Column("body_hash", String(64)),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("breadcrumbs", JSON, nullable=False, default=list),
    Column("links", JSON, nullable=False, default=list),
    Column("is_article", Boolean, nullable=False, default=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)

sections = Table(
    "kb_sections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("page_id", Integer, ForeignKey("kb_pages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("anchor", String(512)),
    Column("heading", Text),
    Column("text", Text, nullable=False),
)

crawls = Table(
    "kb_crawls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("base_url", String(2048), nullable=False),
    Column("summary", JSON, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ApplyCounts:
    new: int = 0
    updated: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class IndexStats:
    pages: int                        # indexed articles
    sections: int
    last_crawl_at: datetime | None    # when the last successful crawl finished
    last_crawl: dict[str, Any] | None = None


def content_hash(page: ExtractedPage) -> str:
    payload = [page.title, page.canonical, list(page.breadcrumbs),
               [[s.heading, s.anchor, s.text] for s in page.sections]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def resolve_public_urls(rows: dict[str, str | None], public_base: str) -> dict[str, str]:
    """The address to show for each page: its canonical when that lies under the public base.

    `rows` maps a page's public-side address to its canonical URL. A canonical another stored page
    already answers at (a template that points every page to the front page, say) is not believed.
    """
    claims: dict[str, str] = {}
    for url, canonical in rows.items():
        normal = normalize_url(canonical) if canonical else None
        claims[url] = normal if normal and under_prefix(normal, public_base) else url
    owner: dict[str, str] = {}
    for url in sorted(claims):
        claim = claims[url]
        if claim in rows:
            owner[claim] = claim  # the page at that very address owns it
        else:
            owner.setdefault(claim, url)
    return {url: claim if owner[claim] == url else url for url, claim in claims.items()}


class IndexStore:
    def __init__(self, engine: AsyncEngine, *, auto_migrate: bool = True) -> None:
        self.engine = engine
        self.auto_migrate = auto_migrate

    async def create(self) -> None:
        """The index's tables at the current schema, by its migrations (`knowledge/migrations`)."""
        from knowledge.migrate import knowledge_history, migrate

        await migrate(self.engine, [knowledge_history()], apply=self.auto_migrate)

    async def known_pages(self, base: str, public_base: str) -> dict[str, KnownPage]:
        """What the crawler may ask conditionally, in crawled addresses (public ones mapped back)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(pages.c.url, pages.c.etag, pages.c.last_modified, pages.c.body_hash, pages.c.links)
            )
            known: dict[str, KnownPage] = {}
            for row in rows:
                url = map_to_public(row.url, public_base, base)
                links = tuple(map_to_public(link, public_base, base) for link in row.links or ())
                known[url] = KnownPage(url, row.etag, row.last_modified, row.body_hash, links)
            return known

    async def apply(self, result: CrawlResult, *, base: str, public_base: str, started_at: datetime,
                    summary: dict[str, Any]) -> ApplyCounts:
        """Write a completed crawl's outcome, all of it or nothing."""
        now = datetime.now(UTC)

        def public(url: str) -> str:
            return map_to_public(url, base, public_base)

        async with self.engine.begin() as conn:
            existing = {row.url: row for row in await conn.execute(
                select(pages.c.id, pages.c.url, pages.c.content_hash, pages.c.is_article,
                       pages.c.etag, pages.c.last_modified))}
            new = updated = removed = 0
            for result_page in result.pages.values():
                address = public(result_page.url)
                row = existing.get(address)
                if result_page.page is None:
                    if row is not None and (row.etag, row.last_modified) != (
                            result_page.etag, result_page.last_modified):
                        await conn.execute(update(pages).where(pages.c.id == row.id).values(
                            etag=result_page.etag, last_modified=result_page.last_modified))
                    continue
                change = await self._write_page(conn, row, address, result_page, public, now)
                new += change == "new"
                updated += change == "updated"
                removed += change == "removed"
            fetched = {public(url) for url in result.pages}
            gone = {public(url) for url in result.gone} - fetched
            # Pages outside the help center being indexed are no longer part of it.
            gone |= {url for url in existing if not under_prefix(url, public_base)}
            doomed = [existing[url] for url in gone if url in existing]
            if doomed:
                ids = [row.id for row in doomed]
                await conn.execute(delete(sections).where(sections.c.page_id.in_(ids)))
                await conn.execute(delete(pages).where(pages.c.id.in_(ids)))
                removed += sum(1 for row in doomed if row.is_article)
            await self._refresh_public_urls(conn, public_base)
            await conn.execute(insert(crawls).values(
                started_at=started_at, finished_at=now, base_url=base,
                summary=dict(summary, new=new, updated=updated, removed=removed)))
        return ApplyCounts(new=new, updated=updated, removed=removed)

    @staticmethod
    async def _write_page(conn: AsyncConnection, row: Any, address: str, result_page: PageResult,
                          public: Any, now: datetime) -> str:
        page = result_page.page
        assert page is not None
        digest = content_hash(page)
        values = {
            "etag": result_page.etag,
            "last_modified": result_page.last_modified,
            "body_hash": result_page.body_hash,
            "links": [public(link) for link in result_page.links],
            "fetched_at": now,
        }
        if row is not None and row.content_hash == digest:
            await conn.execute(update(pages).where(pages.c.id == row.id).values(**values))
            return "same"  # the page's HTML changed (a menu, a sidebar) but not its text
        values |= {
            "canonical_url": page.canonical,
            "content_hash": digest,
            "title": page.title,
            "breadcrumbs": list(page.breadcrumbs),
            "is_article": page.is_article,
        }
        if row is None:
            inserted = await conn.execute(insert(pages).values(url=address, public_url=address, **values))
            page_id = inserted.inserted_primary_key[0]
            change = "new" if page.is_article else "same"
        else:
            page_id = row.id
            await conn.execute(update(pages).where(pages.c.id == page_id).values(**values))
            await conn.execute(delete(sections).where(sections.c.page_id == page_id))
            change = {(True, True): "updated", (False, True): "new", (True, False): "removed"}.get(
                (bool(row.is_article), page.is_article), "same")
        if page.is_article:
            await conn.execute(insert(sections), [
                {"page_id": page_id, "position": n, "anchor": s.anchor, "heading": s.heading, "text": s.text}
                for n, s in enumerate(page.sections)
            ])
        return change

    @staticmethod
    async def _refresh_public_urls(conn: AsyncConnection, public_base: str) -> None:
        rows = (await conn.execute(select(pages.c.id, pages.c.url, pages.c.canonical_url, pages.c.public_url))).all()
        resolved = resolve_public_urls({row.url: row.canonical_url for row in rows}, public_base)
        for row in rows:
            if resolved[row.url] != row.public_url:
                await conn.execute(update(pages).where(pages.c.id == row.id).values(public_url=resolved[row.url]))

    async def load_sections(self) -> list[Section]:
        """Every indexed section, with deep links and the breadcrumbs below the site's own name."""
        async with self.engine.connect() as conn:
            page_rows = (await conn.execute(
                select(pages.c.id, pages.c.public_url, pages.c.title, pages.c.breadcrumbs, pages.c.content_hash)
                .where(pages.c.is_article.is_(True)).order_by(pages.c.id))).all()
            section_rows = (await conn.execute(
                select(sections.c.page_id, sections.c.position, sections.c.anchor, sections.c.heading,
                       sections.c.text).order_by(sections.c.page_id, sections.c.position))).all()
        common = site_crumbs([tuple(row.breadcrumbs or ()) for row in page_rows])
        chosen: dict[int, Any] = {}
        taken: set[str] = set()
        for row in page_rows:
            # Two stored addresses of one page (same public URL or same content): show it once.
            if row.public_url in taken or row.content_hash in taken:
                continue
            taken.update((row.public_url, row.content_hash))
            chosen[row.id] = row
        result: list[Section] = []
        for row in section_rows:
            page = chosen.get(row.page_id)
            if page is None:
                continue
            url = page.public_url + ("#" + quote(row.anchor, safe="-._~!$&'()*+,;=:@/?") if row.anchor else "")
            result.append(Section(url=url, page_url=page.public_url, title=page.title,
                                  breadcrumbs=strip_site_crumbs(tuple(page.breadcrumbs or ()), common),
                                  heading=row.heading, text=row.text, position=row.position))
        return result

    async def generation(self) -> int:
        """The id of the last successful crawl (0 before the first): a change means a new index."""
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.max(crawls.c.id), 0)))).scalar_one())

    async def stats(self) -> IndexStats:
        async with self.engine.connect() as conn:
            page_count = (await conn.execute(
                select(func.count()).select_from(pages).where(pages.c.is_article.is_(True)))).scalar_one()
            section_count = (await conn.execute(
                select(func.count()).select_from(sections).join(pages, pages.c.id == sections.c.page_id)
                .where(pages.c.is_article.is_(True)))).scalar_one()
            last = (await conn.execute(
                select(crawls.c.finished_at, crawls.c.summary).order_by(crawls.c.id.desc()).limit(1))).first()
        return IndexStats(pages=int(page_count), sections=int(section_count),
                          last_crawl_at=last.finished_at if last else None,
                          last_crawl=dict(last.summary) if last else None)
