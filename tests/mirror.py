"""The help-center mirror (tests/fixtures/helpcenter/serve.py) as a real HTTP server on loopback."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

HELPCENTER = Path(__file__).parent / "fixtures" / "helpcenter"
SERVE = HELPCENTER / "serve.py"
PUBLIC_BASE = "https://aspro.cloud/help/"


class Mirror:
    def __init__(self, revision: int = 1) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVE), "--port", "0", "--print-port", "--revision", str(revision)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the mirror did not start: {line!r}")
        self.port = int(line)
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base = f"{self.origin}/help/"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.origin}/_stats", timeout=5) as response:
            return json.load(response)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.origin}/_stats/reset", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


@contextmanager
def serving(revision: int = 1) -> Iterator[Mirror]:
    server = Mirror(revision)
    try:
        yield server
    finally:
        server.stop()


@cache
def site_module() -> ModuleType:
    """serve.py itself, to compare what the two revisions render."""
    spec = importlib.util.spec_from_file_location("helpcenter_serve", SERVE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def articles() -> list[dict[str, Any]]:
    lines = (HELPCENTER / "articles.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def db_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def snapshot(path: Path) -> list[tuple[Any, ...]]:
    """Everything the index holds, to compare before and after a crawl."""
    with sqlite3.connect(path) as conn:
        pages = conn.execute(
            "SELECT url, public_url, etag, body_hash, content_hash, title, breadcrumbs, is_article, fetched_at "
            "FROM kb_pages ORDER BY url").fetchall()
        sections = conn.execute(
            "SELECT p.url, s.position, s.anchor, s.heading, s.text FROM kb_sections s "
            "JOIN kb_pages p ON p.id = s.page_id ORDER BY p.url, s.position").fetchall()
        crawls = conn.execute("SELECT id, finished_at FROM kb_crawls ORDER BY id").fetchall()
    return [*pages, *sections, *crawls]


def query(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def run_crawl(db: Path, base: str, *, progress: Any = None, requested: list[str] | None = None,
                    retries: int = 3, request_timeout: float = 2.0) -> Any:
    """One crawl through `Knowledge`, as the CLI and the bot run it, into the SQLite file `db`."""
    import httpx

    from knowledge.service import Knowledge
    from knowledge.settings import KnowledgeSettings

    async def record(request: httpx.Request) -> None:
        if requested is not None:
            requested.append(str(request.url))

    settings = KnowledgeSettings(DATABASE_URL=db_url(db), CRAWL_TIMEOUT=request_timeout, CRAWL_RETRIES=retries)
    async with httpx.AsyncClient(timeout=request_timeout, event_hooks={"request": [record]}) as client:
        knowledge = Knowledge(settings, http_client=client)
        try:
            return await knowledge.crawl(base_url=base, public_base_url=PUBLIC_BASE, progress=progress)
        finally:
            await knowledge.close()
