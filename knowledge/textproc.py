"""Russian text processing for the help-center search.

One `Analyzer` turns documents and queries into the same terms: case and ё folding, word
boundaries (hyphenated words give their parts and the joined form), stop words, morphology
(a pymorphy3 lemma when the word is in its dictionary, then a Snowball stem, so that
«массово» and «массовый» meet), and, for queries only, transliteration of Latin spellings
(«sdelki» → «сделки»), domain slang and synonyms (`knowledge.vocabulary`).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial

import pymorphy3
import snowballstemmer
import wordfreq
from rapidfuzz import fuzz

from knowledge import vocabulary

_TOKEN = re.compile(r"[0-9a-zа-я]+(?:[-.'][0-9a-zа-я]+)*")
_SPLIT = re.compile(r"[-.']")
_LATIN = re.compile(r"[a-z]")
_STRETCHED = re.compile(r"([а-яa-z])\1{2,}")
_LOOKALIKES = str.maketrans("aeopcxykmthbu", "аеорсхукмтнви")
_EMAIL = re.compile(r"[\w.+-]+@(?:[\w-]+(?:\.[\w-]+)*)?")
_CYRILLIC = re.compile(r"[а-я]")
_VERB_LIKE = frozenset({"VERB", "INFN", "PRTS", "PRTF", "GRND", "PRED", "ADVB"})  # «не работает», «не видно»
_NOT_COMPLAINTS = frozenset({"подсказать", "сказать", "знать", "понимать", "понять", "помнить"})

# Latin → Cyrillic, longest sequences first (the common "volapuk" of Russian chats).
_TRANSLIT: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("tsya", "тся"), ("tsja", "тся"), ("sch", "щ"),
    ("yj", "ый"), ("ij", "ий"), ("iy", "ий"),
    ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"), ("ck", "к"),
    ("yu", "ю"), ("ju", "ю"), ("ya", "я"), ("ja", "я"), ("yo", "е"), ("jo", "е"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("c", "ц"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"),
    ("y", "ы"), ("z", "з"), ("'", "ь"),
)
_TRANSLIT_MAX = max(len(src) for src, _ in _TRANSLIT)

# Word formation: how a verb, its action noun and its passive participle differ in their endings
# («удалить» / «удаление» / «удалённый», «выгрузить» / «выгрузка», «создать» / «создание» / «созданный»).
# Each pair is applied both ways to a dictionary lemma; a result counts only if the dictionary knows it.
_DERIVATIONS: tuple[tuple[str, str], ...] = (
    ("овать", "ование"), ("ировать", "ирование"), ("ить", "ение"), ("ать", "ание"), ("ять", "яние"),
    ("еть", "ение"), ("ить", "ка"), ("овать", "ованный"), ("ить", "енный"), ("ать", "анный"),
    ("ять", "янный"), ("ить", "ленный"),
)
_TRANSLIT_MAP = dict(_TRANSLIT)


def fold(text: str) -> str:
    """Lower case, ё → е, typographic dashes and apostrophes to ASCII."""
    return (
        text.lower()
        .replace("ё", "е")
        .replace("\u2010", "-").replace("\u2011", "-").replace("\u2012", "-").replace("\u2013", "-")
        .replace("\u2019", "'").replace("\u02bc", "'").replace("`", "'")
    )


def words(text: str) -> list[str]:
    """The folded word tokens of a text; a hyphenated or dotted word stays one token."""
    return _TOKEN.findall(fold(text))


def deobfuscate(token: str) -> str:
    """Undo common disguises of a typed word: Latin look-alike letters inside a Cyrillic word
    («сдeлкa» → «сделка») and letters stretched three times or more («пррривет» → «привет»)."""
    if _LATIN.search(token) and _CYRILLIC.search(token):
        token = "-".join(_cyrillic_lookalikes(p) for p in token.split("-"))
    return _STRETCHED.sub(r"\1", token)


def _cyrillic_lookalikes(piece: str) -> str:
    if not _CYRILLIC.search(piece):
        return piece
    swapped = piece.translate(_LOOKALIKES)
    return swapped if not _LATIN.search(swapped) else piece


def pieces(token: str) -> list[str]:
    """The pieces of a compound token («чек-листы» → «чек», «листы»)."""
    return [p for p in _SPLIT.split(token) if p]


def parts(token: str) -> list[str]:
    """The pieces of a compound token and the joined form («чеклисты»), as documents index them."""
    split = pieces(token)
    return split if len(split) <= 1 else [*split, "".join(split)]


def transliterate(word: str) -> str:
    """Latin spelling of a Russian word → Cyrillic («sdelki» → «сделки», «etap» → «этап»)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        for size in range(min(_TRANSLIT_MAX, len(word) - i), 0, -1):
            chunk = word[i : i + size]
            if chunk in _TRANSLIT_MAP:
                letter = _TRANSLIT_MAP[chunk]
                if chunk == "e" and i == 0:
                    letter = "э"
                out.append(letter)
                i += size
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


