import pytest

from bot.extraction import (
    account_from_answer,
    extract_environment,
    extract_steps,
    is_dont_know,
    original_span,
    same_text,
    steps_answer,
)


def test_labelled_steps_leave_out_the_browser_sentence():
    text = "Шаги: открываю сделку, меняю сумму, жму сохранить. Chrome 120, Windows 11"
    assert extract_steps(text) == "открываю сделку, меняю сумму, жму сохранить."
    assert extract_environment(text) == "Chrome 120, Windows 11"


def test_steps_that_mention_the_browser_in_passing_keep_it():
    text = "Шаги: открываю сделку. Потом жму сохранить в Chrome 120"
    assert extract_steps(text) == "открываю сделку. Потом жму сохранить в Chrome 120"


def test_a_label_followed_only_by_the_browser_is_not_steps():
    assert extract_steps("Шаги: Chrome 120") is None


def test_numbered_list_is_steps():
    text = "Не сохраняется задача.\n1. Открываю проект\n2. Создаю задачу\n3. Жму «Сохранить»"
    assert extract_steps(text) == "1. Открываю проект\n2. Создаю задачу\n3. Жму «Сохранить»"


def test_dont_know_is_a_short_whole_answer():
    assert is_dont_know("не знаю")
    assert is_dont_know("Не помню, честно")
    assert not is_dont_know("не знаю, как настроить воронку продаж в модуле CRM для отдела продаж")


@pytest.mark.parametrize(
    ("text", "environment"),
    [
        ("пользуюсь в сафари на макбуке", "сафари на макбуке"),  # the user's words, not «сафари, макбуке»
        ("ошибка в хроме на винде", "хроме на винде"),
        ("на Windows 10 и 11, Chrome", "Windows 10 и 11, Chrome"),  # nothing dropped
        ("Браузер Chrome 120, Windows 11.", "Chrome 120, Windows 11"),
        ("Chrome на работе, дома Firefox 120", "Chrome, Firefox 120"),  # apart in the text: listed apart
    ],
)
def test_environment_in_the_users_own_words(text: str, environment: str) -> None:
    assert extract_environment(text) == environment


def test_an_answer_that_names_only_the_browser_is_no_steps():
    assert steps_answer("Chrome 120, Windows 11") is None
    assert steps_answer("Открываю сделку, жму сохранить. Chrome 120, Windows 11") == "Открываю сделку, жму сохранить."


def test_same_text_ignores_spacing_case_and_final_stop():
    assert same_text("открываю сделку и жму сохранить", "Ошибка. Открываю сделку  и жму Сохранить.")
    assert not same_text("открываю отчёт", "Ошибка. Открываю сделку.")


@pytest.mark.parametrize(
    ("text", "fragment", "span"),
    [
        # the lead-in of a second problem is not part of it
        ("Ошибка 500. Второе, совсем другое: не приходят уведомления о задачах",
         "второе совсем другое не приходят уведомления о задачах", "Не приходят уведомления о задачах"),
        ("Ошибка 500. И второй вопрос — как настроить воронку?", "и второй вопрос как настроить воронку",
         "Как настроить воронку?"),
        ("Ошибка 500. Другая проблема: не грузится отчёт", "другая проблема не грузится отчет", "Не грузится отчёт"),
        # a link the reader dropped is given back instead of leaving «…сделки в» dangling
        ("Не открывается карточка сделки в romashka.aspro.cloud. Второе: отчёт", "не открывается карточка сделки в",
         "Не открывается карточка сделки в romashka.aspro.cloud."),
        ("Не сохраняется сделка, ошибка 500, и ещё отчёт", "не сохраняется сделка ошибка 500",
         "Не сохраняется сделка, ошибка 500"),
        # an ordinal that is part of the problem stays
        ("Второй этап воронки не сохраняется. И ещё отчёт", "второй этап воронки не сохраняется",
         "Второй этап воронки не сохраняется."),
    ],
)
def test_a_split_problem_without_lead_in_nor_dangling_word(text: str, fragment: str, span: str) -> None:
    assert original_span(text, fragment) == span


@pytest.mark.parametrize(
    ("answer", "account"),
    [
        ("romashka", "romashka.aspro.cloud"),
        ("https://crm.firma.ru/", "crm.firma.ru"),
        ("ооо-вектор.aspro.cloud", "ооо-вектор.aspro.cloud"),  # as typed, not latinised
        ("Ромашка.рф", "ромашка.рф"),
        ("нет", None),
        ("т.е", None),
        ("не знаю", None),
    ],
)
def test_an_answer_to_which_account(answer: str, account: str | None) -> None:
    assert account_from_answer(answer) == account
