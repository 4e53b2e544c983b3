"""Ticket details found in a user's free text: browser/OS, steps to reproduce, a help link, «не знаю».

Everything here is vocabulary of the domain and the shape of the text (numbered lines, arrows,
first-person actions), not a list of known sentences.
"""

from __future__ import annotations

import itertools
import re

_VERSION = r"(?:\s*(?:v|вер\.?|версии|версия)?\s*\d{1,4}(?:[.,]\d{1,5}){0,3})?"

_BROWSERS = (
    r"google\s+chrome|chrome|chromium|хром(?:е|а|ом)?|гугл\s*хром\w*"
    r"|firefox|mozilla(?:\s+firefox)?|фаерфокс\w*|файрфокс\w*|мозил+\w*"
    r"|safari|сафари"
    r"|microsoft\s+edge|edge|эдж\w*"
    r"|opera(?:\s+gx)?|(?<=в\s)опере\b|опер(?:а|е|ой|у)\b(?=\s*\d)|опер[аеу](?=\s+(?:браузер|gx))"
    r"|yandex\s*browser|яндекс[\s.\-]*браузер\w*|yandex|яндекс(?:е|а)?(?=\s*\d)"
    r"|brave|vivaldi|internet\s+explorer"
)
_SYSTEMS = (
    r"windows(?:\s*(?:xp|vista|7|8\.1|8|10|11))?|win\s*(?:7|8|10|11)|виндовс\w*|винд(?:а|е|у|ой)\b"
    r"|mac\s*os(?:\s*x)?|macos|мак\s*ос|os\s*x|макбук\w*|macbook"
    r"|linux|линукс\w*|ubuntu|убунт\w*|debian|fedora|astra\s*linux|астр[аеу]\s*линукс\w*"
    r"|android|андроид\w*|ios|айос|iphone|айфон\w*|ipad|айпад\w*"
)
_ENVIRONMENT = re.compile(
    rf"(?<![\w.])(?:{_BROWSERS}|{_SYSTEMS}){_VERSION}(?![\w])",
    re.IGNORECASE,
)
_MOBILE_APP = re.compile(r"мобильн\w+\s+приложени\w+|приложени\w+\s+на\s+(?:телефоне|смартфоне)", re.IGNORECASE)

_DONT_KNOW = re.compile(
    r"^\W*(?:не\s+знаю|не\s+помню|не\s+уверен\w*|без\s+понятия|понятия\s+не\s+имею|неизвестно|хз"
    r"|нет|не\s+могу\s+(?:сказать|повторить|воспроизвести)|не\s+воспроизводится|никак|сложно\s+сказать"
    r"|don'?t\s+know|no\s+idea|idk)\b[\w\s,.!?-]{0,40}$",
    re.IGNORECASE,
)

_STEPS_LABEL = re.compile(
    r"(?:шаги(?:\s+воспроизведения)?|как\s+воспроизвести|порядок\s+действий|что\s+делаю|steps)\s*[:—-]\s*(.+)",
    re.IGNORECASE | re.DOTALL,
)
_LIST_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-•*–])\s+\S")
_ARROW = re.compile(r"→|->|=>|⇒|»|›|(?<=\s)>(?=\s)")
_ACTION = re.compile(
    r"\b(?:захож\w*|заш[её]л\w*|зашла|захожу|открыва\w*|открыл\w*|открою|нажима\w*|нажал\w*|нажму|жм[уё]\w*"
    r"|кликa\w*|клика\w*|кликну\w*|выбира\w*|выбрал\w*|заполня\w*|заполнил\w*|перехож\w*|переш[её]л\w*|перешла"
    r"|ввож\w*|ввел\w*|ввёл\w*|вводим|сохраня\w*|сохранил\w*|загружа\w*|загрузил\w*|создаю|создал\w*"
    r"|добавля\w*|добавил\w*|пытаюсь|пробую|попробовал\w*|отправля\w*|отправил\w*|удаляю|удалил\w*"
    r"|перетаскива\w*|перетащил\w*|импортиру\w*|запуска\w*|запустил\w*|включа\w*|включил\w*|меня\w*|изменил\w*)",
    re.IGNORECASE,
)
_SEQUENCE = re.compile(r"\b(?:сначала|сперва|потом|затем|после\s+этого|далее|в\s+итоге)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")

