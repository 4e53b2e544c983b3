"""Reading a user's message the way a support specialist would.

One call, `read_message`, returns everything the dialogue needs to decide what to do next:
moderation (SLA 4.2, 4.8), scope and category (SLA 3.1 / 3.2, 4.5, 1.3), criticality (SLA 2.1),
whether the message raises several unrelated problems (SLA 2.4) and the account address (SLA 4.2).

The classifier is rule-based. Text is normalised (Unicode forms, case, `ё`, invisible and control
characters, links blanked, Russian typed in Latin letters read in Cyrillic) and split into clauses
at the places where people start a new topic («и ещё», «также», «кстати»,
«второй вопрос», numbered lists, sentence breaks). Each clause is scored against weighted cue
vocabularies of the product's domain; the cue words are reduced to their Snowball stems once,
at import time, and matched as word prefixes, so every inflection of a word matches its cue.
A clause is indexed once by the first letters of its words, and each vocabulary is tried only
where one of its cues can start (see `_Index`), which keeps a message to a fraction of a
millisecond.
Failures of the whole account or a module, lost data and locked-out teams are recognised apart
from the scores, since they decide criticality. An outage is read as a small grammar: a failure
predicate (not loading, lying, falling, hanging, an error page, a timeout — by stem, so every gender
and tense) said of the service (the account, the portal, the system, a module) or of everybody,
and not of one user, one record or one function, nor as a hypothesis or of an incident that is over.
`tests/test_triage_grammar.py` combines these parts into thousands of sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal

import snowballstemmer

from bot.account import find_account
from bot.moderation import moderate
from bot.reading import learned
from bot.reading.features import MAX_CHARS
from bot.reading.model import LinearModel
from bot.reading.normalise import prepare as _prepare


class Category(StrEnum):
    # In scope: SLA 3.1.
    SETUP_CONSULTATION = "setup_consultation"
    FUNCTIONALITY_QUESTION = "functionality_question"
    BUG_REPORT = "bug_report"
    OUTAGE = "outage"
    API_QUESTION = "api_question"
    SECURITY_QUESTION = "security_question"
    FEATURE_REQUEST = "feature_request"
    # Out of scope: SLA 3.2, plus other channels (4.5), sales and third-party software (1.3).
    GENERAL_PROGRAMMING = "general_programming"
    CUSTOM_DEVELOPMENT = "custom_development"
    PAYMENT_INTEGRATION_SCRIPT = "payment_integration_script"
    BUSINESS_CASE_IMPLEMENTATION = "business_case_implementation"
    OTHER_CHANNEL_OR_OFFTOPIC = "other_channel_or_offtopic"

    @property
    def in_scope(self) -> bool:
        return self in _IN_SCOPE


_IN_SCOPE = frozenset(
    {
        Category.SETUP_CONSULTATION,
        Category.FUNCTIONALITY_QUESTION,
        Category.BUG_REPORT,
        Category.OUTAGE,
        Category.API_QUESTION,
        Category.SECURITY_QUESTION,
        Category.FEATURE_REQUEST,
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    text: str
    category: Category
    critical: bool


@dataclass(frozen=True, slots=True)
class Reading:
    profanity: bool
    insult: bool
    scope: Literal["in", "out"]
    category: Category
    critical: bool
    multi_problem: bool
    account: str | None
    problems: tuple[Problem, ...]  # the primary problem first
    readable: bool = True  # False: nothing to read (emoji, marks, invisible characters only)
    outage_unsure: bool = False  # it may or may not be an outage: ask who is affected (SLA 2.1)
    confidence: float = 1.0  # the model's probability of the category

    def as_json(self) -> dict[str, object]:
        return {
            "profanity": self.profanity,
            "insult": self.insult,
            "scope": self.scope,
            "category": str(self.category),
            "critical": self.critical,
            "multi_problem": self.multi_problem,
            "account": self.account,
        }


# --- Cue vocabularies --------------------------------------------------------------------------
#
# One cue per line: "weight: phrase". Words of a phrase are stemmed (Snowball, Russian or
# English by script) and match any word starting with the stem. `=word` matches the word exactly,
# `word*` matches the literal prefix, `~` allows up to three words in between.

_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")
_LATIN = re.compile(r"[a-z]")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    stemmer = _EN if _LATIN.search(word) else _RU
    stem: str = stemmer.stemWord(word)
    return stem if word.startswith(stem) else word


_GAP = r"(?:[\s,\"'«»„“”()/-]+\w+){0,3}"
_JOIN = r"[\s,\"'«»„“”()/-]+"


def _word_pattern(word: str) -> str:
    if word == "~":
        return _GAP
    if word.startswith("="):
        return re.escape(word[1:]) + r"(?!\w)"
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    stem = _stem(word) if word.isalpha() else word
    if len(stem) <= 3:
        # Short words («в», «по», «мой») and short stems («какую» → «как») only as themselves.
        return re.escape(word) + r"(?!\w)"
    return re.escape(stem) + r"\w*"


# `_MSG` in a cue stands for any messenger or call service (SLA 4.5: not a support channel).
_MESSENGERS = r"(?:скайп\w*|skype|whatsapp|ватсап\w*|вотсап\w*|viber|вайбер\w*|телеграм\w*|telegram|zoom|зум\w*)"
_MESSENGER_KEYS = frozenset(["ска", "sky", "wha", "ват", "вот", "vib", "вай", "тел", "tel", "zoo", "зум"])


def _cue_pattern(phrase: str) -> str:
    words = phrase.lower().replace("ё", "е").split()

    def one(word: str) -> str:
        return _MESSENGERS if word == "_msg" else _word_pattern(word)

    out = one(words[0])
    for word in words[1:]:
        out += _GAP if word == "~" else _JOIN + one(word)
    return out


_WORD_CHARS = re.compile(r"\w+")


def _first_keys(phrase: str) -> frozenset[str] | None:
    """The first (up to three) letters every match of a cue starts its first word with, if known.

    A text none of whose words start so cannot match the cue, and the cue is not tried on it.
    """
    word = phrase.lower().replace("ё", "е").split()[0]
    if word == "_msg":
        return _MESSENGER_KEYS
    if word == "~":
        return None
    exact = word.startswith("=")  # the cue's first word is the whole word, not a beginning
    if exact:
        literal = word[1:]
    elif word.endswith("*"):
        literal = word[:-1]
    else:
        stem = _stem(word) if word.isalpha() else word
        exact = len(stem) <= 3
        literal = word if exact else stem
    lead = _WORD_CHARS.match(literal)
    if not lead:
        return None
    key = lead.group(0)
    if len(key) >= 3:
        return frozenset([key[:3]])
    # A short run of letters is a whole word of the text when the cue says so or when a sign
    # follows it («т-банк», «c#»); a short beginning of a longer word cannot be looked up.
    return frozenset([key]) if exact or len(key) < len(literal) else None


# A vocabulary: for each weight, one pattern and the number of its group in `_KEY_GROUPS`
# (-1: a group some cue of which has no `_first_keys`, scanned along the whole text).
_Vocabulary = tuple[tuple[re.Pattern[str], int, int], ...]
_KEY_GROUPS: dict[str, list[int]] = {}  # first letters of a word -> the groups that may match there
_GROUP_COUNT = [0]


def _register(keys: set[str] | None) -> int:
    if keys is None:
        return -1
    group = _GROUP_COUNT[0]
    _GROUP_COUNT[0] += 1
    for key in keys:
        _KEY_GROUPS.setdefault(key, []).append(group)
    return group


def _vocabulary(spec: str) -> _Vocabulary:
    by_weight: dict[int, list[str]] = {}
    keys: dict[int, set[str] | None] = {}
    for raw in spec.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        weight, _, phrases = line.partition(":")
        for phrase in phrases.split(";"):
            if phrase.strip():
                by_weight.setdefault(int(weight), []).append(_cue_pattern(phrase.strip()))
                first, known = _first_keys(phrase.strip()), keys.setdefault(int(weight), set())
                if known is not None:
                    keys[int(weight)] = None if first is None else known | first
    # One look-behind in front of the alternation keeps a whole-text scan fast.
    return tuple(
        (re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in pats) + ")"), weight, _register(keys[weight]))
        for weight, pats in sorted(by_weight.items())
    )


class _Index:
    """Where in a text each vocabulary group may match: the starts of words whose first three
    letters (a shorter word: the word) are among the group's `_first_keys`.

    A group is tried at those few places rather than scanned along the whole text, and a group
    with none is not tried at all; the result is that of `findall`.
    """

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        starts: dict[int, list[int]] = {}  # each list in the order of the text
        key_groups = _KEY_GROUPS
        for match in _WORD_CHARS.finditer(text):
            groups = key_groups.get(match.group()[:3])
            if groups:
                start = match.start()
                for group in groups:
                    known = starts.get(group)
                    if known is None:
                        starts[group] = [start]
                    else:
                        known.append(start)
        self.starts = starts

    def found(self, pattern: re.Pattern[str], group: int) -> bool:
        """Whether the group's pattern matches anywhere (what `search` would say)."""
        if group < 0:
            return pattern.search(self.text) is not None
        text = self.text
        return any(pattern.match(text, start) for start in self.starts.get(group, ()))

    def findall(self, pattern: re.Pattern[str], group: int, *, first: bool = False) -> list[str]:
        if group < 0:
            if first:
                found = pattern.search(self.text)
                return [found.group()] if found else []
            return pattern.findall(self.text)
        starts = self.starts.get(group)
        if not starts:
            return []
        out: list[str] = []
        end = -1
        for start in starts:
            if start < end:
                continue
            match = pattern.match(self.text, start)
            if match:
                out.append(match.group())
                if first:
                    break
                end = match.end()
        return out


