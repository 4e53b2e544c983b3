"""Search quality and speed figures on the help-center mirror.

    .venv/bin/python benchmarks/bench_search.py            # everything (~1-2 min: the 50k index)
    .venv/bin/python benchmarks/bench_search.py --quick    # quality only
    .venv/bin/python benchmarks/bench_search.py --fit      # print the calibration constants and threshold

Prints hit@1, hit@3, MRR (answerable queries) and no-answer precision, by kind, on the labelled sets in
benchmarks/data/: search_dev, search_extra, search_fresh, search_fresh2 (the calibration of the cut-off
is fitted on these four) and search_fresh3 (written before that fit, never fitted or tuned on); the
cut-off cross-validated leaving one set out (refitted on three sets, measured on the fourth: new wording
is a new set), with the threshold chosen on those figures (the best hit@3 that keeps no-answer precision
at TARGET_NO_ANSWER); two baselines on dev (rapidfuzz on titles, plain BM25 with Snowball over
title+body); latency p50/p95 on the mirror index and on a synthetic index of 50,000 sections made from
the mirror's text.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import resource
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process
from search_eval import (
    EXTRA,
    FRESH,
    FRESH2,
    FRESH3,
    Query,
    by_kind,
    evaluate,
    fit_logistic,
    load_dev,
)

import knowledge.search as ks
from knowledge.model import Section
from tests.helpcenter import mirror_sections, url_path

Search = Callable[[str], list[str]]
TARGET_NO_ANSWER = 0.92  # the threshold keeps at least this share of off-topic questions unanswered, cross-validated


# --- baselines ------------------------------------------------------------------------------------
def rapidfuzz_titles(sections: Sequence[Section], cutoff: float) -> Search:
    titles: dict[str, str] = {}
    for s in sections:
        titles.setdefault(s.page_url, " ".join([*s.breadcrumbs, s.title]).lower())
    urls = list(titles)
    choices = [titles[u] for u in urls]

    def search(q: str) -> list[str]:
        found = process.extract(q.lower(), choices, scorer=fuzz.token_set_ratio, limit=3, score_cutoff=cutoff)
        return [url_path(urls[i]) for _, _, i in found]

    return search


class PlainBM25:
    """BM25 (k1 1.2, b 0.75) over title + body, Snowball stems, no stop words or vocabularies."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self.stem = snowballstemmer.stemmer("russian").stemWord
        docs: dict[str, list[str]] = defaultdict(list)
        for s in sections:
            if not docs[s.page_url]:
                docs[s.page_url].append(s.title)
            docs[s.page_url].append(s.text)
        self.urls = list(docs)
        self.tfs = [Counter(self.terms(" ".join(t))) for t in docs.values()]
        self.lens = [sum(c.values()) for c in self.tfs]
        self.avg = sum(self.lens) / len(self.lens)
        df = Counter(t for c in self.tfs for t in c)
        n = len(self.tfs)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def terms(self, text: str) -> list[str]:
        return [self.stem(w) for w in re.findall(r"[0-9a-zа-яё]+", text.lower().replace("ё", "е"))]

    def scores(self, q: str) -> list[tuple[float, str]]:
        qt = set(self.terms(q))
        out = []
        for url, tf, length in zip(self.urls, self.tfs, self.lens, strict=True):
            s = 0.0
            for t in qt:
                f = tf.get(t, 0)
                if f:
                    s += self.idf[t] * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * length / self.avg))
            if s > 0:
                out.append((s, url))
        return sorted(out, reverse=True)[:3]

    def searcher(self, cutoff: float) -> Search:
        return lambda q: [url_path(u) for s, u in self.scores(q) if s >= cutoff]


# --- our search -----------------------------------------------------------------------------------
def ours(index: ks.SearchIndex) -> Search:
    return lambda q: [url_path(h.url) for h in index.search(q, 3)]


@dataclass(frozen=True)
class Candidates:
    """A query's top articles before the cut-off: their paths and calibration features."""

    query: Query
    paths: list[str]
    features: np.ndarray  # one row per path

    @property
    def answered(self) -> float:
        """1 when one of the top 3 is right (what the cut-off should let through)."""
        return 1.0 if any(p in self.query.expected for p in self.paths[:3]) else 0.0


def candidates(index: ks.SearchIndex, queries: Sequence[Query]) -> list[Candidates]:
    out = []
    for q in queries:
        ex = index.explain(q.q, 3)
        feats = np.array([e.features for e in ex]) if ex else np.zeros((0, len(ks.FEATURES)))
        feats = feats[:, [ks.FEATURES.index(f) for f in ks.CALIBRATED]]  # what the cut-off looks at
        out.append(Candidates(q, [url_path(e.page_url) for e in ex], feats))
    return out


def fit(rows: Sequence[Candidates]) -> tuple[float, np.ndarray]:
    """The calibration fitted on the best article of each query."""
    kept = [r for r in rows if len(r.paths)]
    return fit_logistic(np.array([r.features[0] for r in kept]), np.array([r.answered for r in kept]), l2=0.01)