# Latin sequences that spell two Russian sounds as well as one: «schet» is «счет», not «щет».
_TRANSLIT_SPLITS: tuple[tuple[str, str, str], ...] = (("sch", "s", "ch"), ("ts", "t", "s"), ("yo", "y", "o"))
_AFTER_VOWEL_Y = re.compile(r"(?<=[aeiouy])y(?![aeiou])")


def transliterations(word: str) -> list[str]:
    """Cyrillic readings of a Latin spelling, the usual one first («schet» → «щет», «счет»)."""
    out = [transliterate(word)]
    for src, first, rest in _TRANSLIT_SPLITS:
        pos = word.find(src)
        if pos >= 0:
            out.append(transliterate(word[:pos] + first) + transliterate(rest + word[pos + len(src) :]))
    if _AFTER_VOWEL_Y.search(word):  # «novyy», «kakoy»: y after a vowel is «й»
        out.append(transliterate(_AFTER_VOWEL_Y.sub("j", word)))
    return list(dict.fromkeys(out))


def _same_word(a: str, b: str) -> bool:
    """Two spellings of one word, one Latin and one Cyrillic («crm»/«црм», «webhook»/«вебхук»)."""
    if is_latin(a) == is_latin(b):
        return False
    latin, cyrillic = (fold(a), fold(b)) if is_latin(a) else (fold(b), fold(a))
    return fuzz.ratio(transliterate(latin), cyrillic) >= 65


def is_latin(word: str) -> bool:
    return bool(_LATIN.search(word)) and not _CYRILLIC.search(word)


@dataclass(frozen=True, slots=True)
class Alternative:
    """One term that satisfies a query word, with how much it is worth (1.0 = the word itself)."""

    term: str
    weight: float


@dataclass(slots=True)
class Slot:
    """One meaningful word of a query and the terms that may stand for it in a document."""

    word: str
    alternatives: dict[str, float] = field(default_factory=dict)
    known_word: bool = False  # a dictionary word (so not a typo) even if the index lacks it
    noun: bool = False  # a dictionary noun: what a question is about, unlike verbs and adverbs
    zipf: float = 0.0  # how common the word is in Russian at large (wordfreq's Zipf scale, 0 = rare)
    third_party: bool = False  # names another vendor's product or platform (WhatsApp, 1С, Android...)
    clause: int = 0  # which sentence of the query the word is in
    base: float = 0.0  # idf of the best alternative (set by the index)
    weight: float = 0.0  # how much the slot matters in the query (set by the index)

    def add(self, term: str, weight: float) -> None:
        if weight > self.alternatives.get(term, 0.0):
            self.alternatives[term] = weight


@dataclass(frozen=True)
class Vocabulary:
    """The query-side vocabularies an analyzer applies (by default those of `knowledge.vocabulary`);
    benchmarks pass smaller ones to measure what an entry is worth."""

    synonym_groups: tuple[tuple[str, ...], ...] = vocabulary.SYNONYM_GROUPS
    slang: Mapping[str, str] = field(default_factory=lambda: dict(vocabulary.SLANG))
    english: Mapping[str, str] = field(default_factory=lambda: dict(vocabulary.ENGLISH))


