"""Search over help-center sections: an inverted index scored with BM25F at article level.

* Articles are the unit of relevance (a user needs the right page); the section linked is the
  one of that article that matches the query best, so the link goes deep.
* Fields weigh differently: title and breadcrumbs above headings above body.
* A query is a list of slots, one per meaningful word, each satisfied by the word's term or by a
  synonym, a slang rewrite, a transliteration, a typo correction, a word of the same stem
  («удалённые» → «удалить», «выгрузка» → «выгрузить»), or, weakly, a term the help names things
  with together with the word in its titles and headings («ставка» → «тайм-трекер», mined from
  the index itself) — each worth less than the word itself. A slot counts once however many of
  its alternatives an article has, and weighs by its idf, less for words common in Russian at
  large; in a long message the words the help never uses weigh less (they tell the context, not
  the question).
* Impacts (idf × saturated field-weighted tf) are precomputed per term and article in numpy
  arrays, so a query costs a few vector operations per slot, whatever the size of the index.
* Ranking: BM25F, boosted when the title names the query and when the query's adjacent words
  stand side by side in the article.
* A sentence encoder (multilingual USE, `knowledge.encoder`) adds the closeness of meaning to the
  ranking where the words leave it uncertain: wording the help never uses still finds its article.
* The score shown is calibrated: P(one of the top three answers the query) from a logistic regression
  over how much of the query the best of them covers (in the words the help uses, outside other
  vendors' products, in the query's best answered sentence), how long the query is, and the encoder's
  cosines; fitted and chosen leaving one labelled set out. Nothing is returned below `threshold`: for a
  support bot a wrong link is worse than none.
"""

from __future__ import annotations

import copy
import json
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import vocabulary
from knowledge.encoder import Encoder, VectorStore, section_text, shared_encoder, shared_store
from knowledge.model import Hit, Section
from knowledge.textproc import Analyzer, Slot, fold, is_latin, pieces

# BM25F parameters. Field weights: the title and breadcrumbs name the topic, headings name a
# sub-topic, the body mentions many things in passing.
K1 = 1.2
FIELDS: dict[str, tuple[float, float]] = {  # field -> (weight, length normalisation b)
    "title": (4.0, 0.3),
    "crumbs": (1.5, 0.3),
    "headings": (1.5, 0.5),
    "body": (1.0, 0.75),
}
MAX_QUERY_CHARS = 1000  # a longer message is cut: its start says what it is about
MAX_SLOTS = 40
LONG_QUERY = 6  # words; beyond this the words the help never uses weigh less (context, not topic)
_CLAUSE = re.compile(r"[.!?;]+(?=\s|$)|\n")  # sentence ends (not the dots of «aspro.cloud»)
TYPO_WEIGHT = 0.85  # a corrected word is worth less than a word spelt right
STEM_CUTOFF = 85.0  # least rapidfuzz ratio between a misspelt word's stem and an index term
PREFIX_WEIGHT = 0.7  # a term of the same root with a longer or a shorter ending (a derived word)
COOC_WEIGHT = 0.25  # a term that names things together with the query's word in the help's titles and headings
COOC_MIN = 2  # titles or headings they must share
COOC_SHARE = 0.3  # least share of the word's titles and headings that also have the other term
COOC_MAX = 3  # such terms per word
DERIVED_WEIGHT = 0.75  # a word formed from the same stem: «удаление» for «удалить», «выгрузка» for «выгрузить»
ROOT_WEIGHT = 0.6  # a term sharing the root of a word the index lacks, once a suffix is cut
ROOT_MIN = 6  # letters of a shared root
OOV_NAME, OOV_NOUN, OOV_OTHER = 1.0, 0.8, 0.3  # weights (× max idf) of words absent from the index
MIN_SPECIFIC = 0.25  # the least weight of a very common word
TITLE_BOOST = 1.0  # ranking: a query fully named by an article's title doubles its BM25F score
PHRASE_BOOST = 2.0  # ranking: a query found as phrases in an article triples its score at most
CANDIDATES = 30  # articles ranked by the boosts, taken by BM25F score
COMPLAINT_BOOST = 0.5  # ranking: a query saying something does not work favours troubleshooting articles
PHRASE_MIN_WEIGHT = 0.8  # alternatives that count in phrases: the word, its spellings, close synonyms
PAIR_SHIFT = 32  # a pair of adjacent terms is keyed as left_id << 32 | right_id
SNIPPET_CHARS = 200
HEADING_BONUS = 1.5  # choosing the section to link: a query word in its heading counts this much more

# The dense term: the cosine between the query's sentence vector and the article's best section
# (`knowledge.encoder`) is added, `dense_weight` times, to the lexical ranking score divided by the best
# one's; the encoder's nearest articles join the candidates. It runs only when the lexical gate is
# not sure (its probability between `lexical_skip` and `lexical_sure`): a query the words answer
# plainly, or one with nothing in common with the help, does not wait for it.
DENSE_CANDIDATES = 5
DENSE_SCAN = 20_000  # sections up to which a query is compared with all (a few ms); above, with the candidates

