"""Crawl figures on the help-center mirror: wall time of a full crawl (2 s request timeout, the
mirror's slow page answers after 15 s) and the share of 304s on an unchanged re-crawl.

    python benchmarks/bench_crawl.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.service import Knowledge  # noqa: E402
from knowledge.settings import KnowledgeSettings  # noqa: E402

SERVE = ROOT / "tests" / "fixtures" / "helpcenter" / "serve.py"
PUBLIC_BASE = "https://aspro.cloud/help/"
TIMEOUT = 2.0


def start_mirror() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(SERVE), "--port", "0", "--print-port"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{int(process.stdout.readline())}"


def server_stats(origin: str, reset: bool = False) -> dict:
    if reset:
        urllib.request.urlopen(urllib.request.Request(origin + "/_stats/reset", data=b"", method="POST")).close()
        return {}
    with urllib.request.urlopen(origin + "/_stats") as response:
        return json.load(response)


async def crawl(db: Path, origin: str) -> tuple[float, object]:
    settings = KnowledgeSettings(DATABASE_URL=f"sqlite+aiosqlite:///{db}", CRAWL_TIMEOUT=TIMEOUT)
    knowledge = Knowledge(settings)
    try:
        started = time.perf_counter()
        summary = await knowledge.crawl(base_url=origin + "/help/", public_base_url=PUBLIC_BASE)
        return time.perf_counter() - started, summary
    finally:
        await knowledge.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    process, origin = start_mirror()
    try:
        cold, warm, shares_pages, shares_requests = [], [], [], []
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                db = Path(folder) / "index.sqlite3"
                server_stats(origin, reset=True)
                seconds, summary = asyncio.run(crawl(db, origin))
                cold.append(seconds)
                assert summary.completed, summary.errors
                server_stats(origin, reset=True)
                seconds, again = asyncio.run(crawl(db, origin))
                warm.append(seconds)
                stats = server_stats(origin)
                requests = sum(stats["status"].values())
                shares_pages.append(stats["not_modified"] / max(again.unchanged + again.fetched, 1))
                shares_requests.append(stats["not_modified"] / max(requests, 1))
                print(f"run {run + 1}: full crawl {cold[-1]:.2f} s ({summary.fetched} pages fetched, "
                      f"{summary.new} articles); unchanged re-crawl {warm[-1]:.2f} s, "
                      f"{stats['not_modified']} × 304 of {again.unchanged + again.fetched} stored pages re-checked, "
                      f"{requests} requests in all; {again.fetched} pages parsed again")
        print()
        print(f"mirror crawl wall time, {TIMEOUT:g} s request timeout: median {statistics.median(cold):.2f} s, "
              f"max {max(cold):.2f} s (target < 3 s)")
        print(f"unchanged re-crawl wall time: median {statistics.median(warm):.2f} s")
        print(f"share of 304s on an unchanged re-crawl: {min(shares_pages):.1%} of the stored pages re-checked "
              f"(target ≥ 95 %); {min(shares_requests):.1%} of every request, robots.txt, sitemap, "
              f"redirects and skipped pages included")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
