"""ChatMessage text the way Telegram turns it into plain text and entities.

The HTML parser follows the rules (and the error texts) of Telegram's own parser: the supported tags,
attribute syntax, the four named character references plus numeric ones, byte offsets in errors.
Offsets and lengths of entities are counted in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


class EntityParseError(ValueError):
    """The text cannot be parsed with the requested parse mode (Telegram's 400 "can't parse entities")."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


class _Output:
    """Plain text being built, with its length in UTF-16 code units (where entity offsets point)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def append(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the result where the tag's content starts
    argument: str = ""


_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_SUPPORTED_TAGS = {*_SIMPLE_TAGS, "a", "span", "tg-emoji"}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _is_space(ch: str) -> bool:
    return ch in " \t\r\n\f\v"


def _decode_reference(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference starting at text[pos] == '&'; return (char, next position)."""
    end = pos + 1
    if end < len(text) and text[end] == "#":
        end += 1
        hexa = end < len(text) and text[end] in "xX"
        if hexa:
            end += 1
        start = end
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end >= len(text) or text[end] != ";":
            return None
        code = int(text[start:end], 16 if hexa else 10)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    start = end
    while end < len(text) and text[end].isascii() and text[end].isalpha():
        end += 1
    if end >= len(text) or text[end] != ";":
        return None
    name = text[start:end]
    if name not in _NAMED_REFERENCES:
        return None
    return _NAMED_REFERENCES[name], end + 1


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities). Raises EntityParseError like the Bot API."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    size = len(text)
    i = 0

    while i < size:
        ch = text[i]
        if ch == "&":
            decoded = _decode_reference(text, i)
            if decoded is None:
                out.append("&")
                i += 1
            else:
                out.append(decoded[0])
                i = decoded[1]
            continue
        if ch != "<":
            start = i
            while i < size and text[i] not in "<&":
                i += 1
            out.append(text[start:i])
            continue
        begin = i
        i += 1
        if i < size and text[i] != "/":
            i = _parse_start_tag(text, begin, i, stack, out.length)
            continue
        # an end tag
        i += 1
        name_start = i
        while i < size and (text[i].isascii() and (text[i].isalnum() or text[i] == "-")):
            i += 1
        end_name = text[name_start:i].lower()
        while i < size and _is_space(text[i]):
            i += 1
        if i == size or text[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        opened = stack[-1]
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        stack.pop()
        length = out.length - opened.offset
        if length > 0:
            entity = _entity_for(opened, out.text(), length)
            if entity is not None:
                entities.append(entity)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    plain = out.text()
    return plain, sort_entities(_merge_pre_code(entities))


def _parse_start_tag(text: str, begin: int, i: int, stack: list[_OpenTag], offset: int) -> int:
    size = len(text)
    name_start = i
    while i < size and not _is_space(text[i]) and text[i] != ">":
        i += 1
    if i == size:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    name = text[name_start:i].lower()
    if name not in _SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}')
    tag = _OpenTag(name=name, offset=offset)
    while text[i] != ">":
        while i < size and _is_space(text[i]):
            i += 1
        if i == size:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            break
        attr_start = i
        while i < size and not _is_space(text[i]) and text[i] not in "=>":
            i += 1
        attr = text[attr_start:i].lower()
        if not attr:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        while i < size and _is_space(text[i]):
            i += 1
        if i == size:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] != "=":
            if name == "blockquote" and attr == "expandable":
                tag.argument = "expandable"
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < size and _is_space(text[i]):
            i += 1
        if i == size:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] not in "'\"":
            token_start = i
            while i < size and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            value = text[token_start:i].lower()
            if i < size and not _is_space(text[i]) and text[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}")
        else:
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < size and text[i] != quote:
                if text[i] == "&":
                    decoded = _decode_reference(text, i)
                    if decoded is not None:
                        chars.append(decoded[0])
                        i = decoded[1]
                        continue
                chars.append(text[i])
                i += 1
            if i < size:
                i += 1
            value = "".join(chars)
        if i == size:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if (
            (name == "a" and attr == "href")
            or (name == "code" and attr == "class" and value.startswith("language-"))
            or (name == "span" and attr == "class")
            or (name == "tg-emoji" and attr == "emoji-id")
        ):
            tag.argument = value
    if name == "span" and tag.argument != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
    stack.append(tag)
    return i + 1


_URL_SCHEMES = ("http://", "https://", "tg://", "ton://", "ftp://")


def _entity_for(tag: _OpenTag, plain: str, length: int) -> dict[str, Any] | None:
    base = {"offset": tag.offset, "length": length}
    if tag.name in _SIMPLE_TAGS:
        kind = _SIMPLE_TAGS[tag.name]
        if kind == "blockquote" and tag.argument == "expandable":
            kind = "expandable_blockquote"
        entity = {"type": kind, **base}
        if kind == "code" and tag.argument:
            entity["language"] = tag.argument.removeprefix("language-")
        return entity
    if tag.name == "span":
        return {"type": "spoiler", **base}
    if tag.name == "tg-emoji":
        return {"type": "custom_emoji", **base, "custom_emoji_id": tag.argument} if tag.argument else None
    url = tag.argument or utf16_slice(plain, tag.offset, length)
    url = url.strip()
    if not url.lower().startswith(_URL_SCHEMES):
        if not _BARE_URL.fullmatch(url):
            return None
        url = "http://" + url
    return {"type": "text_link", **base, "url": url}


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """<pre><code class="language-x"> becomes one pre entity with a language, as Telegram does."""
    merged: list[dict[str, Any]] = []
    pres = {(e["offset"], e["length"]): e for e in entities if e["type"] == "pre"}
    for entity in entities:
        pre = pres.get((entity["offset"], entity["length"]))
        if entity["type"] == "code" and pre is not None:
            if "language" in entity:
                pre["language"] = entity["language"]
            continue
        merged.append(entity)
    return merged


