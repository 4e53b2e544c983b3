"""The crawler's HTTP manners against a small scripted server on loopback: streaming cap, retries,
Retry-After, redirects off the prefix. Each route answers from a list, one answer per request."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from knowledge.crawler import Crawler, CrawlResult

HTML = b"<html><head><title>T</title></head><body><main><h1>Page</h1><p>Some text.</p></main></body></html>"
ENDLESS = object()


@dataclass
class Answer:
    status: int = 200
    body: bytes | object = HTML
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class Script:
    routes: dict[str, list[Answer]]
    hits: Counter[str] = field(default_factory=Counter)
    endless_bytes_sent: int = 0

    def answer(self, path: str) -> Answer:
        self.hits[path] += 1
        answers = self.routes.get(path)
        if not answers:
            return Answer(404, b"not found")
        return answers.pop(0) if len(answers) > 1 else answers[0]


async def _handle(script: Script, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            answer = script.answer(path)
            lines = [f"HTTP/1.1 {answer.status} X", *(f"{k}: {v}" for k, v in answer.headers.items())]
            if answer.body is ENDLESS:
                writer.write(("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode())
                chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                while True:  # until the client hangs up
                    writer.write(chunk)
                    await writer.drain()
                    script.endless_bytes_sent += len(chunk)
            assert isinstance(answer.body, bytes)
            lines.append(f"Content-Length: {len(answer.body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + answer.body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def serve() -> AsyncIterator:
    servers: list[asyncio.Server] = []

    async def start(routes: dict[str, list[Answer]]) -> tuple[str, Script]:
        script = Script(routes)
        server = await asyncio.start_server(lambda r, w: _handle(script, r, w), "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}", script

    yield start
    for server in servers:
        server.close()


async def crawl(origin: str, **options: object) -> CrawlResult:
    async with httpx.AsyncClient() as client:
        crawler = Crawler(client, origin + "/help/", timeout=5, backoff=0.01, **options)  # type: ignore[arg-type]
        async with asyncio.timeout(30):
            return await crawler.run()


async def test_a_page_without_a_length_is_abandoned_past_the_cap_not_read_whole(serve):
    origin, _ = await serve({"/help/": [Answer(body=ENDLESS)]})
    result = await crawl(origin, max_page_bytes=256_000)
    assert result.skipped["too_large"] == 1
    assert 256_000 < result.bytes_read[origin + "/help/"] < 256_000 + 70_000
    assert result.completed and not result.pages


async def test_429_and_503_are_retried_honouring_retry_after(serve):
    busy = Answer(429, b"slow down", {"Retry-After": "0", "Content-Type": "text/plain"})
    down = Answer(503, b"down", {"Content-Type": "text/plain"})
    origin, script = await serve({"/help/": [busy, down, Answer()]})
    result = await crawl(origin, retries=3)
    assert script.hits["/help/"] == 3
    assert list(result.pages) == [origin + "/help/"]
    assert not result.errors


async def test_a_page_that_keeps_failing_is_an_error_not_a_removal(serve):
    origin, script = await serve({"/help/": [Answer(500, b"boom", {"Content-Type": "text/plain"})]})
    result = await crawl(origin, retries=2)
    assert script.hits["/help/"] == 3
    assert result.failed == {origin + "/help/"}
    assert not result.gone


async def test_a_retry_after_too_long_is_not_waited_for(serve):
    later = Answer(503, b"maintenance", {"Retry-After": "86400", "Content-Type": "text/plain"})
    origin, script = await serve({"/help/": [later]})
    result = await crawl(origin, retries=3)
    assert script.hits["/help/"] == 1
    assert "86400" in result.errors[0]


async def test_redirects_off_the_prefix_and_long_chains_are_not_followed(serve):
    def moved(to: str) -> Answer:
        return Answer(301, b"", {"Location": to})

    links = b'<html><body><main><p>Text <a href="/help/out">o</a> <a href="/help/c1">c</a></p></main></body></html>'
    routes = {"/help/": [Answer(body=links)], "/help/out": [moved("/blog/")]}
    routes |= {f"/help/c{n}": [moved(f"/help/c{n + 1}")] for n in range(1, 10)}
    origin, script = await serve(routes)
    result = await crawl(origin, max_redirects=3)
    assert result.skipped["redirect_offsite"] == 1
    assert result.skipped["too_many_redirects"] == 1
    assert script.hits["/blog/"] == 0
    assert script.hits["/help/c5"] == 0


async def test_known_pages_are_asked_conditionally_and_a_404_removes_them(serve):
    from knowledge.crawler import KnownPage

    not_modified = Answer(304, b"", {"ETag": '"v1"'})
    origin, _ = await serve({"/help/": [not_modified]})
    known = {
        origin + "/help/": KnownPage(origin + "/help/", etag='"v1"', body_hash="x", links=(origin + "/help/old",)),
        origin + "/help/old": KnownPage(origin + "/help/old", etag='"v0"'),
    }
    result = await crawl(origin, known=known)
    assert result.not_modified == 1
    assert result.pages[origin + "/help/"].page is None  # not parsed again
    assert result.gone == {origin + "/help/old"}


async def test_robots_txt_unavailable_means_no_crawl(serve):
    down = Answer(503, b"down", {"Content-Type": "text/plain"})
    origin, script = await serve({"/robots.txt": [down], "/help/": [Answer()]})
    result = await crawl(origin, retries=1)
    assert script.hits["/robots.txt"] == 2
    assert script.hits["/help/"] == 0
    assert result.reached_site and not result.completed
    assert "robots.txt unavailable" in (result.aborted or "")


async def test_robots_rules_are_applied_to_links(serve):
    robots = Answer(200, b"User-agent: *\nDisallow: /help/private\nCrawl-delay: 0.05\n", {"Content-Type": "text/plain"})
    page = Answer(body=b'<html><body><main><p>Hi <a href="/help/private/x">p</a> <a href="/help/ok">o</a></p>'
                       b"</main></body></html>")
    origin, script = await serve({"/robots.txt": [robots], "/help/": [page], "/help/ok": [Answer()]})
    result = await crawl(origin)
    assert script.hits["/help/private/x"] == 0
    assert script.hits["/help/ok"] == 1
    assert result.skipped["robots"] == 1