_HELP_LINK = re.compile(r"(?:https?://)?(?:www\.)?[\w.-]*aspro\.cloud/help/[^\s<>\"'«»)]*", re.IGNORECASE)


# «Windows 10 и 11», «Chrome 120/121»: more versions of the same thing.
_MORE_VERSIONS = re.compile(r"(?:\s*(?:/|и|или)\s*\d{1,4}(?:[.,]\d{1,5}){0,3}(?![\w.,]\d))+", re.IGNORECASE)
# What may stand between two mentions of one setting: «сафари на макбуке», «Chrome 120, Windows 11».
_JOINER = re.compile(r"[\s,/+]*(?:(?:и|на|в|во|под|или|с|через)[\s,/+]+)*", re.IGNORECASE)


def _environment_mentions(text: str) -> list[str]:
    """Where the text names its browser and system, in the user's words: mentions with their extra
    versions; neighbours parted only by «на», «и», a comma… make one mention («сафари на макбуке»),
    those parted by a bare space get a comma between them («Chrome 120 Windows 11»)."""
    groups: list[list[tuple[int, int]]] = []
    for match in _ENVIRONMENT.finditer(text):
        start, end = match.span()
        if groups and start < groups[-1][-1][1]:
            continue
        if text[start:end].rstrip()[-1:].isdigit():
            more = _MORE_VERSIONS.match(text, end)
            end = more.end() if more else end
        if groups and _JOINER.fullmatch(text, groups[-1][-1][1], start):
            groups[-1].append((start, end))
        else:
            groups.append([(start, end)])
    mentions = []
    for group in groups:
        value = text[group[0][0]:group[0][1]]
        for (_, previous_end), (start, end) in itertools.pairwise(group):
            gap = text[previous_end:start]
            value += (", " if not gap.strip() else gap) + text[start:end]
        mentions.append(value)
    return mentions


def extract_environment(text: str) -> str | None:
    """«Chrome 120, Windows 11», «сафари на макбуке» from anywhere in the text, in the user's own words
    (several places joined by commas); None if absent."""
    found: list[str] = []
    seen: set[str] = set()
    for mention in _environment_mentions(text):
        value = " ".join(mention.split()).strip(" ,.")
        if value and value.lower() not in seen:
            seen.add(value.lower())
            found.append(value)
    mobile = _MOBILE_APP.search(text)
    if mobile:
        found.append(" ".join(mobile.group(0).split()))
    return ", ".join(found) if found else None


def is_dont_know(text: str) -> bool:
    """«не знаю», «не помню», «нет» and the like, as a whole short answer."""
    return bool(_DONT_KNOW.match(text.strip())) and len(text.strip()) <= 60


def _is_environment_only(sentence: str) -> bool:
    """«Chrome 120, Windows 11.» names the browser and system and nothing else."""
    rest = _ENVIRONMENT.sub(" ", sentence)
    rest = re.sub(r"(?i)\b(?:браузер|система|ос|os|версия|version|у\s+меня|в|на|и)\b", " ", rest)
    return _ENVIRONMENT.search(sentence) is not None and not re.search(r"\w{2,}", rest)


def steps_answer(text: str) -> str | None:
    """The steps in an answer to «how to reproduce?»: its sentences that are not only the browser and
    system; None when nothing else is left («Chrome 120, Windows 11» is no steps)."""
    parts = [part.strip() for part in _SENTENCE.split(text.strip()) if part and part.strip()]
    steps = " ".join(part for part in parts if not _is_environment_only(part))
    return steps if re.search(r"\w{2,}", steps) else None


def same_text(part: str | None, whole: str | None) -> bool:
    """Whether `part` is already said in `whole` (spacing, case and final punctuation aside)."""
    if not part or not whole:
        return False
    def fold(value: str) -> str:
        return " ".join(value.lower().replace("ё", "е").split()).strip(" .,;:!?")
    return fold(part) in fold(whole)


