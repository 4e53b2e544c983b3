"""Escaping and splitting of replies: whatever the user wrote, every part is valid HTML within the limit."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import texts
from bot.texts import quote, render, split_html

TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def balanced(html: str) -> bool:
    stack: list[str] = []
    for match in TAG.finditer(html):
        closing, name = match.groups()
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def unescaped(html: str) -> str:
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    parser.close()
    return "".join(parts)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=12_000))
def test_any_user_text_in_a_card_splits_into_valid_parts(user_text):
    html = render("summary", {"draft": {"description": user_text, "account": "a.aspro.cloud"}, "failure": True})
    parts = split_html(html)
    assert all(units(part) <= texts.MESSAGE_LIMIT for part in parts)
    assert all(balanced(part) for part in parts)
    assert all(not re.search(r"&[a-z#0-9]*$", part) for part in parts)  # no entity cut in two
    joined = unescaped("".join(parts))
    assert " ".join(user_text.split()) in " ".join(joined.split())


def test_markup_from_a_user_is_shown_not_obeyed():
    assert quote('<b>x</b> & <a href="y">') == '&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href="y"&gt;'
    html = render("offer_next", {"problem": "<i>курсив</i>"})
    assert "<i>" not in html and "&lt;i&gt;курсив&lt;/i&gt;" in html


def test_a_long_bold_block_is_closed_and_reopened_at_the_cut():
    parts = split_html("<b>" + "слово " * 2000 + "</b>", limit=1000)
    assert len(parts) > 10
    assert all(part.startswith("<b>") and part.endswith("</b>") for part in parts)


def test_emoji_count_twice_toward_the_limit():
    parts = split_html("😀" * 3000)
    assert len(parts) == 2 and all(units(part) <= 4096 for part in parts)


def test_every_reply_key_renders():
    params = {"hours": "с 8 до 18", "account": "a", "problem": "p", "count": 2, "number": 5}
    for key in texts.TEXTS:
        if key not in texts.RENDERERS:
            assert render(key, params)


def test_the_agents_card_shows_an_internationalised_account_with_its_ascii_form():
    card = {"critical": False, "number": 1, "user": "Анна", "account": "ооо-вектор.aspro.cloud",
            "category": "bug_report", "state": "new", "description": "ошибка"}
    assert "<code>ооо-вектор.aspro.cloud</code> (<code>xn----dtbjuqaaess.aspro.cloud</code>)" in texts.ticket_card(card)
    assert "xn--" not in texts.ticket_card({**card, "account": "romashka.aspro.cloud"})


def test_the_guess_names_the_cyrillic_letters():
    html = render("account_guess", {"written": "оmega-tex.aspro.cloud", "guess": "omega-tex.aspro.cloud",
                                    "letters": ["о"]})
    assert "«о»" in html and "Вы имели в виду <code>omega-tex.aspro.cloud</code>" in html


def test_the_card_says_unknown_steps_plainly_and_does_not_repeat_the_description():
    draft = {"description": "Ошибка 500. Открываю сделку и жму сохранить.", "account": "a.aspro.cloud",
             "steps_unknown": True, "environment": "сафари на макбуке"}
    card = texts.plain(render("summary", {"draft": draft, "failure": True}))
    assert "Шаги воспроизведения: неизвестны" in card and "Браузер и система: сафари на макбуке" in card
    repeated = texts.plain(render("summary", {"draft": {**draft, "steps_unknown": False,
                                                        "steps": "Открываю сделку и жму сохранить."},
                                              "failure": True}))
    assert "Шаги воспроизведения" not in repeated and repeated.count("Открываю сделку") == 1
    own = texts.plain(render("summary", {"draft": {**draft, "steps_unknown": False, "steps": "1. Сделки 2. Новая"},
                                         "failure": True}))
    assert "Шаги воспроизведения: 1. Сделки 2. Новая" in own


def test_a_moment_today_or_tomorrow_is_said_so():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    msk = ZoneInfo("Europe/Moscow")
    opening = datetime(2026, 12, 8, 8, 0, tzinfo=msk)  # a Tuesday
    assert texts.when_text(opening, datetime(2026, 12, 8, 3, 0, tzinfo=msk)) == "сегодня в 08:00"
    assert texts.when_text(opening, datetime(2026, 12, 7, 19, 0, tzinfo=msk)) == "завтра в 08:00"
    assert texts.when_text(opening, datetime(2026, 12, 5, 19, 0, tzinfo=msk)) == "во вторник, 8 декабря, в 08:00"
    assert texts.when_text(opening) == "во вторник, 8 декабря, в 08:00"
    assert texts.when_text(opening.replace(hour=12, minute=30), opening, by=True) == "сегодня до 12:30"
