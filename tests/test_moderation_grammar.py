"""Moderation read as a grammar (SLA 4.2, 4.8): every addressee × label × frame, every obfuscation × word.

Insults are generated from the ways a message names support (addressee forms), the demeaning labels in
their inflections and the sentence frames they stand in; the same labels aimed at the writer's own
people, the bot or the writer must not count. Obscene words are disguised by the generators people
really use; the same generators applied to innocent words must leave them clean.
"""

from __future__ import annotations

import itertools

import pytest

from bot.moderation import moderate

# ---------------------------------------------------------------------------------------------
# Insults: addressee × label × frame
# ---------------------------------------------------------------------------------------------

# Support named as a group (plural agreement) and as one person (singular agreement).
STAFF_PLURAL = (
    "вы", "ваша поддержка", "операторы", "ваши разработчики", "специалисты", "техподдержка",
    "сотрудники аспро", "ваши программисты", "саппорт", "ваши менеджеры", "разрабы", "ваши специалисты",
)
STAFF_SINGULAR = ("ваш оператор", "ты", "ваш программист", "специалист поддержки", "ваш консультант")
OWN_PLURAL = ("наши менеджеры", "мои коллеги", "клиенты", "наши сотрудники", "мы")
OWN_SINGULAR = ("мой бухгалтер", "клиент", "этот бот", "я", "наш стажёр", "мой коллега")

# Noun labels: nominative plural, nominative singular, genitive plural, instrumental plural.
NOUNS = (
    ("идиоты", "идиот", "идиотов", "идиотами"),
    ("дебилы", "дебил", "дебилов", "дебилами"),
    ("кретины", "кретин", "кретинов", "кретинами"),
    ("придурки", "придурок", "придурков", "придурками"),
    ("бездари", "бездарь", "бездарей", "бездарями"),
    ("недоумки", "недоумок", "недоумков", "недоумками"),
    ("тупицы", "тупица", "тупиц", "тупицами"),
    ("олухи", "олух", "олухов", "олухами"),
    ("дилетанты", "дилетант", "дилетантов", "дилетантами"),
    ("неучи", "неуч", "неучей", "неучами"),
    ("бараны", "баран", "баранов", "баранами"),
    ("клоуны", "клоун", "клоунов", "клоунами"),
    ("мудаки", "мудак", "мудаков", "мудаками"),
    ("долбоёбы", "долбоёб", "долбоёбов", "долбоёбами"),
    ("ебланы", "еблан", "ебланов", "ебланами"),
    ("рукожопы", "рукожоп", "рукожопов", "рукожопами"),
    ("лентяи", "лентяй", "лентяев", "лентяями"),
)
# Adjective labels: plural, masculine singular.
ADJECTIVES = (
    ("тупые", "тупой"), ("безмозглые", "безмозглый"), ("криворукие", "криворукий"),
    ("бестолковые", "бестолковый"), ("некомпетентные", "некомпетентный"), ("безграмотные", "безграмотный"),
    ("тупорылые", "тупорылый"), ("ебанутые", "ебанутый"), ("бездарные", "бездарный"),
)

NOUN_FRAMES = ("{a} — {l}", "{a} просто {l}", "{a} там все {l}, третий день жду ответа", "ну и {l} же {a}",
               "{a} — полные {l}, ничего не работает", "{a} {l}, сколько можно?")
NOUN_FRAMES_SINGULAR = ("{a} — {l}", "{a} просто {l}", "{a} {l}, сколько можно?", "ну и {l} же {a}")
ADJ_FRAMES = ("{a} {l}", "{a} совсем {l}, ничего не работает", "{a} такие {l}, сил нет")
ADJ_FRAMES_SINGULAR = ("{a} {l}", "{a} совсем {l}, ничего не работает")
# The label names support inside a phrase: «идиоты из поддержки», «сборище идиотов».
STAFF_PHRASES = (
    "{nom} из поддержки опять всё сломали", "{nom} из техподдержки не читают тикеты",
    "с {ins} из аспро невозможно работать", "у вас в поддержке одни {nom}",
    "в техподдержке сидят {nom}", "сборище {gen}, а не поддержка",
)


