"""`Knowledge`: the one object the bot and the CLI use to crawl, inspect and search the index."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.crawler import USER_AGENT, Crawler, CrawlProgress, ProgressCallback
from knowledge.db import make_engine
from knowledge.model import Hit, Section
from knowledge.settings import KnowledgeSettings
from knowledge.storage import IndexStats, IndexStore
from knowledge.urls import normalize_url

if TYPE_CHECKING:
    from knowledge.search import SearchIndex

__all__ = ["CrawlProgress", "CrawlSummary", "IndexStats", "Knowledge"]

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0  # how often a running bot looks for an index another process rebuilt


@dataclass(slots=True)
class CrawlSummary:
    fetched: int = 0                 # pages downloaded and parsed
    unchanged: int = 0               # pages answered 304, or with the same body: not parsed again
    new: int = 0                     # articles added to the index
    updated: int = 0                 # articles whose text changed
    removed: int = 0                 # articles gone from the site
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    reached_site: bool = False
    completed: bool = False          # False: the index was left as it was
    duration: float = 0.0
    requests: int = 0
    not_modified: int = 0            # of `unchanged`, the 304 answers

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(self.skipped.items())) or "none"
        shown = [f"  {error}" for error in self.errors[:20]]
        if len(self.errors) > 20:
            shown.append(f"  … and {len(self.errors) - 20} more")
        lines = [
            f"fetched {self.fetched}, unchanged {self.unchanged} ({self.not_modified} not modified), "
            f"new {self.new}, updated {self.updated}, removed {self.removed}",
            f"skipped: {skipped}",
            f"errors: {len(self.errors)}",
            *shown,
            f"requests {self.requests} in {self.duration:.1f} s",
        ]
        if not self.reached_site:
            lines.append("the site could not be reached: the index was left unchanged")
        elif not self.completed:
            lines.append("the crawl did not complete or found nothing: the index was left as it was")
        return lines


class Knowledge:
    """Crawl the help center into the database and search it.

    Searching loads the sections into a `SearchIndex` on first use and again after a crawl
    (also one finished by another process, noticed within `REFRESH_SECONDS`).
    """

    def __init__(self, settings: KnowledgeSettings | None = None, engine: AsyncEngine | None = None,
                 *, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings or KnowledgeSettings()
        self._own_engine = engine is None
        if engine is None:
            self.settings.ensure_sqlite_dir()
            engine = make_engine(self.settings.database_url)
        self.engine = engine
        self.store = IndexStore(engine, auto_migrate=self.settings.auto_migrate)
        self._http_client = http_client
        self._schema_ready = False
        self._index: SearchIndex | None = None
        self._loaded = False
        self._generation = -1
        self._checked_at = 0.0
        self._load_lock = asyncio.Lock()
        self._crawl_lock = asyncio.Lock()

    async def _ensure_schema(self) -> None:
        if not self._schema_ready:
            await self.store.create()
            self._schema_ready = True

    # ---- search ----------------------------------------------------------
    async def search(self, query: str, limit: int = 3) -> list[Hit]:
        if not query.strip() or limit <= 0:
            return []
        index = await self._current_index()
        if index is None:
            return []
        return index.search(query, limit)

    async def _current_index(self) -> SearchIndex | None:
        """The search index over the stored sections; None while the index is empty."""
        if self._loaded and time.monotonic() - self._checked_at < REFRESH_SECONDS:
            return self._index
        async with self._load_lock:
            await self._ensure_schema()
            generation = await self.store.generation()
            self._checked_at = time.monotonic()
            if not self._loaded or generation != self._generation:
                from knowledge.search import SearchIndex  # the crawler and the CLI's crawl run without it

                found: list[Section] = await self.store.load_sections()
                self._index = await asyncio.to_thread(self._build_index, SearchIndex, found) if found else None
                self._generation = generation
                self._loaded = True
                if self._index is not None:
                    _keep_out_of_collections()
        return self._index

    def _build_index(self, make: type[SearchIndex], sections: list[Section]) -> SearchIndex:
        """The index, its section vectors taken from (and new ones saved to) the vector file."""
        from knowledge.encoder import VectorStore, shared_store

        path = self.settings.vectors_path()
        store = VectorStore(path, fallback=shared_store()) if path else shared_store()
        known = len(store)
        index = make(sections, vectors=store)
        if path and len(store) != known:
            try:
                store.save()
            except OSError:
                logger.warning("could not save the section vectors to %s", path)
        return index

    async def load(self) -> bool:
        """Build the search index now rather than at the first question; False while the index is empty."""
        return await self._current_index() is not None

    # ---- crawl -----------------------------------------------------------
    async def crawl(self, *, base_url: str | None = None, public_base_url: str | None = None,
                    progress: ProgressCallback | None = None) -> CrawlSummary:
        """Crawl the help center and write the new index in one transaction.

        The index changes only when the crawl completes: an unreachable site, a site lost midway
        or a cancelled task leave it as it was.
        """
        base = _base(base_url or self.settings.help_base_url)
        public_base = _base(public_base_url or self.settings.help_public_base_url or base)
        settings = self.settings
        async with self._crawl_lock:
            await self._ensure_schema()
            started_at = datetime.now(UTC)
            known = await self.store.known_pages(base, public_base)
            client = self._http_client or httpx.AsyncClient(
                timeout=httpx.Timeout(settings.crawl_timeout),
                # The crawler's workers bound the requests in flight; a pool limit on top would
                # make a request wait for a connection an abandoned download has not yet freed.
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=settings.crawl_concurrency),
                headers={"User-Agent": USER_AGENT},
            )
            try:
                crawler = Crawler(
                    client, base, known=known, concurrency=settings.crawl_concurrency,
                    timeout=settings.crawl_timeout, max_page_bytes=settings.crawl_max_page_bytes,
                    max_pages=settings.crawl_max_pages, retries=settings.crawl_retries, progress=progress,
                )
                result = await crawler.run()
            finally:
                if self._http_client is None:
                    await client.aclose()
            summary = CrawlSummary(
                fetched=sum(1 for page in result.pages.values() if page.page is not None),
                unchanged=sum(1 for page in result.pages.values() if page.page is None),
                skipped=dict(result.skipped),
                errors=list(result.errors),
                reached_site=result.reached_site,
                completed=result.completed,
                duration=crawler.duration,
                requests=result.requests,
                not_modified=result.not_modified,
            )
            if result.completed and not result.pages:
                # Nothing at all under the base (a mistyped --base-url, say): not a reason to empty the index.
                summary.completed = False
                summary.errors.append(f"no pages found under {base}")
            if summary.completed:
                try:
                    counts = await self.store.apply(result, base=base, public_base=public_base,
                                                    started_at=started_at, summary=summary.to_dict())
                except SQLAlchemyError as exc:  # rolled back: the previous index stands
                    logger.exception("writing the crawled index failed")
                    summary.completed = False
                    summary.errors.append(f"could not write the index: {type(exc).__name__}: {exc}")
                else:
                    summary.new, summary.updated, summary.removed = counts.new, counts.updated, counts.removed
                    self._checked_at = 0.0  # the next search reloads
            summary.duration = (datetime.now(UTC) - started_at).total_seconds()
            return summary

    # ---- state -----------------------------------------------------------
    @property
    def crawling(self) -> bool:
        """Whether a crawl is running in this process (a second one would wait for it)."""
        return self._crawl_lock.locked()

    async def stats(self) -> IndexStats:
        await self._ensure_schema()
        return await self.store.stats()

    async def is_empty(self) -> bool:
        return (await self.stats()).sections == 0

    async def close(self) -> None:
        self._index = None
        self._loaded = False
        if self._own_engine:
            await self.engine.dispose()


def _base(url: str) -> str:
    normal = normalize_url(url)
    if normal is None:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return normal if normal.endswith("/") else normal + "/"


def _keep_out_of_collections() -> None:
    """The index lives until the next crawl, and it is most of the process's objects: scanning it in every
    full collection of the cyclic garbage collector stalled the event loop for 100-150 ms each time.
    Frozen objects are still freed by reference counting once the next index replaces them."""
    gc.collect()
    gc.freeze()
