"""Plain values shared by the crawler, the index and the search."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    """One addressable part of a help-center article (the text under one heading)."""

    url: str                      # public deep link: the page's public URL plus `#anchor` when it has one
    page_url: str                 # the page's public (canonical) URL
    title: str                    # the article's title
    breadcrumbs: tuple[str, ...]  # the trail above the article, e.g. ("CRM", "Настройки модуля CRM")
    heading: str | None           # the section's heading; None for the text before the first heading
    text: str                     # the section's body, whitespace normalised
    position: int = 0             # order within the page


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, as shown to a user."""

    url: str
    title: str
    heading: str | None
    snippet: str
    score: float