def decide(row: Candidates, bias: float, weights: np.ndarray, threshold: float) -> list[str]:
    """What `SearchIndex.search` shows for these candidates under a given calibration."""
    if not row.paths:
        return []
    probs = 1.0 / (1.0 + np.exp(-(bias + row.features @ weights)))
    if probs[0] < threshold:
        return []
    return [p for p, pr in zip(row.paths, probs, strict=True) if pr >= threshold * ks.FOLLOWER_SHARE]


def leave_one_set_out(rows_by_set: dict[str, list[Candidates]]) -> dict[str, tuple[float, np.ndarray]]:
    """Per query: the calibration fitted on the other sets only (new wording is a new set)."""
    out = {}
    for held, shown in rows_by_set.items():
        bias, weights = fit([r for name, rows in rows_by_set.items() if name != held for r in rows])
        out.update({r.query.q: (bias, weights) for r in shown})
    return out


def decisions(rows: Sequence[Candidates], fitted: dict[str, tuple[float, np.ndarray]],
              threshold: float) -> dict[str, list[str]]:
    return {r.query.q: decide(r, *fitted[r.query.q], threshold) for r in rows}


def choose_threshold(rows: Sequence[Candidates], fitted: dict[str, tuple[float, np.ndarray]],
                     least_precision: float = TARGET_NO_ANSWER) -> float:
    """The threshold of the best cross-validated hit@3 among those that keep no-answer precision
    at `least_precision` (ties: the higher threshold)."""
    queries = [r.query for r in rows]
    best, best_hit = 0.95, -1.0
    for threshold in np.round(np.arange(0.05, 0.951, 0.01), 2):
        shown = decisions(rows, fitted, float(threshold))
        figures = evaluate(lambda q, d=shown: d[q], queries)
        if figures.no_answer_precision >= least_precision and figures.hit3 >= best_hit:
            best, best_hit = float(threshold), figures.hit3
    return best


def print_figures(name: str, search: Search, queries: Sequence[Query], kinds: bool = True) -> None:
    print(f"  {name:<28} {evaluate(search, queries).row()}")
    if kinds:
        for kind, fig in by_kind(search, queries).items():
            print(f"      {kind:<24} {fig.row()}")


# --- speed ----------------------------------------------------------------------------------------
def synthetic_sections(base: Sequence[Section], target: int, seed: int = 7) -> list[Section]:
    """Sections of made-up articles: titles and texts recombined from the mirror's sentences."""
    rng = random.Random(seed)
    sentences = [s for sec in base for s in re.split(r"(?<=[.!?])\s+", sec.text) if len(s) > 20]
    title_words = sorted({w for sec in base for w in re.findall(r"\w{4,}", sec.title + " " + (sec.heading or ""))})
    out: list[Section] = []
    article = 0
    while len(out) < target:
        article += 1
        template = rng.choice(base)
        title = f"{template.title}: {' '.join(rng.sample(title_words, 2))}"
        url = f"https://example.test/help/articles/{article}--synthetic"
        for pos in range(rng.randint(2, 6)):
            heading = None if pos == 0 else " ".join(rng.sample(title_words, rng.randint(2, 4))).capitalize()
            text = " ".join(rng.sample(sentences, rng.randint(2, 6)))
            out.append(Section(url if pos == 0 else f"{url}#s{pos}", url, title, template.breadcrumbs,
                               heading, text, pos))
    return out[:target]


