"""Turn one help-center HTML page into its title, breadcrumbs, links and addressable sections.

Only the article's own text is kept: menus, sidebar trees, footers, scripts, feedback widgets,
link lists and icon ligatures ("keyboard_arrow_right") are stripped before the text is read.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag
from bs4.element import CData, Declaration, ProcessingInstruction

HEADINGS = ("h2", "h3", "h4", "h5", "h6")
# Elements that never carry article text.
DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "input",
    "select", "textarea", "nav", "header", "footer", "aside", "object", "embed", "video", "audio", "map",
)
# class/id words of navigation, widgets and icons (matched as whole words of the attribute).
NOISE_WORDS = re.compile(
    r"(?:^|[\s_-])(?:sidebar|side-?nav|menu|navbar|nav|breadcrumbs?|related|helpful|feedback|rating|vote|"
    r"share|social|cookie|banner|popup|modal|toc|pagination|pager|topbar|advert|ads|"
    r"material-icons|material-symbols(?:-\w+)?|icon|icons|glyphicon|fa|article-meta|meta|print)(?:$|[\s_-])",
    re.IGNORECASE,
)
# Names of icon-font ligatures (Material Icons and the like) drawn as text.
ICON_LIGATURE = re.compile(
    r"^(?:keyboard_arrow|arrow|expand|chevron|navigate|unfold|more|check_box|radio_button|arrow_drop|"
    r"first_page|last_page|open_in)(?:_[a-z]+)+$"
)
NOISE_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "dialog"}
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
    "tr", "td", "th", "pre", "blockquote", "figure", "figcaption", "br", "hr", "h1", *HEADINGS,
}
KEPT_TAGS = frozenset({"html", "head", "body", "article", "main"})
FIGURE_LABEL = re.compile(r"^(?:рисунок|рис\.|скриншот|изображение|figure|fig\.|image)\s*\d*\.?$", re.IGNORECASE)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
WHITESPACE = re.compile(r"\s+")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
TITLE_SUFFIX = re.compile(r"\s+[—–|·-]\s+[^—–|·]+$")


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space; drop invisible characters."""
    return WHITESPACE.sub(" ", text.translate(INVISIBLE)).strip()


def sniff_charset(body: bytes) -> str | None:
    """The charset a page declares in `<meta charset>` or `<meta http-equiv=Content-Type>`."""
    match = META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def known_encoding(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Decode a page: the HTTP header's charset first, then the page's meta tag, then UTF-8."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", "replace")
    encoding = known_encoding(header_charset) or known_encoding(sniff_charset(body)) or "utf-8"
    return body.decode(encoding, "replace")


@dataclass(frozen=True, slots=True)
class ExtractedSection:
    heading: str | None
    anchor: str | None
    text: str


@dataclass(slots=True)
class ExtractedPage:
    title: str
    canonical: str | None
    breadcrumbs: tuple[str, ...]
    sections: list[ExtractedSection] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def is_article(self) -> bool:
        """A page worth indexing: it has some text of its own (listing pages have only links)."""
        return any(section.text for section in self.sections)


def extract(html: str, url: str) -> ExtractedPage:
    """Parse one page. `url` is the address it was fetched from (links and canonical resolve against it)."""
    soup = BeautifulSoup(html, "lxml")
    tags: list[Tag] = soup.find_all(True)  # one walk; the helpers filter this list
    base = next((urljoin(url, str(t["href"])) for t in tags if t.name == "base" and t.get("href")), url)
    links = _links(tags, base)
    canonical = _canonical(tags, base)
    breadcrumbs = _breadcrumbs(tags)
    root = _content_root(tags, soup)
    title = _title(soup, root)  # before stripping: an article's <header> may hold its h1
    _strip_noise(soup, tags)
    if root.decomposed:
        root = _content_root(soup.find_all(True), soup)
    _strip_link_lists(root)
    sections = _sections(root)
    return ExtractedPage(title=title, canonical=canonical, breadcrumbs=breadcrumbs, sections=sections, links=links)


SKIPPED_HREF = ("#", "javascript:", "mailto:", "tel:", "data:")


def _links(tags: list[Tag], base: str) -> list[str]:
    seen: dict[str, None] = {}
    for anchor in tags:
        if anchor.name != "a" or "nofollow" in (anchor.get("rel") or ()):
            continue
        href = str(anchor.get("href") or "").strip()
        if href and not href.startswith(SKIPPED_HREF):
            seen.setdefault(href, None)
    return list(dict.fromkeys(urljoin(base, href) for href in seen))


