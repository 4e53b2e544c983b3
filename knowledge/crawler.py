"""The help-center crawler: polite, bounded, incremental.

It walks the pages under one base prefix, seeded by the sitemap and by the pages the previous
index knows, honours robots.txt, and asks conditionally (ETag / Last-Modified) for pages it has
seen. It returns what it found; it writes nothing (`knowledge.storage` commits the result).
The `httpx.AsyncClient` is passed in, so tests and callers choose the transport.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import inspect
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx
from lxml import etree
from protego import Protego

from knowledge.extract import ExtractedPage, decode_html, extract
from knowledge.urls import normalize_url, origin_of, under_prefix

logger = logging.getLogger(__name__)

USER_AGENT = "AsproCloudSupportBot-HelpIndexer/0.1 (+https://aspro.cloud/help/; indexes the help center for support)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = ("application/xml", "text/xml", "application/x-gzip", "application/gzip", "application/octet-stream")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 30.0
FRONT, SITEMAP, RECHECK = 0, 1, 2  # frontier tiers: found through links, listed in the sitemap, only known
MAX_CRAWL_DELAY = 10.0
MAX_SITEMAPS = 50
ROBOTS_MAX_BYTES = 512_000


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What the previous index holds for one address: enough to ask conditionally and to go on."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    links: tuple[str, ...] = ()


@dataclass(slots=True)
class PageResult:
    """A page answered this crawl: new content (`page` set) or unchanged (`page` None)."""

    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    links: tuple[str, ...]
    page: ExtractedPage | None


@dataclass(frozen=True, slots=True)
class CrawlProgress:
    done: int          # addresses finished (fetched, unchanged, skipped or failed)
    discovered: int    # addresses scheduled so far
    fetched: int
    unchanged: int
    errors: int
    url: str           # the address just finished


ProgressCallback = Callable[[CrawlProgress], Awaitable[None] | None]


@dataclass(slots=True)
class CrawlResult:
    pages: dict[str, PageResult] = field(default_factory=dict)   # by final (normalised) address
    gone: set[str] = field(default_factory=set)       # known addresses that are no longer pages (404/410, moved…)
    failed: set[str] = field(default_factory=set)     # addresses that failed this time: keep what the index has
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    reached_site: bool = False
    aborted: str | None = None                        # why the crawl stopped early; then nothing may change
    requests: int = 0
    not_modified: int = 0
    bytes_read: dict[str, int] = field(default_factory=dict)  # body bytes read, for pages abandoned as too large

    @property
    def completed(self) -> bool:
        return self.reached_site and self.aborted is None


class SiteUnreachable(Exception):
    """No connection to the site: the crawl cannot tell a gone page from a network failure."""


class PageFailed(Exception):
    """This address failed (timeout, server error after retries); the previous copy stays."""


@dataclass(slots=True)
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes | None = None
    skipped: str | None = None
    bytes_read: int = 0


class Crawler:
    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        known: Mapping[str, KnownPage] | None = None,
        concurrency: int = 8,
        timeout: float = 10.0,
        max_page_bytes: int = 2_000_000,
        max_pages: int = 5_000,
        retries: int = 3,
        backoff: float = 0.25,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        progress: ProgressCallback | None = None,
    ) -> None:
        base = normalize_url(base_url)
        if base is None:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base = base if base.endswith("/") else base + "/"
        self.client = client
        self.known = dict(known or {})
        self.timeout = timeout
        self.max_page_bytes = max_page_bytes
        self.max_pages = max_pages
        self.retries = retries
        self.backoff = backoff
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.progress = progress
        self.concurrency = concurrency
        self._frontier: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self._order = itertools.count()
        self._robots: Protego | None = None
        self._delay = 0.0
        self._pace = asyncio.Lock()
        self._last_request = 0.0
        self._tier: dict[str, int] = {}   # every address queued (or refused) this crawl, by tier
        self._queued = 0
        self._fetched_by_redirect: set[str] = set()
        self._started: set[str] = set()   # every address fetched or being fetched
        self._offsite: set[str] = set()
        self._done = 0
        self._fetched = 0
        self._unchanged = 0
        self.duration = 0.0
        self.result = CrawlResult()

    # ---- public ------------------------------------------------------
    async def run(self) -> CrawlResult:
        started = time.monotonic()
        try:
            if not await self._load_robots():
                return self.result
            # The frontier: pages found through links first, newest first (the links of the page
            # just read are fetched next, so a slow page found early starts early); then the
            # sitemap's backlog in the site's own order; pages only the old index knows come last.
            await self._read_sitemaps()
            async with asyncio.TaskGroup() as group:
                workers = [group.create_task(self._worker()) for _ in range(self.concurrency)]
                self.enqueue_all([self.base])
                await self._frontier.join()
                self.enqueue_all(self.known, tier=RECHECK)
                await self._frontier.join()
                for worker in workers:
                    worker.cancel()
        except* SiteUnreachable as group_error:
            self.result.aborted = f"site unreachable: {group_error.exceptions[0]}"
            self.result.errors.append(self.result.aborted)
        finally:
            self.duration = time.monotonic() - started
        return self.result

    def allowed(self, url: str) -> bool:
        return self._robots is None or self._robots.can_fetch(url, self.user_agent)

    def enqueue_all(self, urls: Iterable[str], tier: int = FRONT) -> None:
        """Schedule addresses under the prefix, each once; of one batch, the first given goes first."""
        batch: list[str] = []
        for url in urls:
            normal = normalize_url(url)
            if normal is None:
                continue
            if not under_prefix(normal, self.base):
                if normal not in self._offsite:
                    self._offsite.add(normal)
                    self.result.skipped["offsite"] += 1
                continue
            queued = self._tier.get(normal)
            if queued is not None:
                if queued > tier and normal not in self._started:
                    self._tier[normal] = tier  # linked from a page: it leaves the backlog for the front
                    batch.append(normal)
                continue
            self._tier[normal] = tier
            if not self.allowed(normal):
                self._skip(normal, "robots")
            elif self._queued >= self.max_pages:
                self.result.skipped["max_pages"] += 1
            else:
                self._queued += 1
                batch.append(normal)
        if tier == FRONT:
            for normal in reversed(batch):  # a stack: the batch's first address comes up first
                self._frontier.put_nowait((tier, -next(self._order), normal))
        else:
            for normal in batch:
                self._frontier.put_nowait((tier, next(self._order), normal))

    async def _worker(self) -> None:
        while True:
            _, _, url = await self._frontier.get()
            try:
                if url not in self._started:
                    self._started.add(url)
                    await self._visit(url)
                elif url in self._fetched_by_redirect:  # done already, as a redirect's target
                    self._fetched_by_redirect.discard(url)
                    self._done += 1
                    await self._report(url)
            finally:
                self._frontier.task_done()

    # ---- robots and sitemaps -------------------------------------------
    async def _load_robots(self) -> bool:
        url = origin_of(self.base) + "/robots.txt"
        try:
            response = await self._follow(url, accept=None, max_bytes=ROBOTS_MAX_BYTES)
        except SiteUnreachable as exc:
            self.result.errors.append(f"{url}: site unreachable: {exc}")
            return False
        except PageFailed as exc:
            if not self.result.reached_site:
                self.result.errors.append(f"{url}: {exc}")
                return False
            self.result.aborted = f"robots.txt unavailable: {exc}"
            self.result.errors.append(self.result.aborted)
            return False
        if response.status >= 500:
            # RFC 9309: an unavailable robots.txt means "disallow everything" for now.
            self.result.aborted = f"robots.txt unavailable: HTTP {response.status}"
            self.result.errors.append(self.result.aborted)
            return False
        text = decode_html(response.body or b"", None) if response.status == 200 else ""
        self._robots = Protego.parse(text)
        delay = self._robots.crawl_delay(self.user_agent)
        if delay:
            self._delay = min(float(delay), MAX_CRAWL_DELAY)
        return True

    async def _read_sitemaps(self) -> None:
        found = self._robots.sitemaps if self._robots else ()
        pending = [url for url in map(normalize_url, found) if url] or [origin_of(self.base) + "/sitemap.xml"]
        read: set[str] = set()
        while pending and len(read) < MAX_SITEMAPS:
            url = pending.pop(0)
            if url in read or origin_of(url) != origin_of(self.base):
                continue
            read.add(url)
            pending += await self._read_sitemap(url)

    async def _read_sitemap(self, url: str) -> list[str]:
        """Queue the pages a sitemap lists; return the sitemaps a sitemap index lists."""
        try:
            response = await self._follow(url, accept=XML_TYPES + HTML_TYPES, max_bytes=50 * self.max_page_bytes)
        except PageFailed as exc:
            self.result.errors.append(f"{url}: {exc}")
            return []
        if response.status != 200 or not response.body:
            return []
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                return []
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError:
            return []
        if root is None:
            return []
        targets = [text for loc in root.iter("{*}loc") if (text := (loc.text or "").strip())]
        if etree.QName(root).localname == "sitemapindex":
            return [url for url in map(normalize_url, targets) if url]
        self.enqueue_all(targets, tier=SITEMAP)
        return []

    # ---- pages ---------------------------------------------------------
    async def _visit(self, url: str) -> None:
        try:
            await self._visit_page(url)
        except PageFailed as exc:
            self.result.failed.add(url)
            self.result.errors.append(f"{url}: {exc}")
        except (SiteUnreachable, asyncio.CancelledError):
            raise
        except Exception as exc:  # one odd page must not sink the crawl; it keeps its old copy
            logger.exception("crawling %s failed", url)
            self.result.failed.add(url)
            self.result.errors.append(f"{url}: {_describe(exc)}")
        self._done += 1
        await self._report(url)

    async def _visit_page(self, url: str) -> None:
        response = await self._follow(url, accept=HTML_TYPES, max_bytes=self.max_page_bytes, conditional=True)
        final = response.url
        if final != url:
            self.result.gone.add(url)  # this address now points elsewhere; its target is the page
        if response.skipped == "duplicate":
            self.result.skipped["duplicate"] += 1
            return
        if response.skipped:
            self._skip(final, response.skipped)
            if response.bytes_read:
                self.result.bytes_read[final] = response.bytes_read
            return
        known = self.known.get(final)
        if response.status == 304 and known is not None:
            self._unchanged += 1
            self.result.not_modified += 1
            self._keep(final, known, response)
            return
        if 400 <= response.status < 500:  # 404/410 and other refusals: not a page any more
            self._skip(final, f"http_{response.status}")
            return
        if response.status >= 500:
            raise PageFailed(f"HTTP {response.status}")
        if response.status != 200 or response.body is None:
            self._skip(final, f"http_{response.status}")
            return
        body_hash = hashlib.sha256(response.body).hexdigest()
        if known is not None and known.body_hash == body_hash:
            self._unchanged += 1
            self._keep(final, known, response)
            return
        html = decode_html(response.body, _charset(response.headers))
        page = extract(html, final)
        self._fetched += 1
        links = tuple(dict.fromkeys(n for n in map(normalize_url, page.links) if n))
        self.result.pages[final] = PageResult(
            url=final,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            body_hash=body_hash,
            links=links,
            page=page,
        )
        self.enqueue_all(links)

    def _keep(self, url: str, known: KnownPage, response: _Response) -> None:
        self.result.pages[url] = PageResult(
            url=url,
            etag=response.headers.get("etag") or known.etag,
            last_modified=response.headers.get("last-modified") or known.last_modified,
            body_hash=known.body_hash,
            links=known.links,
            page=None,
        )
        self.enqueue_all(known.links)

    def _skip(self, url: str, reason: str) -> None:
        self.result.skipped[reason] += 1
        if url in self.known:
            self.result.gone.add(url)

    async def _report(self, url: str) -> None:
        if self.progress is None:
            return
        update = CrawlProgress(
            done=self._done,
            discovered=self._queued,
            fetched=self._fetched,
            unchanged=self._unchanged,
            errors=len(self.result.errors),
            url=url,
        )
        outcome = self.progress(update)
        if inspect.isawaitable(outcome):
            await outcome

    # ---- HTTP ------------------------------------------------------------
    async def _follow(
        self, url: str, *, accept: tuple[str, ...] | None, max_bytes: int, conditional: bool = False
    ) -> _Response:
        """GET with redirects followed by hand: bounded, loop-checked, kept under the prefix and robots."""
        chain = [url]
        current = url
        while True:
            headers = {"User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml,*/*;q=0.5"}
            known = self.known.get(current) if conditional else None
            if known is not None:
                if known.etag:
                    headers["If-None-Match"] = known.etag
                if known.last_modified:
                    headers["If-Modified-Since"] = known.last_modified
            response = await self._get(current, headers, accept=accept, max_bytes=max_bytes)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            target = normalize_url(urljoin(current, location))
            if target is None:
                return _Response(current, response.status, response.headers, skipped="redirect_invalid")
            if target in chain:
                return _Response(current, response.status, response.headers, skipped="redirect_loop")
            if len(chain) > self.max_redirects:
                return _Response(current, response.status, response.headers, skipped="too_many_redirects")
            if conditional:
                if not under_prefix(target, self.base):
                    return _Response(current, response.status, response.headers, skipped="redirect_offsite")
                if not self.allowed(target):
                    return _Response(current, response.status, response.headers, skipped="robots")
                if target in self._started:
                    # Another address of a page this crawl already has: no duplicate.
                    return _Response(target, response.status, response.headers, skipped="duplicate")
                self._started.add(target)
                if target in self._tier:
                    self._fetched_by_redirect.add(target)  # its turn in the queue only counts it done
                self._tier.setdefault(target, FRONT)
            chain.append(target)
            current = target

    async def _get(self, url: str, headers: dict[str, str], *, accept: tuple[str, ...] | None,
                   max_bytes: int) -> _Response:
        """One GET with retries: 5xx/429 and connection failures, with backoff and Retry-After."""
        attempt = 0
        while True:
            try:
                await self._wait_turn()
                self.result.requests += 1
                async with asyncio.timeout(self.timeout):
                    response = await self._get_once(url, headers, accept=accept, max_bytes=max_bytes)
            except (TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout) as exc:
                # The server took the request and did not answer in time. Asking again would hold
                # the crawl for another full timeout, so the page fails now and keeps its old copy.
                raise PageFailed(f"no answer within {self.timeout:g} s") from exc
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                if attempt >= self.retries:
                    raise SiteUnreachable(_describe(exc)) from exc
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                continue
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise PageFailed(_describe(exc)) from exc
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                continue
            self.result.reached_site = True
            if response.status in RETRY_STATUSES and attempt < self.retries:
                delay = _retry_after(response.headers.get("retry-after"))
                if delay is None:
                    delay = self._backoff(attempt)
                elif delay > MAX_RETRY_AFTER:
                    raise PageFailed(f"HTTP {response.status}, asked to come back in {delay:.0f} s")
                await asyncio.sleep(delay)
                attempt += 1
                continue
            return response

    async def _get_once(self, url: str, headers: dict[str, str], *, accept: tuple[str, ...] | None,
                        max_bytes: int) -> _Response:
        request = self.client.build_request("GET", url, headers=headers)
        response = await self.client.send(request, stream=True, follow_redirects=False)
        try:
            result = _Response(url, response.status_code, response.headers)
            if response.status_code != 200:
                return result
            content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if accept is not None and content_type and content_type not in accept:
                result.skipped = "not_html" if accept == HTML_TYPES else "unexpected_type"
                return result
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                result.skipped = "too_large"
                return result
            chunks: list[bytes] = []
            async for chunk in response.aiter_bytes():
                result.bytes_read += len(chunk)
                if result.bytes_read > max_bytes:
                    result.skipped = "too_large"
                    return result
                chunks.append(chunk)
            result.body = b"".join(chunks)
            result.bytes_read = 0
            return result
        finally:
            await response.aclose()

    async def _wait_turn(self) -> None:
        if not self._delay:
            return
        async with self._pace:
            wait = self._last_request + self._delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_request = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        return self.backoff * (2**attempt) * (1 + random.random() / 4)


def _charset(headers: httpx.Headers) -> str | None:
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