_CUES: dict[Category, _Vocabulary] = {
    Category.SETUP_CONSULTATION: _vocabulary("""
        3: как ~ настрои*; как настраивать; консультация по настройке; консультация по; настраивается;
        3: настраиваются; как ~ подключить; как ~ включить; где включается; помогите* ~ настрои*; куда нажать;
        3: где взять; как задать; где задаются; где задается; как сделать шаблон; где ~ меняется; где ~ изменить;
        3: где ~ настрои*; где ~ включить; где ~ отключить; где ~ поменять; где ~ указать; где ~ указывается;
        3: как сделать чтобы; how to set up; how to configure;
        3: how do i set; how can i; how do i; how to
        3: что ~ настрои*; что ~ прописать; куда ~ прописать; что ~ указать; где ~ выставить; как ~ выставить;
        3: где ~ задать; как ~ указать; где ~ установить; куда ~ вводить; куда ~ ввести; куда ~ вставить
        3: =не могу ~ разобраться; =не могу ~ понять; =не можем ~ разобраться; =не можем ~ понять
        3: =не могу найти; =не можем найти; =не нахожу
        2: настройка; настройке; настройки; настройкой; как добавить; как создать; как поменять; как изменить;
        2: как переименовать; как выгрузить; как загрузить; как привязать; подключаю; настраиваем;
        2: как подключиться; как ~ дать ~ доступ; как ~ выдать ~ доступ; помогите* ~ разобраться
        2: =dns; свой домен; своего домена
        1: шаблон; =права; =правами
        # A forgotten password is the way in for one user: how to restore it is a question of use.
        4: забыл* ~ парол*; восстанов* ~ парол*; сброс* ~ парол*; сбросить ~ парол*
        4: какие ~ =права; =права ~ выдать; выдать ~ =права; =права ~ дать; дать ~ =права
        3: как ~ поставить
    """),
    Category.FUNCTIONALITY_QUESTION: _vocabulary("""
        3: можно ли; есть ли; поддерживает ли; умеет ли; что значит; что означает; чем отличается; для чего;
        3: как работает; что будет; где ~ найти; где ~ посмотреть;
        3: где ~ увидеть; где в интерфейсе; сохраняется ли; видит ли; do you support;
        3: is there; does it; can i; что показывает; есть у вас; у вас есть; а есть; имеется ли; как считается;
        3: как рассчитывается; в каком разделе;
        # «удалила по ошибке, можно вернуть?»: the user's own slip, a question of what the product allows.
        4: по ошибке ~ удалил*; случайно ~ удалил*; удалил* ~ по ошибке; удалил* ~ случайно
        3: будет ли видн*; what does; what is the; is it possible; do you have; can we; can users; are there
        2: =ли; =какие; =какой; =какая; =каким; =какое; бывают; сколько хранится; =умеет; можно
        1: что; где
    """),
    Category.BUG_REPORT: _vocabulary("""
        3: =не работает; =не работают; не сохраняется; не сохраняются; не отображается; не отображаются;
        3: не приходят; не приходит; не копируются; не подставляет; не находит; не прикрепляются; не печатаются;
        3: не загружаются; не отправляется; не отправляются; не срабатывает; не реагирует; перестал; перестали;
        3: перестало; ошибка; ошибку; ошибкой; =выдает; =выдают; =выдал; =выдало; дважды; дубли; задвоены; задвоились;
        3: съезжают; съезжает;
        3: кракозябры; неактивна; неактивен; сбрасывается; не совпадает; глючит; =баг; =баги; =bug; =error;
        3: doesn't work; не работал; пустая страница; не открываются; не обновляется; не считается; вылетает;
        3: зависает; тормозит; не перетаскиваются; не останавливается; не меняется; не удаляется; =wrong;
        3: считает неверно; считает неправильно; по два раза; по три раза; пропала кнопка; не грузятся
        3: с опозданием; с задержкой; опаздыва*
        3: медленно; долго ~ груз*; долго ~ открыва*; секунд по; без вложени*; без файл*; без прикреплен*
        3: обрезает; обрезаются; обрезается; съедает; съедают; прыгает; прыгают; слетает; слетают; сбивается;
        3: сбиваются; путает; перепутан*; второй раз; двойн*; задваива*; дублиру*; некорректно; криво;
        3: =пустые; =пустой; =пустое; =пусто
        2: пишет; вместо; неправильно; неверно; пропали; пропал; пропала; исчез*; по ~ =раза; позже; раньше; почему-то;
        2: =хотя; не видно; не видит; показывает ~ других; крутится загрузка; не получается; не могу
        1: =не; после обновления
    """),
    Category.API_QUESTION: _vocabulary("""
        4: =api; =апи; вебхук; вебхуки; webhook*; endpoint*; эндпоинт*; rest api; =rest
        2: токен*; =token; пагинац*; multipart; bearer; метод; запросов; =json
        1: base64; =401; =403; ключ; запрос; запросе
    """),
    Category.SECURITY_QUESTION: _vocabulary("""
        4: =2fa; =2фа; =2фа-код*; код* ~ подтверждени*;
        4: двухфактор*; двухэтап*; подтверждение входа; =ip; ip-адрес*; журнал входов; аудит*;
        4: сессии; сессий; сеансы; сеансов; утечк*; =утек; утекли; скомпрометирован*; взлом*; посторонн*;
        4: шифрован*; персональных данных; персональные данные; 152-фз; =фз; =sso; единый вход;
        4: срок действия пароля; служба безопасности; =security; журнал действий; история действий; кто ~ удалил;
        4: политик* ~ парол*; сложност* ~ парол*; требовани* ~ парол*; сменить ~ парол* ~ всем;
        4: истори* ~ действий; журнал событий; лог* действий; со всех устройств; разлогин*;
        4: запретить* ~ скачивать; запретить* ~ выгружать; запретить* ~ экспорт*; забрать* ~ доступ;
        4: отобрать* ~ доступ; лишить* ~ доступ*; отозвать* ~ доступ; скачал* ~ баз*; выгрузил* ~ баз*;
        4: данные ~ хранятся; хранятся ~ данные; где ~ серверы; серверы ~ находятся; дата-центр*; =цод;
        4: остал* ~ доступ; доступ ~ остал*; отключить* ~ доступ; закрыть ~ доступ; уволил* ~ доступ*;
        4: two-factor*; two factor; =mfa; =2-factor; audit log; ip whitelist; password policy; =gdpr;
        4: запретить* ~ вход; ограничить* ~ вход; резервн* копи*; бэкап*; backup*; ограничить* ~ доступ ~ аккаунт*;
        4: ограничить вход
        4: =не могли ~ выгружать; =не могли ~ скачивать; =не могли ~ экспортир*; =не могли ~ копировать;
        4: ваш пароль; пароль ~ изменен; не менял* ~ пароль; подозрительн* ~ вход*; чуж* ~ вход*; учетк* ~ взлом*
        4: одноразов* ~ код*; код* ~ из ~ =sms; код* ~ из ~ смс; кто ~ скачивал*; кто ~ скачал*; кто ~ просматривал*;
        4: кто ~ открывал*; залогинен*; выкинуть*; выкиньте*; завершить* ~ сеанс*; выйти ~ со ~ всех
        4: кто ~ менял*; кто ~ изменял*; кто ~ удалял*; вход* ~ с ~ нов* ~ устройств*; уведомлени* ~ о ~ вход*
        4: кто ~ входил*; кто ~ заходил*; истори* ~ вход*; журнал* ~ вход*
        3: разблокир*
        2: безопасност*; кто ~ заходил; кто ~ выгружал; доступ к данным; отозвать; парол*; кто ~ изменил
    """),
    Category.FEATURE_REQUEST: _vocabulary("""
        4: добавьте*; хотелось бы; было бы здорово; было бы удобно; было бы хорошо; было бы неплохо;
        4: предлагаю; предложение; пожелание; планируете ли; когда появится; нужна возможность;
        4: хорошо бы; дополните*; please add; would be nice; из коробки; очень ждем; примите как пожелание;
        4: сделайте* возможность; добавьте* возможность; реализуйте* возможность; не хватает; прошу ~ добавить;
        4: было бы ~ круто; было бы ~ классно; было бы ~ отлично; было бы ~ полезно; если бы можно было;
        4: в стандартн* поставк*; стандартн* ~ интеграци*; в стандартн* функционал*;
        4: просим ~ добавить; прошу ~ сделать; просим ~ сделать; когда будет; планируется ли; не планируете;
        4: очень нужн*; верните* ~ как было; верните* ~ стар*; feature request; it would be great; would be great;
        4: it would be nice; we'd love; could you add; please make; make it possible; add support for;
        4: it should be possible
        4: попросить ~ добавить; попрошу ~ добавить; просьба ~ добавить; попросить ~ сделать
        4: хочется; когда уже будет; когда уже появится; когда ~ появится
        4: было бы ~ супер; было бы ~ здорово; было бы ~ удобн*; если бы ~ можно ~ было; please consider;
        4: consider adding; please implement
        4: опишите* ~ в ~ справк*; опишите* ~ в ~ документац*; в справк* ~ подробн*; в документац* ~ подробн*;
        4: распишите*; допишите*; дополните* ~ справк*; дополните* ~ документац*;
        4: pls add; plz add; pls make; please support; add an option; add option
        2: почему нельзя; сделайте* пожалуйста; хотим интеграцию; хотелось; добавить бы; =ждем
        1: хотим ~ чтобы
        1: хотим; хочу
    """),
    Category.GENERAL_PROGRAMMING: _vocabulary("""
        4: python; javascript; =js; php; node*; =sql; регулярк*; regex*; docker*; =cron; sslerror; ssl;
        4: декоратор*; асинхронност*; колбэк*; callback*; oauth*; =soap; permission denied; =bash; =git;
        4: =java; =c#; =c++; =golang; =rust; kotlin; swift; typescript; =requests; язык программирования;
        4: какой язык; =jwt; =html; =css; react*; =vue; angular; django; flask; fastapi; laravel; =nginx; apache;
        4: windows server; промис*; =async; =await; рекурси*; =npm; =pip; composer; =grpc;
        4: postgre*; mysql; mongo*; redis; крон*; микросервис*; =cors; =впр; vlookup; макрос*
        4: в =go; на =go; golang; =get и =post; get-запрос*; http-запрос*; http ~ метод*
        4: идемпотентн*; сериализац*; многопоточн*; =orm
        4: pandas; numpy; регулярн* выражени*; apps script; регистр* накоплени*; высоконагруж*; замыкани*; =ооп;
        4: наследовани*; юнит-тест*; unit-тест*; компилятор*; интерпретатор*; структур* данных; переполнени* стека;
        4: =субд; какую ~ баз* ~ данных; stackoverflow; stack overflow; =ide; =vscode; =pycharm; гитхаб*; github
        2: что такое; в целом; на сервере; на нашем сервере; распарсить; =post запрос; post-запрос; скрипт;
        # An operating system told as the user's environment is context, not a programming question.
        2: linux; ubuntu
        2: бэкенд*; backend; фронтенд*; frontend; фреймворк*; библиотек*; массив*; переменн*; функци* ~ python*
    """),
    Category.CUSTOM_DEVELOPMENT: _vocabulary("""
        4: разработайте*; разработать; разработка; разработку; доработайте*; доработать; доработк*; перепишите*;
        4: сверстайте*; по заказу; =тз; самописн*; под нас; под нашу специфику; собственный виджет;
        4: отдельная страница; отдельную страницу; отдельный модуль; отдельного модуля; для нас ~ модуль;
        4: модуль ~ для нас; модуль ~ под нас; напишите* ~ интеграцию; сделайте* нам модуль; модуль ~ по нашей;
        4: интеграци* ~ с нашей; с нашей ~ внутренн*; сколько ~ стоит* ~ разработ*; сколько ~ стоит* ~ интеграц*;
        4: для нас ~ приложение; напишите* ~ приложение; build us; custom module; develop ~ for us;
        4: custom development; в вашем коде; =оплатим; за отдельную плату;
        4: свой модуль; свой виджет; свою страницу; свое приложение;
        4: своего модуля
        4: написать ~ модуль; напишите* ~ модуль; сколько ~ стоит* ~ написать; сколько ~ стоит* ~ доработ*;
        4: заказать ~ доработк*; виджет* ~ для ~ сайта; можете ~ сделать ~ под ключ
        4: написать* ~ компонент*; напишите* ~ компонент*; отдельн* компонент*; напишете* ~ компонент*;
        4: сделаете* ~ платно; платно ~ сделаете*; сделаете* ~ за ~ деньги; платн* ~ доработк*;
        4: напишете* ~ модуль; написать ~ нам; напишите* нам ~ плагин*; написать* ~ плагин*; напишите* ~ плагин*
        4: за деньги; =своя форма; =свою форму; =свой калькулятор
        4: измените* ~ код*; поменяйте* ~ код*; перепишите* ~ код*; на базе ~ ваш*; возьметесь
        2: сможете ~ сделать
        1: модуль; виджет; приложение; коннектор*; компонент
    """),
    Category.BUSINESS_CASE_IMPLEMENTATION: _vocabulary("""
        4: настройте* нам; настройте* за нас; настройте* всю; настройте* все; под ключ; за нас;
        4: реализуйте* ~ логику; реализуйте* у нас; реализуйте* нам; составьте* нам; придумайте*;
        4: перенесите* нам; сделайте* расчет; выстроить процесс; под наш бизнес; по нашей методике;
        4: сделайте* его у нас; сделайте* у нас; сделайте* нам логику; напишите* за нас; внедрите*;
        4: заполните* нам; внесите* нам; загрузите* нам; импортируйте* нам; создайте* нам; постройте* нам;
        4: выстройте* нам; организуйте* нам; автоматизируйте* нам; пропишите* нам; соберите* нам;
        4: опишите* ~ процесс; по нашей ~ формул*; сделайте* ~ чтобы ~ у нас
        4: посчитайте*; подсчитайте*; рассчитайте*; проанализируйте*; сделайте* выводы; проведите* анализ
        4: разнесите*; распределите* ~ наш*; заполните* ~ наш*; перенесите* ~ наш*; внесите* ~ наш*;
        4: загрузите* ~ наш*; импортируйте* ~ наш*
        2: по нашей ~ схем*
        4: преми* ~ менеджер*; бонус* ~ менеджер*; процент* ~ менеджер*
        2: настройте*; сделайте* нам; логику; схему мотивации; юнит-экономик*
    """),
    Category.OTHER_CHANNEL_OR_OFFTOPIC: _vocabulary("""
        4: позвоните*; перезвоните*; наберите* меня; вам ~ позвонить; созвонимся; созвониться;
        4: продиктуйте* ~ номер*; дайте* ~ номер*; ваш ~ номер*; по телефону ~ проконсульт*; проконсульт* ~ по телефону;
        4: можно ~ по телефону; консультаци* ~ по телефону; обсудить ~ по телефону;
        4: вы ~ работаете ~ праздник*; вы ~ работаете ~ выходн*; вы ~ работаете ~ суббот*; работаете ли;
        4: график* ~ работ* ~ поддержк*; режим* ~ работ* ~ поддержк*; часы работы; до скольки ~ работаете;
        4: посоветуйте* ~ программ*; посоветуйте* ~ сервис*; порекомендуйте* ~ программ*; порекомендуйте* ~ сервис*;
        4: посоветуйте* ~ софт*; какую ~ программ* ~ выбрать;
        4: номер* ~ телефон* ~ поддержк*; телефон* поддержк*; горячая линия; ваш телефон;
        4: напишите* мне в телеграм; =мне ~ в ~ _MSG; =вам ~ в ~ _MSG; =нам ~ в ~ _MSG; =меня ~ в ~ _MSG;
        4: =вас ~ в ~ _MSG;
        4: давайте ~ в ~ _MSG; лучше ~ в ~ _MSG; в ~ _MSG ~ удобнее; по ~ _MSG ~ удобнее; _MSG ~ =мне; _MSG ~ =вам;
        4: =мне ~ по ~ _MSG; =вам ~ по ~ _MSG; в скайп; по скайпу; skype;
        4: там удобнее; их поддержка; их техподдержка; в самой; не про вашу; стоимость лицензии;
        4: сколько стоит; есть ли скидки; счет на оплату; продления подписки; продлить подписку;
        4: скидк* ~ при; скидк* ~ за; скидк* ~ на ~ тариф*; скидк* ~ на ~ подписк*; скидк* ~ на ~ лиценз*;
        4: акт* ~ сверк*; счет-фактур*; смен* ~ тариф*; поменять ~ тариф*; перейти ~ на ~ тариф*;
        4: в битрикс*; в bitrix*; в =amocrm; в =амо; в амоцрм; в амосрм; в мегаплан*; в retailcrm; в =amo;
        4: купить ~ лиценз*; докупить; оплатить ~ лиценз*; продлить ~ лиценз*; пришлите* ~ закрывающ*;
        4: прошу ~ выставить ~ счет*; выставите* ~ счет*; выставьте* ~ счет*; счет* ~ на ~ следующий год;
        4: =какую ~ =crm; =какая ~ =crm ~ лучше; =упд; стажер*; ваканси*; хочу у вас работать; роутер*;
        4: медленный интернет; по закону; albato; wazzup; call me; =phone; наш сайт; сайт на тильд*;
        4: яндекс директ*;
        4: подешевле; дешевле; продайте*; встреч* ~ в офисе; встретиться; приехать* ~ к нам; вернуть ~ деньги;
        4: возврат* ~ денег; возврат* ~ средств; what is the price; how much does; how much is; pricing; google ads;
        4: рекламн* кампани*; настроить рекламу;
        4: счет* ~ на ~ продлени*; пришлите* ~ счет*; интегратор*;
        4: партнер* ~ интегратор*; сторонн* ~ разработчик*; они не отвечают
        4: по телефону ~ быстрее; по телефону ~ удобнее; по телефону ~ проще; продиктую*; голосом;
        4: объясню ~ по телефону; футбол*; хоккей*; анекдот*; посоветуйте* ~ ноутбук*; =ноутбук
        4: реквизит* ~ для ~ оплат*; безнал*; связат* ~ _MSG; их ~ поддержк*; их ~ саппорт*; их ~ техподдержк*;
        4: фотошоп*; photoshop; =figma; фигм*; =canva; autocad; автокад*; сводн* таблиц*
        4: ваш* ~ менеджер* ~ по ~ продаж*; менеджер* ~ по ~ продаж* ~ =ваш*; подключить ~ ещ* ~ пользовател*;
        4: доп* ~ пользовател*; дополнительн* ~ пользовател*; дополнительн* ~ лиценз*; верните* ~ деньги;
        4: неиспользованн* ~ период*; партнерск* ~ программ*; реферальн*; агентск* ~ вознагражд*;
        4: настро* ~ принтер*; подключ* ~ принтер*;
        4: сколько ~ будет ~ стоить; сколько ~ это ~ стоит
        # Billing of the subscription itself: trial, charges, the service contract, reselling
        # (SLA 3.2: sales and billing).
        4: продл* ~ пробн* ~ период*; продл* ~ тестов* ~ период*; списал* ~ деньг*; деньг* ~ за ~ продлени*;
        4: за ~ продлени* ~ списал*;
        4: юрлиц* ~ в ~ договор*; договор* ~ на ~ обслуживани*; стать ~ партнер*; вашими партнерами;
        4: продавать ~ =аспро*; где ~ вы ~ находитесь; вы ~ где ~ находитесь; в каком городе ~ вы; вы ~ в каком городе;
        4: пришлите* ~ реквизит*
        2: мой номер; мой телефон
        2: стоимость; =цена; =цены; =цену; тариф ~ стоит; лицензи*; подписк*; закрывающ* документ*; =ндс
    """),
}