# Support named after its label, by a comparison, by irony or in English.
STAFF_AFTER = ("специалисты ваши", "операторы ваши", "разработчики ваши", "программисты у вас")
COMPARISONS = ("как обезьяны", "как стадо баранов", "как бараны", "как обезьяны с гранатой", "как клоуны")
COMPARISON_FRAMES = ("работаете {c}", "вы {c}, честное слово", "отвечаете {c}, ничего не читаете")
IRONY = ("гении", "умники", "профессионалы", "светила", "эксперты", "мастера")
IRONY_FRAMES = ("{l} поддержки, вы вообще тестируете перед релизом?",
                "спасибо, {l} из техподдержки, теперь всё сломалось окончательно",
                "ну {l}, опять всё упало", "{l} из аспро опять ничего не починили")
SINCERE_FRAMES = ("вы {l}, спасибо, всё заработало!", "ваши специалисты — настоящие {l}, спасибо за помощь")
ENGLISH_STAFF = ("support", "your support team", "your developers", "you guys", "the support team")
ENGLISH_LABELS = ("idiots", "morons", "clowns", "incompetent fools", "a bunch of clowns", "losers")
ENGLISH_FRAMES = ("{a} are {l}", "{a} are such {l}, nothing works")


def _insult_cases() -> list[str]:
    cases: list[str] = []
    for noun, frame in itertools.product(NOUNS, NOUN_FRAMES):
        cases += [frame.format(a=a, l=noun[0]) for a in STAFF_PLURAL]
    for noun, frame in itertools.product(NOUNS, NOUN_FRAMES_SINGULAR):
        cases += [frame.format(a=a, l=noun[1]) for a in STAFF_SINGULAR]
    groups = [a for a in STAFF_PLURAL if a not in ("ваша поддержка", "техподдержка", "саппорт")]
    for adj, frame in itertools.product(ADJECTIVES, ADJ_FRAMES):
        cases += [frame.format(a=a, l=adj[0]) for a in groups + list(STAFF_AFTER)]
    for adj, frame in itertools.product(ADJECTIVES, ADJ_FRAMES_SINGULAR):
        cases += [frame.format(a=a, l=adj[1]) for a in STAFF_SINGULAR if a != "ты"]
    for (nom, _, gen, ins), frame in itertools.product(NOUNS, STAFF_PHRASES):
        cases.append(frame.format(nom=nom, gen=gen, ins=ins))
    for adj, staff in itertools.product(ADJECTIVES, ("операторы", "разработчики", "специалисты", "сотрудники")):
        cases.append(f"{adj[0]} {staff} опять не ответили")
    cases += [frame.format(c=c) for c, frame in itertools.product(COMPARISONS, COMPARISON_FRAMES)]
    cases += [frame.format(l=label) for label, frame in itertools.product(IRONY, IRONY_FRAMES)]
    for a, label, frame in itertools.product(ENGLISH_STAFF, ENGLISH_LABELS, ENGLISH_FRAMES):
        cases.append(frame.format(a=a, l=label))
    vulgar_adjectives = ("долбаные", "грёбаные", "чёртовы")
    for vulgar, staff in itertools.product(vulgar_adjectives, ("специалисты", "операторы", "разрабы")):
        cases += [f"{vulgar} {staff} опять не ответили", f"{staff} ваши {vulgar}, сколько можно"]
    cases += [f"ваши сотрудники ведут себя как дети, {noun[0]}" for noun in NOUNS]
    feminine = ("тупая", "бестолковая", "безграмотная", "некомпетентная", "криворукая")
    cases += [f"{adj} у вас поддержка" for adj in feminine] + [f"{adj} у вас техподдержка, сил нет" for adj in feminine]
    cases += [f"{a} с руками из жопы" for a in ("разработчики", "программисты у вас", "ваши специалисты")]
    cases += [f"fuck you, {a}" for a in ENGLISH_STAFF] + [f"{a}, fuck off" for a in ENGLISH_STAFF]
    return cases


