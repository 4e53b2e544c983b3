"""Numbers read from outside (commands' arguments, button data, console input): ASCII digits only, in range.

`str.isdigit()` (and `isdecimal()`) accepts superscripts, circled digits and the digits of every script;
`int()` accepts some of those (Arabic-Indic, Devanagari, fullwidth), signs, spaces and underscores, and
refuses more than 4,300 digits; the database refuses what does not fit its column. One reader for all of
them: anything else is not a number, and the caller answers it as any input it does not understand.
"""

from __future__ import annotations

TICKET_MAX = 2**31 - 1  # tickets.id is an INTEGER on PostgreSQL
ROW_MAX = 2**63 - 1     # a BIGINT key (transcript rows)


def number(text: str, low: int = 1, high: int = ROW_MAX) -> int | None:
    """`text` as an integer in [low, high] when it is ASCII digits only, else None."""
    if not 0 < len(text) <= len(str(high)) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def ticket_number(text: str) -> int | None:
    """A ticket's number as users and agents write it (`12`), or None."""
    return number(text, 1, TICKET_MAX)
