"""Finding the account address in a user's message (SLA 4.2: a request should name the account).

The address is normalised only where that is certain: lowercase, without the scheme, `www.`,
path, invisible characters or stray spaces, with typos in `aspro.cloud` fixed (`aspro.clod`,
`asrpo.cloud`, `aspro,cloud`, `аспро.клауд`), and a bare name («аккаунт ProfiClean») completed to
`proficlean.aspro.cloud`. The name itself stays as the user typed it: an internationalised name
(`ооо-вектор.aspro.cloud`) is an address of its own (`idna_form` gives its ASCII form). A name that
mixes Latin letters with Cyrillic look-alikes (`оmega-tex`, the first letter Cyrillic) is kept too;
`latin_guess` gives its all-Latin reading, which is a guess the user is asked about, never applied
silently. A custom domain the user presents as the account (`crm.vektor-group.ru`) is kept as it is.
E-mail addresses, help-center links and well-known sites are not accounts.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import idna
from rapidfuzz.distance import OSA

ACCOUNT_DOMAIN = "aspro.cloud"

# Cyrillic letters that look like Latin ones (in either case), as users mix them in names.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    }
)  # fmt: skip
_LOOKALIKE_LETTERS = frozenset("авеёкмнорстухіјѕԁ")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u180e]")
# Every pattern that can start inside a run of letters starts only at the run's beginning
# (a look-behind), so a 100,000-letter "word" costs one scan, not one per letter.
_LATINISH_TOKEN = re.compile(r"(?<![0-9a-zа-яёіјѕԁ-])[0-9a-zа-яёіјѕԁ-]*[a-z][0-9a-zа-яёіјѕԁ-]*")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\s*\.\s*[\w-]+)+")

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SEP = r"\s*[.,]\s*"
_WORD = re.compile(r"[a-zа-я0-9](?:[a-zа-я0-9-]*[a-zа-я0-9])?")
_SEP_ONLY = re.compile(r"\s*[.,]\s*")
# Before the product's domain a name may be internationalised (Cyrillic letters), as users register them.
_ULABEL = r"[a-z0-9а-яё](?:[a-z0-9а-яё-]{0,61}[a-z0-9а-яё])?"
_NAME_BEFORE = re.compile(rf"(?<![\w.@-])(?:{_ULABEL}\.)*{_ULABEL}$")
_SCHEME = re.compile(r"\b(?:https?|ftp)\s*:\s*//")

# name . aspro-ish . cloud-ish, with the product's domain spelt loosely (checked by edit distance).
_ASPRO_LIKE = re.compile(
    rf"(?<![\w.@/-])(?P<name>{_LABEL}(?:\.{_LABEL})*){_SEP}(?P<a>[a-zа-я]{{3,7}}){_SEP}(?P<c>[a-zа-я]{{3,7}})(?![\w-])"
)
_DOMAIN = re.compile(rf"(?<![\w.@-])(?P<host>{_LABEL}(?:\.{_LABEL})+)(?![\w-])(?P<path>/\S*)?")
# «аккаунт ProfiClean», «портал: belka-trade», "account acme".
_BARE = re.compile(
    r"(?:аккаунт\w*|акк|портал\w*|account|portal|адрес\w*)\s*"
    r"(?:[:—–-]\s*|(?:is|name|named|called|это|называется|под названием|с названием)\s+)?[\"'«“„]?"
    rf"(?P<name>{_LABEL})(?![\w-])(?!\.\w)"
)
_CONTEXT = re.compile(r"(?:аккаунт|портал|адрес|кабинет|account|portal|crm|срм)\w*")

# First labels of the addresses companies give their own CRM: crm.vektor-group.ru, portal.smart-edu.kz.
_PORTAL_LABELS = frozenset(
    ["crm", "portal", "lk", "cabinet", "kabinet", "my", "office", "corp", "team", "client", "clients", "app", "cloud"]
)
_ASPRO_FORMS = ("aspro", "аспро")
_CLOUD_FORMS = ("cloud", "клауд", "клоуд")
_NOT_NAMES = frozenset(
    {"is", "in", "on", "the", "was", "has", "id", "api", "admin", "aspro", "cloud", "www", "http", "https", "help"}
    # "the portal is down": what is said of an account is not its name.
    | {"down", "not", "unavailable", "offline", "broken", "dead", "slow", "loading", "empty", "blocked", "locked"}
    # "the account after the sync", "account since Monday": English function words and adverbs are not names.
    | {"after", "before", "since", "for", "with", "from", "at", "to", "of", "and", "or", "but", "by", "as", "it",
       "today", "yesterday", "again", "now", "still", "settings", "page", "owner", "data", "there", "here"}
)
_FILE_EXTENSIONS = frozenset(
    [
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "webp",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "csv",
        "txt",
        "rtf",
        "zip",
        "rar",
        "7z",
        "js",
        "ts",
        "php",
        "py",
        "json",
        "xml",
        "html",
        "htm",
        "exe",
        "apk",
        "ipa",
        "mp3",
        "mp4",
        "avi",
        "mov",
        "log",
        "sql",
        "ini",
        "yml",
        "yaml",
        "md",
    ]
)
# Sites users mention that are not anybody's account.
_WELL_KNOWN = frozenset(
    [
        "google.com",
        "gmail.com",
        "youtube.com",
        "youtu.be",
        "t.me",
        "telegram.org",
        "telegram.me",
        "whatsapp.com",
        "wa.me",
        "yandex.ru",
        "ya.ru",
        "yandex.com",
        "mail.ru",
        "vk.com",
        "ok.ru",
        "github.com",
        "gitlab.com",
        "stackoverflow.com",
        "microsoft.com",
        "apple.com",
        "skype.com",
        "zoom.us",
        "1c.ru",
        "tilda.cc",
        "tilda.ws",
        "wikipedia.org",
        "aspro.ru",
        "aspro.finance",
        "aspro.cloud",
        "avito.ru",
        "ozon.ru",
        "wildberries.ru",
        "sberbank.ru",
        "tbank.ru",
        "yookassa.ru",
        "robokassa.ru",
        "stripe.com",
        "paypal.com",
    ]
)


def _latinise(match: re.Match[str]) -> str:
    token = match.group(0)
    if all(ch.isascii() or ch in _LOOKALIKE_LETTERS for ch in token):
        return token.translate(_LOOKALIKES)
    return token


def _prepare(text: str) -> tuple[str, str]:
    """(the text as written, only cleaned; the same with look-alikes latinised, letter for letter, to match).

    Each step is skipped when the text has nothing it could change (most messages have no link)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).lower()
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "//" in text:
        text = _SCHEME.sub(" ", text)
    matched = _LATINISH_TOKEN.sub(_latinise, text) if _ANY_LATIN.search(text) else text
    return text, matched


