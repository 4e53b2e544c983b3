from bot.extraction import extract_environment, extract_steps, is_dont_know


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
