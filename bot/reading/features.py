"""What a linear model sees of a message: character and word n-grams of the normalised text.

The same function serves training and reading, so the model reads exactly what it was trained on.
Character n-grams (2 to 5 letters, inside words padded with spaces) carry inflections, typos and
glued words; word unigrams and bigrams carry phrases. A feature is there or not (a word repeated a
thousand times counts once), and the vector is scaled to unit length, so a long message does not
outweigh a short one.
"""

from __future__ import annotations

import itertools
import math
import re

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
CHAR_SIZES = (2, 3, 4, 5)
MAX_CHARS = 3000  # a long message is read by its start: enough for what it is about, bounded in time


def tokens(normalised: str) -> list[str]:
    """Words of an already normalised text; numbers become one token ("0"), since their value says nothing."""
    return [_DIGITS.sub("0", word) for word in _TOKEN.findall(normalised[:MAX_CHARS])]


def names(normalised: str) -> set[str]:
    """The features present in a text (each has the same value: see `features`)."""
    words = tokens(normalised)
    seen: set[str] = set()
    for word in set(words):
        padded = f" {word} "
        for size in CHAR_SIZES:
            seen.update(padded[start:start + size] for start in range(len(padded) - size + 1))
        seen.add("w " + word)
    seen.update(f"b {first} {second}" for first, second in itertools.pairwise(words))
    return seen


def features(normalised: str) -> dict[str, float]:
    """Feature -> value; the vector has unit length."""
    present = names(normalised)
    if not present:
        return {}
    return dict.fromkeys(sorted(present), 1.0 / math.sqrt(len(present)))
