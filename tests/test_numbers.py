"""The one reader of numbers from outside: ASCII digits within a range, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.numbers import ROW_MAX, TICKET_MAX, number, ticket_number


@pytest.mark.parametrize("text, expected", [("1", 1), ("12", 12), ("007", 7), (str(TICKET_MAX), TICKET_MAX)])
def test_ascii_digits_in_range_are_numbers(text, expected):
    assert ticket_number(text) == expected


@pytest.mark.parametrize("text", ["", "0", "²", "①", "١٢", "१२", "１２", "12²", "-1", "+1", " 1", "1 ", "1_000",
                                  "0x1f", "1.0", "1e3", "٣", str(TICKET_MAX + 1), "9" * 5000, "\u200b1", "1\n"])
def test_anything_else_is_not_a_ticket_number(text):
    assert ticket_number(text) is None


def test_bounds_are_inclusive():
    assert number("0", low=0) == 0
    assert number(str(ROW_MAX)) == ROW_MAX
    assert number(str(ROW_MAX + 1)) is None
    assert number("30", 1, 3650) == 30 and number("3651", 1, 3650) is None


@given(st.text(max_size=30))
def test_any_text_is_read_without_raising_and_only_ascii_digits_pass(text):
    value = number(text, 0)
    assert value is None or (text.isascii() and text.isdigit() and value == int(text))