def extract_steps(text: str) -> str | None:
    """Steps to reproduce when the text has them: a labelled part, a numbered list, arrows, or actions."""
    labelled = _STEPS_LABEL.search(text)
    if labelled:
        parts = [part for part in _SENTENCE.split(labelled.group(1).strip()) if part and part.strip()]
        steps = " ".join(part.strip() for part in parts if not _is_environment_only(part))
        if len(steps) >= 5:
            return steps
    lines = [line.strip() for line in text.splitlines() if _LIST_LINE.match(line)]
    if len(lines) >= 2:
        return "\n".join(lines)
    sentences = [part.strip() for part in _SENTENCE.split(text) if part and part.strip()]
    arrows = [part for part in sentences if len(_ARROW.findall(part)) >= 2]
    if arrows:
        return " ".join(arrows)
    with_actions = [part for part in sentences if _ACTION.search(part)]
    distinct = {match.group(0).lower()[:5] for part in with_actions for match in _ACTION.finditer(part)}
    if len(distinct) >= 2 and (len(with_actions) >= 2 or _SEQUENCE.search(" ".join(with_actions)) or
                               len(_ACTION.findall(" ".join(with_actions))) >= 2):
        return " ".join(with_actions)
    return None


def extract_help_link(text: str) -> str | None:
    """A link to a help-center article the user already read (SLA 1.2)."""
    match = _HELP_LINK.search(text)
    if not match:
        return None
    link = match.group(0).rstrip(".,;:!?")
    if link.rstrip("/").lower().endswith("aspro.cloud/help"):
        return None  # the help center's front page is not an article
    return link if link.lower().startswith("http") else "https://" + link


_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# internationalised names too (ооо-вектор.aspro.cloud, ромашка.рф): an address is kept as the user typed it
_DOMAIN = re.compile(r"^(?:[a-z0-9а-яё](?:[a-z0-9а-яё-]{0,61}[a-z0-9а-яё])?\.)+(?:[a-z]{2,}|рф|рус|москва|дети)$")


def account_from_answer(text: str) -> str | None:
    """A bare answer to «what is your account?»: `romashka` → romashka.aspro.cloud, a domain kept."""
    words = text.strip().strip(".,!;:«»\"'").lower().split()
    if len(words) != 1:
        return None
    word = re.sub(r"^https?://", "", words[0]).removeprefix("www.").split("/", 1)[0]
    if _DOMAIN.match(word):
        return word
    if _SLUG.match(word) and not word.isdigit() and len(word) >= 2:
        return f"{word}.aspro.cloud"
    return None