def latency(index: ks.SearchIndex, queries: Sequence[str], rounds: int = 3) -> dict[str, tuple[float, float]]:
    """p50/p95 in ms, wall clock and this thread's CPU time (the machine may be shared), over
    `rounds` passes; the per-query parse cache is cleared before each call, the word caches are warm."""
    wall, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            index._slots.cache_clear()
            t, c = time.perf_counter(), time.thread_time()
            index.search(q, 3)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    out = {}
    for name, times in (("wall", wall), ("cpu", cpu)):
        times.sort()
        out[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return out


def show_latency(figures: dict[str, tuple[float, float]]) -> str:
    return "  ".join(f"{name} p50 {p50:.2f} ms p95 {p95:.2f} ms" for name, (p50, p95) in figures.items())


def crawled_sections() -> list[Section]:
    """Serve the mirror on loopback, crawl it into a throwaway SQLite file, and read the sections back."""
    import asyncio
    import tempfile
    from pathlib import Path

    from knowledge.db import make_engine
    from knowledge.service import Knowledge
    from knowledge.settings import KnowledgeSettings
    from knowledge.storage import IndexStore
    from tests.mirror import PUBLIC_BASE, serving

    async def crawl(base: str, url: str) -> list[Section]:
        engine = make_engine(url)
        settings = KnowledgeSettings(DATABASE_URL=url, HELP_BASE_URL=base, HELP_PUBLIC_BASE_URL=PUBLIC_BASE,
                                     CRAWL_TIMEOUT=2)
        knowledge = Knowledge(settings, engine)
        try:
            summary = await knowledge.crawl()
            print(f"crawled the mirror: {summary.fetched} pages fetched in {summary.duration:.1f} s")
            return await IndexStore(engine).load_sections()
        finally:
            await knowledge.close()
            await engine.dispose()

    with tempfile.TemporaryDirectory() as tmp, serving() as mirror:
        return asyncio.run(crawl(mirror.base, f"sqlite+aiosqlite:///{Path(tmp) / 'kb.sqlite3'}"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="quality only, no 50k-section index")
    parser.add_argument("--fit", action="store_true",
                        help="print the calibration constants fitted on the four labelled sets")
    parser.add_argument("--crawled", action="store_true",
                        help="index what the crawler stores from the mirror served on loopback, not the articles file")
    args = parser.parse_args()

    sections = crawled_sections() if args.crawled else mirror_sections()
    dev = load_dev()
    extra = load_dev(EXTRA)
    fresh = load_dev(FRESH)
    fresh2 = load_dev(FRESH2)
    fresh3 = load_dev(FRESH3)
    both = dev + extra
    t = time.perf_counter()
    index = ks.SearchIndex(sections)
    build = time.perf_counter() - t
    print(f"mirror index: {len(index)} sections, built in {build:.2f} s (analyzer included)")
    named = {"dev": dev, "extra": extra, "fresh": fresh, "fresh2": fresh2}
    for name, queries in (*named.items(), ("fresh3", fresh3)):
        print(f"{name} set: {len(queries)} queries ({sum(bool(q.expected) for q in queries)} answerable)")
    print()
    by_set = {name: candidates(index, queries) for name, queries in named.items()}
    rows = [r for rows in by_set.values() for r in rows]
    fitted = leave_one_set_out(by_set)
    threshold = choose_threshold(rows, fitted)

    if args.fit:
        bias, weights = fit(rows)
        print(f"fitted on {' + '.join(named)} ({len(rows)} queries), features {ks.CALIBRATED}\n"
              f"CAL_BIAS = {bias:.3f}\nCAL_WEIGHTS = {np.round(weights, 3).tolist()}\n"
              f"DEFAULT_THRESHOLD = {threshold}  # leave-one-set-out no-answer precision >= {TARGET_NO_ANSWER}, "
              f"best hit@3\n")
        return

    print(f"== knowledge.search (shipped calibration, threshold {index.threshold})")
    print_figures("all dev", ours(index), dev)
    print_figures("extra", ours(index), extra)
    print_figures("dev + extra", ours(index), both, kinds=False)
    print_figures("fresh", ours(index), fresh)
    print_figures("fresh2", ours(index), fresh2)
    print_figures("fresh + fresh2", ours(index), fresh + fresh2, kinds=False)
    print_figures("fresh3 (never fitted on)", ours(index), fresh3)
    for name, queries in (("dev + extra", both), ("fresh + fresh2", fresh + fresh2), ("fresh3", fresh3)):
        answerable = [r for r in candidates(index, queries) if r.query.expected]
        print(f"  before the cut-off: hit@3 {sum(r.answered for r in answerable) / len(answerable):.3f} on {name}")

    print(f"\n== leave one set out: calibration refitted on the other sets, figures on the one left out; "
          f"threshold {threshold} chosen on these (no-answer precision >= {TARGET_NO_ANSWER}, best hit@3)")
    for shown_at in sorted({threshold, index.threshold}):
        print(f"  threshold {shown_at}")
        for name, set_rows in (*by_set.items(), ("all four", rows)):
            d = decisions(set_rows, fitted, shown_at)
            print(f"    {name:<26} {evaluate(lambda q, d=d: d[q], [r.query for r in set_rows]).row()}")

    print("\n== baselines")
    bm25 = PlainBM25(sections)
    for cutoff in (6.0, 9.0, 12.0):
        print_figures(f"plain BM25, cut-off {cutoff}", bm25.searcher(cutoff), dev, kinds=cutoff == 9.0)
    for cutoff in (50.0, 60.0):
        print_figures(f"rapidfuzz titles, cut-off {cutoff:.0f}", rapidfuzz_titles(sections, cutoff), dev,
                      kinds=cutoff == 60.0)

    if args.quick:
        return
    queries = [q.q for q in both]
    print(f"\n== latency (search, 3 hits with snippets)\n  mirror ({len(index)} sections): "
          f"{show_latency(latency(index, queries))}")
    base_rss = rss_mb()
    synthetic = synthetic_sections(sections, 50_000)
    t = time.perf_counter()
    big = ks.SearchIndex(synthetic)
    build = time.perf_counter() - t
    print(f"  synthetic ({len(big)} sections, {len({s.page_url for s in synthetic})} articles): "
          f"{show_latency(latency(big, queries, rounds=2))}\n"
          f"  built in {build:.1f} s; peak RSS {rss_mb():.0f} MB (was {base_rss:.0f} MB before making and indexing it)")


if __name__ == "__main__":
    main()
