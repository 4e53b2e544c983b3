"""Search quality and speed figures on the help-center mirror.

    .venv/bin/python benchmarks/bench_search.py            # everything (~1-2 min: the 50k index)
    .venv/bin/python benchmarks/bench_search.py --quick    # quality only
    .venv/bin/python benchmarks/bench_search.py --fit      # print calibration constants fitted on all dev

Prints hit@1, hit@3, MRR (answerable queries) and no-answer precision on benchmarks/data/search_dev.jsonl,
by kind, for knowledge.search and two baselines (rapidfuzz on titles, plain BM25 with Snowball over
title+body); a split check (calibration refitted on one half, figures on the other); latency p50/p95
on the mirror index and on a synthetic index of 50,000 sections made from the mirror's text.
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

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process
from search_eval import EXTRA, Query, by_kind, evaluate, fit_logistic, load_dev, split_halves

import knowledge.search as ks
from knowledge.model import Section
from tests.helpcenter import mirror_sections, url_path

Search = Callable[[str], list[str]]


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


def gate_data(index: ks.SearchIndex, queries: Sequence[Query]) -> tuple[np.ndarray, np.ndarray]:
    """Features of each query's best article, labelled 1 when one of the top 3 is right."""
    x, y = [], []
    for q in queries:
        ex = index.explain(q.q, 3)
        if ex:
            x.append(ex[0].features)
            y.append(1.0 if any(url_path(e.page_url) in q.expected for e in ex) else 0.0)
    return np.array(x), np.array(y)


def refit(index: ks.SearchIndex, queries: Sequence[Query]) -> tuple[float, np.ndarray]:
    bias, weights = fit_logistic(*gate_data(index, queries), l2=0.01)
    ks.CAL_BIAS, ks.CAL_WEIGHTS = bias, weights.astype(np.float32)
    return bias, weights


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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="quality only, no 50k-section index")
    parser.add_argument("--fit", action="store_true", help="print constants fitted on the whole dev set")
    args = parser.parse_args()

    sections = mirror_sections()
    dev = load_dev()
    extra = load_dev(EXTRA)
    tune, held = split_halves(dev)
    t = time.perf_counter()
    index = ks.SearchIndex(sections)
    build = time.perf_counter() - t
    print(f"mirror index: {len(index)} sections, built in {build:.2f} s (analyzer included)")
    for name, queries in (("dev", dev), ("extra", extra)):
        print(f"{name} set: {len(queries)} queries ({sum(bool(q.expected) for q in queries)} answerable)")
    print()

    if args.fit:
        bias, weights = refit(index, dev)
        print(f"CAL_BIAS = {bias:.3f}\nCAL_WEIGHTS = {np.round(weights, 3).tolist()}\n")
        return

    shipped = (ks.CAL_BIAS, ks.CAL_WEIGHTS.copy())
    print(f"== knowledge.search (shipped calibration, threshold {index.threshold})")
    print_figures("all dev", ours(index), dev)
    print_figures("extra (held out)", ours(index), extra)
    print_figures("dev + extra", ours(index), dev + extra, kinds=False)

    print("\n== split check: calibration refitted on the tune half, figures on each half")
    refit(index, tune)
    print_figures("tune half (fitted on)", ours(index), tune, kinds=False)
    print_figures("held-out half", ours(index), held, kinds=False)
    ks.CAL_BIAS, ks.CAL_WEIGHTS = shipped

    print("\n== baselines")
    bm25 = PlainBM25(sections)
    for cutoff in (6.0, 9.0, 12.0):
        print_figures(f"plain BM25, cut-off {cutoff}", bm25.searcher(cutoff), dev, kinds=cutoff == 9.0)
    for cutoff in (50.0, 60.0):
        print_figures(f"rapidfuzz titles, cut-off {cutoff:.0f}", rapidfuzz_titles(sections, cutoff), dev,
                      kinds=cutoff == 60.0)

    if args.quick:
        return
    queries = [q.q for q in dev]
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
