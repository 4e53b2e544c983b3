"""Files as Telegram sees them: content sniffing, image dimensions, file ids, and small real sample files."""

from __future__ import annotations

import secrets
import struct
import zlib

FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
UPLOAD_LIMIT = 50 * 1024 * 1024  # multipart uploads by a bot
PHOTO_SIDES = (90, 320, 800, 1280)


def new_file_id(kind: str) -> str:
    return FILE_ID_PREFIX.get(kind, "BQACAgIAAxkBAAI") + secrets.token_urlsafe(48)


def new_unique_id() -> str:
    return "AQAD" + secrets.token_urlsafe(12)


def sniff(data: bytes) -> str | None:
    """The real format of the bytes, judged by content only."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"BM"):
        return "bmp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


IMAGE_FORMATS = {"jpeg", "png", "gif", "webp", "bmp"}
MIME_BY_FORMAT = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the image header, or None if the bytes are not an image we can read."""
    kind = sniff(data)
    if kind == "png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if kind == "gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if kind == "bmp" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return width, abs(height)
    if kind == "jpeg":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return width, height
            pos += 2 + length
    if kind == "webp":
        return 1, 1
    return None


def photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The sizes Telegram keeps of a photo: thumbnails up to the original, the longest side at most 1280."""
    longest = max(width, height, 1)
    sizes: list[tuple[int, int]] = []
    for side in PHOTO_SIDES:
        scale = min(side / longest, 1.0)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in sizes:
            sizes.append(size)
        if scale == 1.0:
            break
    return sizes


# --- real sample files for tests -------------------------------------------------------------------


def sample_jpeg(width: int = 16, height: int = 16, tag: str = "") -> bytes:
    """A valid baseline JPEG (uniform grey). `tag` goes into a comment so two samples can differ."""
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = 2 * blocks  # per block: DC difference 0 and end-of-block, one-bit codes each
    scan = bytearray(bits // 8)
    if bits % 8:
        scan.append(0xFF >> (bits % 8))
    one_symbol_table = bytes([1] + [0] * 15) + b"\x00"
    segments = [
        b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64,
        b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00",
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + one_symbol_table,
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + one_symbol_table,
    ]
    if tag:
        comment = tag.encode()
        segments.append(b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment)
    segments.append(b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + bytes(scan))
    return b"\xff\xd8" + b"".join(segments) + b"\xff\xd9"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def sample_png(width: int = 16, height: int = 16, tag: str = "") -> bytes:
    """A valid RGB PNG filled with one colour."""
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    if tag:
        chunks.append(_png_chunk(b"tEXt", b"Comment\x00" + tag.encode()))
    chunks.append(_png_chunk(b"IDAT", zlib.compress(rows)))
    chunks.append(_png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def sample_gif(tag: str = "") -> bytes:
    """A valid 1x1 GIF."""
    comment = b"!\xfe" + bytes([len(tag.encode()[:255])]) + tag.encode()[:255] + b"\x00" if tag else b""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        + comment
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def sample_pdf(text: str = "test") -> bytes:
    """A small valid PDF document."""
    stream = f"BT /F1 12 Tf 20 20 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