# Payment systems: a wish for a standard integration is in scope, a request to build one is not (SLA 3.2).
_PAYMENT = _vocabulary("""
    1: юkassa; юкасс*; yookassa; робокасс*; robokassa; cloudpayments; stripe; paypal; =сбп; эквайринг*;
    1: т-банк*; тинькофф*; платежн* систем*; приема платежей; прием платежей; приема оплат; онлайн-оплат*;
    1: платил по ссылке; платежей; приём оплаты; приема оплаты; юmoney; yoomoney; принима* ~ оплат*;
    1: принима* ~ платеж*; =прием ~ оплат*; =приема ~ оплат*; оплат* ~ картой; =qiwi; сбербанк*
    1: банк*; поступлени* ~ на ~ расчетн*
""")
_PAYMENT_BUILD = _vocabulary("""
    1: напишите*; написать; сделайте*; сделаете; подключите*; интегрируйте*; скрипт*; код; обработчик*;
    1: связк*; помогите написать; пришлите; нужна интеграция; нужно подключить; настройте*
    1: =write; =script; =code; =handler; =integrate; =connect
""")
# The user's own product references: a programming question about them is not general programming.
_PRODUCT = _vocabulary("""
    1: сделк*; задач*; контакт*; лид; лиды; лидов; счет; счета; воронк*; аспро; aspro; =crm; =срм; ваш; вашего;
    1: вашем; через api; api модул*; карточк*; портал*; аккаунт*
""")