def _canonical(tags: list[Tag], base: str) -> str | None:
    for link in tags:
        if link.name == "link" and link.get("href"):
            rel = [str(value).lower() for value in (link.get("rel") or [])]
            if "canonical" in rel:
                return urljoin(base, str(link["href"]).strip())
    return None


def _attr_text(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return " ".join(value) if isinstance(value, list) else str(value)


BREADCRUMB = re.compile("breadcrumb", re.IGNORECASE)
# A separator drawn next to a crumb ("CRM ›"), not a closing quote ("модуле «CRM»").
CRUMB_SEPARATOR = re.compile(r"^(?:[/›>→|·»]\s+)+|(?:\s+[/›>→|·»])+$")


def _breadcrumbs(tags: list[Tag]) -> tuple[str, ...]:
    container = None
    for attribute in ("aria-label", "itemtype", "class"):
        container = next((tag for tag in tags if BREADCRUMB.search(_attr_text(tag, attribute))), None)
        if container is not None:
            break
    if container is None:
        return _json_ld_breadcrumbs(tags)
    items = container.find_all("li") or container.find_all(["a", "span"])
    crumbs = [CRUMB_SEPARATOR.sub("", normalize_space(item.get_text(" "))) for item in items]
    return tuple(crumb for crumb in crumbs if crumb.strip("/›»>→|·- "))


def _json_ld_breadcrumbs(tags: list[Tag]) -> tuple[str, ...]:
    """Breadcrumbs given only as schema.org data: <script type="application/ld+json">."""
    for tag in tags:
        if tag.name != "script" or "ld+json" not in _attr_text(tag, "type"):
            continue
        try:
            data = json.loads(tag.get_text())
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if node.get("@type") == "BreadcrumbList":
                    items = sorted(node.get("itemListElement") or [], key=lambda i: i.get("position", 0))
                    names = [i.get("name") or (i.get("item") or {}).get("name") for i in items if isinstance(i, dict)]
                    return tuple(normalize_space(str(name)) for name in names if name)
                stack.extend(node.get("@graph") or [])
    return ()


def _is_noise(tag: Tag) -> bool:
    if tag.name in DROP_TAGS:
        return True
    if tag.get("hidden") is not None or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    if str(tag.get("role", "")).lower() in NOISE_ROLES:
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if tag.name in ("i", "span", "em") and ICON_LIGATURE.match(tag.get_text().strip()):
        return True  # an icon font's ligature, e.g. <i>keyboard_arrow_right</i> without a telling class
    classes = tag.get("class") or []
    words = " ".join([*classes, str(tag.get("id", ""))]) if not isinstance(classes, str) else classes
    return bool(words) and NOISE_WORDS.search(words) is not None


def _strip_noise(soup: BeautifulSoup, tags: list[Tag]) -> None:
    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, CData, ProcessingInstruction, Declaration))):
        node.extract()
    for tag in tags:  # in document order: a parent goes before its children are looked at
        if tag.decomposed or tag.name in KEPT_TAGS:
            continue
        if _is_noise(tag) or (tag.name == "figcaption" and FIGURE_LABEL.match(normalize_space(tag.get_text(" ")))):
            tag.decompose()


CONTENT_CLASS = re.compile(r"^(?:article|content|post)(?:[-_]?body|[-_]?content)?$", re.IGNORECASE)


def _content_root(tags: list[Tag], soup: BeautifulSoup) -> Tag:
    """The element holding the article: <article>, <main>, role=main, or a content-like class."""
    tests = (
        lambda t: t.name == "article",
        lambda t: t.name == "main",
        lambda t: _attr_text(t, "role") == "main" or _attr_text(t, "itemprop") == "articleBody",
        lambda t: any(CONTENT_CLASS.match(c) for c in _attr_text(t, "class").split()),
    )
    for test in tests:
        for tag in tags:
            if test(tag) and normalize_space(tag.get_text(" ")):
                return tag
    return soup.body or soup


def _title(soup: BeautifulSoup, root: Tag) -> str:
    """The article's h1; else og:title or <title> without the site's name; else any h1 (a logo, maybe)."""
    candidates = [root.find("h1")]
    og_title = soup.find("meta", attrs={"property": "og:title"})
    if isinstance(og_title, Tag):
        candidates.append(str(og_title.get("content") or ""))
    if soup.title and soup.title.string:
        candidates.append(TITLE_SUFFIX.sub("", normalize_space(soup.title.string)))
    candidates.append(soup.find("h1"))
    for candidate in candidates:
        text = normalize_space(candidate.get_text(" ") if isinstance(candidate, Tag) else candidate or "")
        if text:
            return text
    return ""


