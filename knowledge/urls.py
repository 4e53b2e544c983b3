"""URL normalisation and the prefix rule: one page, one address."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = re.compile(r"^(?:utm_\w+|yclid|gclid|fbclid|_openstat|from)$", re.IGNORECASE)
PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def normalize_url(url: str) -> str | None:
    """A canonical spelling of an http(s) URL, or None when it is not one.

    Lower-case scheme and host, no default port, no fragment, dot segments resolved, percent
    escapes upper-cased and non-ASCII escaped, tracking parameters dropped, parameters sorted.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and path != "/":
        path += "/"
    path = PERCENT.sub(lambda m: m.group(0).upper(), quote(path, safe=PATH_SAFE))
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    query = urlencode(sorted(pairs), quote_via=quote) if pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def under_prefix(url: str, prefix: str) -> bool:
    """Whether a normalised URL lies under a normalised base (`https://host/help/`)."""
    if url.startswith(prefix):
        return True
    return url.split("?", 1)[0] == prefix.rstrip("/")  # the base without its trailing slash


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def map_to_public(url: str, base: str, public_base: str) -> str:
    """Move an address from the crawled base to the public one (a mirror's address to the site's)."""
    if base != public_base and url.startswith(base):
        return public_base + url[len(base):]
    return url
