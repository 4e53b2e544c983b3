"""Screenshots (SLA 4.6): JPG, GIF and PNG only, recognised by their content, never by name or MIME."""

from __future__ import annotations

from dataclasses import dataclass

# Telegram lets a bot download files up to 20 MB; screenshots are far smaller, so stay well under.
MAX_SCREENSHOT_BYTES = 10 * 1024 * 1024
# Enough of a file's head to recognise its format.
HEAD_BYTES = 16

ALLOWED_FORMATS = ("JPG", "GIF", "PNG")  # SLA 4.6

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

# Kinds of Telegram media.
PHOTO = "photo"          # always re-encoded by Telegram as JPEG
ANIMATION = "animation"  # a GIF that Telegram converted; the user sent a GIF
DOCUMENT = "document"    # a file sent as is: its content decides


def detect_image(head: bytes) -> str | None:
    """The MIME type of an allowed screenshot format from the file's first bytes, else None."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    mime: str | None
    reason: str | None  # "format", "too_big", "unreadable" when refused


def judge(kind: str, size: int | None, head: bytes | None) -> Verdict:
    """Decide on one incoming file; `head` is None when the content could not be read."""
    if size is not None and size > MAX_SCREENSHOT_BYTES:
        return Verdict(False, None, "too_big")
    if kind == PHOTO:
        return Verdict(True, "image/jpeg", None)
    if kind == ANIMATION:
        return Verdict(True, "image/gif", None)
    if head is None:
        return Verdict(False, None, "unreadable")
    mime = detect_image(head)
    if mime is None:
        return Verdict(False, None, "format")
    return Verdict(True, mime, None)
