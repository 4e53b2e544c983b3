"""Moderation by mechanisms (SLA 4.2, 4.8): look-alikes from Unicode's table, the dictionary as the
exception list after every rewrite, whose people a label is aimed at, bare addresses, idioms with no
label word, and rudeness that is no insult."""

from __future__ import annotations

import pytest

from bot.moderation import moderate, obscene_form
from bot.moderation.letters import addresses_you, letter_reading, lookalike_readings

# ---------------------------------------------------------------------------------------------
# Look-alikes read through the Unicode confusables table and character names
# ---------------------------------------------------------------------------------------------


def test_the_table_gives_the_latin_and_digit_lookalikes() -> None:
    table = lookalike_readings()
    for latin, russian in {"x": "х", "y": "у", "o": "о", "p": "р", "c": "с", "3": "з", "6": "б", "0": "о"}.items():
        assert russian in table[latin], latin


@pytest.mark.parametrize(
    ("char", "reading"),
    [
        ("χ", "х"),  # Greek chi, through its capital
        ("ʜ", "н"),  # Latin small capital H
        ("ᴎ", "и"),  # Latin small capital reversed N
        ("π", "п"),
        ("ᴛ", "т"),
        ("є", "е"),  # Ukrainian ie, by its name
        ("ᴇ", "e"),  # Latin small capital E, by its name
        ("ⷥ", "з"),  # combining Cyrillic ze
    ],
)
def test_letters_of_other_scripts_are_read_as_what_they_look_like(char: str, reading: str) -> None:
    assert letter_reading(char) == reading


def test_russian_ascii_and_symbols_are_not_read() -> None:
    assert letter_reading("ж") is None and letter_reading("x") is None and letter_reading("∣") is None


@pytest.mark.parametrize(
    "text",
    ["χуйня какая-то", "пᴎздец с отчётами", "ᴇбаный экспорт", "пиⷥдец", "ʜаxуй такие обновления", "бʟядь"],
)
def test_lookalikes_outside_any_hand_table_are_read(text: str) -> None:
    assert moderate(text).profanity


# ---------------------------------------------------------------------------------------------
# The exception list after every rewrite
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "мандаты участников собрания",  # «манда» + «ты» by word-gluing
        "рассылка по мандатам не ушла",  # «манда» + «там»
        "застрахуйте склад",
        "оскорбление в чате",
        "корабля нет в списке",
        "команда поддержки ответила",
    ],
)
def test_words_the_dictionary_knows_stay_clean_after_any_rewrite(text: str) -> None:
    assert not moderate(text).flagged, moderate(text).matches


@pytest.mark.parametrize("word", ["вотхуйня", "хули", "нахуй", "заебали", "мудак", "пиздец"])
def test_obscene_words_are_not_excused_by_the_dictionary(word: str) -> None:
    assert obscene_form(word)


# ---------------------------------------------------------------------------------------------
# Whom a label is aimed at
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "у меня сотрудники тупые, не могут разобраться с воронкой",
        "у нас менеджеры дебилы, как закрыть им доступ к удалению",
        "менеджеры у нас — идиоты, опять удалили сделки",
        "мои менеджеры идиоты, не находят кнопку",
        "наши сотрудники тупые, объясните попроще",
        "наш бухгалтер идиотка, удалила все счета",
        "у клиента руки из одного места, как ограничить ему права",
    ],
)
def test_labels_for_the_customers_own_staff_are_not_insults(text: str) -> None:
    assert not moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize(
    "text",
    [
        "слушайте, клоуны, почините уже",
        "эй, бараны, когда ответите",
        "короче, клоуны, жду до вечера",
        "алло, дятлы, вы там спите?",
        "ну вы и бараны",
        "ну вы и клоуны, третий день жду",
    ],
)
def test_a_demeaning_noun_used_as_an_address_is_an_insult(text: str) -> None:
    assert moderate(text).insult


@pytest.mark.parametrize(
    "text",
    [
        "бараны, овцы и козы — как завести справочник животных?",
        "в карточке коровы указан бык, а не баран",
        "клоуны, аниматоры и фокусники: как разделить услуги по категориям?",
    ],
)
def test_the_harmless_sense_of_such_a_noun_is_no_address(text: str) -> None:
    assert not moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize(
    "text",
    [
        "у ваших программистов руки из одного места растут",
        "руки у вас не из того места",
        "у вас руки не оттуда растут",
        "кривые руки у ваших разработчиков",
        "мозгов у вас нет",
    ],
)
def test_idioms_with_no_label_word_are_insults(text: str) -> None:
    assert moderate(text).insult


@pytest.mark.parametrize(
    "text", ["у меня руки кривые, не могу настроить", "у меня мозгов уже нет разбираться в этом"]
)
def test_idioms_about_the_writer_are_not_insults(text: str) -> None:
    assert not moderate(text).insult


def test_second_person_verbs_come_from_the_dictionary() -> None:
    assert addresses_you("почините") and addresses_you("ответите") and addresses_you("слушайте")
    assert not addresses_you("сайте") and not addresses_you("работает")


