"""Text as the reading sees it: Unicode forms, case, `ё`, invisible and control characters removed,
links blanked, Russian typed in Latin letters read in Cyrillic."""

from __future__ import annotations

import re
import unicodedata

# Characters that show nothing: Unicode's default-ignorable code points (soft hyphen, zero-width
# and direction marks, variation selectors, tags) and the fillers that count as letters (Hangul
# fillers, the Braille blank), which people paste to send an "empty" message.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
_INVISIBLE = INVISIBLE
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Links, e-mails and domains say nothing about the problem. Each alternative starts only at the
# beginning of a run of word characters, so a 100,000-character "word" is scanned once.
_LINK = re.compile(
    r"(?<![\w.+-])(?:(?:https?://|www\.)\S*[^\s.,;:!?)»\"']|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
    r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}(?:/\S*[^\s.,;:!?)»\"'])?/?)"
)
# Every link has one of these; most messages have none, and the scan for links is skipped.
_MAY_LINK = re.compile(r"\.[a-z]|@|://|www\.")

_SPACES = re.compile(r"[ \t]+")


def prepare(text: str) -> tuple[str, str]:
    """(the text as the user wrote it, tidied; the same text normalised for reading, of equal length).

    Links are blanked rather than cut so that a clause found in the normalised text can be shown
    in the user's own words. Where normalising changes the length (transliteration, a rare letter
    whose lowercase is longer), the normalised text is shown instead.
    """
    display = _SPACES.sub(" ", _CONTROL.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))).strip()
    normalised = display.lower().replace("ё", "е")
    if _MAY_LINK.search(normalised):
        normalised = _LINK.sub(lambda m: " " * len(m.group(0)), normalised)
    normalised = _from_translit(normalised)
    return (display if len(display) == len(normalised) else normalised), normalised


def normalise(text: str) -> str:
    return prepare(text)[1]


# Russian typed in Latin letters («ne rabotaet filtr», «kak nastroit voronku») is read in Cyrillic.
# fmt: off
_TRANSLIT_MARKERS = frozenset([
    "ne", "kak", "gde", "chto", "pochemu", "mozhno", "li", "est", "nas", "vy", "ili", "dlya", "pri", "posle", "uzhe",
    "eshche", "tozhe", "ochen", "rabotaet", "nastroit", "podskazhite", "pozhaluysta", "zdravstvuyte", "privet",
    "akkaunt", "oshibka", "chtoby", "chto", "eto", "kogda", "nado", "nuzhno", "mne", "menya", "iz", "na", "v",
    "po", "uzhe", "vse", "esli", "tolko", "pochemu", "kuda", "zachem", "sdelat", "sdelki", "zadachi", "nastroyki",
    "u", "vseh", "vsekh", "nikto", "nichego", "ni", "lezhit", "upal", "upala", "sistema", "utra",
])
_KEEP_LATIN = frozenset([
    "api", "rest", "crm", "ip", "sso", "2fa", "json", "xml", "php", "python", "js", "sql", "webhook", "http", "https",
    "pdf", "excel", "google", "android", "ios",
])
# fmt: on
_TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
    ("ya", "я"), ("yo", "е"), ("iy", "ий"), ("yy", "ый"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"),
    ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"),
    ("w", "в"), ("x", "кс"), ("q", "к"), ("j", "дж"), ("'", "ь"),
)  # fmt: skip
_TRANSLIT_RE = re.compile("|".join(re.escape(latin) for latin, _ in _TRANSLIT))
_TRANSLIT_MAP = dict(_TRANSLIT)
_LATIN_WORD = re.compile(r"[a-z']+")
_CYRILLIC = re.compile(r"[а-я]")


def _cyrillic(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in _KEEP_LATIN:
        return word
    word = _Y_AFTER_CONSONANT.sub("ы", word)  # «chtoby», «novyh»: y after a consonant is ы
    return _TRANSLIT_RE.sub(lambda m: _TRANSLIT_MAP[m.group(0)], word)


_Y_AFTER_CONSONANT = re.compile(r"(?<=[bvgdzklmnprstfhcw])y(?![aeiouy])")


def _from_translit(text: str) -> str:
    if _CYRILLIC.search(text):
        return text
    words = _LATIN_WORD.findall(text)
    if sum(word in _TRANSLIT_MARKERS for word in words) < 2:
        return text  # English, not transliteration
    return _LATIN_WORD.sub(_cyrillic, text)


