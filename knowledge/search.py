"""Search over help-center sections: an inverted index scored with BM25F at article level.

* Articles are the unit of relevance (a user needs the right page); the section shown is the
  one of that article that matches the query best, so the link goes deep.
* Fields weigh differently: title and breadcrumbs above headings above body.
* A query is a list of slots, one per meaningful word, each satisfied by the word's term or by a
  synonym, a slang rewrite, a transliteration or a typo correction (worth less than the word).
  A slot counts once however many of its alternatives a document has.
* Impacts (idf × saturated field-weighted tf) are precomputed per term and article, so a query
  costs a few vector operations per slot, whatever the size of the index.
* The score shown is calibrated: a logistic function of how much of the query the article
  covers and how strongly. Below `threshold`, nothing is returned: a wrong link is worse than none.
"""

from __future__ import annotations

import math
import re
import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import vocabulary
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
TYPO_WEIGHT = 0.85  # a corrected word is worth less than a word spelt right
PREFIX_WEIGHT = 0.7  # a term of the same root with a longer ending (a derived word)
OOV_NAME, OOV_NOUN, OOV_OTHER = 1.0, 0.8, 0.3
MIN_SPECIFIC = 0.25  # the least weight of a very common word  # weights (× max idf) of words absent from the index
TITLE_BOOST = 1.0  # ranking: a query fully named by an article's title doubles its BM25F score
PHRASE_BOOST = 2.0  # ranking: a query found as phrases in an article triples its score at most
CANDIDATES = 30  # articles re-ranked by the calibrated model, taken by BM25F score
SNIPPET_CHARS = 200
HEADING_BONUS = 1.5  # choosing the section to link: a query word in its heading counts this much more

# Calibration: P(the article answers the query) = sigmoid(CAL_BIAS + CAL_WEIGHTS · features), a
# logistic regression fitted on labelled queries (benchmarks/bench_search.py refits it on half the dev
# set and reports the other half). Nothing is shown when the best article is below `threshold`;
# the next ones are shown when they reach FOLLOWER_SHARE of it.
CAL_BIAS = -5.648
CAL_WEIGHTS = np.array([1.21, 1.73, 0.6, 0.685, -0.797, 1.369, -1.432, 1.267], dtype=np.float32)
DEFAULT_THRESHOLD = 0.5
FOLLOWER_SHARE = 0.5

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