def _is_link_list(tag: Tag) -> bool:
    """A block of links: a related-articles list, a "see also" row, a table of contents, a catalogue."""
    text = normalize_space(tag.get_text(" "))
    anchors = tag.find_all("a")
    if not text or not anchors:
        return False
    linked = sum(len(normalize_space(a.get_text(" "))) for a in anchors)
    share = linked / len(text)
    if (len(anchors) >= 3 and share >= 0.6) or (tag.name in ("ul", "ol") and share >= 0.9):
        return True
    if tag.name in ("ul", "ol"):
        items = tag.find_all("li", recursive=False)
        with_links = [item for item in items if item.find("a")]
        if len(items) >= 3 and len(with_links) >= 0.8 * len(items):
            own_text = len(text) - linked
            return own_text / len(items) < 40
    return False


def _strip_link_lists(root: Tag) -> None:
    for tag in root.find_all(["ul", "ol", "p", "div", "table", "dl"]):
        if not tag.decomposed and _is_link_list(tag):
            tag.decompose()


def _anchor_of(heading: Tag) -> str | None:
    if heading.get("id"):
        return str(heading["id"])
    inner = heading.find(lambda t: t.name == "a" and (t.get("id") or t.get("name")))
    if isinstance(inner, Tag):
        return str(inner.get("id") or inner.get("name"))
    previous = heading.find_previous_sibling()
    if (isinstance(previous, Tag) and previous.name == "a" and (previous.get("id") or previous.get("name"))
            and not normalize_space(previous.get_text(" "))):
        return str(previous.get("id") or previous.get("name"))
    parent = heading.parent
    if isinstance(parent, Tag) and parent.name == "section" and parent.get("id"):
        first = parent.find(HEADINGS)
        if first is heading:
            return str(parent["id"])
    return None


def _walk(node: Tag) -> Iterator[str | Tag | None]:
    """Yield text pieces, heading tags and None for block boundaries, in document order."""
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, (Comment, Doctype)):
                yield str(child)
        elif isinstance(child, Tag):
            if child.name in HEADINGS:
                yield child
            elif child.name == "h1":
                continue  # the title, kept apart
            else:
                block = child.name in BLOCK_TAGS
                if block:
                    yield None
                yield from _walk(child)
                if block:
                    yield None


def _sections(root: Tag) -> list[ExtractedSection]:
    sections: list[ExtractedSection] = []
    heading: str | None = None
    anchor: str | None = None
    blocks: list[str] = []
    current: list[str] = []

    def close_block() -> None:
        text = normalize_space("".join(current))
        if text:
            blocks.append(text)
        current.clear()

    def close_section() -> None:
        close_block()
        text = " ".join(blocks)
        if text or heading:
            sections.append(ExtractedSection(heading=heading, anchor=anchor, text=text))
        blocks.clear()

    for piece in _walk(root):
        if piece is None:
            close_block()
        elif isinstance(piece, Tag):
            close_section()
            heading = normalize_space(piece.get_text(" ")) or None
            anchor = _anchor_of(piece)
        else:
            current.append(piece)
    close_section()
    return sections


def site_crumbs(trails: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The leading breadcrumbs shared by (nearly) every page: the site's own name, not a topic.

    They are the same on every article ("Аспро.Cloud › Центр поддержки"), so they carry no
    information; the search wants the trail below them.
    """
    long_enough = [trail for trail in trails if len(trail) >= 2]
    if len(long_enough) < 3:
        return ()
    common: list[str] = []
    for position in range(max(len(t) for t in long_enough)):
        values = [t[position] for t in long_enough if len(t) > position + 1]
        if len(values) < 0.8 * len(long_enough):
            break
        top = max(set(values), key=values.count)
        if values.count(top) < 0.8 * len(long_enough):
            break
        common.append(top)
    return tuple(common)


def strip_site_crumbs(trail: tuple[str, ...], common: tuple[str, ...]) -> tuple[str, ...]:
    position = 0
    while position < len(trail) and position < len(common) and trail[position] == common[position]:
        position += 1
    return trail[position:]