# --- MarkdownV2 -------------------------------------------------------------------------------------

_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_SIMPLE = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into (plain text, entities); reserved characters must be escaped, as in Telegram."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int]] = []  # (kind, utf16 offset, byte offset of the opening mark)
    i = 0
    size = len(text)

    while i < size:
        ch = text[i]
        if ch == "\\" and i + 1 < size and ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            is_pre = text.startswith("```", i)
            mark = "```" if is_pre else "`"
            start_byte = _byte_offset(text, i)
            i += len(mark)
            language = ""
            if is_pre:
                line_end = text.find("\n", i)
                if line_end != -1 and re.fullmatch(r"[\w+-]*", text[i:line_end]):
                    language = text[i:line_end]
                    i = line_end + 1
            chunk: list[str] = []
            while i < size and not text.startswith(mark, i):
                if text[i] == "\\" and i + 1 < size and text[i + 1] in "`\\":
                    chunk.append(text[i + 1])
                    i += 2
                    continue
                chunk.append(text[i])
                i += 1
            if i >= size:
                name = "Pre" if is_pre else "Code"
                raise EntityParseError(f"Can't find end of {name} entity at byte offset {start_byte}")
            i += len(mark)
            offset = out.length
            out.append("".join(chunk))
            if out.length > offset:
                entity: dict[str, Any] = {"type": "pre" if is_pre else "code", "offset": offset}
                entity["length"] = out.length - offset
                if language:
                    entity["language"] = language
                entities.append(entity)
            continue
        mark = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else ch
        if mark in _MD_SIMPLE:
            kind = _MD_SIMPLE[mark]
            if stack and stack[-1][0] == kind:
                _, offset, _ = stack.pop()
                if out.length > offset:
                    entities.append({"type": kind, "offset": offset, "length": out.length - offset})
            else:
                stack.append((kind, out.length, _byte_offset(text, i)))
            i += len(mark)
            continue
        if ch == "[":
            stack.append(("text_link", out.length, _byte_offset(text, i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            _, offset, start_byte = stack.pop()
            if not text.startswith("(", i + 1):
                raise EntityParseError(f"Can't find end of TextUrl entity at byte offset {start_byte}")
            close = text.find(")", i + 2)
            if close == -1:
                raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 2)}")
            url = text[i + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
            i = close + 1
            if out.length > offset:
                entities.append({"type": "text_link", "offset": offset, "length": out.length - offset, "url": url})
            continue
        if ch in _MD_RESERVED:
            raise EntityParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        out.append(ch)
        i += 1
    if stack:
        kind, _, start_byte = stack[-1]
        raise EntityParseError(f"Can't find end of {_MD_NAMES[kind]} entity at byte offset {start_byte}")
    return out.text(), entities


# --- entities Telegram finds by itself ---------------------------------------------------------------

_TLDS = "ru|com|net|org|cloud|io|su|info|biz|me|dev|app|pro|online|site|store|tech|ai|co|uk|de|kz|by|ua|рф|рус|москва"
_BARE_URL = re.compile(rf"(?:[\w-]+\.)+(?:{_TLDS})(?::\d{{1,5}})?(?:[/?#][^\s]*)?", re.IGNORECASE)
_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(rf"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)+(?:{_TLDS})\b", re.IGNORECASE)),
    (
        "url",
        re.compile(
            rf"(?<![\w@/.-])(?:(?:https?|ftp)://[^\s<>\"]+|(?:[\w-]+\.)+(?:{_TLDS})(?::\d{{1,5}})?(?:[/?#][^\s<>\"]*)?)(?![\w-])",
            re.IGNORECASE,
        ),
    ),
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#&])#\w*[^\W\d]\w*")),
]
_NO_AUTODETECT_INSIDE = {"code", "pre", "text_link", "url", "email", "text_mention"}


def detect_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities Telegram adds by itself (commands, links, e-mails, mentions, hashtags), sorted like Telegram's."""
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _NO_AUTODETECT_INSIDE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            chunk = match.group(0).rstrip(".,;:!?)»'\"")
            if not chunk:
                continue
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(chunk)
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return sort_entities([*existing, *found])


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Drop leading and trailing whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Text and parse mode (or explicit entities) as the Bot API stores them: plain text plus sorted entities."""
    mode = (parse_mode or "").lower()
    if entities is not None:
        plain, found = text, [dict(e) for e in entities]
        total = utf16_len(plain)
        for entity in found:
            if (
                entity.get("offset", -1) < 0
                or entity.get("length", 0) <= 0
                or entity["offset"] + entity["length"] > total
            ):
                raise EntityParseError("entity beyond the end of the text")
    elif mode == "html":
        plain, found = parse_html(text)
    elif mode == "markdownv2":
        plain, found = parse_markdown_v2(text)
    elif mode == "":
        plain, found = text, []
    else:
        raise ValueError("unsupported parse_mode")
    plain, found = strip_text(plain, found)
    return plain, detect_entities(plain, found)