class SearchIndex:
    """An in-memory index of sections; `search` returns the best article links for a query."""

    def __init__(self, sections: Sequence[Section], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._an = shared_analyzer()
        self._sections: list[Section] = list(sections)
        self._articles: list[_Article] = []
        by_page: dict[str, list[int]] = defaultdict(list)
        for i, section in enumerate(self._sections):
            by_page[section.page_url].append(i)
        for page_url, idx in by_page.items():
            idx.sort(key=lambda i: self._sections[i].position)
            self._articles.append(_Article(page_url, self._sections[idx[0]].title, tuple(idx)))
        self._build()
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}
        self._slots = lru_cache(maxsize=4096)(self._query_slots)

    def __len__(self) -> int:
        return len(self._sections)

    # --- building -----------------------------------------------------------------------------
    def _article_fields(self, article: _Article) -> dict[str, list[str]]:
        an = self._an
        first = self._sections[article.sections[0]]
        crumbs = [c for c in first.breadcrumbs if fold(c) != fold(first.title)]
        headings = [self._sections[i].heading or "" for i in article.sections]
        body = [self._sections[i].text for i in article.sections]
        return {
            "title": list(an.document_terms(first.title)),
            "crumbs": list(an.document_terms(" . ".join(crumbs))),
            "headings": list(an.document_terms(" . ".join(headings))),
            "body": list(an.document_terms("\n".join(body))),
        }

    def _build(self) -> None:
        n = len(self._articles)
        per_article: list[dict[str, Counter[str]]] = []
        lengths: dict[str, list[int]] = {f: [] for f in FIELDS}
        surface: dict[str, str] = {}
        pairs: dict[tuple[str, str], list[int]] = defaultdict(list)  # adjacent terms → articles
        for article in self._articles:
            fields = self._article_fields(article)
            per_article.append({f: Counter(terms) for f, terms in fields.items()})
            for terms in fields.values():
                for pair in set(pairwise(terms)):
                    pairs[pair].append(len(per_article) - 1)
            for f, terms in fields.items():
                lengths[f].append(len(terms))
            first = self._sections[article.sections[0]]
            texts = [first.title, *first.breadcrumbs]
            texts += [(self._sections[i].heading or "") + " " + self._sections[i].text for i in article.sections]
            for text in texts:
                for word, term in self._an.surface_words(text):
                    surface.setdefault(word, term)
        # average over the articles that have the field (most have no breadcrumbs beyond the title)
        avg = {f: statistics.fmean([x for x in v if x] or [1]) for f, v in lengths.items()}

        pseudo_tf: dict[str, dict[int, float]] = defaultdict(dict)
        in_title: dict[str, list[int]] = defaultdict(list)
        for a, fields in enumerate(per_article):
            for term in set(fields["title"]) | set(fields["crumbs"]):
                in_title[term].append(a)
            for f, counts in fields.items():
                weight, b = FIELDS[f]
                norm = 1.0 - b + b * lengths[f][a] / avg[f]
                for term, tf in counts.items():
                    row = pseudo_tf[term]
                    row[a] = row.get(a, 0.0) + weight * tf / norm
        self._ids: dict[str, np.ndarray] = {}
        self._impacts: dict[str, np.ndarray] = {}
        self._idf: dict[str, float] = {}
        for term, row in pseudo_tf.items():
            df = len(row)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            ids = np.fromiter(row.keys(), dtype=np.int32, count=df)
            tfs = np.fromiter(row.values(), dtype=np.float32, count=df)
            self._ids[term] = ids
            self._impacts[term] = (idf * tfs * (K1 + 1.0) / (tfs + K1)).astype(np.float32)
            self._idf[term] = idf
        self._max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        self._title_ids = {t: np.asarray(ids, dtype=np.int32) for t, ids in in_title.items()}
        self._pair_ids = {p: np.unique(np.asarray(ids, dtype=np.int32)) for p, ids in pairs.items()}
        self._sorted_terms = sorted(self._idf)
        # Typo correction and prefix completion run against the words of the index and vocabularies.
        for word in self._an.vocabulary_words():
            if len(word) >= 3 and not is_latin(word):
                term = self._an.term(word)
                if term in self._idf or any(t in self._idf for t in self._an.synonyms.get(term, ())):
                    surface.setdefault(word, term)
        synonyms = self._an.synonyms
        self._surface = {
            w: t for w, t in surface.items() if t in self._idf or any(s in self._idf for s in synonyms.get(t, ()))
        }
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._surface:
            self._by_length[len(word)].append(word)
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
        for unit in an.query_units(query[:MAX_QUERY_CHARS], self._idf):
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
                        )
                        slots.append(slot)
                    self._fill(slot, piece, term, joined)
            if len(slots) >= MAX_SLOTS:
                break
        return tuple(slots[:MAX_SLOTS])

    def _fill(self, slot: Slot, piece: str, term: str, joined: str | None) -> None:
        """Add the terms that stand for one query word: itself or its correction, synonyms, derivations."""
        an = self._an
        found: dict[str, float] = {}
        if term in self._idf:
            found[term] = 1.0
        elif not an.is_dictionary_word(piece):
            corrected = self._correct(piece)
            if corrected is not None:
                word, confidence = corrected
                term = self._surface[word]
                slot.zipf = an.commonness(word)
                weight = TYPO_WEIGHT * confidence
                if term in self._idf:
                    found[term] = weight
                for other, ow in an.synonyms.get(term, {}).items():
                    if other in self._idf:
                        found[other] = max(found.get(other, 0.0), weight * ow)
        if joined is not None and joined in self._idf:
            found[joined] = 1.0
        for base, w in list(found.items()) or [(term, 1.0)]:
            for other, ow in an.synonyms.get(base, {}).items():
                if other in self._idf:
                    found[other] = max(found.get(other, 0.0), w * ow)
        for base, w in list(found.items()):
            for longer in self._extensions(base):
                found[longer] = max(found.get(longer, 0.0), w * PREFIX_WEIGHT)
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
        return self._plain_weight(slot) * specific

    def _plain_weight(self, slot: Slot) -> float:
        return max(self._idf[t] * w for t, w in slot.alternatives.items()) / max(slot.alternatives.values())

    # --- scoring ------------------------------------------------------------------------------
    def _features(self, slots: Sequence[Slot]) -> tuple[np.ndarray, np.ndarray] | None:
        """BM25F score per article and the calibration features of each article."""
        n = len(self._articles)
        total = np.zeros(n, dtype=np.float32)
        covered = np.zeros(n, dtype=np.float32)
        titled = np.zeros(n, dtype=np.float32)
        weight_sum = oov = max_oov = 0.0
        for slot in slots:
            w_slot = self._slot_weight(slot)
            weight_sum += w_slot
            if not slot.alternatives:
                oov += w_slot
                max_oov = max(max_oov, w_slot)
                continue
            best = np.zeros(n, dtype=np.float32)
            match = np.zeros(n, dtype=np.float32)
            title = np.zeros(n, dtype=np.float32)
            for term, w in slot.alternatives.items():
                ids = self._ids[term]
                best[ids] = np.maximum(best[ids], self._impacts[term] * w)
                match[ids] = np.maximum(match[ids], w)
                tids = self._title_ids.get(term)
                if tids is not None:
                    title[tids] = np.maximum(title[tids], w)
            total += best * (w_slot / self._plain_weight(slot))
            covered += match * w_slot
            titled += title * w_slot
        phrased = self._phrases(slots, n)
        known = weight_sum - oov
        if weight_sum <= 0 or known <= 0:
            return None
        features = np.stack(
            [
                covered / weight_sum,  # share of the query the article answers
                np.minimum(total / weight_sum, 2.0),  # how strongly (BM25F per unit of query)
                covered / known,  # share of the query's known words the article answers
                titled / known,  # share of the query's known words in the title and breadcrumbs
                np.full(n, oov / weight_sum, dtype=np.float32),  # share of words the help never uses
                np.log1p(covered),  # how much of the query is answered, in absolute terms
                np.full(n, max_oov / self._max_idf, dtype=np.float32),  # the most specific word the help lacks
                phrased / weight_sum,  # share of the query found as phrases (adjacent words) in the article
            ],
            axis=1,
        )
        return total, features

    def _phrases(self, slots: Sequence[Slot], n: int) -> np.ndarray:
        """Per article, the weight of the query's adjacent word pairs that it has side by side."""
        phrased = np.zeros(n, dtype=np.float32)
        for left, right in pairwise(slots):
            weight = (self._slot_weight(left) + self._slot_weight(right)) / 2.0
            match = np.zeros(n, dtype=np.float32)
            for t1, w1 in left.alternatives.items():
                for t2, w2 in right.alternatives.items():
                    ids = self._pair_ids.get((t1, t2))
                    if ids is None:
                        ids = self._pair_ids.get((t2, t1))
                    if ids is not None:
                        match[ids] = np.maximum(match[ids], w1 * w2)
            phrased += match * weight
        return phrased

    def explain(self, query: str, limit: int = 3) -> list[Explanation]:
        """The top articles by calibrated probability, with their features, before the cut-off."""
        if not isinstance(query, str) or not query.strip() or not self._articles:
            return []
        slots = self._slots(" ".join(query[:MAX_QUERY_CHARS].split()))
        scored = self._features(slots) if slots else None
        if scored is None:
            return []
        total, features = scored
        k = min(CANDIDATES, len(total))
        candidates = np.argpartition(-total, k - 1)[:k] if k < len(total) else np.arange(len(total))
        candidates = candidates[total[candidates] > 0]
        if not len(candidates):
            return []
        logits = CAL_BIAS + features[candidates] @ CAL_WEIGHTS
        probs = 1.0 / (1.0 + np.exp(-logits))
        # rank: BM25F, boosted by how much of the query the title and breadcrumbs name
        rank = total[candidates] * (1.0 + TITLE_BOOST * features[candidates, 3])
        rank *= 1.0 + PHRASE_BOOST * features[candidates, 7]
        order = sorted(range(len(candidates)), key=lambda i: (-float(rank[i]), int(candidates[i])))
        return [
            Explanation(
                self._articles[int(candidates[i])].page_url,
                tuple(float(x) for x in features[candidates[i]]),
                float(probs[i]),
            )
            for i in order[:limit]
        ]

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """Best articles first (one hit per page), [] when nothing is relevant enough."""
        if limit <= 0:
            return []
        explained = self.explain(query, max(limit, 1))
        hits: list[Hit] = []
        slots = self._slots(" ".join(query[:MAX_QUERY_CHARS].split())) if explained else ()
        by_url = {a.page_url: a for a in self._articles}
        if not explained or explained[0].probability < self.threshold:
            return []  # the best match is not convincing: no link rather than a wrong one
        for ex in explained:
            if ex.probability < self.threshold * FOLLOWER_SHARE:
                continue
            section = self._best_section(by_url[ex.page_url], slots)
            hits.append(
                Hit(
                    url=section.url,
                    title=section.title,
                    heading=section.heading,
                    snippet=self._snippet(section, slots),
                    score=round(ex.probability, 4),
                )
            )
        return hits[:limit]

    # --- presentation -------------------------------------------------------------------------
    def _match_weight(self, text: str, slots: Sequence[Slot]) -> float:
        terms = set(self._an.document_terms(text))
        score = 0.0
        for slot in slots:
            w = max((w for t, w in slot.alternatives.items() if t in terms), default=0.0)
            score += w * self._slot_weight(slot)
        return score

    def _best_section(self, article: _Article, slots: Sequence[Slot]) -> Section:
        best = self._sections[article.sections[0]]
        best_score = -1.0
        for i in article.sections:
            section = self._sections[i]
            score = self._match_weight(section.text, slots)
            score += HEADING_BONUS * self._match_weight(section.heading or "", slots)
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