def _not_insult_cases() -> list[str]:
    cases: list[str] = []
    for noun, frame in itertools.product(NOUNS, NOUN_FRAMES):
        cases += [frame.format(a=a, l=noun[0]) for a in OWN_PLURAL]
    for noun, frame in itertools.product(NOUNS, NOUN_FRAMES_SINGULAR):
        cases += [frame.format(a=a, l=noun[1]) for a in OWN_SINGULAR]
    for adj, frame in itertools.product(ADJECTIVES, ADJ_FRAMES):
        cases += [frame.format(a=a, l=adj[0]) for a in OWN_PLURAL]
    for adj, frame in itertools.product(ADJECTIVES, ADJ_FRAMES_SINGULAR):
        cases += [frame.format(a=a, l=adj[1]) for a in OWN_SINGULAR]
    cases += [f"{a} же не {noun[0]}, понимаете" for noun, a in itertools.product(NOUNS, ("вы", "ваши специалисты"))]
    cases += [f"чувствую себя {noun}" for noun in ("идиотом", "дебилом", "кретином", "придурком", "олухом", "бараном")]
    cases += [f"наши менеджеры работают {c}" for c in COMPARISONS]
    cases += [f"кто-то из наших {noun[2]} удалил сделку" for noun in NOUNS]
    cases += [f"ИИ {adj[1]}" for adj in ADJECTIVES]
    cases += ["сделайте защиту от дурака", "нужна защита от идиота при удалении"]
    cases += [f"клиенты у нас {c}, ничего не читают" for c in COMPARISONS]
    cases += [frame.format(l=label) for label, frame in itertools.product(IRONY, SINCERE_FRAMES)]
    own = ("my colleagues are", "our managers are", "my clients are", "this bot is")
    cases += [f"{a} {label}" for a, label in itertools.product(own, ENGLISH_LABELS)]
    return cases


INSULTS = _insult_cases()
NOT_INSULTS = _not_insult_cases()


def _failures(texts: list[str], want: bool) -> list[str]:
    return [text for text in texts if moderate(text).insult is not want]


def test_labels_aimed_at_support_are_insults() -> None:
    missed = _failures(INSULTS, True)
    assert not missed, f"{len(missed)}/{len(INSULTS)} missed, e.g. {missed[:15]}"


def test_labels_aimed_at_own_people_the_bot_or_oneself_are_not() -> None:
    flagged = _failures(NOT_INSULTS, False)
    assert not flagged, f"{len(flagged)}/{len(NOT_INSULTS)} flagged, e.g. {flagged[:15]}"


# ---------------------------------------------------------------------------------------------
# Obfuscation generators
# ---------------------------------------------------------------------------------------------

MAT = (
    "хуйня", "пиздец", "ебать", "заебали", "блядь", "мудак", "пидорас", "залупа", "охуеть", "нахуй",
    "ебаный", "долбоёб", "пиздабол", "хуёво", "блять", "уебище", "пиздато", "ебанутый", "мудила",
    "распиздяй", "выебываться", "хуесос", "манда", "охуенно", "спиздили",
)
INNOCENT = (
    "рубля", "корабля", "команда", "употреблять", "тебя", "страхуй", "психуй", "вебхук", "скипидар",
    "мандарин", "командировка", "оскорблять", "потребляет", "себестоимость", "вебинар", "хлебобулочный",
    "колебание", "мудрый", "мудрость", "сабля", "ансамбль", "требуется", "учебник", "гребля", "ослаблять",
    "дебет", "хутор", "ребята", "психует", "застрахуем", "рубанок", "оглобля", "мандат", "мандолина",
    "деблокировка", "колеблются", "истреблять", "влюбляться", "хлебнуть", "небо", "амбулатория",
    "стебель", "мандраж", "рекомендация", "гамбургер", "потребитель",
)
_LATIN_LOOKALIKE = str.maketrans("аеорсхукмт", "aeopcxykmt")
_DIGIT_LOOKALIKE = str.maketrans("зббо", "3660")