# Whole-service failures and lockouts (SLA 2.1: restoring operability goes out of turn).
# «Наш сайт на Тильде не открывается» is the user's own site, not the product (SLA 1.3).
_OWN_SITE = _vocabulary("""
    1: наш* сайт*; сайт* на ~ тильд*; сайт* на ~ tilda; wordpress; =wix; тильд*; =tilda; вордпресс*
""")
# Other software and the office's own machines (SLA 1.3).
_OTHER_SOFTWARE = _vocabulary("""
    # Not «Windows 11» or «Google Chrome» alone: the user's environment is context, not a problem of its own.
    1: =1с; =1c; 1с-к*; гугл* ~ таблиц*; гугл* ~ док*; гугл* ~ диск*; google ~ sheets; google ~ docs; google ~ drive;
    1: =винда; =винду; =виндой; синий экран; роутер*; принтер*;
    1: =excel; эксель*; =word; outlook; аутлук*; антивирус*; =vpn; =впн; браузер* ~ обновил*; флешк*
    1: =свет; электричеств*; провайдер*; онлайн-банк*; банк-клиент*; клиент-банк*; =сбербанк ~ =онлайн; госуслуг*
""")
# «интеграция с 1С», «выгрузка в Google Таблицы»: the product's link to other software is the product's.
_LINKED = _vocabulary("""
    1: интеграц*; синхрониз*; выгрузк*; выгруж*; импорт*; экспорт*; =из ~ =crm; =в ~ =crm; =из ~ =срм; =в ~ =срм;
    1: выгрузи*; загрузи*; подтягива*; обмен*; связк*; sync*; integrat*; календар*; calendar; =export; =import
""")
_HARD_DOWN = _vocabulary("""
    1: =502; =503; =504; bad gateway; service unavailable; gateway timeout; ничего не работает;
    1: на любой странице; на всех страницах;
    1: все сломалось; все упало; все лежит
    1: превышено время ожидания; err_connection*; err_timed_out; connection refused; timed out
    1: сервер не найден; dns_probe*; nxdomain; подключение не защищено; this site can't be reached
""")
_LOCKOUT = _vocabulary("""
    1: никто ~ не может; ни один ~ не может; все ~ не могут; не может войти ни; nobody can;
    1: all ~ users ~ access denied; никто ~ не заходит; не заходит ни один; никто не может;
    1: всей компанией; всем офисом; все сотрудники ~ не могут
    1: заблокирова* ~ =все; =все ~ заблокирова*; заблокирова* ~ =всех; =всех ~ заблокирова*
    1: nobody ~ can; no one ~ can; everyone ~ can't; everyone ~ cannot
""")
# Greetings and thanks: small talk when nothing else is said (SLA 4.5: not a request).
_SMALL_TALK = re.compile(
    r"(?<!\w)(?:добр(?:ый|ое|ого)\s+(?:день|вечер|утро|дня|вечера|утра)|здравствуйте|здрасте|привет\w*|"
    r"(?:спасибо|благодарю)(?:\s+вам)?|вчера|сегодня|еще\s+раз|хорош\w+\s+(?:вам\s+)?(?:дня|вечера|выходных|праздников)|за\s+помощь|всего\s+доброго|до\s+свидания|hello|hi|thanks?(?:\s+you)?|"
    r"ок|окей|ok|понятно|ясно|большое|огромное|как\s+(?:у\s+вас\s+)?(?:ваши\s+)?(?:дела|настроение|жизнь)|как\s+поживаете|всем|удачи|"
    r"вы\s+(?:лучшие|молодцы|супер)|молодцы|ребята|"
    r"удачн\w*\s+\w+|(?:все\s+)?(?:за)?работало|(?:все\s+)?получилось|вопрос\s+(?:снят|решен|закрыт))(?!\w)"
)
_WORDS = re.compile(r"\w+")
_AND_THAT_IS_ALL = re.compile(r"(?<!\w)и\s+все(?=\s*(?:[.,!?;)]|$))")
# A request addressed to the company («сделайте», «верните») other than a plea for help or an answer.
_IMPERATIVE = re.compile(
    r"(?<!\w)(?!(?:здравств|подскаж|помог|посмотр|проверь|скаж|объясн|расскаж|уточн|ответь|извин|прост|пришл|напиш|позвон|"
    r"восстанов|почин|исправ|"
    r"перезвон|наберите|разберит|дайте\s+знать|подтверд)\w*)\w{2,}(?:йте|ите)(?!\w)"
)
# «не подтягиваются», «не пересчитался»: a function that does not do its job.
_NEGATED_VERB = re.compile(
    r"(?<!\w)не\s+(?!могу\b|знаю\b|понимаю\b|было\b|нужно\b)\w+(?:ет|ют|ят|ит|ут|ется|ются|ится|ятся|ался|алась|"
    r"ались|алось|ился|илась|ились|ло|ла|ли)(?!\w)"
)
# «если удалить воронку, сделки пропадут?»: a question about what would happen is about how the product works.
_HYPOTHESIS = re.compile(r"^(?:а\s+)?(?:если|в\s+случае|what\s+if|if)\b[^?]*\?")
# «как сделать обязательным поле», «как импортировать контакты»: how to do something in the product.
_HOW_TO = re.compile(
    r"(?<!\w)(?:как|каким образом|что\s+(?:нужно|надо|необходимо))(?:\s+\w+){0,2}?\s+\w+(?:ть|ться|ти)(?!\w)"
)
_LOST = _vocabulary("""
    1: пропал*; исчезли; исчезло; удалил*; стерл*; стерт*; потерялись;
    1: потерялось; откатили; пустая; обнулились; обнулилось; обнулилась; ничего не осталось; затерл*; затерт*;
    1: делись; =нет ~ данных; данных ~ =нет; слетел*; =удалены; =удален; =удалено; =удалена;
    1: =пусто; потерял*; исчез; vanished;
    1: deleted; were lost; wiped; испарил*; улетучил*; снесл*
    1: are gone; is gone; disappeared; looks empty; is empty; were deleted; got deleted; lost all
""")
_MASS = _vocabulary("""
    1: воронк* ~ пуст*; пуст* ~ воронк*;
    1: =все; =всю; =вся; =весь; ни одной; у =всех; база; базу; данные; ничего не осталось; за ~ год*; за ~ недел*;
    1: по всем; массов*; =all; database; =данных; =данным; =crm ~ пуст*; аккаунт* ~ пуст*; систем* ~ пуст*;
    1: =всех ~ сделок; =всех ~ задач; =всех ~ контактов; =всех ~ клиентов; =всех ~ счетов; =всех ~ проектов
""")
_MASS_GENERAL = _vocabulary("""
    1: воронк* ~ пуст*; пуст* ~ воронк*;
    1: база; базу; данные; =данных; ничего не осталось; по всем; =и контакты; все сделки; database; =all ~ contacts;
    1: =crm ~ пуст*; аккаунт* ~ пуст*; систем* ~ пуст*;
    1: =все =пропало; =все =удалилось; =все =исчезло; =все =стерлось; =все =слетело; =все =потерялось; =все =удалено;
    1: ни одной сделки; ни одного контакта; все контакты; все задачи; все проекты; все клиенты; все счета;
    1: =all ~ deals; everything; =вся ~ информац*; =всю ~ информац*
    1: =all ~ data; =all ~ records; every ~ deal*; every ~ contact*; every ~ record*; whole ~ database
""")

# --- A failure of the whole service, read as a small grammar (SLA 2.1) ---------------------------
#
# A failure predicate (a verb of not loading, lying, falling, hanging; an error page; a timeout) said
# of the service (the account, the portal, the system, the CRM, a module) or of everybody is an
# outage; the same said of one user, one record or one field, as a hypothesis or of a past incident
# that is over, is not.


