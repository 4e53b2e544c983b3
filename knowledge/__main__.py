"""`python -m knowledge`: crawl the help center into the index, search it, show its state.

    python -m knowledge crawl [--base-url URL] [--public-base-url URL] [--concurrency N] [--timeout S]
    python -m knowledge search "запрос" [--limit 3] [--json]
    python -m knowledge search --batch FILE [--limit 3]     # one query per line -> one JSON array per line
    python -m knowledge stats
    python -m knowledge fit-gate      # refit the search's gate (knowledge/search_gate.json) on benchmarks/data
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from knowledge.crawler import CrawlProgress
from knowledge.migrate import SchemaError
from knowledge.model import Hit
from knowledge.service import Knowledge
from knowledge.settings import KnowledgeSettings, load_settings

EMPTY_INDEX = "The help-center index is empty: run `python -m knowledge crawl` first."


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="The help-center index.")
    commands = parser.add_subparsers(dest="command", required=True)

    crawl = commands.add_parser("crawl", help="crawl the help center and update the index")
    crawl.add_argument("--base-url", help="where to crawl (default: HELP_BASE_URL)")
    crawl.add_argument("--public-base-url", help="the public address of --base-url, shown to users")
    crawl.add_argument("--concurrency", type=_positive_int, help="parallel requests (default: CRAWL_CONCURRENCY)")
    crawl.add_argument("--timeout", type=_positive_float, help="seconds per request (default: CRAWL_TIMEOUT)")

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query", nargs="?", help="what to look for")
    search.add_argument("--limit", type=_positive_int, default=3)
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--batch", metavar="FILE", help="one query per line ('-' for stdin); one JSON array per line")

    commands.add_parser("stats", help="pages, sections and the last successful crawl")
    commands.add_parser("fit-gate", help="refit the search's gate on the labelled sets (a source checkout)")
    return parser


class ProgressPrinter:
    """A progress bar on a terminal; a plain line every few pages otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_line = 0

    def __call__(self, progress: CrawlProgress) -> None:
        if self.tty:
            width = max(10, min(40, shutil.get_terminal_size().columns - 60))
            share = progress.done / max(progress.discovered, 1)
            filled = int(width * share)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[{bar}] {progress.done}/{progress.discovered} pages, "
                              f"{progress.fetched} fetched, {progress.unchanged} unchanged, {progress.errors} errors ")
            self.stream.flush()
        elif progress.done - self.last_line >= 25 or progress.done == progress.discovered:
            self.last_line = progress.done
            print(f"crawl: {progress.done}/{progress.discovered} pages, {progress.fetched} fetched, "
                  f"{progress.unchanged} unchanged, {progress.errors} errors", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def _crawl(knowledge: Knowledge, args: argparse.Namespace) -> int:
    printer = ProgressPrinter(sys.stderr)
    try:
        summary = await knowledge.crawl(base_url=args.base_url, public_base_url=args.public_base_url,
                                        progress=printer)
    finally:
        printer.finish()
    for line in summary.lines():
        print(line)
    return 0 if summary.completed else 1


def _hit_dict(hit: Hit) -> dict[str, object]:
    return asdict(hit)


def _print_hits(hits: Sequence[Hit]) -> None:
    if not hits:
        print("Nothing relevant found.")
    for number, hit in enumerate(hits, 1):
        heading = f" — {hit.heading}" if hit.heading else ""
        print(f"{number}. {hit.title}{heading}  ({hit.score:.3f})")
        print(f"   {hit.url}")
        if hit.snippet:
            print(f"   {hit.snippet}")


async def _search(knowledge: Knowledge, args: argparse.Namespace) -> int:
    if args.batch is None and not (args.query or "").strip():
        print("Give a query, e.g. python -m knowledge search \"не приходят письма\", or --batch FILE.",
              file=sys.stderr)
        return 2
    if args.batch is not None and args.query:
        print("Give either a query or --batch FILE, not both.", file=sys.stderr)
        return 2
    if await knowledge.is_empty():
        print(EMPTY_INDEX, file=sys.stderr)
        return 1
    if args.batch is None:
        hits = await knowledge.search(args.query, args.limit)
        if args.json:
            print(json.dumps([_hit_dict(hit) for hit in hits], ensure_ascii=False))
        else:
            _print_hits(hits)
        return 0
    for query in args.queries:  # a blank line gets an empty array, so answers stay in line with queries
        hits = await knowledge.search(query, args.limit) if query.strip() else []
        print(json.dumps([_hit_dict(hit) for hit in hits], ensure_ascii=False), flush=False)
    return 0


async def _stats(knowledge: Knowledge) -> int:
    stats = await knowledge.stats()
    last = stats.last_crawl_at.isoformat(timespec="seconds") if stats.last_crawl_at else "never"
    print(f"pages {stats.pages}, sections {stats.sections}, last successful crawl {last}")
    return 0


async def _main(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    knowledge = Knowledge(settings)
    try:
        if args.command == "crawl":
            return await _crawl(knowledge, args)
        if args.command == "search":
            return await _search(knowledge, args)
        return await _stats(knowledge)
    finally:
        await knowledge.close()


def _fit_gate() -> int:
    """Rewrite knowledge/search_gate.json from benchmarks/data (what `bench_search.py --fit` does)."""
    import runpy

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_search.py"
    if not script.exists():
        print("fit-gate needs the source checkout (benchmarks/ and tests/fixtures/)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(script.parent))
    sys.argv = [str(script), "--fit"]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = _parser().parse_args(argv)
    if args.command == "fit-gate":
        return _fit_gate()
    settings = load_settings(KnowledgeSettings)
    updates: dict[str, object] = {}
    if getattr(args, "concurrency", None):
        updates["crawl_concurrency"] = args.concurrency
    if getattr(args, "timeout", None):
        updates["crawl_timeout"] = args.timeout
    if updates:
        settings = settings.model_copy(update=updates)
    for name in ("base_url", "public_base_url"):
        value = getattr(args, name, None)
        if value is not None and not value.startswith(("http://", "https://")):
            print(f"--{name.replace('_', '-')} must start with http:// or https://", file=sys.stderr)
            return 2
    if getattr(args, "batch", None) is not None:
        try:
            text = sys.stdin.read() if args.batch == "-" else Path(args.batch).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"Cannot read {args.batch}: {exc}", file=sys.stderr)
            return 2
        args.queries = text.splitlines()
    try:
        return asyncio.run(_main(args, settings))
    except KeyboardInterrupt:
        print("Interrupted: the index was left as it was.", file=sys.stderr)
        return 130
    except SchemaError as exc:
        print(f"Database error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