class Analyzer:
    """Words → terms, shared by the index and the queries (cached; thread-safe for reads).

    `base`: another analyzer whose morphology and word caches this one shares (they do not depend
    on the vocabularies)."""

    def __init__(self, vocab: Vocabulary | None = None, *, base: Analyzer | None = None) -> None:
        self.vocab = vocab or Vocabulary()
        if base is not None:
            self._morph, self._stemmer, self._english_stemmer = base._morph, base._stemmer, base._english_stemmer
            self.term, self._lookup, self._zipf = base.term, base._lookup, base._zipf
        else:
            self._morph = pymorphy3.MorphAnalyzer()
            self._stemmer = snowballstemmer.stemmer("russian")
            self._english_stemmer = snowballstemmer.stemmer("english")
            self.term = lru_cache(maxsize=200_000)(self._term)
            self._lookup = lru_cache(maxsize=200_000)(self._dictionary_lookup)
            # the small list (words down to Zipf 3) is enough to tell common words from specific ones
            self._zipf = lru_cache(maxsize=200_000)(partial(wordfreq.zipf_frequency, lang="ru", wordlist="small"))
        self.stop_terms = frozenset(self.term(w) for w in vocabulary.STOP_WORDS if "-" not in w)
        self.third_party_terms = frozenset(
            t for w in vocabulary.THIRD_PARTY for p in parts(w) for t in (self.term(p), self._stemmer.stemWord(p))
        )
        self.synonyms = self._build_synonyms()
        self.slang = self._build_slang()
        self._slang_max = max((len(k) for k in self.slang), default=0)

    # --- single words -------------------------------------------------------------------------
    def _dictionary_lookup(self, word: str) -> tuple[str, str] | None:
        """(lemma, part of speech) of a word pymorphy3's dictionary knows, else None."""
        if not _CYRILLIC.search(word) or not self._morph.word_is_known(word):
            return None
        parse = self._morph.parse(word)[0]
        return parse.normal_form.replace("ё", "е"), str(parse.tag.POS or "")

    def _term(self, word: str) -> str:
        """The index term of one folded word piece (no separators)."""
        if is_latin(word):
            return self._english_stemmer.stemWord(word)
        known = self._lookup(word)
        return self._stemmer.stemWord(known[0] if known else word)

    def is_dictionary_word(self, word: str) -> bool:
        return self._lookup(word) is not None

    def commonness(self, word: str) -> float:
        """Zipf frequency of a word (or its lemma) in general Russian: 7 ≈ «и», 3 = rare, 0 = unlisted."""
        known = self._lookup(word)
        return max(self._zipf(word), self._zipf(known[0]) if known else 0.0)

    def is_third_party(self, word: str) -> bool:
        """Whether a word names another vendor's product: by its term, or by its stem starting with
        a name's (the stemmer cuts names unevenly: «телеграм» → «телегр», «телеграме» → «телеграм»)."""
        terms = self.third_party_terms
        if self.term(word) in terms:
            return True
        stem = self._stemmer.stemWord(word)
        return any(stem.startswith(t) for t in terms if len(t) >= 4)

    def is_complaint(self, text: str) -> bool:
        """Whether a text says something does not work: a negated verb («не приходят», «не
        сработало», «не видно»; not a polite «не подскажете» or a wish «чтобы не забывать»),
        «перестал(и)», «нельзя», «почему», or errors and problems named."""
        tokens = words(text)
        for i, word in enumerate(tokens):
            if word in ("нельзя", "почему") or word.startswith(("перестал", "ошибк", "проблем")):
                return True
            if word == "не" and i + 1 < len(tokens):
                known = self._lookup(tokens[i + 1])
                polite = known is not None and (
                    known[0] in _NOT_COMPLAINTS or (known[0] == "мочь" and tokens[i + 2 : i + 3] == ["бы"])
                )  # «не подскажете», «не знаю как», «не могли бы вы»
                wish = any(t in ("чтобы", "чтоб") for t in tokens[max(0, i - 4) : i])  # «чтобы не забывать»
                if known is not None and known[1] in _VERB_LIKE and not polite and not wish:
                    return True
        return False

    def relatives(self, word: str) -> tuple[str, ...]:
        """Dictionary words formed from the same stem as a word's lemma by the usual verb / action
        noun / participle endings («удаление» → «удалить», «удалённый»; «выгрузить» → «выгрузка»)."""
        known = self._lookup(word)
        return self._relatives(known[0]) if known else ()

    @lru_cache(maxsize=50_000)  # noqa: B019 - one analyzer per process
    def _relatives(self, lemma: str) -> tuple[str, ...]:
        out: list[str] = []
        for a, b in _DERIVATIONS:
            for src, dst in ((a, b), (b, a)):
                if lemma.endswith(src) and len(lemma) - len(src) >= 3:
                    other = lemma[: -len(src)] + dst
                    if other != lemma and other not in out and self._morph.word_is_known(other):
                        out.append(other)
        return tuple(out)

    def is_noun(self, word: str) -> bool:
        known = self._lookup(word)
        return known is not None and known[1] == "NOUN"

    def terms_of_token(self, token: str) -> list[str]:
        return [self.term(p) for p in parts(token)]

    # --- documents ----------------------------------------------------------------------------
    def document_terms(self, text: str) -> Iterator[str]:
        """Every term of a document text in order (stop words dropped), compound parts included."""
        for _, term in self.document_words(text):
            yield term

    def document_words(self, text: str) -> Iterator[tuple[str, str]]:
        """(word, term) of every word of a text in order, as `document_terms`."""
        stop = vocabulary.STOP_WORDS
        term = self.term
        for token in words(text):
            if token in stop:
                continue
            for piece in parts(token):
                if piece not in stop:
                    yield piece, term(piece)

    # --- vocabularies -------------------------------------------------------------------------
    def _phrase_terms(self, phrase: str) -> list[str]:
        return [t for t in self.document_terms(phrase)]

    def _build_synonyms(self) -> dict[str, dict[str, float]]:
        """term → {term of another member: weight} over every group the term is in.

        Another spelling of the same word («crm»/«црм», «webhook»/«вебхук») is worth the word
        itself; a synonym less; one word of a phrase less again.
        """
        table: dict[str, dict[str, float]] = {}
        for group in self.vocab.synonym_groups:
            members = [self._phrase_terms(m) for m in group]
            for i, own in enumerate(members):
                if len(own) != 1:
                    continue  # a phrase leads to its group, but only a single word is looked up
                others = table.setdefault(own[0], {})
                for j, member in enumerate(members):
                    if i == j:
                        continue
                    weight = 0.8 if len(member) == 1 else 0.6
                    if len(member) == 1 and _same_word(group[i], group[j]):
                        weight = 1.0
                    for term in member:
                        if term != own[0]:
                            others[term] = max(others.get(term, 0.0), weight)
        return table

    def _build_slang(self) -> dict[tuple[str, ...], list[list[str]]]:
        """phrase → its replacement as units of meaning, each a list of alternative words."""
        return {
            tuple(words(k)): [words(part.replace("/", " ")) for part in v.split()]
            for k, v in self.vocab.slang.items()
        }

    def vocabulary_words(self) -> Iterable[str]:
        """Words the vocabularies know (typo correction may land on them too)."""
        for group in self.vocab.synonym_groups:
            for member in group:
                for token in words(member):
                    yield from parts(token)

    # --- queries ------------------------------------------------------------------------------
    def query_units(self, query: str, indexed: Container[str] = ()) -> list[list[str]]:
        """The query as units of meaning, each a list of folded words (usually one).

        Latin words stay as they are when they are terms of the index (`indexed`) or of the
        vocabularies («api», «crm», «excel»); otherwise they are English words or transliterations.
        A slang phrase becomes one unit holding the help center's words for it.
        """
        return self._rewrite_slang(self.query_tokens(query, indexed))

    def query_tokens(self, query: str, indexed: Container[str] = ()) -> list[str]:
        """The query's folded words in order, disguises undone, Latin spellings read (no slang rewrites)."""
        tokens: list[str] = []
        query = _EMAIL.sub(" почтовый ящик ", query)  # an address says the question is about mail
        for token in map(deobfuscate, words(query)):
            if not is_latin(token) or token in vocabulary.STOP_WORDS or self._latin_is_term(token, indexed):
                tokens.append(token)
                continue
            split = pieces(token)
            if len(split) > 1 and "." in token and split[-1] in vocabulary.DOMAIN_ENDINGS:
                # a web address: ours («name.aspro.cloud») is an account address, another is a domain
                tokens.extend(vocabulary.OWN_ADDRESS_WORDS if token.endswith(vocabulary.OWN_DOMAIN) else ["домен"])
                continue
            for piece in split:
                if piece in vocabulary.STOP_WORDS or self._latin_is_term(piece, indexed):
                    tokens.append(piece)
                elif piece in self.vocab.english:
                    tokens.extend(words(self.vocab.english[piece]))
                else:
                    tokens.append(self._reading(piece, indexed))
        return tokens

    def _reading(self, latin: str, indexed: Container[str]) -> str:
        """The Cyrillic reading of a transliterated word: the first one that is a Russian word or
        a term of the index, else the usual one."""
        readings = transliterations(latin)
        for reading in readings:
            if self.is_dictionary_word(reading) or self.term(reading) in indexed:
                return reading
        return readings[0]

    def _latin_is_term(self, token: str, indexed: Container[str]) -> bool:
        terms = self.terms_of_token(token)
        return all(t in self.synonyms or t in indexed for t in terms)

    def _rewrite_slang(self, tokens: list[str]) -> list[list[str]]:
        out: list[list[str]] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._slang_max, len(tokens) - i), 0, -1):
                replacement = self.slang.get(tuple(tokens[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append([tokens[i]])
                i += 1
        return out
