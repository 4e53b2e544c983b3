"""The emulator's Telegram text rendering: plain text, UTF-16 entity offsets, Telegram's parse errors."""

import pytest

from tests.emulator.formatting import EntityParseError, parse_html, parse_markdown_v2, render, utf16_len


def test_offsets_are_utf16_code_units():
    text, entities = parse_html("😀 <b>жирный</b> <i>😀x</i>")
    assert text == "😀 жирный 😀x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "italic", "offset": 10, "length": 3},
    ]
    assert utf16_len("😀") == 2


def test_every_supported_tag_becomes_its_entity():
    source = (
        '<a href="https://aspro.cloud/help/">справка</a> <s>x</s> <u>y</u> <tg-spoiler>z</tg-spoiler> '
        '<span class="tg-spoiler">w</span> <code>v</code> <pre><code class="language-python">print(1)</code></pre>'
        "<blockquote expandable>q</blockquote>"
    )
    text, entities = parse_html(source)
    assert text == "справка x y z w v print(1)q"
    kinds = [(e["type"], e.get("url") or e.get("language")) for e in entities]
    assert kinds == [
        ("text_link", "https://aspro.cloud/help/"),
        ("strikethrough", None),
        ("underline", None),
        ("spoiler", None),
        ("spoiler", None),
        ("code", None),
        ("pre", "python"),
        ("expandable_blockquote", None),
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b attr>x</b>", 'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0'),
        ('<a href="x">y', 'Can\'t find end tag corresponding to start tag "a"'),
        ("x </b", "Unclosed end tag at byte offset 2"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_name_the_place_like_telegram(source, error):
    with pytest.raises(EntityParseError) as raised:
        parse_html(source)
    assert str(raised.value) == error


def test_character_references_and_stray_ampersands():
    assert parse_html("&lt;&gt;&amp;&quot;&#x41;&#66; AT&T &copy;")[0] == '<>&"AB AT&T &copy;'


def test_markdown_v2_needs_escapes_and_closed_entities():
    assert parse_markdown_v2(r"*жирный* _курсив_ \.")[0] == "жирный курсив ."
    text, entities = parse_markdown_v2(r"[справка](https://aspro.cloud/help/) `a\`b`")
    assert text == "справка a`b" and entities[0]["url"] == "https://aspro.cloud/help/"
    with pytest.raises(EntityParseError, match=r"Character '!' is reserved"):
        parse_markdown_v2("Привет!")
    with pytest.raises(EntityParseError, match="Can't find end of Italic entity at byte offset 0"):
        parse_markdown_v2("_курсив")


def test_render_strips_whitespace_and_finds_commands_links_mentions():
    text, entities = render("  /status@support_test_bot см. romashka.aspro.cloud, @anna_k #срочно  ", None, None)
    assert text == "/status@support_test_bot см. romashka.aspro.cloud, @anna_k #срочно"
    assert [(e["type"], text[e["offset"] : e["offset"] + e["length"]]) for e in entities] == [
        ("bot_command", "/status@support_test_bot"),
        ("url", "romashka.aspro.cloud"),
        ("mention", "@anna_k"),
        ("hashtag", "#срочно"),
    ]
    with pytest.raises(ValueError, match="unsupported parse_mode"):
        render("x", "BBCode", None)


def test_nested_entities_come_sorted_by_offset():
    assert parse_html("<b>a<i>b</i></b>")[1] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
    ]