def lookalike_all(word: str) -> str:
    return word.translate(_LATIN_LOOKALIKE)


def lookalike_alternate(word: str) -> str:
    return "".join(ch.translate(_LATIN_LOOKALIKE) if k % 2 else ch for k, ch in enumerate(word))


def digits(word: str) -> str:
    return word.translate(_DIGIT_LOOKALIKE)


def separated(sep: str):  # type: ignore[no-untyped-def]
    def apply(word: str) -> str:
        return sep.join(word)

    apply.__name__ = f"separated_{sep!r}"
    return apply


def stretched(word: str) -> str:
    for k, ch in enumerate(word):
        if ch in "аеёиоуыюя" and k > 0:
            return word[:k] + ch * 4 + word[k + 1 :]
    return word + word[-1] * 3


def zero_width(word: str) -> str:
    return "\u200b".join(word)


def soft_hyphen(word: str) -> str:
    return word[:2] + "\u00ad" + word[2:]


def capitals(word: str) -> str:
    return "".join(ch.upper() if k % 2 == 0 else ch for k, ch in enumerate(word))


def masked(mask: str):  # type: ignore[no-untyped-def]
    """One vowel inside the word replaced by the mask («п*здец», «еб@ть», «бл*дь»)."""

    def apply(word: str) -> str:
        for k, ch in enumerate(word):
            if ch in "аеёиоуыюя" and 0 < k < len(word) - 1:
                return word[:k] + mask + word[k + 1 :]
        return word

    apply.__name__ = f"masked_{mask!r}"
    return apply


def mixed_separators(word: str) -> str:
    """«м.у-д_а к»: different separators, a space among them."""
    return "".join(ch + ".-_ "[k % 4] for k, ch in enumerate(word))[:-1]


def dotted_groups(word: str) -> str:
    """«п.и.з д.е.ц»: two dotted groups split by a space."""
    return ".".join(word[:3]) + " " + ".".join(word[3:])


def broken_once(word: str) -> str:
    """«ебан утый»: a stray space after the fourth letter, when the rest is no word of its own."""
    return word[:4] + " " + word[4:]


def glued(word: str) -> str:
    """Typed without the space: «вотхуйня», «пиздецопять»."""
    return "вот" + word if len(word) % 2 else word + "опять"


SPELT = (mixed_separators, dotted_groups)
COMMON = (lookalike_all, lookalike_alternate, digits, separated("."), separated("-"), separated("_"),
          separated(" "), separated("/"), stretched, zero_width, soft_hyphen, capitals)
GLUED = (glued,)
MASKS = (masked("*"), masked("@"), masked("#"), masked("..."))
FRAMES = ("{w}", "ну {w}, опять не грузится отчёт", "сделки пропали — {w}!")


@pytest.mark.parametrize("obfuscate", COMMON + SPELT + GLUED + MASKS, ids=lambda f: f.__name__)
def test_obfuscated_mat_is_profanity(obfuscate) -> None:  # type: ignore[no-untyped-def]
    texts = [frame.format(w=obfuscate(word)) for word in MAT for frame in FRAMES]
    missed = [text for text in texts if not moderate(text).profanity]
    assert not missed, f"{len(missed)}/{len(texts)} missed, e.g. {missed[:10]}"


@pytest.mark.parametrize("word", ["ебанутый", "распиздяй", "спиздили", "пиздабол", "выебываться", "охуенно"])
def test_a_word_broken_once_by_a_space_is_read_whole(word: str) -> None:
    assert moderate(f"ну {broken_once(word)} какой-то").profanity


@pytest.mark.parametrize("obfuscate", COMMON + SPELT + GLUED, ids=lambda f: f.__name__)
def test_obfuscated_innocent_words_stay_clean(obfuscate) -> None:  # type: ignore[no-untyped-def]
    texts = [frame.format(w=obfuscate(word)) for word in INNOCENT for frame in FRAMES]
    flagged = [text for text in texts if moderate(text).profanity]
    assert not flagged, f"{len(flagged)}/{len(texts)} flagged, e.g. {flagged[:10]}"
