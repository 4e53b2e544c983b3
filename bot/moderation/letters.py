"""Letters as a reader sees them: look-alikes from Unicode's own tables, and the Russian dictionary.

Nothing here is a list of look-alikes written by hand for the labelled lines:

- ``letter_reading`` reads a character of another script as the Russian or Latin letter it looks like,
  from the confusables table of Unicode Technical Standard #39 (``confusables.txt``, shipped in the
  ``confusables`` package): two characters are look-alikes when they have the same *skeleton*. A
  lower-case letter is also compared through its capital («χ» → «Χ» → «X»). What the table does not
  cover is read through the character's Unicode name: «LATIN LETTER SMALL CAPITAL E» is an «e»,
  «CYRILLIC SMALL LETTER UKRAINIAN IE» an «е», «… WITH HOOK» the letter without it.
- ``lookalike_readings`` gives, for each Latin letter and digit, the Russian letters the same table
  says it looks like (``x`` → «х», ``3`` → «з», ``6`` → «б», ``b`` → «в», «ь»).
- ``dictionary_innocent`` says whether the Russian dictionary (pymorphy3, OpenCorpora) knows a word as
  a form of a clean lemma: «мандаты», «застрахуйте», «рубля» are words, not мат glued to something.
"""

from __future__ import annotations

import importlib.util
import json
import re
import string
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "addresses_you",
    "dictionary_innocent",
    "known_word",
    "lemmas",
    "letter_reading",
    "lookalike_readings",
    "organisation",
    "part_of_speech",
    "personal_name",
    "proper_noun",
]

RUSSIAN = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


@lru_cache(maxsize=1)
def _classes() -> dict[str, int]:
    """Character → its class of look-alikes (UTS #39 confusables: characters sharing a skeleton).

    Read from the data of the ``confusable_homoglyphs`` package (each character with its homoglyphs),
    located without importing anything; joined into classes.
    """
    parent: dict[str, str] = {}

    def find(ch: str) -> str:
        root = ch
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(ch, ch) != root:
            parent[ch], ch = root, parent[ch]
        return root

    for char, homoglyphs in _homoglyph_data().items():
        for other in homoglyphs:
            a, b = find(char), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots: dict[str, int] = {}
    return {ch: roots.setdefault(find(ch), len(roots)) for ch in parent.keys() | {find(ch) for ch in parent}}


def _homoglyph_data() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("confusable_homoglyphs")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - the package is a dependency
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "confusables.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # pragma: no cover
        return {}
    return {char: [entry["c"] for entry in entries if len(entry["c"]) == 1] for char, entries in data.items()}


@lru_cache(maxsize=1)
def _class_letters() -> tuple[dict[int, str], dict[int, str]]:
    """Class → the Russian letter in it (either case; й, ё apart), class → the ASCII letter or digit."""
    classes = _classes()
    russian: dict[int, str] = {}
    ascii_: dict[int, str] = {}
    for letter in RUSSIAN:
        if letter == "й":
            continue
        for form in (letter, letter.upper()):
            if form in classes:
                russian.setdefault(classes[form], letter)
    for ch in string.ascii_lowercase + string.ascii_uppercase + string.digits:  # lower case preferred
        if ch in classes:
            ascii_.setdefault(classes[ch], ch.lower())
    return russian, ascii_


_ALNUM = frozenset(string.ascii_letters + string.digits)
# Words of a character's name that only say how a letter is drawn or where it is used.
_NAME_NOISE_RE = re.compile(
    r" WITH .*| (?:BARRED|STROKE|HOOK|TAIL|DESCENDER|PALATAL|RETROFLEX)\b.*"
    r"|\b(?:UKRAINIAN|BYELORUSSIAN-UKRAINIAN|MACEDONIAN|KOMI|ABKHASIAN|BASHKIR|KHAKASSIAN|ARCHAIC|OLD|"
    r"MONOGRAPH|BROAD|NARROW|CLOSED|REVERSED|DOTLESS|SCRIPT|FINAL|HALFWIDTH|FULLWIDTH) "
)


def _by_name(ch: str) -> str | None:
    """The basic letter a character's Unicode name says it is: «ᴇ» (LATIN LETTER SMALL CAPITAL E) → «e»."""
    name = unicodedata.name(ch, "")
    if not name or "LETTER" not in name:
        return None
    name = re.sub(r"^(?:NEGATIVE )?(?:SQUARED|CIRCLED|PARENTHESIZED) ", "", name)  # «🅱», «Ⓑ»
    name = name.replace("COMBINING ", "").replace("MODIFIER LETTER ", "LETTER ")
    name = name.replace("LETTER SMALL CAPITAL ", "SMALL LETTER ").replace("SUBSCRIPT ", "").replace("SUPERSCRIPT ", "")
    if name.startswith(("CYRILLIC LETTER ", "LATIN LETTER ")):
        name = name.replace(" LETTER ", " SMALL LETTER ", 1)
    name = _NAME_NOISE_RE.sub("", name).strip()
    if name == "CYRILLIC SMALL LETTER I" and unicodedata.name(ch, "").endswith("UKRAINIAN I"):
        return "i"  # «і» is drawn as the Latin «i», not as «и»
    try:
        base = unicodedata.lookup(name)
    except KeyError:
        return None
    base = base.lower()
    if base in RUSSIAN or base in _ALNUM:
        return base
    return None