# The gate: P(one of the top three answers the query) = sigmoid(bias + weights · features) over the
# features of the top three (the most of the three, «best.», or the first one's, «first.»): two plain
# logistic regressions in `search_gate.json`, written by `python -m knowledge fit-gate` from the
# labelled sets in benchmarks/data, the weight of the dense term, the threshold and when to skip the
# encoder chosen leaving one set out. "lexical" reads the words only, "fused" the encoder's cosines too.
# The first result's score is that probability; the others' is it times their ranking score relative
# to the first's, so scores never rise down the list and the first result carries the gate's decision.
FEATURES = (
    "coverage",  # share of the query's weight the article has (synonyms etc. at their weight)
    "strength",  # BM25F score per unit of query weight, capped at 2
    "known_coverage",  # coverage of the words the help uses at all
    "title_coverage",  # of those, the share the title and breadcrumbs have
    "unknown_share",  # share of the query's weight in words the help never uses
    "answered",  # log(1 + covered weight): how much is answered in absolute terms
    "unknown_max",  # the most specific word the help never uses (× max idf)
    "phrases",  # share of the query found as adjacent words in the article
    "native_coverage",  # coverage of the words that do not name another vendor's product
    "third_party_missed",  # share of the query's weight in other vendors' products the article lacks
    "clause_coverage",  # coverage of the query's best answered sentence (long messages ask in one)
    "length",  # log of the number of query words: long messages cover less of themselves
    "stability",  # share of the query (by weight) without any one of whose words the article stays in the top 3
    "margin",  # lead of the article's ranking score over the next one, relative (negative when trailing)
    "dense",  # cosine of the query's and the article's best section's sentence vectors (0 when not run)
    "dense_lead",  # the article's cosine minus the best other candidate's
)
_TITLE = FEATURES.index("title_coverage")
_PHRASES = FEATURES.index("phrases")
GATE_FILE = Path(__file__).with_name("search_gate.json")


@dataclass(frozen=True, slots=True)
class Gate:
    """One logistic cut-off over the query's top three candidates: its features are FEATURES names
    prefixed «best.» (the most of the three) or «first.» (the first one's)."""

    features: tuple[str, ...]
    bias: float
    weights: tuple[float, ...]

    @staticmethod
    def vector(rows: np.ndarray, features: Sequence[str]) -> np.ndarray:
        """The gate's inputs from the feature rows of the candidates, best first."""
        top = rows[:3]
        out = np.empty(len(features), dtype=np.float64)
        for k, name in enumerate(features):
            how, feature = name.split(".", 1)
            column = top[:, FEATURES.index(feature)]
            out[k] = column.max() if how == "best" else column[0]
        return out

    def probability(self, rows: np.ndarray) -> float:
        """P(one of the top three answers the query); 0 without candidates."""
        if not len(rows):
            return 0.0
        z = self.bias + float(self.vector(rows, self.features) @ np.array(self.weights, dtype=np.float64))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def scores(self, rows: np.ndarray) -> list[float]:
        """The score shown for each candidate: the gate's probability for the first, times how the
        others' ranking score compares with the first's for the rest (so never rising down the list)."""
        p = self.probability(rows)
        margin = rows[:, FEATURES.index("margin")]
        return [p if k == 0 else p * max(0.0, min(1.0, 1.0 + float(margin[k]))) for k in range(len(rows))]

    def to_dict(self) -> dict[str, object]:
        return {"features": list(self.features), "bias": round(self.bias, 4),
                "weights": [round(w, 4) for w in self.weights]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gate:
        return cls(tuple(data["features"]), float(data["bias"]), tuple(float(w) for w in data["weights"]))


@dataclass(frozen=True, slots=True)
class GateConfig:
    """Everything learned about ranking and the cut-off (see `search_gate.json`)."""

    lexical: Gate
    fused: Gate
    threshold: float  # the least best-of-three probability that shows links
    dense_weight: float
    lexical_skip: float  # below this lexical probability the encoder is not run: nothing to rescue
    lexical_sure: float  # at or above it neither: the words answer plainly
    follower_share: float = 0.5  # a result after the first is shown when its score reaches this share of threshold

    def to_dict(self) -> dict[str, object]:
        return {"lexical": self.lexical.to_dict(), "fused": self.fused.to_dict(), "threshold": self.threshold,
                "dense_weight": self.dense_weight, "lexical_skip": self.lexical_skip,
                "lexical_sure": self.lexical_sure, "follower_share": self.follower_share}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateConfig:
        return cls(Gate.from_dict(data["lexical"]), Gate.from_dict(data["fused"]), float(data["threshold"]),
                   float(data["dense_weight"]), float(data["lexical_skip"]), float(data["lexical_sure"]),
                   float(data.get("follower_share", 0.5)))


def load_gate(path: Path = GATE_FILE) -> GateConfig:
    return GateConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))


GATE = load_gate()
DEFAULT_THRESHOLD = GATE.threshold

_analyzer: Analyzer | None = None


def shared_analyzer() -> Analyzer:
    """One analyzer per process: the morphology dictionary and caches are shared by indexes."""
    global _analyzer
    if _analyzer is None:
        _analyzer = Analyzer()
    return _analyzer


