"""How a message is read: scope, category, criticality, several problems (SLA 3.1, 3.2, 2.1, 2.4)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.moderation import moderate
from bot.triage import Category, Problem, Reading, classify, read_message

C = Category
# The shares of the hand-written sentences below that the shipped model may misread.
CATEGORY_MISSES = 0.15
CRITICAL_MISSES = 0.10
MULTI_MISSES = 0.20


_CATEGORY = [
        # SLA 3.1: in scope.
        ("Подскажите, как настроить автоматическое создание задачи при новом лиде?", C.SETUP_CONSULTATION),
        ("где задаётся рабочее время сотрудников", C.SETUP_CONSULTATION),
        ("Как подключить корпоративную почту на Mail.ru к CRM?", C.SETUP_CONSULTATION),
        ("Можно ли прикрепить к сделке несколько контактов?", C.FUNCTIONALITY_QUESTION),
        ("Что означает красная точка у сделки в канбане?", C.FUNCTIONALITY_QUESTION),
        ("Умеет ли CRM напоминать о днях рождения клиентов?", C.FUNCTIONALITY_QUESTION),
        ("При сохранении сделки пропадает выбранный менеджер", C.BUG_REPORT),
        ("Отчёт по воронке выдаёт ошибку при выборе прошлого квартала", C.BUG_REPORT),
        ("Не отправляются письма клиентам из карточки сделки", C.BUG_REPORT),
        ("Аккаунт не грузится, висит белый экран", C.OUTAGE),
        ("Вся система лежит уже полчаса", C.OUTAGE),
        ("Какой метод API отдаёт список контактов?", C.API_QUESTION),
        ("Как подписаться на вебхук о новой оплате?", C.API_QUESTION),
        ("Как включить двухфакторную аутентификацию для всех?", C.SECURITY_QUESTION),
        ("Можно ли посмотреть, с каких IP заходил сотрудник?", C.SECURITY_QUESTION),
        ("Хотелось бы видеть в отчётах сравнение с прошлым годом", C.FEATURE_REQUEST),
        ("Добавьте, пожалуйста, экспорт контактов в vCard", C.FEATURE_REQUEST),
        ("Планируете ли интеграцию с Robokassa? Нам бы пригодилось", C.FEATURE_REQUEST),
        # SLA 3.2, 4.5, 1.3: out of scope.
        ("Как в Python отсортировать словарь по значениям?", C.GENERAL_PROGRAMMING),
        ("Почему мой SQL запрос с JOIN выполняется минуту?", C.GENERAL_PROGRAMMING),
        ("Разработайте нам модуль учёта рекламаций, заплатим", C.CUSTOM_DEVELOPMENT),
        ("Напишите скрипт, чтобы оплата через ЮKassa сама проводила счёт", C.PAYMENT_INTEGRATION_SCRIPT),
        ("Настройте нам всю воронку под ключ, у нас турагентство", C.BUSINESS_CASE_IMPLEMENTATION),
        ("Позвоните мне завтра после обеда", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Давайте лучше в WhatsApp", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Сколько стоит продление на год для 10 пользователей?", C.OTHER_CHANNEL_OR_OFFTOPIC),
]


_CATEGORY_IN_OTHER_SPELLINGS_AND_TRAPS = [
        # English.
        ("How do I connect my Gmail mailbox to the CRM?", C.SETUP_CONSULTATION),
        ("Is there a webhook for new leads?", C.API_QUESTION),
        ("It would be great to have a Gantt chart in projects", C.FEATURE_REQUEST),
        ("Can you call me tomorrow?", C.OTHER_CHANNEL_OR_OFFTOPIC),
        # Russian typed in Latin letters.
        ("ne rabotaet filtr po date v otchete", C.BUG_REPORT),
        ("kak nastroit voronku prodazh", C.SETUP_CONSULTATION),
        # Misspelt and unpunctuated.
        ("не сохраняеться карточка контакта", C.BUG_REPORT),
        ("а есть у вас учет складских остатков", C.FUNCTIONALITY_QUESTION),
        # Traps.
        # «телеграм» as a notification channel of the product is not «write me in Telegram».
        ("Как настроить уведомления в телеграм о новых задачах?", C.SETUP_CONSULTATION),
        # A wish for a standard payment integration is in scope; writing one is not.
        ("Хотим оплату через CloudPayments из коробки — примите как пожелание", C.FEATURE_REQUEST),
        # A failing API call is a question about the API, not a bug report.
        ("API отвечает 403 на запрос списка сделок, токен свежий", C.API_QUESTION),
        # A wish about the API documentation is a wish.
        ("Добавьте в документацию API примеры на каждый метод", C.FEATURE_REQUEST),
        # «how to configure» is a consultation; «configure it for us» is not.
        ("Как настроить роботов для воронки продаж?", C.SETUP_CONSULTATION),
        ("Настройте за нас роботов для воронки, доступ дадим", C.BUSINESS_CASE_IMPLEMENTATION),
        # A widget for everybody is a wish; one built for this client is development to order.
        ("Сделайте, пожалуйста, виджет погоды на главной", C.FEATURE_REQUEST),
        ("Разработайте под нас виджет расчёта доставки в карточке сделки", C.CUSTOM_DEVELOPMENT),
        # The tariff's limits are about the product; its price is sales.
        ("Есть ли ограничение на число проектов на нашем тарифе?", C.FUNCTIONALITY_QUESTION),
        # A single failing form is a bug, not an outage.
        ("Ошибка 500 при сохранении контакта с длинным комментарием", C.BUG_REPORT),
        ("В мобильном приложении не открываются файлы из задач", C.BUG_REPORT),
        # A concept of programming, not the product's API.
        ("Что такое JWT и как его проверить на бэкенде?", C.GENERAL_PROGRAMMING),
        # A request to change the product for everybody is a wish; to a bug report it adds nothing.
        ("Верните, пожалуйста, старый вид канбана, новый неудобный", C.FEATURE_REQUEST),
        ("Сделайте, чтобы у нас автоматически считалась премия по нашей формуле", C.BUSINESS_CASE_IMPLEMENTATION),
        ("Настройте нам приём оплат через ЮKassa, чтобы счета закрывались сами", C.PAYMENT_INTEGRATION_SCRIPT),
        # Strangers who did not log in are a security question, not an outage.
        ("Как понять, что в аккаунт не заходили посторонние?", C.SECURITY_QUESTION),
        # A number in a search field is not «call me».
        ("Поиск по номеру телефона не находит клиента", C.BUG_REPORT),
]


_CATEGORY_OF_WORDINGS_BEYOND_THE_CUE_LISTS = [
        # Verbs of a function doing the wrong thing, with no «не работает».
        ("Печать акта обрезает таблицу справа", C.BUG_REPORT),
        ("В отчёте по менеджерам пустые строки вместо сумм", C.BUG_REPORT),
        ("Скидка в счёте считается второй раз", C.BUG_REPORT),
        # VAT inside the product is no accounting question.
        ("НДС в счёте округляется некорректно", C.BUG_REPORT),
        # Where to put or set something.
        ("Куда вводить ключ от телефонии?", C.SETUP_CONSULTATION),
        ("Где выставить рабочие часы отдела?", C.SETUP_CONSULTATION),
        # Keeping data from leaving, a password changed by somebody else.
        ("Хотим, чтобы стажёры не могли скачивать вложения. Как?", C.SECURITY_QUESTION),
        ("Пришло уведомление, что пароль изменён, хотя я ничего не делал", C.SECURITY_QUESTION),
        # Wishes without «добавьте».
        ("Хочется видеть в карточке клиента все его звонки сразу", C.FEATURE_REQUEST),
        ("Когда уже появится приложение для планшета?", C.FEATURE_REQUEST),
        # Programming in general, including Go and HTTP methods.
        ("Как в Go сделать пул воркеров?", C.GENERAL_PROGRAMMING),
        ("Чем отличается GET и POST на практике?", C.GENERAL_PROGRAMMING),
        # Development and analysis to order.
        ("Сколько стоит написать модуль учёта аренды? Готовы оплатить", C.CUSTOM_DEVELOPMENT),
        ("Проанализируйте нашу воронку и скажите, где теряем клиентов", C.BUSINESS_CASE_IMPLEMENTATION),
        ("Can you write a handler for PayPal payments so invoices close themselves?", C.PAYMENT_INTEGRATION_SCRIPT),
        # Not the product: a voice call, the user's own site, small talk.
        ("Мне проще голосом, продиктую номер ошибки", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("На нашем сайте после обновления WordPress съехало меню", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Как в Тильде сделать всплывающее окно?", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Спасибо, всё получилось!", C.OTHER_CHANNEL_OR_OFFTOPIC),
        # ... but a form of the user's site feeding the CRM is the product.
        ("Заявки с формы на нашем сайте не создают лиды в CRM", C.BUG_REPORT),
        ("не можем разобраться, как включить учёт времени по задачам", C.SETUP_CONSULTATION),
        ("kak sdelat chtoby sdelki zakryvalis sami", C.SETUP_CONSULTATION),  # «y» after a consonant is «ы»
        ("Привет! Как настроение?", C.OTHER_CHANNEL_OR_OFFTOPIC),  # «настроение» is not «настроить»
        ("Как посмотреть, кто открывал карточку клиента?", C.SECURITY_QUESTION),
        ("Сотрудник залогинен на чужом ноутбуке, как его выкинуть?", C.SECURITY_QUESTION),
        ("Было бы здорово, если бы отчёты приходили в телеграм", C.FEATURE_REQUEST),
        ("please consider adding a kanban view for invoices", C.FEATURE_REQUEST),
        ("Распределите наших клиентов по новым менеджерам", C.BUSINESS_CASE_IMPLEMENTATION),
        ("Нужны реквизиты для оплаты, бухгалтерия просит", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Можно связаться через Viber?", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("У Манго глючит АТС, их саппорт тоже молчит", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Как в Figma экспортировать макет?", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Сделайте связку с банком, чтобы поступления на расчётный счёт закрывали счета",
         C.PAYMENT_INTEGRATION_SCRIPT),
        ("уведомления не приходят в телеграм — что надо настроить у бота?", C.SETUP_CONSULTATION),
        ("Можно получать письмо, когда кто-то входит с нового устройства?", C.SECURITY_QUESTION),
        ("Кто менял настройки воронки вчера вечером?", C.SECURITY_QUESTION),
        ("Объясните, что такое сериализация объектов", C.GENERAL_PROGRAMMING),
        ("Нужен свой калькулятор доставки в карточке, сделаете за деньги?", C.CUSTOM_DEVELOPMENT),
        ("Всем спасибо за помощь, хороших праздников!", C.OTHER_CHANNEL_OR_OFFTOPIC),
        ("Как в гугл-таблицах сделать сводную таблицу?", C.OTHER_CHANNEL_OR_OFFTOPIC),
]


_CRITICALITY_OF_OTHER_WORDINGS = [
        # Nobody can log in with no security setting behind it: an outage, even if passwords are mentioned.
        ("Никто не может войти, пишет неверный пароль, хотя пароли не меняли", C.OUTAGE, True),
        ("Сменили политику паролей, и теперь никто не может войти", C.SECURITY_QUESTION, True),
        # A whole site the browser cannot reach.
        ("crm.stroy-alians.ru: ERR_CONNECTION_TIMED_OUT у всего офиса", C.OUTAGE, True),
        # One field wiped across many records is a critical bug; «восстановите» is no wish.
        ("После массовой правки у всех сделок стёрлась дата, восстановите", C.BUG_REPORT, True),
        ("После синхронизации у всех сделок затёрлись суммы", C.BUG_REPORT, True),
        ("No one at our company can open the CRM since morning", C.OUTAGE, True),
        ("Help, all tasks are gone and the database is empty", C.OUTAGE, True),
]


# Hand-written sentences of every kind, none of them in the training data. The reading is learned, so
# a few of them may be misread; these tests hold the share read right above a floor, so that a change
# of the model or its features that reads worse fails here (the figures that count are the
# benchmark's: leave-one-set-out and first runs).
def _misread(cases: list[tuple], read) -> list[str]:
    misses = []
    for text, *expected in cases:
        got = read(text)
        if tuple(got) != tuple(expected):
            misses.append(f"{text!r}: expected {tuple(expected)}, got {tuple(got)}")
    return misses


def _category(text: str) -> tuple[Category]:
    return (read_message(text).category,)


def test_hand_written_categories_are_read_right() -> None:
    cases = _CATEGORY + _CATEGORY_IN_OTHER_SPELLINGS_AND_TRAPS + _CATEGORY_OF_WORDINGS_BEYOND_THE_CUE_LISTS
    misses = _misread(cases, _category)
    assert len(misses) <= CATEGORY_MISSES * len(cases), "\n".join(misses)


def test_hand_written_criticality_is_read_right() -> None:
    misses = _misread(_CRITICAL, lambda text: (read_message(text).critical,))
    misses += _misread(_CRITICALITY_OF_OTHER_WORDINGS, classify)
    assert len(misses) <= CRITICAL_MISSES * (len(_CRITICAL) + len(_CRITICALITY_OF_OTHER_WORDINGS)), "\n".join(misses)


def test_hand_written_several_problems_are_told_from_one() -> None:
    misses = _misread(_MULTI_PROBLEM, lambda text: (read_message(text).multi_problem,))
    assert len(misses) <= MULTI_MISSES * len(_MULTI_PROBLEM), "\n".join(misses)


def test_scope_follows_the_category() -> None:
    for text, _category in _CATEGORY:
        reading = read_message(text)
        assert reading.scope == ("in" if reading.category.in_scope else "out"), text


def test_what_the_user_already_tried_is_part_of_the_same_problem() -> None:
    reading = read_message("Как через API загрузить файл в задачу? Пробовал base64 — 415 Unsupported Media Type")
    assert (reading.category, reading.multi_problem) == (C.API_QUESTION, False)


_CRITICAL = [
        ("Не открывается аккаунт ни у кого в компании", True),
        ("502 Bad Gateway при входе", True),
        ("Модуль Проекты недоступен полностью", True),
        ("Никто из сотрудников не может войти с утра", True),
        ("Пропали все контакты, база пустая", True),
        ("После настройки ограничения по IP никто не может зайти, даже админ", True),
        ("Не работает фильтр по дате в отчёте", False),
        ("После переименования этапа сделки пропали из канбана, в списке они есть", False),
        ("Как включить 2FA?", False),
        # One screen failing for everybody is a bug; the account or a whole module down is an outage.
        ("У всех менеджеров не работает фильтр по дате", False),
        ("в аккаунте не работает фильтр задач", False),
        ("Модуль Задачи не грузится ни у кого", True),
        ("крутится загрузка и всё, фото к задаче не прикрепляется", False),
        ("не работает", False),
]


def test_outage_is_always_critical_and_security_lockout_stays_security() -> None:
    assert classify("CRM не загружается у всех сотрудников") == (C.OUTAGE, True)
    assert classify("Включили 2FA и теперь никто не может войти в аккаунт") == (C.SECURITY_QUESTION, True)


_MULTI_PROBLEM = [
        ("Не работает поиск по сделкам. Кстати, как поменять аватар?", True),
        ("Как настроить права бухгалтеру? И ещё: не приходят уведомления на почту", True),
        ("1) не печатается счёт 2) хотелось бы тёмную тему", True),
        ("Не подтягиваются товары в счёт. Как настроить права для нового сотрудника?", True),
        ("Как поменять логотип? Помимо этого, в отчёте по звонкам неправильная длительность.", True),
        ("- не работает поиск по контактам\n- хотим интеграцию с Авито", True),
        ("Проблема такая:\n- аккаунт не открывается\n- белый экран", False),
        ("Здравствуйте! Подскажите, как подключить WhatsApp к CRM? Спасибо!", False),
        ("Сотрудник уволился, а у него остался доступ с телефона. Как его отключить?", False),
        ("Не приходят письма из CRM, из-за этого клиенты не получают счета", False),
        ("Есть ли в CRM учёт рабочего времени? Если нет, добавьте", False),
        ("Здравствуйте! Подскажите, как настроить воронку?", False),
        ("Аккаунт не открывается. Белый экран и всё.", False),
        ("Хочу, чтобы сделка сама переходила на следующий этап. Где это настроить?", False),
]


def test_primary_problem_is_the_critical_one_then_the_in_scope_one() -> None:
    reading = read_message("Как настроить права для склада? И ещё: аккаунт вообще не открывается, ошибка 504")
    assert (reading.category, reading.critical, reading.multi_problem) == (C.OUTAGE, True, True)
    assert [p.category for p in reading.problems] == [C.OUTAGE, C.SETUP_CONSULTATION]

    reading = read_message("Позвоните мне, пожалуйста. И ещё: как подключить вебхук на новую сделку?")
    assert (reading.scope, reading.category) == ("in", C.API_QUESTION)
    assert reading.problems[1].category is C.OTHER_CHANNEL_OR_OFFTOPIC

    reading = read_message("Разработайте нам модуль зарплаты. И ещё объясните, как в JS работают промисы")
    assert (reading.scope, reading.category) == ("out", C.CUSTOM_DEVELOPMENT)


def test_problems_are_shown_in_the_users_words() -> None:
    text = "Не работает поиск по Сделкам, https://romashka.aspro.cloud/crm. Кстати, как поменять АВАТАР?"
    reading = read_message(text)
    assert [p.text for p in reading.problems] == ["Не работает поиск по Сделкам", "Кстати, как поменять АВАТАР?"]


def test_reading_as_json_has_exactly_the_cli_schema() -> None:
    reading = read_message("аккаунт romashka.aspro.clod не открывается")
    assert reading.as_json() == {
        "profanity": False,
        "insult": False,
        "scope": "in",
        "category": "outage",
        "critical": True,
        "multi_problem": False,
        "account": "romashka.aspro.cloud",
    }
    assert reading.problems == (Problem(reading.problems[0].text, C.OUTAGE, True),)


def test_moderation_comes_from_the_moderation_module() -> None:
    for text in ("как настроить воронку", "вы там все идиоты, бля, ничего не работает"):
        reading, moderation = read_message(text), moderate(text)
        assert (reading.profanity, reading.insult) == (moderation.profanity, moderation.insult)


def test_in_scope_property_follows_the_regulation() -> None:
    assert {c for c in Category if c.in_scope} == {
        C.SETUP_CONSULTATION, C.FUNCTIONALITY_QUESTION, C.BUG_REPORT, C.OUTAGE,
        C.API_QUESTION, C.SECURITY_QUESTION, C.FEATURE_REQUEST,
    }  # fmt: skip


def test_empty_and_blank_messages_get_a_reading() -> None:
    for text in ("", "   ", "\u200b\u200b", "?!", "👍"):
        reading = read_message(text)
        assert isinstance(reading, Reading)
        assert len(reading.problems) == 1
        assert reading.account is None


_NOISY = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(list("\u200b\u200c\u200d\u2060\ufeff\u00ad\x00\x07\x1b\r\n\t")),
        st.sampled_from(["не открывается", " аккаунт ", ".aspro.cloud", "и ещё ", "?", "API", "ошибка 502", "ё"]),
    ),
    max_size=200,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(_NOISY)
def test_any_text_gets_the_same_reading_twice(text: str) -> None:
    first = read_message(text)
    assert first == read_message(text)
    assert first.problems and first.problems[0].category is first.category
    assert first.scope == ("in" if first.category.in_scope else "out")


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=1, max_size=20), st.integers(min_value=100_000, max_value=100_000))
def test_a_100000_character_text_is_read(chunk: str, size: int) -> None:
    text = (chunk * (size // len(chunk) + 1))[:size]
    assert read_message(text) == read_message(text)


def test_a_long_message_of_many_sentences_is_read() -> None:
    text = "Не работает фильтр по дате. Кстати, как настроить права? " * 2000
    reading = read_message(text)
    assert reading.multi_problem
    assert reading.category is C.BUG_REPORT