@lru_cache(maxsize=4096)
def letter_reading(ch: str) -> str | None:
    """The Russian or Latin letter (or digit) a character of another script is read as, or None.

    Russian letters, ASCII and characters that are not letters or digits are not read (None).
    """
    if ch.isascii() or ch.lower() in RUSSIAN or ch.lower() == "ё":
        return None
    category = unicodedata.category(ch)
    if category[0] not in "LN" and category != "Mn":
        return _by_name(ch) if category == "So" else None
    classes = _classes()
    russian, ascii_ = _class_letters()
    forms = [classes[form] for form in dict.fromkeys((ch, ch.upper(), ch.lower())) if form in classes]
    for cls in forms:
        if cls in russian:
            return russian[cls]
    for cls in forms:
        if cls in ascii_:
            return ascii_[cls]
    return _by_name(ch)


@lru_cache(maxsize=1)
def lookalike_readings() -> dict[str, str]:
    """Latin letter or digit → the Russian letters it looks like, by the UTS #39 table (either case)."""
    classes = _classes()
    found_by_class: dict[int, list[str]] = {}
    for letter in RUSSIAN:
        for form in (letter, letter.upper()):
            if form in classes:
                found_by_class.setdefault(classes[form], []).append(letter)
    readings: dict[str, str] = {}
    for ch in string.ascii_lowercase + string.digits:
        found: list[str] = []
        for form in dict.fromkeys((ch, ch.upper())):
            if form in classes:
                found.extend(found_by_class.get(classes[form], ()))
        if found:
            readings[ch] = "".join(dict.fromkeys(found))
    return readings


# --------------------------------------------------------------------------------------------
# The dictionary
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})


@lru_cache(maxsize=65536)
def lemmas(word: str) -> tuple[str, ...]:
    """The dictionary's lemmas of a lower-case word (common nouns, verbs …; not names), or ()."""
    analyzer = _analyzer()
    if not analyzer.word_is_known(word):
        return ()
    found = [
        parse.normal_form.replace("ё", "е")
        for parse in analyzer.parse(word)
        if len(parse.methods_stack) == 1 and type(parse.methods_stack[0][0]).__name__ == "DictionaryAnalyzer"
        and not (_PROPER & parse.tag.grammemes)
    ]
    return tuple(dict.fromkeys(found))


def dictionary_innocent(word: str, obscene_lemma: Callable[[str], bool]) -> bool:
    """The dictionary knows ``word`` (lower case, as written) and every lemma of it is clean.

    ``obscene_lemma`` says whether a lemma is мат (the root patterns, read without this exception).
    """
    found = lemmas(word)
    return bool(found) and not any(obscene_lemma(lemma) for lemma in found)


@lru_cache(maxsize=65536)
def addresses_you(word: str) -> bool:
    """A verb said to the reader: second person («ответите», «спите») or an imperative («почините»,
    «слушайте»), among the dictionary's most likely readings."""
    parses = _analyzer().parse(word)
    best = max((parse.score for parse in parses), default=0.0)
    return any(
        parse.score >= best and parse.tag.POS == "VERB"
        and ("2per" in parse.tag.grammemes or ("impr" in parse.tag.grammemes and "incl" not in parse.tag.grammemes))
        for parse in parses
    )


@lru_cache(maxsize=16384)
def personal_name(word: str) -> bool:
    """A first name, patronymic or surname («Анна», «Олег», «Петров»), by the dictionary."""
    return any({"Name", "Surn", "Patr"} & parse.tag.grammemes for parse in _analyzer().parse(word)[:2])


@lru_cache(maxsize=16384)
def proper_noun(word: str) -> bool:
    """The dictionary knows the word as a name of a person, place or organisation («Хуэй», «Гугл»)."""
    return any(_PROPER & parse.tag.grammemes for parse in _analyzer().parse(word)[:2])


@lru_cache(maxsize=16384)
def organisation(word: str) -> bool:
    """The dictionary knows the word as a company's name («Гугл»)."""
    return any({"Orgn", "Trad"} & parse.tag.grammemes for parse in _analyzer().parse(word)[:2])


@lru_cache(maxsize=65536)
def known_word(word: str) -> bool:
    """The dictionary holds this very form (lower case)."""
    return bool(_analyzer().word_is_known(word))


@lru_cache(maxsize=65536)
def part_of_speech(word: str) -> frozenset[str]:
    """The parts of speech of the dictionary's most likely readings of a word (NOUN, ADVB, INTJ …)."""
    parses = _analyzer().parse(word)
    best = max((parse.score for parse in parses), default=0.0)
    return frozenset(str(parse.tag.POS) for parse in parses if parse.score >= best * 0.5)


@lru_cache(maxsize=16384)
def animate(word: str) -> bool:
    """The dictionary reads the word as a noun for a living being («бляди», «козлы»), not a thing («свинина»)."""
    return any(parse.tag.POS == "NOUN" and "anim" in parse.tag.grammemes for parse in _analyzer().parse(word)[:2])


def clear_caches() -> None:
    """Forget the words looked up so far (not the loaded tables)."""
    for cached in (letter_reading, lemmas, addresses_you, personal_name, proper_noun, organisation, known_word,
                   part_of_speech, animate):
        cached.cache_clear()