def _unescaped(pattern: str) -> Iterator[tuple[int, str, int]]:
    """Each character of a pattern outside escapes, with the depth of groups after it."""
    depth = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        depth += (char == "(") - (char == ")")
        yield index, char, depth
        index += 1


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group that opens at `start`."""
    for index, _, depth in _unescaped(pattern[start:]):
        if depth == 0:
            return start + index + 1
    return len(pattern)


def _top_level_split(body: str) -> list[str]:
    cuts = [index for index, char, depth in _unescaped(body) if char == "|" and depth == 0]
    return [body[start + 1 : end] for start, end in zip([-1, *cuts], [*cuts, len(body)], strict=True)]


def _first_letters(pattern: str) -> set[str] | None:
    """The letters a match of a (simple) pattern can start with; None when that is not plain to see."""
    if pattern.startswith("(?<"):  # a look-behind matches no letter
        return _first_letters(pattern[_group_end(pattern, 0) :])
    if pattern.startswith("(?:"):
        end = _group_end(pattern, 0)
        inner = [_first_letters(part) for part in _top_level_split(pattern[3 : end - 1])]
        if any(letters is None for letters in inner):
            return None
        letters = set().union(*inner)  # type: ignore[arg-type]
        if pattern[end : end + 1] in ("?", "*") or pattern[end : end + 2] == "{0":
            rest = _first_letters(pattern[end + 1 :].lstrip("?"))
            return None if rest is None else letters | rest
        return letters
    if not pattern or pattern[0] in "\\[.()|?*+{^$":
        return None
    return {pattern[0]}


def _alternation(*parts: str) -> re.Pattern[str]:
    """Whole words or phrases; a look-ahead for their first letters lets the scan skip other places fast."""
    firsts = [_first_letters(part) for part in parts]
    lead = ""
    if all(letters is not None for letters in firsts):
        letters = sorted(set().union(*firsts))  # type: ignore[arg-type]
        lead = "(?=[" + "".join(re.escape(letter) for letter in letters) + "])"
    return re.compile(r"(?<!\w)" + lead + "(?:" + "|".join(parts) + r")(?!\w)")


_NEG = r"(?:не|ни|ne|not)\s+(?:в\s+какую\s+не\s+)?"
_FAILURE = _alternation(
    # Negated verbs of loading, opening, starting, answering, letting in, working.
    r"(?:не\s+|ни)(?:за|про|по|от)?гру[зж]\w*",
    r"не\s+(?:в\s+какую\s+не\s+)?(?:от)?крыва\w*",
    r"не\s+запуска\w*",
    r"не\s+(?:от)?веча\w*",
    r"не\s+работа\w*",
    # Impersonal: «не зайти», «никак не попасть», «невозможно войти» — said of the service, not of one person.
    r"(?:никак\s+)?не\s+(?:зайти|войти|попасть|открыть|подключиться)",
    r"(?:невозможно|нельзя)\s+(?:зайти|войти|попасть|открыть|работать|подключиться)",
    r"(?:зайти|войти|попасть|подключиться)\s+(?:\S+\s+){0,3}?(?:невозможно|нельзя)",
    r"(?:database|db)\s+(?:connection\s+)?(?:error|failed|failure)", r"connection\s+(?:failed|error)",
    r"ошибк\w*\s+(?:подключения\s+к\s+)?(?:баз\w*|бд)(?:\s+данных)?", r"не\s+удается\s+получить\s+доступ",
    r"can't\s+be\s+reached", r"не\s+удалось\s+подключит\w*", r"сервер\s+не\s+(?:найден|отвечает)",
    r"не\s+подключа\w*", r"не\s+(?:можем|могут)\s+подключит\w*", r"не\s+пода\w*\s+признак\w*",
    r"не\s+доступ(?:ен|на|но|ны)", r"(?:полный|полным)\s+отказ\w*", r"отказ\w*\s+систем\w*",
    r"не\s+(?:можем|могут)\s+(?:\w+\s+)?(?:зайти|войти|попасть|залогинит\w*|авторизова\w*|открыть|работать)",
    r"(?:зайти|войти|попасть|залогинит\w*|авторизова\w*)\s+(?:\w+\s+)?не\s+(?:можем|могут)",
    r"не\s+пуска(?:ет|ют)", r"не\s+(?:фурыч|паш|функционир)\w*", r"вырубил\w*", r"отрубил\w*",
    r"(?:бесконечн|циклическ|вечн)\w*\s+(?:редирект|перенаправлени|переадресаци)\w*", r"too\s+many\s+redirects",
    r"встал(?:а|о|и)?(?:\s+колом)?",
    # Verbs of lying, falling, hanging, crashing (every gender and tense by its stem).
    r"леж(?:ит|ат|им|ал\w*)", r"лег(?:ла|ло|ли)?", r"прилег\w*", r"упал\w*", r"пада\w*", r"рухнул\w*", r"грохнул\w*",
    r"сдох\w*", r"умер(?:ла|ло|ли)?", r"мертв\w*", r"отвалил\w*", r"отвалива\w*", r"недоступ\w*", r"завис\w*",
    r"вис(?:ит|ят|нет)", r"подвис\w*", r"вылета\w*", r"вылетел\w*", r"сломал\w*", r"накрыл\w*",
    r"в\s+дауне", r"в\s+ауте", r"перестал\w*\s+(?:от|за)?(?:крыва|работ|груж|гру|пуска|отвеча)\w*",
    # What the screen shows.
    r"50[0234]", r"пятисотк\w*", r"ошибк\w*\s+подключени\w*", r"грузит\w*\s+бесконечно", r"бесконечно\s+грузит\w*",
    r"ошибк\w*\s+сервер\w*", r"серверн\w+\s+ошибк\w*", r"bad\s+gateway", r"gateway\s+time-?out",
    r"service\s+(?:temporarily\s+)?unavailable", r"internal\s+server\s+error", r"server\s+error",
    r"бел\w+\s+(?:экран|экан|страниц|лист)\w*", r"пуст\w+\s+(?:экран|страниц)\w*", r"blank\s+(?:page|screen)",
    r"тайм-?аут\w*", r"timeout", r"timing\s+out", r"timed?\s+out", r"время\s+ожидания", r"err_\w+",
    r"(?:крути\w*|вечн\w*|бесконечн\w*)\s+(?:\w+\s+)?загрузк\w*", r"крутит\w*\s+(?:колес\w*|лоадер\w*)",
    # English.
    r"down", r"(?:сидим|сидит|сидят|остались|остался|осталась)\s+без", r"работать\s+невозможно",
    r"(?<=ак{2}аунт\s)заблокирован", r"nothing\s+(?:loads|works|opens)", r"is\s+broken",
    r"is\s+down", r"(?:can't|cannot|can\s+not)\s+get\s+(?:into|in)", r"not\s+reachable", r"unreachable",
    r"went\s+down", r"(?:won't|wont|doesn't|does\s+not|will\s+not|can't|cannot)\s+(?:load|open)",
    r"not\s+(?:loading|opening|responding|working)", r"crashed", r"crashes", r"(?:is|are)\s+unavailable",
    r"down\s+for", r"(?:can't|cannot|can\s+not)\s+access",
)
# What fails: the service or a whole part of it, not a record.
_SERVICE = _alternation(
    r"ак{1,2}а?у?нт\w*", r"акк", r"портал\w*", r"систем\w*", r"crm\w*", r"срм\w*", r"црм\w*", r"модул\w*", r"раздел\w*",
    r"сервис\w*", r"сайт\w*", r"аспро", r"aspro", r"клауд", r"cloud", r"облак\w*", r"платформ\w*", r"кабинет\w*",
    r"программ\w*", r"account", r"portal", r"system", r"service", r"module", r"platform", r"site",
    r"(?:ни\s+)?одн\w*\s+(?:страниц|раздел|модул)\w*", r"(?:люб|все|всех|кажд)\w*\s+(?:страниц|раздел|модул)\w*",
    r"(?:после|при|на)\s+вход\w*", r"все", r"вся", r"весь", r"ничего", r"everything",
)
_SERVICE_NAMED = _alternation(
    r"ак{1,2}а?у?нт\w*", r"акк", r"портал\w*", r"систем\w*", r"crm", r"срм", r"црм", r"сервис\w*", r"аспро", r"aspro",
    r"облак\w*", r"платформ\w*", r"account", r"portal",
)
# Who is affected: everybody.
_WHOLE = _alternation(
    r"у\s+(?:всех|всей|всего)(?:\s+\w+)?", r"ни\s+у\s+кого", r"никто\w*", r"никого", r"никому", r"ни\s+один\w*",
    r"ни\s+одн\w+", r"ни\s+у\s+меня\s*,?\s*ни\s+у\s+\w+", r"у\s+меня\s+и\s+у\s+(?:коллег|других|остальных)\w*",
    r"у\s+(?:коллег|других|остальных)\w*\s+тоже", r"коллег\w*\s+тоже", r"весь\s+(?:офис|отдел|коллектив|штат)\w*",
    r"всем\s+(?:отделом|коллективом|филиалом)",
    r"вс(?:е|я|ей|ем)\s+(?:сотрудник|пользовател|команд|офис|компани|менеджер|отдел|филиал)\w*",
    r"всей\s+команд\w*", r"всем\s+офисом", r"целиком", r"полностью", r"ни\s+с\s+одного", r"everyone", r"everybody",
    r"nobody", r"no\s+one", r"for\s+all", r"we\s+(?:are\s+)?all", r"all\s+of\s+us",
    r"ни\s+у\s+одн\w+(?:\s+\w+)?", r"for\s+anyone", r"whole\s+team", r"all\s+users",
)
# Only one user is affected, the others work («у меня одного», «у остальных всё нормально»).
_ONE_USER = _alternation(
    r"(?<!ни\s)у\s+(?:меня\s+)?одн(?:ого|ой)", r"у\s+меня\s+одн\w+", r"меня\s+одн(?:ого|у)",
    r"только\s+у\s+(?:меня|него|нее|одного|одной)",

    r"у\s+(?:остальных|других|коллег)\w*\s+(?:\w+\s+)?(?:все|нормально|работа\w*|ок|в\s+порядке|заход\w*|открыва\w*|груз\w*)",

    r"(?:остальные|другие)\s+(?:сотрудник|пользовател|коллег|менеджер)\w*\s+(?:\w+\s+)?(?:нормально|работа\w*|заход\w*|могут)",
    r"(?:аккаунт|учетк|учетн\w*\s+запис|профил)\w*\s+(?:одного\s+)?(?:сотрудника|менеджера|пользователя|коллеги)(?!\s+тоже)",
    r"only\s+(?:for\s+)?me", r"other\s+users",
)
# One record («одна сделка», «счёт №1542», «карточка контакта Петрова»).
_ONE_RECORD = _alternation(

    r"(?<!ни\s)одн(?:а|у|ой|ого|о|им)\s+(?:\w+\s+)?(?:сделк|карточк|задач|контакт|запис|счет|документ|файл|компани|клиент)\w*",
    r"№\s*\d+", r"#\d+",
)
# A question about what would happen, or an incident that is over.
_NOT_NOW = _alternation(
    r"если", r"в\s+случае", r"бывают", r"бывает", r"бывали", r"предупрежда\w*", r"планов\w*", r"аптайм\w*", r"uptime",
    r"статус\w*\s+(?:страниц|сервис)\w*", r"страниц\w*\s+статус\w*", r"status\s+page", r"что\s+(?:это\s+)?было",
    r"буд(?:ет|ут)\s+(?:\w+\s+)?(?:недоступ|леж|не\s+работ|отключ)\w*",
    r"(?:сейчас|уже|снова)\s+(?:(?:все|всё)\s+)?работает", r"заработал\w*", r"what\s+if", r"гарантир\w*",
)
# «карточка сделки», «кнопка», «поле»: a record, a screen or a control is what fails, not the service.
_PART = _alternation(
    r"карточк\w*", r"сделк\w*", r"задач\w*", r"контакт\w*", r"отчет\w*", r"фильтр\w*", r"кнопк\w*", r"файл\w*",
    r"вложени\w*", r"фото\w*", r"уведомлени\w*", r"письм\w*", r"счет\w*", r"документ\w*", r"шаблон\w*", r"поле",
    r"поля", r"вкладк\w*", r"календар\w*", r"комментари\w*", r"картинк\w*", r"аватар\w*", r"страниц\w*",
    r"поиск\w*", r"импорт\w*", r"экспорт\w*", r"робот\w*", r"виджет\w*", r"товар\w*", r"интеграц\w*",
    r"синхрониз\w*", r"телефони\w*", r"рассылк\w*", r"печат\w*", r"чат\w*", r"сообщени\w*", r"истори\w*",
    r"переписк\w*", r"диалог\w*",
)
# «модуль «Задачи»», «раздел Сделки», «любая страница», «ни один раздел»: a whole part, not a record.
_WHOLE_PART = re.compile(

    r"(?<!\w)(?:(?:модул|раздел)\w*\s+[\"«„“]?\w+[\"»”]?|(?:ни\s+)?(?:одн|люб|все|всех|кажд)\w*\s+(?:страниц|раздел|модул|вкладк|интеграц)\w*|бел\w+\s+страниц\w*|(?:страниц|форм)\w*\s+(?:входа|логина|авторизаци\w*))",
)


# «пропала кнопка», «исчезла вкладка»: a control missing from the screen, not data lost.
_CONTROL_GONE = _alternation(
    r"(?:пропал|исчез|слетел)\w*\s+(?:\w+\s+)?(?:кнопк|вкладк|иконк|значок|значк|пункт|меню|панел|виджет)\w*",
    r"(?:кнопк|вкладк|иконк|значок|значк|пункт|меню|панел|виджет)\w*\s+(?:\w+\s+)?(?:пропал|исчез|слетел)\w*",
)
# A failure that is over.
_OVER = _alternation(
    r"(?:сейчас|уже|снова)\s+(?:(?:все|всё)\s+)?(?:работает|нормально)", r"заработал\w*", r"что\s+(?:это\s+)?было",
)


def _limited(text: str) -> bool:
    """A failure of one user or one record, a hypothesis, or an incident that is over."""
    return bool(_NOT_NOW.search(text) or _OVER.search(text) or _ONE_USER.search(text) or _ONE_RECORD.search(text))


_NO_SUBJECT = frozenset(
    [
        "он", "она", "оно", "они", "опять", "снова", "уже", "все", "вообще", "совсем", "у", "нас", "теперь", "сейчас",
        "и", "а", "но", "тоже", "также", "с", "утра", "до", "сих", "пор", "так", "не", "почему", "зачем", "то",
        "просто", "тупо", "вдруг", "внезапно", "резко",
    ]
)


_SCREEN_SHOWS = re.compile(r"(?<!\w)(?:пуст|бел)\w+\s+(?:экран|экан|страниц|лист)\w*")


def _failure_of_service(text: str) -> tuple[bool, bool]:
    """(a failure predicate said of the whole service, a whole module or everybody (SLA 2.1);
    a failure predicate said of nothing named, as in «Не грузится с утра» after «Аккаунт romashka.»)."""
    bare = False
    for segment in _COMMA_SEGMENTS.split(text):
        failure = _FAILURE.search(segment)
        if failure is None:
            continue
        # What the screen shows («пустую страницу», «белый экран») is what is seen, not the part that fails.
        plain = _WHOLE_PART.sub(" модуль ", _SCREEN_SHOWS.sub(" ", segment))
        if _PART.search(plain):
            continue  # one kind of record or one control failing, even for everybody, is a bug
        if _SERVICE.search(plain) or _WHOLE.search(plain):
            return True, False
        # Nothing but a pronoun or an adverb before the predicate: its subject is told elsewhere.
        bare = bare or all(word in _NO_SUBJECT for word in _WORDS.findall(segment[: failure.start()]))
    return False, bare


# Being let in: said of everybody, everyone is locked out (SLA 2.1); said of one person, it is not.
_LET_IN = _alternation(
    r"не\s+(?:может|могу|можем|получается|удается)\s+(?:\w+\s+)?(?:зайти|войти|попасть|залогинит\w*|авторизова\w*)",
    r"(?:зайти|войти|попасть|залогинит\w*|авторизова\w*)\s+(?:\S+\s+){0,3}?не\s+(?:может|получается|удается)",
    r"не\s+заход(?:ит|ят)", r"не\s+пуска(?:ет|ют)", r"доступ\w*\s+запрещ\w*", r"нет\s+доступа",
    r"доступа\s+(?:\S+\s+){0,3}?нет",
    r"access\s+denied", r"403", r"forbidden", r"ошибк\w*\s+доступа", r"отказано\s+в\s+доступе",
    r"не\s+(?:логин|авторизу)\w*", r"выкинул\w*", r"выкидыва\w*",
    r"заблокирован\w*", r"locked\s+out",
    r"(?:can't|cannot|can\s+not)\s+(?:log|sign)\s*in",
)


def _everyone_locked_out(text: str) -> bool:
    return bool(_WHOLE.search(text) and _LET_IN.search(text) and not _ONE_USER.search(text))


# Category order for ties: the more specific, the earlier.
_PRIORITY = (
    Category.OUTAGE,
    Category.SECURITY_QUESTION,
    Category.API_QUESTION,
    Category.PAYMENT_INTEGRATION_SCRIPT,
    Category.CUSTOM_DEVELOPMENT,
    Category.BUSINESS_CASE_IMPLEMENTATION,
    Category.GENERAL_PROGRAMMING,
    Category.OTHER_CHANNEL_OR_OFFTOPIC,
    Category.FEATURE_REQUEST,
    Category.BUG_REPORT,
    Category.SETUP_CONSULTATION,
    Category.FUNCTIONALITY_QUESTION,
)


# Categories decided by what the message is about rather than by its form (question, failure, wish).
_TOPICS = (
    Category.PAYMENT_INTEGRATION_SCRIPT,
    Category.CUSTOM_DEVELOPMENT,
    Category.BUSINESS_CASE_IMPLEMENTATION,
    Category.SECURITY_QUESTION,
    Category.API_QUESTION,
    Category.GENERAL_PROGRAMMING,
    Category.OTHER_CHANNEL_OR_OFFTOPIC,
)
_STRONG_TOPIC = 4


def _score(index: _Index, pattern: re.Pattern[str], weight: int, group: int) -> int:
    """A group's part of its category's score: its weight for each distinct cue found, at most twice."""
    if weight > 1:
        return weight * min(len(set(index.findall(pattern, group))), 2)
    return weight if index.found(pattern, group) else 0


def _cue_scores(index: _Index) -> list[int]:
    """The score of every category, in the order of `Category`; only the groups that may match are tried."""
    scores = [0] * len(_ORDER)
    for group in index.starts:
        entry = _CUE_GROUPS.get(group)
        if entry is not None:
            at, pattern, weight = entry
            scores[at] += _score(index, pattern, weight, group)
    for at, pattern, weight in _CUES_SCANNED:
        scores[at] += _score(index, pattern, weight, -1)
    return scores


def _has(text: str | _Index, vocabulary: _Vocabulary) -> bool:
    index = text if isinstance(text, _Index) else _Index(text)
    tried = index.starts
    return any((group < 0 or group in tried) and index.found(pattern, group) for pattern, _, group in vocabulary)


# --- Normalisation and splitting ---------------------------------------------------------------

_EDGE = " ,;:—–-."
# Commas, dashes, and the words that open a consequence («лежит поэтому не можем выставить счета»).
_COMMA_SEGMENTS = re.compile(
    r"[,;:—–()]|\s-\s|\s(?=(?:поэтому|так\s+что|из-за\s+этого|в\s+итоге|и\s+теперь|а\s+значит|therefore|so\s+we)\s)"
)
# Where a new problem may start. A marker keeps the text after it; a break only splits.
# A new topic is announced by a marker at the start of a sentence, after a comma or a dash, or
# after «и» / «а»: «…, и ещё …», «Также подскажите …», «Кстати, …». A bare «ещё» inside a
# sentence («купить ещё 5 лицензий») announces nothing.
_MARKERS = re.compile(
    r"(?:^|[,;:—–-]\s*|\s(?=(?:и|а|но|ну и)\s))(?=(?:(?:и|а|но|ну и)\s+)?(?:ещ[её]|также|так же|кстати|заодно|"
    r"отдельно|второй вопрос|второе|плюс|also|another question|by the way|во-вторых|в-третьих|кроме того|"
    r"кроме этого|помимо этого|помимо того|p\.?\s?s\.?|вопрос\s+\d|второй момент|отдельный вопрос)(?!\w))"
)
# A list item on its own line: «- не работает поиск», «• хотим интеграцию», «2) …».
_BULLET = re.compile(r"^\s*(?:[-•*—–]|\d{1,2}[).])\s")
_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+|(?:^|\s)(?=\d{1,2}[).]\s)")
_CONJUNCTION_ONLY = re.compile(r"и|а|ну и|но|ну")
_LEADING_AND = re.compile(r"^(?:и|а|ну и|но)\s+")
# What follows and belongs to the problem before it: «если нет — добавьте», a consequence, or what
# the user already tried («пробовал multipart — 400»).
_ATTACHED = re.compile(
    r"^(?:если\s+(?:нет|нельзя|не\b)|а если нет|иначе|из-за этого|поэтому|в результате|теперь\b|"
    r"(?:уже\s+|я\s+|мы\s+)?(?:по)?пробовал\w*|i\s+tried|tried\b|"
    # A plea to undo what was just told («Восстановите из бэкапа», "Please restore") is the same problem.
    r"(?:(?:please|pls|срочно|пожалуйста|прошу|просим|помогите|нужно|надо)\s+)?"
    r"(?:restore|recover|roll\s+back|восстанов\w*|верните\b|вернуть\b|откатите\b)|"
    # «Позвоните мне срочно!» after a report asks to be called about it, not about something else.
    r"(?:(?:срочно|пожалуйста)[\s,]+)?(?:позвоните|перезвоните|наберите)\b)"
)
_ANAPHORA = re.compile(r"(?<!\w)(?:это|этого|этим|эту|его|их|такую|такой|там|ее|нее|ней|него|нему|ним|нем)(?!\w)")
_QUESTION = re.compile(
    r"\?|(?<!\w)(?:как|где|можно ли|есть ли|почему|зачем|какой|какая|какие|сколько|или|how|what|where)(?!\w)"
)


@dataclass(frozen=True, slots=True)
class _Clause:
    text: str
    marked: bool  # starts with «и ещё», «также», … — the user announces a new topic
    start: int  # where it stands in the message
    end: int


def _sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _BREAK.finditer(text):
        if match.end() > position:
            spans.append((position, match.start()))
            position = match.end()
    spans.append((position, len(text)))
    return [(start, end) for start, end in spans if text[start:end].strip()]


def _split(text: str) -> list[_Clause]:
    clauses: list[_Clause] = []
    for sentence_index, (first, last) in enumerate(_sentences(text)):
        sentence = text[first:last]
        starts = [0, *(m.start() for m in _MARKERS.finditer(sentence) if m.start() > 0)]
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(sentence)
            piece = sentence[start:end].strip(" ,;:.!?—–-") + ("?" if "?" in sentence[start:end] else "")
            if not piece.strip(" ?") or _CONJUNCTION_ONLY.fullmatch(piece):
                continue
            opens = sentence_index > 0 and index == 0
            leading_and = opens and bool(_LEADING_AND.match(piece))
            bullet = opens and bool(_BULLET.match(sentence))
            marked = index > 0 or leading_and or bullet or bool(_MARKERS.match(piece))
            clauses.append(_Clause(piece, marked, first + start, first + end))
    return clauses


# --- Deciding one clause -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    category: Category
    critical: bool
    strength: int  # how much evidence: 0 means a guess


@dataclass(frozen=True, slots=True)
class _Features:
    """What the cues found in a stretch of text; features of adjacent clauses add up."""

    scores: tuple[int, ...]  # per category, in the order of `Category`
    payment: bool
    payment_build: bool
    product: bool
    down: bool  # the account, the service or a whole module is unavailable
    lockout: bool  # everyone is locked out
    lost: bool  # data lost across the board
    lost_general: bool  # … and not in one kind of record only
    question: bool
    security_cause: bool  # a security setting or event (2FA, IP limits, passwords changed for all)
    own_site: bool  # the user's own website or site builder
    bare_failure: bool  # a failure predicate said of nothing named in its clause («Не грузится с утра»)
    service_named: bool  # the account, the portal, the system is named («Аккаунт romashka.»)
    small_talk: bool

    def __add__(self, other: _Features) -> _Features:
        return _Features(
            tuple(a + b for a, b in zip(self.scores, other.scores, strict=True)),
            *(getattr(self, name) or getattr(other, name) for name in _FLAGS),
            *(getattr(self, name) and getattr(other, name) for name in _ALL_FLAGS),
        )


_FLAGS = (
    "payment", "payment_build", "product", "down", "lockout", "lost", "lost_general", "question", "security_cause",
    "own_site",
    "bare_failure",
    "service_named",
)
_ALL_FLAGS = ("small_talk",)  # true of a merged stretch only when true of every part
_ORDER = tuple(Category)
_AT = {category: i for i, category in enumerate(_ORDER)}
_TOPIC_RANK = {category: i for i, category in enumerate(_TOPICS)}
_CUE_GROUPS = {
    group: (_AT[category], pattern, weight)
    for category, vocabulary in _CUES.items()
    for pattern, weight, group in vocabulary
    if group >= 0
}
_CUES_SCANNED = tuple(
    (_AT[category], pattern, weight)
    for category, vocabulary in _CUES.items()
    for pattern, weight, group in vocabulary
    if group < 0
)
_PRIORITY_RANK = {category: i for i, category in enumerate(_PRIORITY)}


# «с разных провайдеров», «через другую сеть»: the user has ruled the own connection out.
_RULED_OUT = re.compile(r"(?<!\w)(?:разн|друг|нескольк|любы)\w*\s+(?:провайдер|сет(?:и|ей|ь|ях)\b)\w*")


_CONDITIONAL_LOGIC = re.compile(r"(?<!\w)если\b.{0,300}?(?<!\w)(?:иначе|в\s+противном\s+случае)(?!\w)", re.DOTALL)
# A bare order to build it, not «реализуйте возможность …» (a wish).
_BUILD_IT = re.compile(r"(?<!\w)(?:реализуйте|запрограммируйте|пропишите)(?:\s+(?:это|так|нам|у\s+нас))?\s*(?:[.!]|$)")
_OWN_BILLING = re.compile(
    r"(?<!\w)(?:оплат|плат)\w*\s+(?:\w+\s+){0,2}?(?:подписк|тариф|лиценз)\w*|(?:подписк|тариф|лиценз)\w*\s+(?:\w+\s+){0,2}?оплат\w*"
)
_POLITE_ASK = re.compile(
    r"(?<!\w)хотел\w*\s+бы\s+(?:\w+\s+)?(?:уточнить|узнать|спросить|задать|поинтересоваться|прояснить|понять)(?!\w)"
)


# The office's own connection or power named as what failed («интернет в офисе отключили», «ждём
# провайдера»), or the user saying the matter is not the product's («это не из CRM»): elsewhere (SLA 1.3).
_NOT_OURS = _alternation(
    r"(?:интернет|свет|электричеств)\w*\s+(?:\w+\s+){0,3}?(?:отключ|выключ|вырубил|пропал|нет\b|упал|лежит)\w*",
    r"(?:нет|без)\s+(?:интернет|свет|электричеств)\w*",
    r"(?:отключ|выключ|вырубил|пропал)\w*\s+(?:\w+\s+){0,2}?(?:интернет|свет|электричеств)\w*",
    r"жд(?:ем|у)\s+провайдер\w*",
    r"авари\w*\s+у\s+провайдер\w*",
    r"не\s+(?:из|в|про|по)\s+(?:crm|срм|аспро|aspro)",
    r"(?:к\s+)?ваш\w*\s+(?:продукт|crm|срм|систем)\w*\s+не\s+относ\w*",
)


def _elsewhere(index: _Index, not_ours: bool) -> bool:
    """The user's own site, or other software or machines, not the product's link to them (SLA 1.3)."""
    if not_ours or _has(index, _OWN_SITE):
        return True
    return _has(index, _OTHER_SOFTWARE) and not _has(index, _LINKED) and not _RULED_OUT.search(index.text)


def _features(text: str) -> _Features:
    index = _Index(text)
    scores = _cue_scores(index)
    if "хотел" in text and _POLITE_ASK.search(text):
        # «мы хотели бы уточнить, …»: a polite way into a question, not a wish for the product.
        scores[_AT[Category.FEATURE_REQUEST]] = max(0, scores[_AT[Category.FEATURE_REQUEST]] - _STRONG_TOPIC)
    if _HOW_TO.search(text):
        scores[_AT[Category.SETUP_CONSULTATION]] += 3
    # «если …, иначе …. Реализуйте.»: logic the client dictates, to be built for them (SLA 3.2); each half
    # counts, as the clauses are read one by one and summed.
    if ("иначе" in text or "противном" in text) and _CONDITIONAL_LOGIC.search(text):
        scores[_AT[Category.BUSINESS_CASE_IMPLEMENTATION]] += 3
    if ("реализуйте" in text or "пропишите" in text or "запрограммируйте" in text) and _BUILD_IT.search(text):
        scores[_AT[Category.BUSINESS_CASE_IMPLEMENTATION]] += 3
    not_ours = _NOT_OURS.search(text) is not None and not _RULED_OUT.search(text)
    if not_ours:
        scores[_AT[Category.OTHER_CHANNEL_OR_OFFTOPIC]] += 2 * _STRONG_TOPIC  # SLA 1.3: told as not the product's
    if _HYPOTHESIS.match(text):
        scores[_AT[Category.FUNCTIONALITY_QUESTION]] += 3
    if _IMPERATIVE.search(text):
        scores[_AT[Category.FEATURE_REQUEST]] += 2  # «Сделайте тёмную тему», «Верните старый вид»
    bug = _AT[Category.BUG_REPORT]
    if scores[bug] < _STRONG and _NEGATED_VERB.search(text):
        scores[bug] = _STRONG
    plain = _AND_THAT_IS_ALL.sub(" ", text)  # «крутится загрузка и всё» is not «всё лежит»
    plain_index = index if plain == text else _Index(plain)
    down = _has(plain_index, _HARD_DOWN)
    elsewhere = _elsewhere(index, not_ours)
    bare_failure = False
    if down or _FAILURE.search(plain):
        said_of_service, bare_failure = _failure_of_service(plain)
        if _limited(plain) or elsewhere:
            if (down or said_of_service or bare_failure) and _OVER.search(plain):
                # «минут десять был 502, сейчас всё работает — что это было?»: finding the cause of a
                # failure that is over is diagnosis of an error (SLA 3.1), not a question about a feature.
                scores[bug] = max(scores[bug], _STRONG + 1)
            down = bare_failure = False
        else:
            down = down or said_of_service
    lost = _has(index, _LOST) and _has(index, _MASS) and not _CONTROL_GONE.search(text)
    return _Features(
        scores=tuple(scores),
        # Paying for the subscription itself through a bank is billing (SLA 3.2), not a payment integration.
        payment=_has(index, _PAYMENT) and not _OWN_BILLING.search(text),
        payment_build=_has(index, _PAYMENT_BUILD),
        product=_has(index, _PRODUCT),
        down=down,
        lockout=_has(index, _LOCKOUT) or _everyone_locked_out(text),
        lost=lost,
        lost_general=lost and _has(index, _MASS_GENERAL),
        question=_QUESTION.search(text) is not None,
        security_cause=any(
            weight >= _STRONG_TOPIC and index.found(pattern, group)
            for pattern, weight, group in _CUES[Category.SECURITY_QUESTION]
        ),
        own_site=elsewhere,
        bare_failure=bare_failure,
        service_named=_SERVICE_NAMED.search(plain) is not None,
        small_talk=_SMALL_TALK.search(text) is not None and len(_WORDS.findall(_SMALL_TALK.sub(" ", text))) <= 1,
    )


def _decide(features: _Features) -> _Verdict:
    scores = dict(zip(_ORDER, features.scores, strict=True))
    if features.payment:
        # SLA 3.2: a wish for a payment integration is accepted, writing one is not done.
        if scores[Category.FEATURE_REQUEST] >= _STRONG_TOPIC:
            scores[Category.FEATURE_REQUEST] += _STRONG_TOPIC
        elif features.payment_build:
            scores[Category.PAYMENT_INTEGRATION_SCRIPT] = 2 * _STRONG_TOPIC
    if scores[Category.GENERAL_PROGRAMMING] and features.product:
        scores[Category.GENERAL_PROGRAMMING] //= 3
    if scores[Category.CUSTOM_DEVELOPMENT] < _STRONG_TOPIC:
        scores[Category.CUSTOM_DEVELOPMENT] = 0  # a bare «модуль» or «виджет» is no order for development
    if scores[Category.API_QUESTION] >= _STRONG_TOPIC:
        scores[Category.BUG_REPORT] //= 2  # a failing API call is a question about the API

    # SLA 2.1: restoring operability goes out of turn.
    if features.lockout and features.security_cause:
        return _Verdict(Category.SECURITY_QUESTION, True, 9)
    if features.down or features.lockout or (features.bare_failure and features.service_named):
        return _Verdict(Category.OUTAGE, True, 9)
    if features.lost:
        return _Verdict(Category.OUTAGE if features.lost_general else Category.BUG_REPORT, True, 9)

    topic = max(_TOPICS, key=lambda category: (scores[category], -_TOPIC_RANK[category]))
    if scores[topic] >= _STRONG_TOPIC:
        if topic in _IN_SCOPE and scores[Category.FEATURE_REQUEST] >= _STRONG_TOPIC:
            # A wish about the API or security is still a wish (SLA 3.1, last item).
            return _Verdict(Category.FEATURE_REQUEST, False, scores[Category.FEATURE_REQUEST])
        return _Verdict(topic, False, scores[topic])
    best = max(_PRIORITY[1:], key=lambda category: (scores[category], -_PRIORITY_RANK[category]))
    strength = scores[best]
    if features.small_talk and strength < _STRONG:
        best = Category.OTHER_CHANNEL_OR_OFFTOPIC  # «привет, как дела», «спасибо, хорошего дня»
    elif features.own_site and not features.product:
        # SLA 1.3: the user's own website or site builder, with nothing of the product in the question.
        return _Verdict(Category.OTHER_CHANNEL_OR_OFFTOPIC, False, max(strength, _STRONG_TOPIC))
    elif strength == 0:
        best = Category.FUNCTIONALITY_QUESTION if features.question else Category.BUG_REPORT
    return _Verdict(best, False, strength)


def _verdict(text: str) -> _Verdict:
    return _decide(_features(text))


# --- The message -------------------------------------------------------------------------------

_STRONG = 3  # evidence a first clause needs to stand alone rather than preface what follows
_MARKED = 2  # after «и ещё», «также», «кстати»: any real topic is a new problem
_UNMARKED = 4  # after a plain sentence break: only a clearly different topic is
_FAILURES = frozenset({Category.BUG_REPORT, Category.OUTAGE})


@dataclass(slots=True)
class _Draft:
    """A problem being assembled from consecutive clauses."""

    text: str
    features: _Features
    verdict: _Verdict
    unrelated: bool  # unrelated to the problems before it (SLA 2.4)
    start: int
    end: int
    fixed: bool = False  # its category no longer changes («если нет — добавьте» adds nothing new)

    def extend(self, text: str, features: _Features, end: int, *, keep_category: bool = False) -> None:
        self.text = f"{self.text} {text}"
        self.end = max(self.end, end)
        if keep_category or self.fixed:
            self.fixed = True
            return
        self.features = self.features + features
        verdict = _decide(self.features)
        if self.verdict.critical and not verdict.critical:
            return  # a critical reading is never lost by reading on
        self.verdict = verdict


def _problems(text: str) -> list[_Draft]:
    """Problems in order of mention."""
    drafts: list[_Draft] = []
    pending: _Draft | None = None  # a greeting or a preamble: read it with what follows
    for clause in _split(text):
        features = _features(clause.text)
        if pending is not None:
            pending.extend(clause.text, features, clause.end)
            current, pending = pending, None
            verdict, features = current.verdict, current.features
            clause = _Clause(current.text, clause.marked, current.start, current.end)
        else:
            verdict = _decide(features)
        if not drafts:
            draft = _Draft(clause.text, features, verdict, False, clause.start, clause.end)
            if verdict.strength < _STRONG and not verdict.critical:
                pending = draft
            else:
                drafts.append(draft)
            continue
        previous = drafts[-1]
        body = _LEADING_AND.sub("", clause.text)
        if _ATTACHED.match(body) or features.small_talk:
            # «если нет — добавьте», «из-за этого …»: the same problem, its category unchanged.
            previous.extend(clause.text, features, clause.end, keep_category=True)
            continue
        if clause.marked:
            separate = verdict.strength >= _MARKED or features.question
        else:
            separate = (
                verdict.strength >= _UNMARKED
                and verdict.category != previous.verdict.category
                and not (verdict.category in _FAILURES and previous.verdict.category in _FAILURES)
                # «заблокировались все. Никто не может войти»: one loss of operability told twice (SLA 2.1).
                and not (verdict.critical and previous.verdict.critical)
                and not _ANAPHORA.search(body)
            )
        if separate:
            drafts.append(_Draft(clause.text, features, verdict, True, clause.start, clause.end))
        else:
            previous.extend(clause.text, features, clause.end)
    if pending is not None:
        if drafts:
            drafts[-1].extend(pending.text, pending.features, pending.end)
        else:
            drafts.append(pending)
    if not drafts:
        drafts.append(_Draft(text, _features(text), _verdict(text), False, 0, len(text)))
    return drafts


def _shown(display: str, normalised: str, start: int, end: int) -> str:
    """A problem in the user's words, without the links and punctuation at its edges."""
    while start < end and normalised[start] in _EDGE:
        start += 1
    while end > start and normalised[end - 1] in _EDGE:
        end -= 1
    return display[start:end]