@dataclass(frozen=True, slots=True)
class _Article:
    page_url: str
    title: str
    sections: tuple[int, ...]  # indexes into SearchIndex._sections, in page order


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an article scored as it did (for benchmarks and debugging)."""

    page_url: str
    features: tuple[float, ...]  # see SearchIndex._features
    probability: float


class _Postings:
    """Compressed rows: for each integer key, the sorted article ids (and a value per id).

    Built once from parallel arrays. With `dense=n` the keys are 0..n-1 and a row is found by
    offset; otherwise keys are sparse and found by binary search (`rows` looks up many at once).
    """

    def __init__(self, keys: np.ndarray, docs: np.ndarray, values: np.ndarray | None = None, dense: int = 0) -> None:
        order = np.lexsort((docs, keys))
        keys, docs = keys[order], docs[order]
        values = values[order] if values is not None else None
        if len(keys):  # merge repeated (key, doc) rows, summing their values
            first = np.ones(len(keys), dtype=bool)
            first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
            starts = np.flatnonzero(first)
            if values is not None:
                values = np.add.reduceat(values, starts)
            keys, docs = keys[starts], docs[starts]
        self.docs = docs.astype(np.int32)
        self.values = values.astype(np.float32) if values is not None else None
        if dense:
            self.keys = np.arange(dense, dtype=np.int64)
            counts = np.bincount(keys, minlength=dense) if len(keys) else np.zeros(dense, dtype=np.int64)
            self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        else:
            self.keys, starts = np.unique(keys, return_index=True)
            self.starts = np.append(starts, len(docs)).astype(np.int64)
        self._dense = bool(dense)

    def row(self, key: int) -> slice:
        """The row of a key (empty when the key has none)."""
        if self._dense:
            return slice(int(self.starts[key]), int(self.starts[key + 1]))
        i = int(np.searchsorted(self.keys, key))
        if i == len(self.keys) or self.keys[i] != key:
            return slice(0, 0)
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    def rows(self, keys: np.ndarray) -> list[tuple[int, slice]]:
        """(position in `keys`, row) of the given sparse keys that have rows."""
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        found = np.flatnonzero(self.keys[at] == keys) if len(self.keys) else np.array([], dtype=np.int64)
        return [(int(j), slice(int(self.starts[at[j]]), int(self.starts[at[j] + 1]))) for j in found]

    def df(self) -> np.ndarray:
        return np.diff(self.starts)


class SearchIndex:
    """An in-memory index of sections; `search` returns the best article links for a query."""

    def __init__(self, sections: Sequence[Section], *, threshold: float | None = None, gate: GateConfig = GATE,
                 dense: bool = True, vectors: VectorStore | None = None, encoder: Encoder | None = None,
                 analyzer: Analyzer | None = None) -> None:
        self.gate = gate
        self.threshold = gate.threshold if threshold is None else threshold
        self._an = analyzer or shared_analyzer()
        self._encoder = (encoder or shared_encoder()) if dense else None
        self._sections: list[Section] = list(sections)
        self._articles: list[_Article] = []
        by_page: dict[str, list[int]] = defaultdict(list)
        for i, section in enumerate(self._sections):
            by_page[section.page_url].append(i)
        for page_url, idx in by_page.items():
            idx.sort(key=lambda i: self._sections[i].position)
            self._articles.append(_Article(page_url, self._sections[idx[0]].title, tuple(idx)))
        self._by_url = {a.page_url: a for a in self._articles}
        self._build()
        self._embed(vectors if vectors is not None else shared_store())
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}
        self._slots = lru_cache(maxsize=4096)(self._query_slots)
        self._terms_of_section = lru_cache(maxsize=4096)(self._section_terms)

    def __len__(self) -> int:
        return len(self._sections)

    def with_analyzer(self, analyzer: Analyzer) -> SearchIndex:
        """The same index reading queries with other vocabularies (for benchmarks): the terms, the
        vectors and what was mined from the articles are shared, not rebuilt; typo correction may still
        land on a word only the original vocabularies had."""
        other = copy.copy(self)
        other._an = analyzer
        other._fuzzy_cache = {}
        other._slots = lru_cache(maxsize=4096)(other._query_slots)
        return other

    # --- building -----------------------------------------------------------------------------
    def _embed(self, store: VectorStore) -> None:
        """The sections' sentence vectors, article after article (`_vector_starts` marks each); float32
        for an index the query is compared with whole, float16 (half the memory) above DENSE_SCAN."""
        order = [i for article in self._articles for i in article.sections]
        sizes = np.array([len(a.sections) for a in self._articles], dtype=np.int64)
        self._vector_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._vector_sizes = sizes
        if self._encoder is None or not order:
            self._vectors = np.zeros((0, 0), dtype=np.float32)
            return
        self.set_vectors(store.vectors([section_text(self._sections[i]) for i in order], self._encoder))

    def set_vectors(self, vectors: np.ndarray) -> None:
        """Replace the section vectors (article order, as `_embed` makes them); for benchmarks."""
        self._vectors = np.asarray(vectors, dtype=np.float32 if len(vectors) <= DENSE_SCAN else np.float16)

    def dense_text(self, query: str) -> str:
        """What the encoder reads of a query: its words as the index reads them (look-alike letters,
        transliteration and English words undone)."""
        return " ".join(self._an.query_tokens(" ".join(query[:MAX_QUERY_CHARS].split()), self._term_id))

    def dense_scores(self, query: str, candidates: np.ndarray) -> np.ndarray | None:
        """Per article, the cosine of the query's vector and its best section's (None without the
        encoder): every article of an index up to DENSE_SCAN sections, else only the `candidates`
        (-1 for the others)."""
        if self._encoder is None or not len(self._vectors):
            return None
        vector = self._encoder.query(self.dense_text(query))
        if len(self._vectors) <= DENSE_SCAN:
            return np.maximum.reduceat(self._vectors @ vector, self._vector_starts)
        starts, sizes = self._vector_starts[candidates], self._vector_sizes[candidates]
        rows = np.concatenate([np.arange(a, a + k) for a, k in zip(starts, sizes, strict=True)])
        cosines = self._vectors[rows].astype(np.float32) @ vector
        out = np.full(len(self._articles), -1.0, dtype=np.float32)
        out[candidates] = np.maximum.reduceat(cosines, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        return out

    def _article_fields(self, article: _Article, surface: dict[str, str]) -> dict[str, list[str]]:
        """The terms of each field of an article; its words go into `surface` (word → term)."""
        first = self._sections[article.sections[0]]
        crumbs = [c for c in first.breadcrumbs if fold(c) != fold(first.title)]
        texts = {
            "title": first.title,
            "crumbs": " . ".join(crumbs),
            "headings": " . ".join(self._sections[i].heading or "" for i in article.sections),
            "body": "\n".join(self._sections[i].text for i in article.sections),
        }
        fields: dict[str, list[str]] = {}
        for name, text in texts.items():
            pairs = list(self._an.document_words(text))
            fields[name] = [term for _, term in pairs]
            for word, term in pairs:
                if len(word) >= 3:
                    surface.setdefault(word, term)
        return fields

    def _build(self) -> None:
        """One pass over the articles into flat arrays, then postings; no per-article dicts kept."""
        n = len(self._articles)
        self._term_id: dict[str, int] = {}
        term_of = self._term_id.setdefault
        rows: dict[str, array[int]] = {k: array("i") for k in ("term", "doc", "field", "tf")}
        pair_keys, pair_docs = array("q"), array("i")
        lengths = np.zeros((n, len(FIELDS)), dtype=np.float32)
        surface: dict[str, str] = {}  # word → term, for typo correction
        names: list[frozenset[str]] = []  # the terms of each title (with its breadcrumbs) and each heading
        for a, article in enumerate(self._articles):
            pairs: set[int] = set()
            fields = self._article_fields(article, surface)
            names.append(frozenset(fields["title"] + fields["crumbs"]))
            names.extend(frozenset(self._an.document_terms(self._sections[i].heading or "")) for i in article.sections)
            for f, name in enumerate(FIELDS):
                terms = fields[name]
                ids = [term_of(t, len(self._term_id)) for t in terms]
                lengths[a, f] = len(ids)
                for tid, tf in Counter(ids).items():
                    rows["term"].append(tid)
                    rows["doc"].append(a)
                    rows["field"].append(f)
                    rows["tf"].append(tf)
                pairs.update(left << PAIR_SHIFT | right for left, right in pairwise(ids))
            pair_keys.extend(pairs)
            pair_docs.extend([a] * len(pairs))
        columns = {k: np.frombuffer(v, dtype=np.int32) for k, v in rows.items()}
        self._index_terms(n, columns, lengths)
        # articles about what goes wrong: by their title (1) or one of their headings (0.5)
        complaint = self._an.is_complaint
        self._troubleshooting = np.array(
            [1.0 if complaint(a.title) else 0.5 if any(complaint(self._sections[i].heading or "")
                                                        for i in a.sections) else 0.0
             for a in self._articles],
            dtype=np.float32,
        )
        self._pairs = _Postings(np.frombuffer(pair_keys, dtype=np.int64), np.frombuffer(pair_docs, dtype=np.int32))
        self._cooccurring = self._mine_cooccurrence(names)
        self._index_words(surface)

    def _mine_cooccurrence(self, names: Sequence[frozenset[str]]) -> dict[str, tuple[str, ...]]:
        """term → the terms that most often name things together with it in titles and headings
        («ставк» → «тайм-трекер»): the help's own sense of what belongs together."""
        df: Counter[str] = Counter()
        together: dict[str, Counter[str]] = defaultdict(Counter)
        for terms in {t for t in names if len(t) > 1}:
            df.update(terms)
            for x in terms:
                together[x].update(y for y in terms if y != x)
        out: dict[str, tuple[str, ...]] = {}
        for x, counts in together.items():
            best = [(c / df[y], y) for y, c in counts.items()
                    if c >= COOC_MIN and c / df[x] >= COOC_SHARE and not y.isdigit()]
            if best:
                out[x] = tuple(y for _, y in sorted(best, reverse=True)[:COOC_MAX])
        return out

    def _index_terms(self, n: int, rows: dict[str, np.ndarray], lengths: np.ndarray) -> None:
        """BM25F impacts per term and article; the articles whose title or breadcrumbs have a term."""
        weight = np.array([w for w, _ in FIELDS.values()], dtype=np.float32)
        b = np.array([b for _, b in FIELDS.values()], dtype=np.float32)
        # average over the articles that have the field (many have no breadcrumbs beyond the title)
        avg = np.array([lengths[lengths[:, f] > 0, f].mean() if (lengths[:, f] > 0).any() else 1.0
                        for f in range(len(FIELDS))], dtype=np.float32)
        field, doc = rows["field"], rows["doc"]
        norm = 1.0 - b[field] + b[field] * lengths[doc, field] / avg[field]
        pseudo_tf = weight[field] * rows["tf"] / norm
        self._postings = _Postings(rows["term"], doc, pseudo_tf, dense=len(self._term_id))
        df = self._postings.df().astype(np.float32)
        self._idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        tf = self._postings.values
        assert tf is not None
        term_of_row = np.repeat(np.arange(len(df)), self._postings.df())
        self._postings.values = self._idf[term_of_row] * tf * (K1 + 1.0) / (tf + K1)
        in_title = np.isin(field, [list(FIELDS).index("title"), list(FIELDS).index("crumbs")])
        self._titles = _Postings(rows["term"][in_title], doc[in_title], dense=len(self._term_id))
        self._max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        self._sorted_terms = sorted(self._term_id)

    def _index_words(self, surface: dict[str, str]) -> None:
        """The words typo correction and completion may land on: the index's and the vocabularies'
        whose term (or a synonym of it) the index has."""
        synonyms = self._an.synonyms
        for word in self._an.vocabulary_words():
            if len(word) >= 3 and not is_latin(word):
                surface.setdefault(word, self._an.term(word))
        known = self._term_id
        self._surface = {
            w: t for w, t in surface.items() if t in known or any(s in known for s in synonyms.get(t, ()))
        }
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._surface:
            self._by_length[len(word)].append(word)
        self._terms_by_length: dict[int, list[str]] = defaultdict(list)
        for term in self._term_id:
            if len(term) >= 4 and not is_latin(term) and not term.isdigit():
                self._terms_by_length[len(term)].append(term)
        self._sorted_words = sorted(self._surface)

    # --- query analysis -----------------------------------------------------------------------
    def _correct(self, word: str) -> tuple[str, float] | None:
        """A typo or a word cut short → (the word of the index it stands for, confidence), or None."""
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        result: tuple[str, float] | None = None
        if len(word) >= 4:
            candidates: list[str] = []
            for size in range(len(word) - 2, len(word) + 3):
                candidates.extend(self._by_length.get(size, ()))
            cutoff = 80.0 if len(word) >= 6 else 84.0
            best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
            stem = self._an.term(word)
            if best is None and len(stem) >= 5 and not is_latin(stem):
                # an inflected word with a typo: its stem against the index's («элетронную» → «электрон»)
                terms = [t for size in (len(stem) - 1, len(stem), len(stem) + 1) for t in self._terms_by_length[size]]
                best = process.extractOne(stem, terms, scorer=fuzz.ratio, score_cutoff=STEM_CUTOFF)
            if best is not None:
                result = (best[0], best[1] / 100.0)
            elif len(word) >= 5:
                # a word cut short: the most specific completion that starts with it
                i = bisect_left(self._sorted_words, word)
                if i < len(self._sorted_words) and self._sorted_words[i].startswith(word):
                    result = (self._sorted_words[i], 0.8)
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[word] = result
        return result

    def _query_slots(self, query: str) -> tuple[Slot, ...]:
        an = self._an
        slots: list[Slot] = []
        seen: set[str] = set()
        units = [
            (clause, unit)
            for clause, text in enumerate(_CLAUSE.split(query[:MAX_QUERY_CHARS]))
            for unit in an.query_units(text, self._term_id)
        ]
        for clause, unit in units:
            slot: Slot | None = None
            for token in unit:
                split = pieces(token)
                joined = an.term("".join(split)) if len(split) > 1 else None
                for piece in split:
                    if piece in vocabulary.STOP_WORDS or len(piece) < 2 or piece.isdigit():
                        continue
                    term = an.term(piece)
                    if term in an.stop_terms or term in seen:
                        continue
                    seen.add(term)
                    if slot is None or len(unit) == 1:
                        slot = Slot(
                            piece,
                            known_word=an.is_dictionary_word(piece),
                            noun=an.is_noun(piece),
                            zipf=an.commonness(piece),
                            third_party=an.is_third_party(piece),
                            clause=clause,
                        )
                        slots.append(slot)
                    self._fill(slot, piece, term, joined)
            if len(slots) >= MAX_SLOTS:
                break
        slots = slots[:MAX_SLOTS]
        # In a long message the words the help never uses are mostly its context (who, when, why),
        # not what it asks: they weigh less the more words there are.
        context = min(1.0, LONG_QUERY / len(slots)) if slots else 1.0
        for slot in slots:
            slot.base = self._plain_weight(slot)
            slot.weight = self._slot_weight(slot) * (1.0 if slot.alternatives else context)
        return tuple(slots)

    def _fill(self, slot: Slot, piece: str, term: str, joined: str | None) -> None:
        """Add the terms that stand for one query word: itself or its correction, synonyms, derivations."""
        an = self._an
        found: dict[str, float] = {}
        if term in self._term_id:
            found[term] = 1.0
        elif not an.is_dictionary_word(piece) and term not in an.synonyms:  # a vocabulary word is no typo
            corrected = self._correct(piece)
            if corrected is not None:
                word, confidence = corrected
                term = self._surface.get(word, word)  # a surface word, or an index term matched by stem
                slot.zipf = an.commonness(word)
                weight = TYPO_WEIGHT * confidence
                if term in self._term_id:
                    found[term] = weight
                for other, ow in an.synonyms.get(term, {}).items():
                    if other in self._term_id:
                        found[other] = max(found.get(other, 0.0), weight * ow)
        if joined is not None and joined in self._term_id:
            found[joined] = 1.0
        for base, w in list(found.items()) or [(term, 1.0)]:
            for other, ow in an.synonyms.get(base, {}).items():
                if other in self._term_id:
                    found[other] = max(found.get(other, 0.0), w * ow)
        for relative in an.relatives(piece):
            derived = an.term(relative)
            if derived in self._term_id:
                found[derived] = max(found.get(derived, 0.0), DERIVED_WEIGHT)
        for base, w in list(found.items()):
            for kin in self._extensions(base) + self._shorter(base):
                found[kin] = max(found.get(kin, 0.0), w * PREFIX_WEIGHT)
        for base, w in list(found.items()):
            if w >= PHRASE_MIN_WEIGHT:
                for other in self._cooccurring.get(base, ()):
                    found[other] = max(found.get(other, 0.0), w * COOC_WEIGHT)
        if not found:
            for kin in self._same_root(term):
                found[kin] = ROOT_WEIGHT
        for t, w in found.items():
            slot.add(t, w)

    def _extensions(self, term: str) -> list[str]:
        """Index terms that extend a term by a few letters: «созда» → «создан» (создать → создание)."""
        if len(term) < 4 or is_latin(term):
            return []
        out: list[str] = []
        i = bisect_left(self._sorted_terms, term)
        while i < len(self._sorted_terms) and self._sorted_terms[i].startswith(term):
            other = self._sorted_terms[i]
            if 0 < len(other) - len(term) <= 3:
                out.append(other)
            i += 1
            if len(out) >= 8:
                break
        return out

    def _shorter(self, term: str) -> list[str]:
        """Index terms that a term extends by a letter or two: «офисн» → «офис» (офисный → офис)."""
        if is_latin(term):
            return []
        out = []
        for cut in (1, 2):
            short = term[:-cut]
            if len(short) >= (4 if cut == 1 else 5) and short in self._term_id:
                out.append(short)
        return out

    def _same_root(self, term: str) -> list[str]:
        """Index terms of a word the index lacks that share its root, cut by a suffix or two:
        «переписыва» (переписываться) → «переписк» (переписка)."""
        if len(term) < ROOT_MIN + 1 or is_latin(term):
            return []
        out: list[str] = []
        for cut in range(1, 4):
            root = term[:-cut]
            if len(root) < ROOT_MIN:
                break
            i = bisect_left(self._sorted_terms, root)
            while i < len(self._sorted_terms) and self._sorted_terms[i].startswith(root) and len(out) < 8:
                other = self._sorted_terms[i]
                if abs(len(other) - len(term)) <= 3 and other not in out:
                    out.append(other)
                i += 1
            if out:
                break  # the longest shared root is enough
        return out

    def _slot_weight(self, slot: Slot) -> float:
        """How much a slot matters: the idf of its best alternative, or of a word the index lacks,
        lowered for words common in Russian at large («три», «раз», «большой»)."""
        specific = min(1.0, max(MIN_SPECIFIC, (7.0 - slot.zipf) / 3.0))
        if not slot.alternatives:
            # A word the help never uses: a noun or a name the help does not know says the question
            # is about something else; a verb or an adverb is mostly the way the user talks.
            if not slot.known_word:
                return self._max_idf * OOV_NAME * specific
            return self._max_idf * (OOV_NOUN if slot.noun else OOV_OTHER) * specific
        return slot.base * specific

    def _plain_weight(self, slot: Slot) -> float:
        """The idf of a slot's best alternative (0 when the index lacks the word)."""
        if not slot.alternatives:
            return 0.0
        idf, ids = self._idf, self._term_id
        return max(float(idf[ids[t]]) * w for t, w in slot.alternatives.items()) / max(slot.alternatives.values())

    # --- scoring ------------------------------------------------------------------------------
    def _features(self, slots: Sequence[Slot]) -> tuple[np.ndarray, np.ndarray] | None:
        """BM25F score per article and the calibration features of each article (see FEATURES)."""
        n = len(self._articles)
        total = np.zeros(n, dtype=np.float32)
        covered = np.zeros(n, dtype=np.float32)
        titled = np.zeros(n, dtype=np.float32)
        postings, titles = self._postings, self._titles
        impacts = postings.values
        assert impacts is not None
        weights = [slot.weight for slot in slots]
        weight_sum = sum(weights)
        oov = sum(w for slot, w in zip(slots, weights, strict=True) if not slot.alternatives)
        max_oov = max((w for slot, w in zip(slots, weights, strict=True) if not slot.alternatives), default=0.0)
        foreign = sum(w for slot, w in zip(slots, weights, strict=True) if slot.third_party)
        native = np.zeros(n, dtype=np.float32)
        foreign_found = np.zeros(n, dtype=np.float32)
        clauses = sorted({slot.clause for slot in slots})
        clause_covered = {c: np.zeros(n, dtype=np.float32) for c in clauses}
        clause_weight = {c: sum(w for slot, w in zip(slots, weights, strict=True) if slot.clause == c) for c in clauses}
        clause_size = Counter(slot.clause for slot in slots if slot.alternatives)
        contributions: list[tuple[np.ndarray, float]] = []
        for slot, w_slot in zip(slots, weights, strict=True):
            if not slot.alternatives:
                continue
            best = np.zeros(n, dtype=np.float32)
            match = np.zeros(n, dtype=np.float32)
            title = np.zeros(n, dtype=np.float32)
            for term, w in slot.alternatives.items():
                tid = self._term_id[term]
                row = postings.row(tid)
                ids = postings.docs[row]
                best[ids] = np.maximum(best[ids], impacts[row] * w)
                match[ids] = np.maximum(match[ids], w)
                ids = titles.docs[titles.row(tid)]
                if len(ids):
                    title[ids] = np.maximum(title[ids], w)
            total += best * (w_slot / slot.base)
            contributions.append((best * (w_slot / slot.base), w_slot))
            covered += match * w_slot
            titled += title * w_slot
            if slot.third_party:
                foreign_found += match * w_slot
            else:
                native += match * w_slot
            clause_covered[slot.clause] += match * w_slot
        known = weight_sum - oov
        if weight_sum <= 0 or known <= 0:
            return None
        phrased = self._phrases(slots, weights, n)
        # how the ranking holds without each word: an answer stays near the top, a guess falls apart
        kept = np.zeros(n, dtype=np.float32)
        top = min(3, n)
        for contribution, w_slot in contributions:
            without = total - contribution
            kept[np.argpartition(-without, top - 1)[:top]] += w_slot
        stability = kept / max(sum(w for _, w in contributions), 1e-6)
        # the best answered sentence of the query (of those with two words the help uses, or the whole)
        best_clause = covered / weight_sum
        for c in clauses:
            if clause_size[c] >= 2 and len(clauses) > 1:
                best_clause = np.maximum(best_clause, clause_covered[c] / max(clause_weight[c], 1e-6))
        features = np.stack(
            [
                covered / weight_sum,
                np.minimum(total / weight_sum, 2.0),
                covered / known,
                titled / known,
                np.full(n, oov / weight_sum, dtype=np.float32),
                np.log1p(covered),
                np.full(n, max_oov / self._max_idf, dtype=np.float32),
                phrased / weight_sum,
                # a query of vendors' names only («1с», «telegram») is judged by them, nothing else is there
                native / (weight_sum - foreign) if weight_sum - foreign > 1e-6 else covered / weight_sum,
                (foreign - foreign_found) / weight_sum,
                best_clause,
                np.full(n, math.log(len(slots)), dtype=np.float32),
                stability,
            ],
            axis=1,
        )
        return total, features

    def _phrases(self, slots: Sequence[Slot], weights: Sequence[float], n: int) -> np.ndarray:
        """Per article, the weight of the query's adjacent word pairs that it has side by side
        (the words themselves, their spellings and close synonyms; not weaker alternatives)."""
        phrased = np.zeros(n, dtype=np.float32)
        pairs, ids = self._pairs, self._term_id
        for i in range(len(slots) - 1):
            left = [(ids[t], w) for t, w in slots[i].alternatives.items() if w >= PHRASE_MIN_WEIGHT]
            right = [(ids[t], w) for t, w in slots[i + 1].alternatives.items() if w >= PHRASE_MIN_WEIGHT]
            if not left or not right:
                continue
            combos = [(t1, t2, w1 * w2) for t1, w1 in left for t2, w2 in right]
            forward = [t1 << PAIR_SHIFT | t2 for t1, t2, _ in combos]
            backward = [t2 << PAIR_SHIFT | t1 for t1, t2, _ in combos]
            keys = np.array(forward + backward, dtype=np.int64)
            found = pairs.rows(keys)
            if not found:
                continue
            match = np.zeros(n, dtype=np.float32)
            for j, row in found:
                docs = pairs.docs[row]
                match[docs] = np.maximum(match[docs], combos[j % len(combos)][2])
            phrased += match * (weights[i] + weights[i + 1]) / 2.0
        return phrased

    def _parse(self, query: str) -> tuple[Slot, ...]:
        """The slots of a query (cached); nothing for what is not text or has no words."""
        if not isinstance(query, str):
            return ()
        text = " ".join(query[:MAX_QUERY_CHARS].split())
        return self._slots(text) if text else ()

    def ranking(self, query: str, *, dense: bool | None = None,
                dense_weight: float | None = None) -> tuple[np.ndarray, np.ndarray, bool] | None:
        """(candidate articles best first, their feature rows (see FEATURES), whether the dense term
        ran) before the cut-off; None when the query has nothing the index knows. `dense` forces the
        encoder on or off (default: run it where the lexical gate is unsure)."""
        slots = self._parse(query)
        scored = self._features(slots) if slots and self._articles else None
        if scored is None:
            return None
        total, features = scored
        n = len(total)
        k = min(CANDIDATES, n)
        candidates = np.argpartition(-total, k - 1)[:k] if k < n else np.arange(n)
        candidates = candidates[total[candidates] > 0]
        if not len(candidates):
            return None
        # rank: BM25F, boosted by how much of the query the title names and how much of it is phrases
        rank = total * (1.0 + TITLE_BOOST * features[:, _TITLE])
        rank *= 1.0 + PHRASE_BOOST * features[:, _PHRASES]
        if self._an.is_complaint(query):  # something does not work: troubleshooting articles first
            rank *= 1.0 + COMPLAINT_BOOST * self._troubleshooting
        extra = np.zeros((n, 3), dtype=np.float32)  # margin, dense, dense_lead
        rows = np.hstack([features, extra])
        order, margin = self._order(candidates, rank[candidates])
        rows[candidates, -3] = margin
        if dense is None:
            p = self.gate.lexical.probability(rows[candidates[order[:3]]])
            dense = self.gate.lexical_skip <= p < self.gate.lexical_sure
        cosines = self.dense_scores(query, candidates) if dense else None
        if cosines is None:
            return candidates[order], rows[candidates[order]], False
        near = np.argpartition(-cosines, min(DENSE_CANDIDATES, n) - 1)[:DENSE_CANDIDATES]
        candidates = np.union1d(candidates, near[cosines[near] > -1.0])
        weight = self.gate.dense_weight if dense_weight is None else dense_weight
        fused = rank[candidates] / float(rank[candidates].max()) + weight * cosines[candidates]
        order, margin = self._order(candidates, fused)
        rows[candidates, -3] = margin
        rows[candidates, -2] = cosines[candidates]
        best = np.sort(cosines[candidates])[::-1]
        others = np.where(cosines[candidates] >= best[0], best[1] if len(best) > 1 else 0.0, best[0])
        rows[candidates, -1] = cosines[candidates] - others
        return candidates[order], rows[candidates[order]], True

    @staticmethod
    def _order(candidates: np.ndarray, score: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Positions of `candidates` best first (ties: lower id) and each one's relative margin:
        the best one's lead over the next, the others' (negative) gap to the best."""
        order = sorted(range(len(candidates)), key=lambda i: (-float(score[i]), int(candidates[i])))
        first = float(score[order[0]])
        second = float(score[order[1]]) if len(order) > 1 else 0.0
        margin = np.where(np.arange(len(candidates)) == order[0], first - second, score - first)
        return order, (margin / first if first > 0 else margin).astype(np.float32)

    def explain(self, query: str, limit: int = 3, *, dense: bool | None = None) -> list[Explanation]:
        """The top articles with their features and the scores the gate gives them, before the cut-off."""
        ranked = self.ranking(query, dense=dense)
        if ranked is None:
            return []
        articles, rows, fused = ranked
        scores = (self.gate.fused if fused else self.gate.lexical).scores(rows[:max(limit, 3)])
        return [
            Explanation(self._articles[int(a)].page_url, tuple(float(x) for x in row), p)
            for a, row, p in zip(articles[:limit], rows[:limit], scores, strict=False)
        ]

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """Best articles first (one hit per page), [] when nothing is relevant enough.

        The gate reads the top three together; the first hit carries its probability, the others less
        as their ranking score trails the first's, and they are shown while at least `follower_share`
        of the threshold."""
        if limit <= 0:
            return []
        explained = self.explain(query, limit)
        if not explained or explained[0].probability < self.threshold:
            return []  # nothing convincing: no link rather than a wrong one
        shown = [e.probability for e in explained]
        slots = self._parse(query)
        hits: list[Hit] = []
        for ex, score in zip(explained[:limit], shown, strict=False):
            if hits and score < self.threshold * self.gate.follower_share:
                break
            section = self._best_section(self._by_url[ex.page_url], slots)
            hits.append(
                Hit(
                    url=section.url,
                    title=section.title,
                    heading=section.heading,
                    snippet=self._snippet(section, slots),
                    score=round(score, 4),
                )
            )
        return hits

    # --- presentation -------------------------------------------------------------------------
    def _match_weight(self, text: str, slots: Sequence[Slot]) -> float:
        return self._match_terms(frozenset(self._an.document_terms(text)), slots)

    def _match_terms(self, terms: frozenset[str], slots: Sequence[Slot]) -> float:
        score = 0.0
        for slot in slots:
            w = max((w for t, w in slot.alternatives.items() if t in terms), default=0.0)
            score += w * slot.weight
        return score

    def _section_terms(self, i: int) -> tuple[frozenset[str], frozenset[str]]:
        """(heading terms, body terms) of a section; cached for the sections that get shown."""
        section = self._sections[i]
        terms = self._an.document_terms
        return frozenset(terms(section.heading or "")), frozenset(terms(section.text))

    def _best_section(self, article: _Article, slots: Sequence[Slot]) -> Section:
        best = self._sections[article.sections[0]]
        best_score = -1.0
        for i in article.sections:
            section = self._sections[i]
            heading, body = self._terms_of_section(i)
            score = self._match_terms(body, slots) + HEADING_BONUS * self._match_terms(heading, slots)
            if score > best_score + 1e-9:
                best, best_score = section, score
        return best

    def _snippet(self, section: Section, slots: Sequence[Slot]) -> str:
        sentences = [s for s in re.split(r"(?<=[.!?…])\s+|\n+", section.text) if s.strip()]
        if not sentences:
            return ""
        scored = [(self._match_weight(s, slots), -i, s) for i, s in enumerate(sentences)]
        _, neg_i, _ = max(scored)
        text = " ".join(sentences[-neg_i:])
        if len(text) <= SNIPPET_CHARS:
            return text
        cut = text[:SNIPPET_CHARS]
        space = cut.rfind(" ")
        return (cut[:space] if space > SNIPPET_CHARS // 2 else cut).rstrip(" ,;:—-") + "…"
