"""Sections of the help-center mirror straight from its source data (no HTTP), for search tests
and benchmarks. The crawler produces the same Sections from the served pages."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from knowledge.encoder import shared_store
from knowledge.model import Section

ARTICLES = Path(__file__).parent / "fixtures" / "helpcenter" / "articles.jsonl"
# The mirror's section vectors (`knowledge.encoder`), so that indexing it does not run the encoder;
# rebuilt by `python benchmarks/bench_search.py --embed-mirror` when the articles change.
VECTORS = ARTICLES.with_name("section_vectors.npz")


def load_articles(path: Path = ARTICLES) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def article_sections(article: dict) -> list[Section]:
    """One Section per heading; the anchors are those the mirror gives its <h2> (`#s<n>`)."""
    out: list[Section] = []
    for n, sec in enumerate(article["sections"]):
        text = " ".join(p.strip() for p in [*sec.get("paragraphs", []), *sec.get("bullets", [])] if p.strip())
        heading = sec.get("heading")
        out.append(
            Section(
                url=f"{article['url']}#s{n}" if heading else article["url"],
                page_url=article["url"],
                title=article["title"],
                breadcrumbs=tuple(article["breadcrumbs"]),
                heading=heading,
                text=text,
                position=n,
            )
        )
    return out


def mirror_sections(path: Path = ARTICLES) -> list[Section]:
    shared_store().load(VECTORS)
    return [s for a in load_articles(path) for s in article_sections(a)]


def url_path(url: str) -> str:
    """Compare links by path: the mirror and the public site differ in host, deep links in anchor."""
    return urlsplit(url).path.rstrip("/")