# ---------------------------------------------------------------------------------------------
# Rudeness with no label and no мат
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["да пошли вы", "да пошли вы все, третий день жду ответа", "идите лесом со своим регламентом", "отвалите"],
)
def test_rudeness_without_label_or_mat_is_rude_not_an_insult(text: str) -> None:
    verdict = moderate(text)
    assert verdict.rude and not verdict.insult and not verdict.flagged


@pytest.mark.parametrize("text", ["пошли вы нахуй", "пошли в жопу, сам настрою", "идите на хер"])
def test_being_sent_somewhere_obscene_or_vulgar_is_an_insult(text: str) -> None:
    verdict = moderate(text)
    assert verdict.insult and not verdict.rude


@pytest.mark.parametrize("text", ["идите в раздел «Настройки»", "вы пошли в настройки?", "пошли дальше по шагам"])
def test_going_somewhere_is_not_rude(text: str) -> None:
    assert not moderate(text).rude


# ---------------------------------------------------------------------------------------------
# Other companies, names, Russian typed in Latin letters, words typed without spaces
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Разработчики Битрикс24 — идиоты, как перенести от них сделки?",
        "их поддержка — дебилы, а у вас есть импорт?",
        "Гугл — идиоты, опять письма в спаме",
        "Наш программист-фрилансер — идиот, удалил поля",
    ],
)
def test_labels_for_other_companies_and_own_people_are_not_insults(text: str) -> None:
    assert not moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize(
    "text",
    [
        "консультант Вера — дура, ничего не поняла",
        "Девушка-консультант Анна совершенно тупая",
        "Козлы, опять всё сломали",
        "Эй, гении, почему отчёт пустой?",
        "Эй, залупа, ответь уже",
        "vy idioty, chitat ne umeete?",
        "nahuj idite so svoimi obnovleniyami",
        "Your developers are fuckwits",
    ],
)
def test_named_staff_addresses_translit_and_english_insults(text: str) -> None:
    assert moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize(
    "text", ["ебать, как у вас всё сложно устроено", "Слушайте, бля, когда почините?", "your developers are great"]
)
def test_interjections_are_no_address(text: str) -> None:
    assert not moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize("text", ["партнёр Чжан Хуэй не видит сделки", "склад в городе Hui, Китай"])
def test_names_inside_a_sentence_are_not_mat(text: str) -> None:
    assert not moderate(text).profanity, moderate(text).matches


@pytest.mark.parametrize("word", ["зачемэтосделалиблять", "нахуйтакделать"])
def test_mat_in_words_typed_without_spaces(word: str) -> None:
    assert obscene_form(word)


@pytest.mark.parametrize("word", ["воткоманда", "вотоскорблять", "этомандаты"])
def test_words_typed_without_spaces_keep_innocent_words_whole(word: str) -> None:
    assert obscene_form(word) is None


# ---------------------------------------------------------------------------------------------
# Pictographs for letters, Latin masks, comparisons, phrases after a label
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["пиз🔥ец с выгрузкой", "х🤡йня какая-то", "ху😡 вам, а не оплата", "🅱️лять, опять"])
def test_a_pictograph_standing_for_letters_is_a_mask(text: str) -> None:
    assert moderate(text).profanity, text


@pytest.mark.parametrize(
    "text", ["спасибо🙏 всё работает", "на👍 тоже нажимали", "отлично 👍", "по🙂 шагам всё понятно"]
)
def test_a_pictograph_after_a_whole_word_is_only_a_pictograph(text: str) -> None:
    assert not moderate(text).flagged, moderate(text).matches


@pytest.mark.parametrize("text", ["p*zdets kakoj-to", "nah*j takie obnovleniya", "zaebanaya forma oplaty"])
def test_masked_and_plain_transliteration_is_read(text: str) -> None:
    assert moderate(text).profanity, text


@pytest.mark.parametrize("text", ["okay, the way you pay", "Himalaya tour booking", "у них уйма задач"])
def test_english_and_neighbouring_words_stay_clean(text: str) -> None:
    assert not moderate(text).flagged, moderate(text).matches


@pytest.mark.parametrize(
    "text",
    [
        "даже ваш бот умнее ваших консультантов",
        "попугай толковее, чем ваши специалисты",
        "ваши консультанты — тупые боты, отвечают шаблонами",
        "программисты у вас ебанутые на всю голову",
        "d1bily, otvet'te uzhe",
    ],
)
def test_comparisons_predicates_and_leet_translit_are_insults(text: str) -> None:
    assert moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize(
    "text", ["тупой на вид отчёт", "бот отвечает быстрее, чем ваши операторы", "наш айтишник — рукожоп"]
)
def test_things_criticism_and_own_people_are_not_insults(text: str) -> None:
    assert not moderate(text).insult, moderate(text).matches


@pytest.mark.parametrize("text", ["версия 3.4 не ставится", "ответ через 1-2 дня", "сборка 6.0.9 и 4.3.1", "код 3*4*6"])
def test_numbers_however_separated_are_no_masked_word(text: str) -> None:
    assert not moderate(text).flagged, moderate(text).matches


@pytest.mark.parametrize("text", ["за3бали эти окна", "пlздец с импортом", "пⲓздец с экспортом"])
def test_leet_and_letters_of_other_scripts_inside_words(text: str) -> None:
    assert moderate(text).profanity, text
