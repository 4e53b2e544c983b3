"""Extraction and addresses: one page at a time, plain values."""

from __future__ import annotations

import pytest

from knowledge.extract import decode_html, extract, site_crumbs, strip_site_crumbs
from knowledge.storage import resolve_public_urls
from knowledge.urls import map_to_public, normalize_url, under_prefix

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Воронки продаж — Центр поддержки</title>
<link rel="canonical" href="/help/articles/1--voronki">
<script>var tracker = "gtag-noise";</script><style>.x{color:red}</style></head>
<body>
<header class="topbar"><nav><a href="/help/">Центр поддержки</a><a href="https://t.me/x">Telegram</a></nav></header>
<aside class="sidebar"><ul class="tree"><li><span class="material-icons">keyboard_arrow_right</span>
<a href="/help/sections/crm">CRM</a></li></ul></aside>
<main>
<nav aria-label="breadcrumb"><ol><li><a href="/">Аспро.Cloud</a> ›</li><li><a href="/help/sections/crm">CRM</a> ›</li>
<li>Модуль «CRM»</li></ol></nav>
<article>
<h1>Воронки&nbsp;продаж</h1>
<p>Воронка   показывает\u200b этапы
сделки.</p>
<h2 id="create">Как создать <i class="fa fa-link"></i>воронку<i>expand_more</i></h2>
<p>Откройте <a href="/help/articles/2--nastrojki">настройки</a> модуля<span>keyboard_arrow_right</span>.</p>
<ul><li>Шаг первый</li><li>Шаг второй</li></ul>
<figure><img src="/help/upload/a.png" alt="Скриншот"><figcaption>Рисунок 2</figcaption></figure>
<section id="limits"><h3>Ограничения</h3><p>Не больше 50 этапов.</p></section>
<a name="faq"></a><h2>Вопросы</h2><p>Ответы на частые вопросы.</p>
<h2>Без якоря</h2><p>Текст без якоря.</p>
<div class="helpful">Была ли статья полезной? <button>Да</button></div>
<div class="related"><h3>Похожие статьи</h3>
<ul><li><a href="/help/a">А</a></li><li><a href="/help/b">Б</a></li></ul></div>
<p><a href="/help/x">Первая</a> · <a href="/help/y">Вторая</a> · <a href="/help/z">Третья</a></p>
</article></main>
<footer><p>© 2013–2026 ООО «Аспро»</p><a href="/help/loop-a">Архив</a></footer>
<script>(function(){})();</script>
</body></html>"""


def test_an_article_is_split_into_addressable_sections_without_noise():
    page = extract(PAGE, "http://mirror.local/help/articles/1--voronki")
    assert page.title == "Воронки продаж"
    assert page.canonical == "http://mirror.local/help/articles/1--voronki"
    assert page.breadcrumbs == ("Аспро.Cloud", "CRM", "Модуль «CRM»")
    assert [(s.heading, s.anchor) for s in page.sections] == [
        (None, None), ("Как создать воронку", "create"), ("Ограничения", "limits"), ("Вопросы", "faq"),
        ("Без якоря", None)]
    assert page.sections[0].text == "Воронка показывает этапы сделки."
    assert page.sections[1].text == "Откройте настройки модуля. Шаг первый Шаг второй"
    assert page.sections[-1].text == "Текст без якоря."
    assert page.is_article
    text = " ".join(s.text for s in page.sections)
    noise_words = ("keyboard_arrow", "expand_more", "gtag", "Telegram", "Рисунок", "полезной", "Похожие", "Первая",
                   "©", "Архив")
    for noise in noise_words:
        assert noise not in text


def test_links_come_from_the_whole_page_resolved_and_once():
    page = extract(PAGE, "http://mirror.local/help/articles/1--voronki")
    assert "http://mirror.local/help/sections/crm" in page.links
    assert "https://t.me/x" in page.links
    assert "http://mirror.local/help/loop-a" in page.links
    assert len(page.links) == len(set(page.links))


def test_a_listing_page_is_not_an_article():
    listing = """<html><body><main><h1>CRM</h1><ul class="articles">
    <li><a href="/help/articles/1">Воронки продаж</a></li></ul></main></body></html>"""
    page = extract(listing, "http://mirror.local/help/sections/crm")
    assert page.title == "CRM"
    assert not page.is_article
    assert page.links == ["http://mirror.local/help/articles/1"]


def test_title_falls_back_to_the_title_tag_without_the_site_name():
    page = extract("<html><head><title>Смена тарифа — Центр поддержки</title></head><body><p>Текст.</p></body></html>",
                   "http://x/help/a")
    assert page.title == "Смена тарифа"
    assert page.sections[0].text == "Текст."


def test_a_logo_h1_outside_the_article_is_not_its_title():
    html = ("<html><head><title>Импорт сделок | Справка</title></head><body><header><h1>Аспро.Cloud</h1></header>"
            "<article><p>Загрузите файл Excel.</p></article></body></html>")
    page = extract(html, "http://x/help/import")
    assert page.title == "Импорт сделок"
    assert [s.text for s in page.sections] == ["Загрузите файл Excel."]


def test_breadcrumbs_from_schema_org_data_when_the_page_draws_none():
    html = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
            '{"@type": "BreadcrumbList", "itemListElement": ['
            '{"@type": "ListItem", "position": 2, "name": "CRM"},'
            '{"@type": "ListItem", "position": 1, "item": {"name": "Центр поддержки"}}]}]}</script></head>'
            "<body><article><h1>Воронки</h1><p>Текст.</p></article></body></html>")
    assert extract(html, "http://x/help/a").breadcrumbs == ("Центр поддержки", "CRM")


@pytest.mark.parametrize(("header", "body"), [
    ("windows-1251", "<html><body><p>Кириллица</p></body></html>"),
    (None, '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
           "</head><body><p>Кириллица</p></body></html>"),
    (None, '<html><head><meta charset="cp1251"></head><body><p>Кириллица</p></body></html>'),
])
def test_charset_from_the_header_or_the_meta_tag(header, body):
    assert "Кириллица" in decode_html(body.encode("cp1251"), header)


def test_unknown_charset_falls_back_to_utf8():
    assert decode_html("Привет".encode(), "no-such-charset") == "Привет"


def test_site_crumbs_are_the_leading_trail_every_page_shares():
    trails = [("Аспро.Cloud", "Центр поддержки", "CRM", "Воронки"), ("Аспро.Cloud", "Центр поддержки", "Задачи"),
              ("Аспро.Cloud", "Центр поддержки", "CRM", "Сделки", "Этапы"), ("Аспро.Cloud", "Центр поддержки", "Общее")]
    common = site_crumbs(trails)
    assert common == ("Аспро.Cloud", "Центр поддержки")
    assert strip_site_crumbs(trails[0], common) == ("CRM", "Воронки")
    assert site_crumbs(trails[:2]) == ()  # too few pages to tell


@pytest.mark.parametrize(("raw", "normal"), [
    ("HTTP://Aspro.Cloud:80/help/a#part", "http://aspro.cloud/help/a"),
    ("https://aspro.cloud:443/help/./x/../a?b=2&a=1&utm_source=x", "https://aspro.cloud/help/a?a=1&b=2"),
    ("https://aspro.cloud/help/статья", "https://aspro.cloud/help/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F"),
    ("https://aspro.cloud/help/%d1%81", "https://aspro.cloud/help/%D1%81"),
    ("https://aspro.cloud", "https://aspro.cloud/"),
    ("mailto:help@aspro.cloud", None),
    ("javascript:void(0)", None),
    ("http://[::1", None),
])
def test_url_normalisation(raw, normal):
    assert normalize_url(raw) == normal


def test_prefix_and_public_mapping():
    base = "http://127.0.0.1:8765/help/"
    assert under_prefix("http://127.0.0.1:8765/help/articles/1", base)
    assert under_prefix("http://127.0.0.1:8765/help", base)
    assert not under_prefix("http://127.0.0.1:8765/helpdesk", base)
    assert not under_prefix("http://127.0.0.1:8765/", base)
    assert map_to_public(base + "articles/1", base, "https://aspro.cloud/help/") == "https://aspro.cloud/help/articles/1"
    assert map_to_public("https://t.me/x", base, "https://aspro.cloud/help/") == "https://t.me/x"


def test_a_canonical_is_believed_unless_another_page_answers_at_it():
    public = "https://aspro.cloud/help/"
    rows = {
        public + "articles/1": public + "articles/1",
        public + "articles/1?print=0": public + "articles/1",     # an alias of article 1
        public + "articles/2": "https://elsewhere.example/2",      # a canonical off the public base
        public: public,
        public + "articles/slow": public,                           # a template pointing every page home
    }
    resolved = resolve_public_urls(rows, public)
    assert resolved[public + "articles/1"] == public + "articles/1"
    assert resolved[public + "articles/1?print=0"] == public + "articles/1?print=0"
    assert resolved[public + "articles/2"] == public + "articles/2"
    assert resolved[public + "articles/slow"] == public + "articles/slow"
    assert resolved[public] == public