_OTHER_CHANNELS = re.compile(
    r"\b(?:телефон\w*|позвон\w*|перезвон\w*|звонит\w*|созвон\w*|номер\w*\s+(?:поддержки|телефона)|горяч\w+\s+лини\w*"
    r"|skype|скайп\w*|whats\s*app|ватсап\w*|вотсап\w*|viber|вайбер\w*|google\s*talk|zoom|зум\w*|phone|call"
    r"|телеграм\w*|telegram|в\s+личк\w*|мессенджер\w*)\b|(?:\+7|\b8)[\s(-]*\d{3}[\d\s()-]{6,}",
    re.IGNORECASE,
)
_SALES = re.compile(
    r"\b(?:стоимост\w*|цен[аыуе]\b|прайс\w*|тариф\w*|лицензи\w*|скидк\w*|купить|покупк\w*|счет\w*\s+на\s+оплату"
    r"|сч[её]т\w*\s+на\s+оплату|продлен\w*|подписк\w*|сколько\s+стоит)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\W*(?:привет\w*|здравствуй\w*|добр\w+\s+(?:день|утро|вечер)|доброго\s+\w+|hi|hello"
    r"|как\s+дела|ты\s+(?:бот|кто)|кто\s+ты|есть\s+кто|ау|тест\w*)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(r"^\W*(?:спасибо|благодар\w*|thanks?|thank\s+you|хорошего\s+дня)\b", re.IGNORECASE)


def offtopic_kind(text: str) -> str:
    """What an out-of-scope «other» message is: channels (SLA 4.5), sales, thanks, a greeting, or other."""
    if _OTHER_CHANNELS.search(text):
        return "channels"
    if _SALES.search(text):
        return "sales"
    short = len(_WORD.findall(text)) <= 8
    if _THANKS.match(text) and short:
        return "thanks"
    if _GREETING.match(text) and short:
        return "greeting"
    return "other"


_WORD = re.compile(r"\w+")


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


def original_span(text: str, fragment: str) -> str:
    """The part of `text` a normalised `fragment` of it came from, in the user's own spelling.

    Triage hands out the problems of a message lower-cased and stripped of punctuation and links;
    a ticket keeps the words as the user wrote them. Falls back to `fragment` when it is not found.
    """
    wanted = [_fold(word) for word in _WORD.findall(fragment)]
    words = [(match.start(), match.end(), _fold(match.group(0))) for match in _WORD.finditer(text)]
    if not wanted or not words:
        return fragment.strip()
    best: tuple[int, int, int] | None = None  # (matched, start index, end index)
    for first in range(len(words)):
        if words[first][2] != wanted[0]:
            continue
        matched, position, last = 1, first + 1, first
        for word in wanted[1:]:
            look = position
            while look < len(words) and look - position < 12 and words[look][2] != word:
                look += 1  # words the normaliser dropped (a link's parts) are skipped
            if look < len(words) and words[look][2] == word:
                matched, position, last = matched + 1, look + 1, look
        if best is None or (matched, first - last) > (best[0], best[1] - best[2]):  # more words, then tighter
            best = (matched, first, last)
    if best is None or best[0] < 0.7 * len(wanted):
        return fragment.strip()
    start, end = words[best[1]][0], words[best[2]][1]
    if _DANGLING.fullmatch(words[best[2]][2]):
        link = _LINK_AFTER.match(text, end)  # the normaliser dropped a link the sentence ends with
        end = link.end() if link else end
    tail = re.match(r"[^\w\s]*", text[end:])
    span = text[start:end + (tail.end() if tail else 0)].strip()
    unmarked = _TOPIC_MARKER.sub("", span)
    if unmarked != span and unmarked:
        unmarked = unmarked[0].upper() + unmarked[1:]
    return _undangle(unmarked) or fragment.strip()


# Words a sentence does not end with: a span ending so was cut (its link dropped, the next problem begun).
_DANGLING = re.compile(r"в|во|на|и|а|но|с|со|к|ко|по|у|о|об|от|до|для|из|за|при|про|или|что|как|когда|если")
_LINK_AFTER = re.compile(r"\s+(?:https?://[^\s<>\"']+|(?:[\w-]+\.)+[a-zа-я]{2,}(?:/[^\s<>\"']*)?)(?<![.,;:!?])",
                         re.IGNORECASE)


def _undangle(span: str) -> str:
    """The span without a dangling last word («…карточка сделки в») or a trailing comma or dash."""
    while True:
        trimmed = span.rstrip(" ,;:—–-")
        last = re.search(r"\s(\w+)$", trimmed)
        if last and last.group(1).islower() and _DANGLING.fullmatch(_fold(last.group(1))):  # «вкладка А» stays
            trimmed = trimmed[: last.start()]
        if trimmed == span:
            return span
        span = trimmed


# How people announce the next topic; not part of the problem itself.
_TOPIC_MARKER = re.compile(
    r"^(?:(?:и|а)\s+(?:ещ[её]|также|вот)|ещ[её]\s+(?:вопрос|проблема|одно)|ещ[её]|также|кроме\s+того|помимо\s+этого"
    r"|во-?первых|во-?вторых|в-?третьих|кстати|p\.?\s*s\.?|вопрос\s*(?:№\s*)?\d+|\d+\s*[.)])[\s:,.;—–-]*"
    # «Второе, совсем другое:», «И второй вопрос —», «Другая проблема:»: an ordinal or «другое» and a stop
    r"|^(?:(?:и|а)\s+)?(?:ещ[её]\s+)?(?:(?:перв|втор|трет|четв[её]рт)\w*|друг\w*|отдельн\w*|нов\w*)"
    r"(?:\s+(?:вопрос|проблем\w*|момент|тем[аы]))?(?:\s*[,—–-]\s*(?:совсем|абсолютно|вообще|уже)?\s*"
    r"(?:друго[ей]|друг\w+\s+(?:вопрос|тема|проблема)|не\s+связан\w*(?:\s+с\s+этим)?|о\s+другом))?\s*[:—–-]\s*"
    r"|^(?:(?:и|а)\s+)?(?:втор|трет|четв[её]рт)(?:ое|ой|ая|ий)\s*,\s*",
    re.IGNORECASE,
)


_URL_OR_DOMAIN = re.compile(r"https?://\S+|(?<![\w@])(?:[\w-]+\.)+(?:cloud|ru|com|net|org|рф|su|io|pro)\b\S*",
                            re.IGNORECASE)


def search_query(text: str) -> str:
    """The question without the details that only mislead a help-center search: addresses, browser, OS."""
    cleaned = _ENVIRONMENT.sub(" ", _URL_OR_DOMAIN.sub(" ", text))
    return " ".join(cleaned.split())