_READABLE = re.compile(r"[^\W_]", re.UNICODE)


MAX_PARTS = 4


def _split_problems(display: str, normalised: str, reader: LinearModel | None) -> tuple[Problem, ...]:
    """The message cut where a new, unrelated problem starts; each part read by the model.

    Only the start of a long message is cut (a ticket is one problem, SLA 2.4: nobody files a dozen
    at once), into at most `MAX_PARTS`; whatever follows belongs to the last part.
    """
    found = _problems(normalised[:MAX_CHARS])
    parts: list[tuple[int, int]] = []
    for draft in found:
        if (draft.unrelated or not parts) and len(parts) < MAX_PARTS:
            parts.append((draft.start, draft.end))
        else:
            parts[-1] = (parts[-1][0], max(parts[-1][1], draft.end))
    if parts and len(normalised) > MAX_CHARS:
        parts[-1] = (parts[-1][0], len(normalised))
    problems = []
    for start, end in parts:
        shown = _shown(display, normalised, start, end) or normalised[start:end]
        part = learned.guess(normalised[start:end], reader)
        problems.append(Problem(shown, Category(part.category), part.critical))
    return tuple(problems)


def _primary_first_of(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    # SLA 2.4 and the labelling policy: the most critical, then in scope, then the first mentioned.
    order = sorted(range(len(problems)), key=lambda i: (not problems[i].critical, not problems[i].category.in_scope, i))
    return tuple(problems[i] for i in order)


def classify(text: str) -> tuple[Category, bool]:
    """The primary problem's category and whether it is critical."""
    reading = read_message(text)
    return reading.category, reading.critical


def read_message(text: str, reader: LinearModel | None = None) -> Reading:
    """Everything a specialist reads from a message, as one value.

    Scope, category, criticality and whether there are several problems are the learned model's
    (`bot.reading`); the rules below only cut a message that has several problems into its parts.
    """
    moderation = moderate(text)
    display, normalised = _prepare(text)
    whole = learned.guess(normalised, reader)
    multi = whole.multi_probability >= learned.MULTI_THRESHOLD
    problems: tuple[Problem, ...] = ()
    if multi:
        problems = _split_problems(display, normalised, reader)
        multi = len(problems) > 1
    # SLA 2.4 and the labelling policy: each part read on its own, the primary chosen among them.
    problems = _primary_first_of(problems) if multi else (Problem(display, Category(whole.category), whole.critical),)
    primary = problems[0]
    return Reading(
        profanity=moderation.profanity,
        insult=moderation.insult,
        scope="in" if primary.category.in_scope else "out",
        category=primary.category,
        critical=primary.critical,
        multi_problem=multi,
        account=find_account(text),
        problems=problems,
        readable=bool(_READABLE.search(normalised)),
        outage_unsure=whole.outage_unsure and not multi,
        confidence=whole.category_probability,
    )
