"""The account address in a message (SLA 4.2), normalised."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.account import find_account


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("аккаунт romashka.aspro.cloud", "romashka.aspro.cloud"),
        ("https://www.Romashka.aspro.cloud/crm/deals/15?tab=2 не грузится", "romashka.aspro.cloud"),
        ("http://stroy-1.aspro.cloud", "stroy-1.aspro.cloud"),
        ("портал GRANIT-M.ASPRO.CLOUD", "granit-m.aspro.cloud"),
        # Typos in the product's domain.
        ("megapolis.aspro.clod", "megapolis.aspro.cloud"),
        ("delta.asrpo.cloud", "delta.aspro.cloud"),
        ("delta.aspro.cluod", "delta.aspro.cloud"),
        ("delta.apsro.coud", "delta.aspro.cloud"),
        ("sibles,aspro,cloud", "sibles.aspro.cloud"),
        ("vega-pro.aspro. cloud", "vega-pro.aspro.cloud"),
        ("vega-pro . aspro . cloud", "vega-pro.aspro.cloud"),
        ("nova.аспро.клауд", "nova.aspro.cloud"),
        # Cyrillic look-alike letters in the name (о, р, с, а, е are Cyrillic here).
        ("аккаунт оmega-tex.aspro.cloud", "omega-tex.aspro.cloud"),
        ("Аккаунт: Рrofi-Сlean", "profi-clean.aspro.cloud"),
        # Invisible characters inside the address.
        ("kva\u200bdrat.aspro.cl\u00adoud", "kvadrat.aspro.cloud"),
        # Bare names.
        ("аккаунт ProfiClean", "proficlean.aspro.cloud"),
        ("Портал belka-trade, не открывается отчёт", "belka-trade.aspro.cloud"),
        ("our account is acme-trade", "acme-trade.aspro.cloud"),
        ("аккаунт под названием «Romashka»", "romashka.aspro.cloud"),
        ("фильтр не работает, аккаунт romashka. Спасибо", "romashka.aspro.cloud"),
        # A name typed all in Cyrillic look-alikes (а, с, е).
        ("асе.aspro.cloud не грузится", "ace.aspro.cloud"),
        # Custom domains presented as the account are kept.
        ("Пропали все сделки!! crm.vektor-group.ru", "crm.vektor-group.ru"),
        ("наш портал firma.ru не открывается", "firma.ru"),
        ("портал crm.lesprom.ru", "crm.lesprom.ru"),
        # The current address wins over the one the user wants to move to.
        ("хотим crm.romashka.ru вместо romashka.aspro.cloud", "romashka.aspro.cloud"),
    ],
)
def test_account_is_found_and_normalised(text: str, account: str) -> None:
    assert find_account(text) == account


@pytest.mark.parametrize(
    "text",
    [
        "",
        "аккаунт не открывается",
        "Аккаунт заблокирован",
        "сайт aspro cloud не открывается",
        "по статье https://aspro.cloud/help/crm/ не получается",
        "www.aspro.cloud",
        "пишу с почты security@bank-partner.ru",
        "пишите на admin@romashka.aspro.cloud",
        "смотрел на youtube.com и https://t.me/aspro_news",
        "ссылка на docs.google.com/document/d/1",
        "файлы report.pdf и export.xlsx, у нас node.js",
        "Яндекс.Диск не синхронизируется",
        "т.е. всё сломалось",
        "версия 2.3.1",
        "наш сервер api.company.ru отвечает 500",
        "выгрузка на disk.yandex.ru и drive.google.com",
    ],
)
def test_no_account(text: str) -> None:
    assert find_account(text) is None


@pytest.mark.parametrize("word", ["after", "since", "for", "with", "from", "today", "again", "settings", "and"])
@pytest.mark.parametrize(
    "frame",
    [
        "We lost all data in the account {} the sync",
        "the portal {} Monday shows nothing",
        "our account {} that is empty",
    ],
)
def test_english_words_after_account_are_not_names(frame: str, word: str) -> None:
    assert find_account(frame.format(word)) is None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_answered_the_same_way(text: str) -> None:
    first = find_account(text)
    assert first == find_account(text)
    assert first is None or (first == first.lower() and " " not in first and "/" not in first)