_ANY_LATIN = re.compile("[a-z]")


def _close(word: str, forms: tuple[str, ...]) -> bool:
    return 3 <= len(word) <= 7 and any(OSA.distance(word, form, score_cutoff=1) <= 1 for form in forms)


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _registered(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def _aspro_account(text: str) -> tuple[int, int] | None:
    """The span of the name in `name.aspro.cloud`, the product's domain spelt loosely (by edit distance)."""
    words = list(_WORD.finditer(text))
    for first, second in itertools.pairwise(words):
        if not _SEP_ONLY.fullmatch(text, first.end(), second.start()):
            continue  # most neighbours are parted by a space: the cheap test first
        if not (_close(first.group(0), _ASPRO_FORMS) and _close(second.group(0), _CLOUD_FORMS)):
            continue
        offset = max(0, first.start() - 300)
        head = text[offset : first.start()]  # a name is at most a few labels long
        sep = re.search(r"\s*[.,]\s*$", head)
        if sep is None:
            continue
        name_match = _NAME_BEFORE.search(head[: sep.start()])
        if name_match is None:
            continue
        start = offset + name_match.start() + (4 if name_match.group(0).startswith("www.") else 0)
        if text[start : offset + name_match.end()] in _NOT_NAMES:
            continue
        return start, offset + name_match.end()
    return None


def _custom_domain(text: str) -> tuple[int, int] | None:
    for match in _DOMAIN.finditer(text):
        host = _strip_www(match["host"])
        labels = host.split(".")
        tld = labels[-1]
        if not tld.isalpha() or len(tld) < 2 or tld in _FILE_EXTENSIONS:
            continue
        if _registered(host) in _WELL_KNOWN or host in _WELL_KNOWN:
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        if (len(labels) >= 3 and labels[0] in _PORTAL_LABELS) or _CONTEXT.search(before):
            return match.end("host") - len(host), match.end("host")
    return None


def _bare_name(text: str) -> tuple[int, int] | None:
    for match in _BARE.finditer(text):
        name = match["name"]
        if name in _NOT_NAMES or not any(ch.isalpha() for ch in name) or len(name) < 3:
            continue
        return match.span("name")
    return None


def find_account(text: str) -> str | None:
    """The account address named in `text`, its name as the user typed it (see the module's notes), or None."""
    written, matched = _prepare(text)
    span = _aspro_account(matched)
    if span is not None:
        return f"{written[span[0]:span[1]]}.{ACCOUNT_DOMAIN}"
    span = _custom_domain(matched) or _bare_name(matched)
    if span is None:
        return None
    name = written[span[0] : span[1]]
    return name if "." in name else f"{name}.{ACCOUNT_DOMAIN}"


_CYRILLIC = re.compile("[а-яё]")


def latin_guess(address: str) -> str | None:
    """The all-Latin reading of an address whose labels mix Latin letters with Cyrillic look-alikes
    (`оmega-tex.aspro.cloud` → `omega-tex.aspro.cloud`); None when no label does. A guess: the user is asked."""
    labels = address.split(".")
    guessed = [label.translate(_LOOKALIKES) if _ANY_LATIN.search(label) and _CYRILLIC.search(label)
               and all(ch.isascii() or ch in _LOOKALIKE_LETTERS for ch in label) else label for label in labels]
    return ".".join(guessed) if guessed != labels else None


def lookalike_letters(address: str) -> list[str]:
    """The Cyrillic letters in the labels `latin_guess` would change, in order, each once."""
    found: list[str] = []
    for label in address.split("."):
        if _ANY_LATIN.search(label):
            found += [ch for ch in label if ch in _LOOKALIKE_LETTERS and ch not in found]
    return found


def idna_form(address: str) -> str | None:
    """The ASCII (IDNA) form of an internationalised address, `xn--…`; None for an ASCII or invalid one."""
    if address.isascii():
        return None
    try:
        return idna.encode(address, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
