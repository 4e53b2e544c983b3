"""Moderation of a user's message: obscene language and insults to support staff.

SLA 4.2: a request must not contain нецензурная лексика or оскорбление сотрудников; SLA 4.8: such a
request may be left unanswered. The labelling policy (which roots are мат, which words are only
euphemisms or vulgar, whom an insult must be aimed at) is described in ``benchmarks/data/README.md``.

The reading is made of mechanisms rather than lists of the labelled lines: Unicode's own tables for
look-alikes, the Russian dictionary (pymorphy3, OpenCorpora) for what is a word and whose lemma it is,
and root patterns for мат. See ``bot/moderation/letters.py`` for the tables and the dictionary.

How a text is read:

1. Unicode is folded (NFKD compatibility forms: fullwidth, math and circled letters), accents and
   invisible characters (zero-width, soft hyphen, bidi controls) are dropped, keeping only the
   marks of й and ё; letters of other scripts are read as what they look like by the UTS #39
   confusables classes, or else by their Unicode names («χ» → х, «ᴎ» → и, «ⷥ» → з, «🅱» → b);
   a pictograph inside or closing a word stands for letters and is a mask («пиз🔥ец»), unless a whole
   dictionary word stands before it («спасибо🙏»); «3.14»/«π» glued to letters is read as «пи».
2. Whitespace tokens are cut into parts on inner separators (``х-у-й``, ``п.и.з.д.а``); the parts, the
   joined token and runs of single letters or short fragments split by spaces (``х у й н я``,
   ``пиз дец``, ``ебан утый``) are all candidates, but dictionary words side by side are no split word
   («у нас уйма»). A word spelt letter by letter (``т е б я``, ``к.о-р_а б.л-я``) is read whole,
   never by the letters inside it; an obscene word glued to a short common word (``вотхуйня``) or
   typed together with several words (``нахуйтакделать``) is read apart from them.
3. A candidate word is folded (ё→е, stretched letters collapsed); mixed-script or digit-laden
   words are read through the look-alike readings of the same table (x→х, 3→з, 6→б, b→в …) plus the
   typed shapes it lacks (leet, the italic «n» for «п»), pure Latin words through transliteration
   (``nahuj`` → «нахуй») and checked for English *fuck*.
4. The folded word is matched against morphology-aware root patterns: a root is only obscene at the
   start of a word or after a chain of real prefixes (за-, на-, по-, от(ъ)-, раз(ъ)- …), with the
   continuations that root really has.
5. The exception list, after every rewrite (look-alikes, transliteration, gluing, joining, spelling):
   a word the dictionary knows as a form of a clean lemma is innocent («мандаты», «застрахуйте»,
   «оскорблять»), unless that very form is a common obscene one («хули»); a capitalised word inside a
   sentence that is a proper name by the dictionary or Latin read only through transliteration is a
   name («Чжан Хуэй», «в городе Hui»).
6. Masked words (``бл*``, ``п**да``, ``еб@ть``, ``nah*j``) are matched against a lexicon of obscene forms
   generated from the same roots: the visible letters must fit one of them, the mask standing for
   one to three letters.

An insult (SLA 4.2) needs a demeaning label (a noun such as «идиоты», «мудаки», an adjective such
as «тупые», «криворукие» said of people, a staff word with a belittling prefix «недопрограммисты»,
or an idiom with no label word: «руки из одного места», «мозгов нет») or obscene abuse («идите
нахуй»), aimed at support: said to «вы»/«ты», of staff nouns (операторы, разработчики, поддержка,
«консультант Анна»), or as a bare address in a message spoken to someone («слушайте, клоуны, …»,
«Эй, гении», «Эй, залупа, …»); a comparison of the addressee named only by its verb («работаете как
обезьяны») or staff worse in wit than a bot or an animal («попугай толковее ваших специалистов»); praise for
staff with blame or failure, which is irony («гении поддержки»). A weak label (an animal, a thing)
counts only as a form of the word itself («баранина» is meat). Labels aimed at the user's own people
(«наш менеджер», «у нас сотрудники», клиент), at other companies («их поддержка», «разработчики Битрикс24»,
«Гугл — …»), at the bot or at the writer («ну и идиоты же мы»), and negated ones («вы же не идиоты»)
are not insults; quoted speech is not the user's own words. Russian typed in Latin letters is read
through its transliteration.

Rudeness with no label and no мат («да пошли вы», «идите лесом», «отвалите») is no insult:
``Moderation.rude`` lets the dialogue ask the user to keep it constructive without refusing the message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from bot.moderation import letters
from bot.moderation.letters import (
    addresses_you,
    animate,
    dictionary_innocent,
    known_word,
    lemmas,
    letter_reading,
    lookalike_readings,
    organisation,
    part_of_speech,
    personal_name,
    proper_noun,
)

__all__ = ["Moderation", "clear_caches", "moderate", "obscene_form", "prepare"]


@dataclass(frozen=True, slots=True)
class Moderation:
    """What moderation found in one message."""

    profanity: bool
    insult: bool
    matches: tuple[str, ...] = ()  # the normalised words that triggered (obscene words, then the insult)
    # Rudeness with no demeaning label and no мат («да пошли вы»): not an insult (SLA 4.2 as labelled),
    # the user is only asked to keep it constructive.
    rude: bool = False

    @property
    def flagged(self) -> bool:
        return self.profanity or self.insult


# --------------------------------------------------------------------------------------------
# Character-level normalisation
# --------------------------------------------------------------------------------------------

_CYR = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LAT = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_MASKS = "*@#!$%…"
_SEPARATORS = ".-_/|\\+~=,:;'`"
# Punctuation stripped from both ends of a whitespace token (masks are kept).
_EDGE = "\"'«»„“”‚‘’()[]{}<>,;:?.!…—–-―_/|\\~^`"

_MAX_SPLIT_RUN = 16  # letters of one word split by spaces, at most
_MAX_WORD = 48  # longer "words" (after collapsing stretched letters) are not read as one word
_WINDOW = 10  # how far from a label its target is looked for, in tokens


_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Printable ASCII, Russian letters and common typographic punctuation: `_strip_invisible` leaves
# such a text as it is (NFKD then NFC gives back й and ё; nothing else decomposes).
_PLAIN_TEXT_RE = re.compile("[\n\x20-\x7e\u0410-\u044f\u0401\u0451«»—–“”„’‘]*")
_PI_RE = re.compile(r"(?:3[.,]14|π)(?=[^\W\d_])|π(?=\d)|(?<=[^\W\d_])(?:3[.,]14|π)")
_REPEAT_RE = re.compile(r"(.)\1+")
_STRETCH_RE = re.compile(r"(.)\1{2,}")  # three or more: a stretch, never Russian spelling
_CYR_WORD_RE = re.compile(f"[{_CYR}]+")


def _words(text: str) -> list[str]:
    return text.split()


def _strip_invisible(text: str) -> str:
    """Fold compatibility forms, drop invisible characters and accents, turn controls into spaces.

    Accents are dropped (NFKD, then marks removed) except the breve of й and the diaeresis of ё:
    «ху́йня», «хўйня» read as «хуйня».
    """
    if _PLAIN_TEXT_RE.fullmatch(text):
        return text  # nothing to fold, drop or recompose
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKD", text))
    if text.isascii():
        return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    out: list[str] = []
    prev = ""
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Mn":
            if (ch == "\u0306" and prev in "иИ") or (ch == "\u0308" and prev in "еЕ"):
                out.append(ch)
            elif (letter := letter_reading(ch)) is not None:
                out.append(letter)  # a combining letter written over the line: «пиⷥдец»
            continue
        if cat in ("Me", "Cf"):
            continue
        if cat[0] in "CZ" and ch != "\n":
            out.append(" ")
        else:
            out.append(letter_reading(ch) or ch)
        prev = ch
    return _EMOJI_IN_WORD_RE.sub(_emoji_in_word, unicodedata.normalize("NFC", "".join(out)))


# A pictograph standing between letters or closing a word («пиз🔥ец», «х🤡йня», «ху😡») stands for letters:
# it is read as a mask. (Pictographs that are letters, «🅱», are read as those letters above.) After a whole
# word of the dictionary («спасибо🙏», «на👍») it is only a pictograph.
# A run of letters is tried once, from its start and without giving letters back: a 100,000-letter run
# with no pictograph is one pass, not one per letter.
_EMOJI_IN_WORD_RE = re.compile(
    "(?<![^\\W\\d_])([^\\W\\d_]++)([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]+)(?=([^\\W\\d_])?)"
)


def _emoji_in_word(match: re.Match[str]) -> str:
    letters, inside = match.group(1), match.group(3) is not None
    if not inside and known_word(letters.lower()):
        return f"{letters} "
    return f"{letters}*"


def _read_letters(word: str) -> str:
    """Letters of other scripts read as the Russian or Latin letters they look like (see ``letters``)."""
    if word.isascii() or _PLAIN_TEXT_RE.fullmatch(word):
        return word
    return "".join(letter_reading(ch) or ch for ch in word)


def _fold(word: str) -> str:
    """Lower case, ё→е, stretched letters collapsed: the form root patterns are written in."""
    word = word.lower().replace("ё", "е")
    return _REPEAT_RE.sub(r"\1", word)


# Look-alikes used inside mixed-script or digit-laden words: what the Unicode confusables table says a
# Latin letter or digit looks like (``letters.lookalike_readings``: x→х, 3→з, 6→б, b→в/ь …), then the
# letter's transliteration, then the shapes people type that the table does not hold (leet and the italic
# forms of Russian letters: «n» for «п», «u» for «и», «4» for «ч», «3» for «е»). Several readings where
# ambiguous.
_TYPED_SHAPES: dict[str, str] = {
    "b": "б", "g": "д", "l": "и", "n": "п", "u": "и", "w": "ш", "y": "й", "3": "е", "4": "ча", "9": "я", "1": "и",
    "@": "аи", "$": "с", "€": "е",
}


# Transliteration of whole Latin words (multi-letter groups first).
_TRANSLIT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shch", ("щ",)), ("sch", ("щ",)), ("sh", ("ш",)), ("ch", ("ч",)), ("zh", ("ж",)), ("kh", ("х",)),
    ("ts", ("ц",)), ("ya", ("я",)), ("yu", ("ю", "уи")), ("yo", ("е",)), ("ye", ("е",)), ("ja", ("я",)),
    ("ju", ("ю",)), ("jo", ("е",)), ("ia", ("я", "иа")), ("iu", ("ю",)), ("ck", ("к",)),
    ("a", ("а",)), ("b", ("б",)), ("c", ("ц", "к", "с")), ("d", ("д",)), ("e", ("е",)), ("f", ("ф",)),
    ("g", ("г",)), ("h", ("х",)), ("i", ("и", "й")), ("j", ("й", "ж")), ("k", ("к",)), ("l", ("л",)),
    ("m", ("м",)), ("n", ("н",)), ("o", ("о",)), ("p", ("п",)), ("q", ("к",)), ("r", ("р",)),
    ("s", ("с",)), ("t", ("т",)), ("u", ("у",)), ("v", ("в",)), ("w", ("в",)), ("x", ("х", "кс")),
    ("y", ("ы", "й", "у")), ("z", ("з",)), ("'", ("ь",)),
    ("0", ("о",)), ("3", ("з",)), ("4", ("ч",)), ("6", ("б",)), ("9", ("я",)),
)
_MAX_VARIANTS = 48


def _lookalike_table() -> dict[str, str]:
    table: dict[str, str] = {}
    translit = {
        group: "".join(r for r in readings if len(r) == 1) for group, readings in _TRANSLIT_GROUPS if len(group) == 1
    }
    for ch in sorted(set(_LAT) | set(_DIGITS) | set(_TYPED_SHAPES)):
        shapes = lookalike_readings().get(ch, "")
        readings = shapes.replace("ь", "") + translit.get(ch, "") + _TYPED_SHAPES.get(ch, "") + shapes
        readings = "".join(dict.fromkeys(r for r in readings if r in _CYR))
        if readings:
            table[ch] = readings
    return table


_LOOKALIKE = _lookalike_table()
# Latin letters that look exactly like Russian ones (by the table): a word made only of them may be Russian
# in disguise («xyecoc»), and a Russian word may hide English in them («fuсk» with a Russian «с»).
_TWINS = {ch: (readings.replace("ь", "") or readings)[0] for ch, readings in lookalike_readings().items() if ch in _LAT}
_LATIN_TWINS = str.maketrans(_TWINS)
_CYR_TO_LAT = str.maketrans({cyr: lat for lat, cyr in sorted(_TWINS.items(), reverse=True)})
_LOOKALIKE_ONLY_RE = re.compile(f"[{''.join(_TWINS)}]{{4,}}")


def _variants(word: str, options: Iterable[tuple[str, tuple[str, ...]]]) -> list[str]:
    """All readings of ``word`` under ``options`` (group → choices), capped; unknown chars kept."""
    table = tuple(options)
    results = [""]
    i = 0
    while i < len(word):
        choices: tuple[str, ...] = (word[i],)
        step = 1
        for group, readings in table:
            if word.startswith(group, i):
                choices, step = readings, len(group)
                break
        i += step
        results = [r + c for r in results for c in choices][:_MAX_VARIANTS]
    return results


def _lookalike_variants(word: str) -> list[str]:
    return _variants(word, ((k, tuple(v)) for k, v in _LOOKALIKE.items()))


def _translit_variants(word: str) -> list[str]:
    return _variants(word, _TRANSLIT_GROUPS)


# --------------------------------------------------------------------------------------------
# Obscene roots (мат), in folded form: ё→е, no doubled letters
# --------------------------------------------------------------------------------------------

# Prefixes ending in a vowel attach directly; those ending in a consonant need ъ/ь before е- roots.
_PFX_VOWEL = "за|на|по|до|вы|у|о|а|при|про|пере|недо|не|ни|подо|изо|обо|разо|со|во|взо|надо"
_PFX_CONS = "с|в|из|об|от|под|над|раз|рас|вз|вс|без|бес|пред"
_PFX_ANY = f"(?:{_PFX_VOWEL}|{_PFX_CONS})"
# At most two prefixes, the second one at least two letters long: «с-у-хую» is «сухую», not a prefix chain.
_PFX_CHAIN = f"(?:{_PFX_ANY}(?:(?!у|о|а|с|в){_PFX_ANY})?)?"

_ROOT_PATTERNS = (
    # хуй / хуе / хуя / хую / хуи: at the start or after real prefixes (нахуй, охуеть, схуяли).
    rf"{_PFX_CHAIN}ху[йяеюи]\w*",
    r"(?:на|а)?хул[еи]",
    # пизд and its phonetic spellings: no innocent Russian word contains these letters.
    r"\w*(?:пи|пе)[зс][дж]\w*",
    rf"{_PFX_CHAIN}пзд\w*",
    # еб / ёб after a prefix (заебали, отъебись, долбоеб); ъ/ь required after a consonant prefix.
    rf"(?:{_PFX_VOWEL}|(?:{_PFX_CONS})[ъь])+(?:еб|йоб|йеб)\w*",
    r"(?:долб[ао]|муд[ао]|пизд[ао]|мозг[ао]|хуе|хуй)(?:еб|йоб)\w*",
    r"\w{3,}[ое]еб(?:ы|а|ов|ам|ами|у|ом|ск\w*|ств\w*|ин\w*)?",
    # bare еб-/йоб- at the start of a word, with the continuations the root has.
    r"(?:е|йо|йе)б(?:"
    r"а[лтшцвкр]\w*|ан(?:[ыаоуеиья]|н|ут|ат|аш|ул|ис|ц|ем|ой|ько|тя)\w*"  # ебать, ебаный, ебанько
    r"|у(?:[тчщнх]\w*)?|е[тшм]\w*|ен(?:я|ях|ей|ям|а|у)|от\w*|л[аоияеу]\w*|н[уиеыо]\w*"  # ебут, ебеня, ебло
    r"|и(?:с\w*|ч\w*|т|те)?|ыр\w*|ош\w*|т(?:в|ф)\w*|к\w*|т(?:ыт|ит)\w*|та"  # ебись, ебический, ебырь, ёбтыть
    r")?",
    # phonetic ипать / ибать / епать, only in the forms people write.
    rf"(?:{_PFX_VOWEL})?(?:и|е)[пб](?:ат[ьъ](?:ся|са|ца)?|атс[яа]|ал[аио]?(?:сь|ся)?"
    r"|ан(?:ут|у|ый|ая|ое|ые|ат|ашк|ьк)\w*|ну(?:л|т|в)\w*|ись|ац\w*|уч\w*)",
    # бля / блять / блядь and their derivatives; бляха (a euphemism) is not one of them.
    r"(?:вы|по|раз|рас|за|на)?бляд\w+",
    r"бл(?:я|еа|иа|йа)(?:[дт]\w*)?",
    r"бле(?:ат|ад)\w*|блэ(?:ат|т|ть|д|дь)",
    # муд(ак) family; мудрый, мудрость, мудрец are not.
    rf"(?:{_PFX_VOWEL})?муд(?:ак|аг|ач|ац|ил|оз|ох|оеб|ищ)\w*|обмуд(?:ок|к)\w*",
    # пидор / пидар / пидр; скипидар, лапидарный, эпидермис are not (start-anchored).
    r"(?:рас|раз|от|за)?пид[оаеи]р"
    r"(?:|ы|а|у|ом|ов|ам|ами|ах|е|ас\w*|аст\w*|ск\w*|ок\w*|к\w*|н\w*|ил\w*|ищ\w*|юг\w*)",
    r"(?:рас|раз|от|за)?(?:пидр\w*|педрил\w*)",
    # залуп
    rf"{_PFX_CHAIN}залуп\w*",
    # манда (not мандат, мандарин, команда)
    r"манд(?:а|ы|е|у|ой|ою|ами|ах|ам|авош\w*)",
    # English in Cyrillic letters
    r"(?:мазер|маза)?фак(?:инг|ин|ер|еры|ерс|ерша)|мазафак\w*",
)
_ANYWHERE_RE = re.compile(r"(?:пи|пе)[зс][дж]|пзд")
_OBSCENE_RE = re.compile("|".join(f"(?:{p})" for p in _ROOT_PATTERNS))

# English words and brands that transliteration would otherwise read as Russian мат.
_INNOCENT_LATIN = frozenset(
    _words("hues hued hyundai ebit mandy")
)
# Letter groups of English spelling that transliterated Russian does not use («eyeball», «Wednesday»).
# («aya», «eyu» are Russian endings typed in Latin: «zaebanaya», not English «way», «okay»).
_ENGLISH_SHAPE_RE = re.compile(r"th|wh|ee|oo|ea|ey(?![aeiouy])|ay(?![aeiouy])|ou|qu|gh|w|ll|ss|bb|tt|pp|ff|ck")
_SHORT_LATIN = frozenset({"huy", "hui", "huj", "xuy", "xyu", "xui", "xuj", "bl9"})

_ENGLISH_RE = re.compile(
    r"fuck|fukk|^fuk(?:ing|in|ed|er|s)?$|^fck|^fcuk|^phuck|^fking|^wtf$|^stfu$|^mothaf|^motherf"
)

# A lexicon of common obscene forms, generated from the roots, for reading masked words.
_LEXICON_CYR_BASE = """
хуй хуя хую хуем хуе хуи хуев хуям хуями хуях хуйня хуйни хуйне хуйню хуйней хуйло хуйла хуило
хуила хуета хуеты хуету хуетой хуево хуевый хуевая хуевое хуевые хуевина хуевину хуяк хуярить
хуярит хуячить хуесос хуесосы хуеплет хуеплеты хуйнуть хуйнул хуйнула хуле хули хуеть
нахуй нахуя похуй похую нихуя дохуя охуеть охуел охуели охуела охуенно охуенный охуенная охуительно
охуевший охуевшие ахуеть ахуенно захуярить отхуярить расхуярить схуяли нехуй прихуел
пизда пизды пизде пизду пиздой пиздец пиздеца пиздецом пиздеть пиздит пиздишь пиздеж пиздато
пиздатый пиздос пиздюк пиздюли пиздабол пиздаболы пиздобол пиздобол пиздорукий пиздорукие
пизданулось пизданулся пизданутый пиздануть спиздить спиздили спизжено распиздяй распиздяи
распиздяйство распиздон опизденеть запиздячить пиздуй пиздуйте песдец пездец писдец пздц
ебать ебал ебала ебали ебало ебаный ебаная ебаное ебаные ебаным ебаных ебаного ебанутый
ебанутая ебанутые ебанат ебанаты ебанатик ебанатики еблан ебланы ебланище ебло ебля ебучий
ебучая ебучие ебучее ебу ебут ебет ебешь ебись ебнуть ебнул ебнулась ебнулось ебнулся ебнутый
ебашить ебошить ебический ебанько ебаться ебутся ебется еби ебырь ебеня ебенях
заебать заебал заебала заебали заебало заебись заебался заебут заебешь наебать наебали наебка
наебнулось поебень поебать поебота уебать уебок уебки уебище уебища уебан уебаны выебать выебон
выебываться доебаться доебались отъебаться отъебись съебать съебались съебался разъебать
разъебали разъебай подъебнуть подъебка переебать проебать проебали проеб приебаться объебать
въебать изъебнуться долбоеб долбоебы долбаеб мудоеб мозгоеб недоебаный
йобаный йобнулся ипать ибать заипали ибанутый
бля блять блядь блят бляд бляди блядей блядям блядина блядство блядский блядская блядун выблядок
блеать блиать
мудак мудаки мудака мудаку мудаком мудачье мудачок мудачина мудила мудилы мудило мудозвон
мудозвоны мудоеб мудохаться замудохаться мудацкий мудацкая
пидор пидоры пидора пидору пидором пидорас пидорасы пидорасов пидорасина пидар пидары пидарас
пидарасы пидер пидераст пидр пидрила пидорский распидорасило
залупа залупы залупу залупой залупиться залупился залупаться
манда манды манду мандой мандавошка мандавошки
факинг мазафака мазафакер
"""
_LEXICON_LATIN = _words("fuck fucking fucked fucker fuckers fuckin fucks motherfucker fck fcking fuk fuking")


def _match_folded(word: str) -> bool:
    return bool(word) and _OBSCENE_RE.fullmatch(word) is not None


def _lexicon() -> tuple[str, str]:
    words = dict.fromkeys(_fold(w) for w in _LEXICON_CYR_BASE.split())  # standard spellings come first
    cyr = "\n".join(w for w in words if _match_folded(w))
    latin = "\n".join(_LEXICON_LATIN)
    return cyr, latin


_LEX_CYR, _LEX_LATIN = _lexicon()
_LEX_SET = frozenset(_LEX_CYR.split())
# Beginnings of obscene words: a word split by spaces («пиз дец», «ху йня») starts with one of them.
_LEX_STARTS = frozenset(w[:n] for w in _LEX_CYR.split() for n in (1, 2, 3))
# Longer beginnings: a word broken once by a stray space («ебан утый», «расп издяй»).
_LEX_LONG_STARTS = frozenset(w[:n] for w in _LEX_CYR.split() for n in (4, 5) if len(w) > n + 1)


_CLASS_RES: dict[str, re.Pattern[str]] = {}


def _has(word: str, alphabet: str) -> bool:
    pattern = _CLASS_RES.get(alphabet)
    if pattern is None:
        pattern = _CLASS_RES[alphabet] = re.compile(f"[{re.escape(alphabet)}]")
    return pattern.search(word) is not None


def _obscene_lemma(lemma: str) -> bool:
    folded = _fold(lemma)
    return folded in _LEX_SET or _match_folded(folded)


def _innocent(word: str) -> bool:
    """The exception list, after any rewrite: a word the dictionary knows as a form of a clean lemma
    («мандаты», «застрахуйте»), unless that very form is a common obscene one («хули» is also «хулить»)."""
    word = word.lower()
    return _fold(word) not in _LEX_SET and dictionary_innocent(word, _obscene_lemma)


def _match_cyrillic(word: str) -> str | None:
    folded = _fold(word)
    if not _CYR_WORD_RE.fullmatch(folded):
        return None
    return folded if _match_folded(folded) and not _innocent(word) else None


def _match_masked(word: str) -> str | None:
    """A masked word is obscene when its visible letters plus the mask fit a lexicon form."""
    word = word.lower().replace("...", "…")
    word = word.strip("".join(ch for ch in _SEPARATORS if ch not in "…"))
    visible = [ch for ch in word if ch not in _MASKS]
    letters = [ch for ch in visible if ch in _CYR or ch in _LAT or ch in _DIGITS]
    if len(letters) < 2 or len(letters) != len(visible):
        return None
    if not any(ch in _CYR or ch in _LAT for ch in letters):
        return None  # «3.4», «1-2»: numbers, however they are separated
    latin_only = not _has(word, _CYR) and not _has(word, _DIGITS)
    parts: list[str] = []
    i = 0
    while i < len(word):
        if word[i] in _MASKS:
            j = i
            while j < len(word) and word[j] in _MASKS:
                j += 1
            ellipsis = "…" in word[i:j]
            if i == 0:
                parts.append(".{1,2}")
            elif j == len(word):
                parts.append(".{1,2}" if ellipsis else ".{1,3}")
            else:
                parts.append(".{1,4}" if ellipsis else ".{1,3}")
            i = j
            continue
        ch = word[i]
        if latin_only:
            parts.append(re.escape(ch))
        else:
            reading = _LOOKALIKE.get(ch, ch) if ch not in _CYR else ch.replace("ё", "е")
            parts.append(f"[{reading}]" if len(reading) > 1 else re.escape(reading))
        i += 1
    if not any(p.startswith("[") or not p.startswith(".") for p in parts):
        return None
    pattern = "".join(parts)
    pattern = re.sub(r"(\[[^\]]+\]|[^.\[\]{}\d,])\1+", r"\1", pattern)  # stretched visible letters
    lexicon = _LEX_LATIN if latin_only else _LEX_CYR
    found = re.search(f"^(?:{pattern})$", lexicon, re.MULTILINE)
    if found:
        return found.group(0)
    if latin_only:  # «p*zdets», «nah*j»: each run of visible Latin letters read in all its transliterations
        runs: list[str] = []
        visible = ""
        for p in [*parts, ".{0}"]:
            if p.startswith("."):
                if visible:
                    runs.append("(?:" + "|".join(_translit_variants(visible)) + ")")
                    visible = ""
                runs.append(p)
            else:
                visible += re.sub(r"\\(.)", r"\1", p)
        found = re.search(f"^(?:{''.join(runs)})$", _LEX_CYR, re.MULTILINE)
    return found.group(0) if found else None


_DIGITS_AS_LATIN = str.maketrans({"0": "o", "1": "i", "3": "z", "4": "ch", "6": "b"})


@lru_cache(maxsize=65536)
def obscene_form(word: str) -> str | None:
    """The normalised obscene word ``word`` reads as, or None. ``word`` is one token, any script."""
    word = _read_letters(word).lower()
    if not word or len(_REPEAT_RE.sub(r"\1", word)) > _MAX_WORD:
        return None
    if _has(word, _MASKS):
        found = _match_masked(word)
        if found:
            return found
        # «пизд@тая»: the visible letters alone may already carry a root; «п@здец»: @ read as a letter.
        # Only the part before the mask starts the word; пизд is obscene anywhere.
        parts = re.split(f"[{re.escape(_MASKS)}]+", word)
        for k, part in enumerate(parts):
            found = obscene_form(part) if len(part) >= 3 else None
            if found and (k == 0 or _ANYWHERE_RE.search(found)):
                return found
        unmasked = word.replace("@", "а").replace("$", "с")
        if not _has(unmasked, _MASKS):
            return obscene_form(unmasked)
        return obscene_form(re.sub(f"[{re.escape(_MASKS)}]", "", word))  # «х*у*й»: masks as separators
    has_cyr = _has(word, _CYR)
    has_lat = _has(word, _LAT)
    has_digit = _has(word, _DIGITS)
    if not has_cyr and not has_lat:
        return None
    if has_lat and not has_cyr:
        if has_digit:
            word = word.translate(_DIGITS_AS_LATIN)  # «p1zdets», «pi3dec»: digits typed for letters
        folded = _REPEAT_RE.sub(r"\1", word)
        if _ENGLISH_RE.search(folded):
            return folded
        if word in _INNOCENT_LATIN or folded in _INNOCENT_LATIN:
            return None
        unstretched = re.sub(r"(.)\1{2,}", r"\1", word)  # a doubled letter is English spelling, a tripled one a stretch
        if (len(folded) < 4 and folded not in _SHORT_LATIN) or _ENGLISH_SHAPE_RE.search(unstretched):
            return None
        for candidate in _translit_variants(folded):
            found = _match_cyrillic(candidate)
            if found and not found.startswith(("фак", "маз")):  # «facing», «faker» are English
                return found
        if _LOOKALIKE_ONLY_RE.fullmatch(word):  # «xyecoc»: Cyrillic letters typed as their Latin twins
            return _match_cyrillic(word.translate(_LATIN_TWINS))
        return None
    if has_lat or has_digit:
        if has_lat and _ENGLISH_RE.search(_REPEAT_RE.sub(r"\1", word.translate(_CYR_TO_LAT))):
            return _REPEAT_RE.sub(r"\1", word.translate(_CYR_TO_LAT))  # «fuсk» with a Cyrillic с
        for candidate in _lookalike_variants(word):
            found = _match_cyrillic(candidate)
            if found:
                return found
        return None
    found = _match_cyrillic(word)
    if found is None and len(word) >= 6:
        glued = _match_glued(word) or _match_run_on(word)
        # a word of the dictionary is no two words glued: «мандаты», «мандатам»
        return glued if glued and not _innocent(word) else None
    return found


# Short words people glue to the next or previous one when typing fast: «вотхуйня», «бляопять».
_GLUE_WORDS = frozenset(
    _fold(w)
    for w in _words(
        "вот это эта этот ну да ваще вообще просто полная полный полнейший полнейшая какая какой какое "
        "опять снова всё все ты вы мы мне нам вам же прям прямо очень как так тут там что уже ещё короче "
        "сплошная сплошной реально тупо"
    )
)
_GLUE_LENGTHS = sorted({len(w) for w in _GLUE_WORDS})


def _match_glued(word: str) -> str | None:
    """An obscene word glued to a short common word before or after it (both parts whole words); the
    part left is read as any word is, the exception list included."""
    word = word.lower()
    folded = _fold(word)
    if not _CYR_WORD_RE.fullmatch(folded):
        return None
    for n in _GLUE_LENGTHS:
        if len(word) - n < 3:
            break
        if _fold(word[:n]) in _GLUE_WORDS and (found := _match_cyrillic(word[n:])):
            return found
        if _fold(word[-n:]) in _GLUE_WORDS and (found := _match_cyrillic(word[:-n])):
            return found
    return None


_RUN_ON_MIN = 9  # letters of a token read as several words typed without spaces


def _match_run_on(word: str) -> str | None:
    """«нахуйтакделать»: words typed without spaces, an obscene form at the start or the end, the
    rest made of words the dictionary knows."""
    word = word.lower()
    if len(word) < _RUN_ON_MIN or not _CYR_WORD_RE.fullmatch(word):
        return None
    folded = _STRETCH_RE.sub(r"\1", word.replace("ё", "е"))
    if not _RUN_ON_END_RE.search(folded) and not _RUN_ON_START_RE.match(folded):
        return None  # the common case: no obscene form at either end
    for form in _LEX_RUN_ON:
        if folded.endswith(form):
            rest = folded[: -len(form)]
            # the form must not be the end of a longer word: «вот|ко|манда» is «вот команда»
            if not any(known_word(rest[k:] + form) for k in range(len(rest))) and _segments(rest):
                return form
        if folded.startswith(form):
            rest = folded[len(form) :]
            if not any(known_word(form + rest[:k]) for k in range(1, len(rest) + 1)) and _segments(rest):
                return form
    return None


@lru_cache(maxsize=4096)
def _segments(text: str, parts: int = 4) -> bool:
    """``text`` is one to ``parts`` dictionary words typed together (each at least two letters, or «я», «в» …)."""
    if not text:
        return True
    if parts == 0:
        return False
    for cut in range(len(text), 0, -1):
        head = text[:cut]
        if (len(head) >= 2 or head in _ONE_LETTER_WORDS) and known_word(head) and _segments(text[cut:], parts - 1):
            return True
    return False


_ONE_LETTER_WORDS = frozenset("явкусоиа")
# Obscene forms long enough not to turn up inside innocent words by chance, longest first.
_LEX_RUN_ON = tuple(sorted((w for w in _LEX_SET if len(w) >= 4), key=len, reverse=True))
_RUN_ON_END_RE = re.compile(f"(?:{'|'.join(_LEX_RUN_ON)})$")
_RUN_ON_START_RE = re.compile(f"(?:{'|'.join(_LEX_RUN_ON)})")


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

# Anything between letters that is neither a letter, a digit nor a mask separates pieces of a word.
_SPLIT_RE = re.compile(f"(?:[^\\w{re.escape(_MASKS)}]|_)+")
_WORDISH_RE = re.compile(f"[{_CYR}{_LAT}{_DIGITS}{re.escape(_MASKS)}]", re.IGNORECASE)
_LETTERS_RE = re.compile(f"[{_CYR}{_LAT}{_DIGITS}{re.escape(_MASKS.replace('…', ''))}]+", re.IGNORECASE)
# Short words that are never the first piece of a word split by spaces.
_COMMON_SHORT = frozenset(
    _words(
        "в к с у о и а я за на по до от из не ни но да же ли бы ну то ты вы мы он она оно они её их ей им "
        "мне все всё там тут как так что где кто это его без для под над при про уже еще ещё вот нет или "
        "если раз два три ой ах эх эй ага угу мой моя наш ваш"
    )
)


@dataclass(slots=True)
class _Token:
    text: str  # the token without edge punctuation, as written
    norm: str  # folded reading used for vocabularies
    obscene: str | None
    capital: bool
    sentence_start: bool
    comma_before: bool
    break_after: bool  # a sentence ends after this token
    pause_after: bool  # a comma, dash or colon follows


def _norm_word(word: str) -> str:
    """A folded Cyrillic reading of a word for vocabulary look-ups (look-alikes mapped)."""
    low = _read_letters(word).lower()
    if (_has(low, _LAT) or _has(low, _DIGITS)) and _has(low, _CYR):
        low = "".join(_LOOKALIKE.get(ch, ch)[0] if ch not in _CYR else ch for ch in low)
    return _fold("".join(ch for ch in low if ch.isalnum()))


@lru_cache(maxsize=65536)
def _read_word(core: str) -> tuple[str, str | None]:
    """A token's folded reading for vocabularies and its obscene reading, if any."""
    return _norm_word(core), _check_parts(core)


_INNER_ELLIPSIS_RE = re.compile(r"(?<=\w)(?:\.{2,}|…)(?=\w)")


def _check_parts(core: str) -> str | None:
    """The obscene reading of one whitespace token: its parts, the parts joined, the masked form."""
    inner = core
    while len(inner) > 2 and inner[0] == inner[-1] and inner[0] in "*_~":
        inner = inner[1:-1]  # *emphasis*, _emphasis_
    if ".." in inner or "…" in inner:  # «бл...дь», «х…йня»: an ellipsis inside a word is a mask
        found = obscene_form(_INNER_ELLIPSIS_RE.sub("…", inner))
        if found:
            return found
    parts = [p for p in _SPLIT_RE.split(inner) if p]
    for part in parts:
        found = obscene_form(part)
        if found:
            return found
    if len(parts) > 1:
        joined = "".join(parts)
        found = obscene_form(joined)
        if found:
            return found
        if _has(inner, "_.-"):
            masked = re.sub(r"(?<=\w)[_.\-](?=\w)", "*", inner)
            return obscene_form(masked)
    return None


@lru_cache(maxsize=65536)
def _read_raw(raw: str) -> tuple[str, bool, bool, bool, str, str | None]:
    """One whitespace token: (core, word-like, sentence break after, pause after, reading, obscene reading).

    For a token that is no word («—», «...»), the flags say what it marks after the word before it.
    """
    core = raw.strip(_EDGE)
    tail = raw[len(raw.rstrip(_EDGE)) :] if core else raw
    lead = raw[: len(raw) - len(raw.lstrip(_EDGE))] if core else ""
    if core and (tail.startswith("...") or tail.startswith("…")):
        core += "…"
    if core and "*" in raw and not core.endswith("*") and tail.startswith("*"):
        core += "*"
    if core and lead.endswith("*") and not core.startswith("*"):
        core = "*" + core
    if not _WORDISH_RE.search(core):
        return core, False, _has(raw, ".!?…"), raw in ("—", "–", "-", ":", "―"), "", None
    norm, obscene = _read_word(core)
    return core, True, _has(tail, ".!?…"), _has(tail, ",:;—–-"), norm, obscene


_NON_SPACE_RE = re.compile(r"\S+")


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    sentence_start = True
    comma_before = False
    multiline = "\n" in text
    for raw_match in _NON_SPACE_RE.finditer(text):
        core, wordish, break_after, pause_after, norm, obscene = _read_raw(raw_match.group(0))
        if not wordish:
            if tokens:
                if pause_after:
                    tokens[-1].pause_after = True
                if break_after:
                    tokens[-1].break_after = True
                    sentence_start = True
            continue
        newline_after = multiline and "\n" in text[raw_match.end() : raw_match.end() + 2]
        tokens.append(
            _Token(
                text=core,
                norm=norm,
                obscene=obscene,
                capital=core[:1].isupper(),
                sentence_start=sentence_start,
                comma_before=comma_before,
                break_after=break_after or newline_after,
                pause_after=pause_after,
            )
        )
        comma_before = pause_after
        sentence_start = break_after or newline_after
    _spare_latin_names(tokens)
    _join_split_words(tokens)
    return tokens


_LATIN_NAME_RE = re.compile("[A-Z][a-z]+")


def _spare_latin_names(tokens: list[_Token]) -> None:
    """«Wang Hui», «в городе Hui», «Чжан Хуэй»: a capitalised word inside a sentence is a name when it is
    Latin read only through transliteration, or the dictionary knows it as a proper name, and its
    reading is no common obscene form. English obscenities stay what they are."""
    for token in tokens:
        if not token.obscene or token.sentence_start or not token.capital or token.text[1:] != token.text[1:].lower():
            continue
        if _LATIN_NAME_RE.fullmatch(token.text):
            if _has(token.obscene, _CYR):
                token.obscene = None
        elif _CYR_WORD_RE.fullmatch(token.text.lower()) and token.obscene not in _LEX_SET and proper_noun(token.text):
            token.obscene = None


def _is_letters(word: str) -> bool:
    return _LETTERS_RE.fullmatch(word) is not None


@lru_cache(maxsize=4096)
def _may_start(piece: str) -> bool:
    """Whether an obscene word may start with these (up to three) letters."""
    return _fold(piece) in _LEX_STARTS


def _join_spelt_label(tokens: list[_Token], i: int) -> bool:
    """«д е б и л ы», «т у п ы е»: a word spelt letter by letter that is a label, not мат, is read
    whole (its inner letters «е б и» are no obscene word). True when the run was joined."""
    if i > 0 and len(tokens[i - 1].text) == 1 and not tokens[i - 1].break_after and not tokens[i - 1].pause_after:
        return False  # not the first letter of the run
    j = i
    while (
        j + 1 < len(tokens) and len(tokens[j + 1].text) == 1 and not tokens[j].break_after
        and not tokens[j].pause_after and j - i < _MAX_SPLIT_RUN
    ):
        j += 1
    if j - i < 2:
        return False
    run = tokens[i : j + 1]
    joined = "".join(t.text for t in run)
    if not _is_letters(joined) or obscene_form(joined):
        return False
    norm = _norm_word(joined)
    if _word_label_kind(joined, norm, None) is None:
        return False
    tokens[i : j + 1] = [
        _Token(joined, norm, None, run[0].capital, run[0].sentence_start, run[0].comma_before,
               run[-1].break_after, run[-1].pause_after)
    ]
    return True


_SPELT_GLUE = frozenset("вксуоиая")  # one-letter words a spelt word may be glued to


_SPELT_SEPARATORS_RE = re.compile(r"[._\-/|\\+~=,:;']")


@lru_cache(maxsize=4096)
def _spelt(text: str) -> str | None:
    """The letters of a token that is one letter, or letters split by separators («б.л-я»); else None."""
    if len(text) == 1:
        return text if _is_letters(text) else None
    parts = _SPELT_SEPARATORS_RE.split(text)
    if len(parts) < 2 or any(len(part) != 1 or not _is_letters(part) for part in parts):
        return None
    return "".join(parts)


def _spelt_run_end(tokens: list[_Token], i: int) -> int:
    """The last token of the run of spelt tokens starting at ``i`` (``i`` itself when it starts none)."""
    if i > 0 and _spelt(tokens[i - 1].text) and not tokens[i - 1].break_after and not tokens[i - 1].pause_after:
        return i  # not the first letter of the run
    j = i
    while (
        j + 1 < len(tokens) and _spelt(tokens[j + 1].text)
        and not tokens[j].break_after and not tokens[j].pause_after and j - i < _MAX_SPLIT_RUN
    ):
        j += 1
    return j


def _read_spelt(run: list[_Token]) -> tuple[tuple[int, int], str] | None:
    """The obscene reading of a spelt run (whole, or without a one-letter word glued at an end)."""
    letters = [_spelt(t.text) or "" for t in run]
    if _innocent("".join(letters)):
        return None  # «о с к о р б л я т ь»: one word of the dictionary, spelt out
    lo_options = (0, 1) if letters[0].lower() in _SPELT_GLUE else (0,)
    hi_options = (len(run), len(run) - 1) if letters[-1].lower() in _SPELT_GLUE else (len(run),)
    for lo in lo_options:
        for hi in hi_options:
            if sum(len(x) for x in letters[lo:hi]) >= 3:
                found = obscene_form("".join(letters[lo:hi]))
                if found:
                    return (lo, hi), found
    return None


def _join_split_words(tokens: list[_Token]) -> None:
    """Read words split by spaces: «х у й н я», «пиз дец»; the run becomes one token."""
    i = 0
    while i < len(tokens):
        best: tuple[int, str] | None = None
        first = tokens[i].text
        if len(first) == 1 and _join_spelt_label(tokens, i):
            i += 1
            continue
        spelt = _spelt_run_end(tokens, i) if _spelt(first) else i
        if spelt - i >= 2 or (spelt > i and len(first) + len(tokens[spelt].text) > 2):
            # A word spelt letter by letter is read whole, from its first letter to its last: «т е б я»,
            # «м а н д а р и н» are no obscene word, whatever letters stand inside them.
            found_run = _read_spelt(tokens[i : spelt + 1])
            if found_run is not None:
                j, found = found_run
                run = tokens[i + j[0] : i + j[1]]
                joined = "".join(t.text for t in run)
                tokens[i + j[0] : i + j[1]] = [
                    _Token(joined, _fold(found), found, run[0].capital, run[0].sentence_start, run[0].comma_before,
                           run[-1].break_after, run[-1].pause_after)
                ]
                i += j[0] + 1
            else:
                for token in tokens[i : spelt + 1]:
                    token.obscene = None  # «к.о-р_а б.л-я»: letters of one innocent word
                i = spelt + 1
            continue
        long_first = 3 < len(first) <= 5 and _fold(first) in _LEX_LONG_STARTS and tokens[i].obscene is None
        if long_first and i + 1 < len(tokens) and not tokens[i].break_after and not tokens[i].pause_after:
            nxt = tokens[i + 1]
            found = None
            if _is_letters(first) and _is_letters(nxt.text) and nxt.obscene is None and 2 <= len(nxt.text) <= 8:
                found = obscene_form(first + nxt.text)
            if found:
                tokens[i : i + 2] = [
                    _Token(first + nxt.text, _fold(found), found, tokens[i].capital, tokens[i].sentence_start,
                           tokens[i].comma_before, nxt.break_after, nxt.pause_after)
                ]
            i += 1
            continue
        if len(first) > 3 or tokens[i].obscene is not None or (len(first) > 1 and not _may_start(first)):
            i += 1  # no obscene word starts so: «не», «для», «вы» begin no split word
            continue
        deep_in_run = i >= 2 and all(
            len(tokens[k].text) == 1 and not tokens[k].break_after and not tokens[k].pause_after for k in (i - 2, i - 1)
        )  # a run of single letters is read from its first or second letter only
        if not deep_in_run and _is_letters(tokens[i].text) and len(tokens[i].text) <= 3 and tokens[i].obscene is None:
            singles = len(tokens[i].text) == 1
            j = i + 1
            end = min(len(tokens), i + _MAX_SPLIT_RUN)
            while j < end and not tokens[j - 1].break_after and not tokens[j - 1].pause_after:
                piece = tokens[j].text
                if not _is_letters(piece) or tokens[j].obscene:
                    break
                singles = singles and len(piece) == 1
                run = tokens[i : j + 1]
                pieces = [t.text for t in run]
                plausible = (singles and len(run) >= 3) or (
                    len(run) <= 4 and all(len(p) <= 3 for p in pieces[:-1]) and len(piece) <= 8
                    and not any(p.lower() in _COMMON_SHORT for p in pieces)
                    and _fold(pieces[0]) in _LEX_STARTS
                )
                if plausible and not singles and all(len(p) >= 2 and known_word(p.lower()) for p in pieces):
                    plausible = False  # «у нас уйма»: words of the dictionary side by side, not one word split
                if plausible:
                    found = obscene_form("".join(pieces))
                    if found:
                        best = (j, found)
                if len(piece) > 3 and not singles:
                    break
                j += 1
        if best is not None:
            j, found = best
            run = tokens[i : j + 1]
            joined = "".join(t.text for t in run)
            tokens[i : j + 1] = [
                _Token(joined, _fold(found), found, run[0].capital, run[0].sentence_start, run[0].comma_before,
                       run[-1].break_after, run[-1].pause_after)
            ]
        i += 1


# --------------------------------------------------------------------------------------------
# Insults (SLA 4.2)
# --------------------------------------------------------------------------------------------

_NOUN_END = (
    r"(?:ищ[еаиу]|ищам?и?|ин|)"  # augmentatives: «ебланище», «уродище», «хуесосина»
    r"(?:|а|я|ы|и|у|ю|о|е|ов|ев|ей|ам|ям|ами|ями|ах|ях|ом|ем|ой|ою|ье|ья|ьи|ьев|ь|ью|й)"
)
_ADJ_END = r"(?:ый|ий|ой|ая|яя|ое|ее|е|ые|ие|ого|его|ому|ему|ым|им|ыми|ими|ых|их|ую|юю|ы|а)"


def _stems(words: str) -> str:
    return "|".join(sorted({_fold(w) for w in words.split()}, key=len, reverse=True))


# Demeaning nouns that are insults whenever they are said to support (default target).
_STRONG_NOUNS = _stems(
    "раздолба разгильдя идиот идиотк идеот дебил дибил дебик дебилоид кретин имбецил олигофрен дегенерат даун "
    "аутист псих "
    "придурок придурк тупар тупак негодя ушлепок ушлепк чушпан обсос долбоклю долбодятл долбодятел "
    "долбоящер балабол пустозвон жопошник криворучк "
    "недоумок недоумк недоучк недоучек хам хамл хамк недоносок недоноск тупиц тупорыл бестолоч бездар "
    "бездарност олух болван балбес остолоп дурак дурач дуралей дурен дурни дурням "
    "глупц тупен долдон недотеп неумех неуч невежд профан дилетант халтурщик лентя лодыр бездельник "
    "тунеядц тунеядец дармоед нахлебник урод уродин ублюдок ублюдк выродок выродк мраз мерзавц мерзавец "
    "подонок подонк сволоч скотин твар гнид паскуд падл сучар сучонок сучонк гондон гандон чмо чмошник "
    "idiot idiots moron morons imbecile imbeciles retard retards dumbass dumbasses jerks fools losers clowns "
    "amateurs incompetents muppets "
    "лох лошар лузер неудачник ничтожеств говнюк говноед суки сучар говнокодер засранц засранец рукожоп "
    "криворук быдл отморозок отморозк неадекват маразматик шизик кретинк"
)
_STRONG_MAT_NOUNS = _stems(
    "мудак мудач мудил мудозвон мудоеб долбоеб долбаеб еблан ебанат ебанатик ебаньк ебантя уебок уебк "
    "уебищ уебан хуесос хуеплет хуил хуйл пиздабол пиздобол пиздюк пидор пидар пидр пидорас пидарас "
    "пидераст пидрил блядин выблядок выблядк мандавошк распиздя обмудок обмудк ебанашк хуеглот хуепутал "
    "пиздюк пиздаглаз"
)
# Nouns with an innocent meaning too (animals, objects): insults only when said of staff or to «вы».
_WEAK_NOUNS = _stems(
    "баран овц осел осл козел козл дятел дятл обезьян макак клоун шут овощ свин крыс скот животн олен "
    "петух козлин куриц коров тормоз пень дуб дубин чурбан тюлен упыр кровопийц паразит пиявк "
    "мошенник жулик ворюг аферист шарлатан убожеств позорищ психопат шизофреник стадо сборищ "
    "бляди блядей блядям блядями пизд залуп гад нуб ламер болтун врун лжец обманщик вор шлюх петух чушк "
    "сопляк молокосос школот нул ноль двоечник троечник useless incompetent stupid dumb"
)
_LABEL_ADJ = _stems(
    "профнепригодн непрофессиональн неграмотн туп тупорыл тупоголов тупоум безмозгл безголов криворук косорук "
    "безрук рукожоп некомпетентн "
    "бездарн бестолков безграмотн слабоумн отстал дебильн идиотск кретинск придурочн убог никчемн "
    "ущербн конченн кончен ебанут ебнут долбанут двинут чокнут ненормальн неадекватн глуп тупеньк "
    "пиздорук хуерук узколоб туполоб недоразвит хренов херов долбан гребан чертов сран говен"
)
_WEAK_ADJ = _stems("охуевш охреневш оборзевш обнаглевш ленив жалк бесполезн недалек")

_ENGLISH_PERSON_RE = re.compile(r"(?:mother)?fu?c?k(?:er|wit|head|face|tard)s?")
# Prefixes that turn a word for staff into a label: «недо-», «горе-», «псевдо-», «лже-».
_DEMEANING_PREFIX_RE = re.compile(r"(?:недо|горе|псевдо|лже)-?")
_STRONG_NOUN_RE = re.compile(f"(?:{_STRONG_NOUNS}|{_STRONG_MAT_NOUNS}){_NOUN_END}|дура|дуры|дурой|дуру")
_WEAK_NOUN_RE = re.compile(f"(?:{_WEAK_NOUNS}){_NOUN_END}|пни|пней")
_ADJ_RE = re.compile(f"(?:{_LABEL_ADJ}){_ADJ_END}|(?:хуе|хрено|херо)в[ыа]?")  # «оператор хуев»
_WEAK_ADJ_RE = re.compile(f"(?:{_WEAK_ADJ}){_ADJ_END}")

_STAFF_RE = re.compile(
    "(?:"
    + _stems(
        "оператор поддержк техподдержк саппорт суппорт специалист спец разработчик разраб программист "
        "прогер кодер девелопер тестировщик тестер сотрудник консультант инженер аспро техник админ команд "
        "операторш аспровц саппортер хелпдеск тп support developers devs"
    )
    + f"){_NOUN_END}|aspro"
)
_OWN_RE = re.compile(
    "(?:"
    + _stems(
        "клиент покупател заказчик контрагент подрядчик партнер поставщик коллег начальник шеф директор "
        "руководител бухгалтер стажер юрист кадровик сосед конкурент подчинен продавц продавец курьер "
        "водител кассир посетител абонент пользовател дочь сын жена муж кладовщик логист маркетолог "
        "продажник секретар фрилансер интегратор зам замдиректор заместител замглав помощник ассистент "
        "франчайзи хакер спамер тролл злоумышленник colleague colleagues boss client clients customer customers "
        "employee employees intern interns"
    )
    + f"){_NOUN_END}"
)
_BOT_RE = re.compile(
    f"(?:бот|ботик|ботяр|робот|чатбот|чат-бот|нейросет|автоответчик|ии){_NOUN_END}|ai|gpt|chatgpt|bots?|chatbots?"
)
_NEUTRAL_PERSON_RE = re.compile(
    f"(?:менеджер|человек|люд|ребят|парн|девушк|сотрудниц|особ|господ|сударын|товарищ){_NOUN_END}|managers?|guys|people|folks|team|staff"
)
_OWN_POSSESSIVE = frozenset(
    _fold(w)
    for w in _words(
        "наш наша наше наши нашего нашей нашему нашим нашими наших мой моя мое моё мои моего моей моему "
        "моим моими моих свой своя свои своего своей своих our my"
    )
)
_YOUR_POSSESSIVE = frozenset(
    _fold(w)
    for w in _words(
        "ваш ваша ваше ваши вашего вашей вашему вашим вашими ваших вашу твой твоя твои твоего твою твоей your"
    )
)
_FIRST_PERSON = frozenset(_fold(w) for w in _words("я меня мне мной себя сам сама мы нас нам сами"))
_POSSESSIVES = _OWN_POSSESSIVE | _YOUR_POSSESSIVE
_FIRST_NOMINATIVE = frozenset(["я", "мы"])
_FIRST_OBLIQUE = frozenset(["меня", "нас", "нас-то"])
_THIRD_POSSESSIVE = frozenset(["их", "его", "ее", "ихний", "ихние"])
_ASPRO_RE = re.compile(r"аспр|aspr")
# Verbs that only place people somewhere: «в поддержке сидят бараны» still says who they are.
_PLACEMENT_VERBS = frozenset(
    _fold(w) for w in _words("сидят сидит работают работает трудятся трудится собрались собрали набрали держат")
)
_SECOND_PLURAL = frozenset(["вы", "вас", "вам", "вами", "you", "u"])
_SECOND_SINGULAR = frozenset(_fold(w) for w in ["ты", "тебя", "тебе", "тобой", "тя"])
# Words that neither name a target nor end a phrase: skipped when looking for a label's target.
_FILLERS = frozenset(
    _fold(w)
    for w in _words(
        "там тут совсем вообще просто реально такие такой такая такое же ж и ну ли что уж все всё очень "
        "полные полный полная полное полным абсолютно конечно одни одна сплошные какие какой какая эй "
        "слышь да вот у из в на или а но же просто прям прямо натуральные натуральный самые самый "
        "настоящие настоящий обычные редкие редкостные редкостный то-есть типа как будто ребята еще даже "
        "тоже также более"
    )
)
# Words before a label that make it a comparison or a category rather than a name for someone.
_NOT_ADDRESSING = frozenset(_words("как для от про о об какието какойто какаято какихто какимто некие некий"))
_PREPOSITIONS = frozenset(_words("на по в во с со от до для без при про через за под над к ко о об"))
# Words after which an adjective has no head noun: «тупые или притворяетесь», «тупая как пробка».
_HEAD_STOPS = frozenset(_fold(w) for w in _words("как или что ли чтобы потому если когда а но да раз ведь"))
_REPORTING = re.compile(
    "(?:обозвал|обзыва|назвал|называ|написал|пишет|пишут|сказал|говорит|ругает|ругал|оскорбил|"
    "оскорбля)\\w*"
)
_GO_VERBS = frozenset(
    _fold(w)
    for w in _words("иди идите пошел пошли пошёл пошла валите вали катитесь катись проваливайте ступайте")
)
_PLURAL_GO = frozenset(_fold(w) for w in _words("идите валите катитесь проваливайте ступайте пиздуйте"))
_SHOO_VERBS = frozenset(
    _fold(w) for w in _words("отвалите отвали отстаньте отстань отвяжитесь отвяжись заткнитесь заткнись")
)
_RUDE_DESTINATIONS = frozenset(_fold(w) for w in _words("лесом подальше черту баню"))
_GO_TARGETS = frozenset(_fold(w) for w in ["нахуй", "нахуя", "нахер", "нахрен", "похуй"])
_GO_PHRASES = frozenset(
    tuple(_fold(w) for w in p.split())
    for p in ("на хуй", "на хер", "на хрен", "в пизду", "в жопу", "в задницу", "к хуям", "в очко",
              "к херам", "на три буквы")
)
# Finite verbs and infinitives, roughly: «продаёте», «ответил», «сидят», «работать».
_VERB_RE = re.compile(
    r"\w{2,}(?:ете|ите|ешь|ишь|ет|ит|ют|ут|ят|ат|ал|ала|али|ило|ил|ила|или|ел|ела|ели|ть|ться|тся|лся|лись)"
)
# Obscene «go away» imperatives: «съебитесь», «отъебись», «пиздуйте».
_GO_AWAY_RE = re.compile(r"(?:съ|сь|отъ|оть|у)еб(?:ись|итесь|ывай|ывайте)|(?:от|с|вы)?пиздуй(?:те)?")
_ENGLISH_ABUSE_OBJECTS = frozenset(_fold(w) for w in _words("you u off yourself yourselves ya"))
_SUCK_VERBS = frozenset(_words("соси сосите отсоси отсосите пососи пососите"))


def _label_kind(token: _Token) -> str | None:
    """'strong', 'weak' (noun labels), 'adj', 'weak_adj' or None."""
    return _word_label_kind(token.text, token.norm, token.obscene)


@lru_cache(maxsize=65536)
def _word_label_kind(text: str, norm: str, obscene: str | None) -> str | None:
    # Both readings: stretched letters collapsed, and real doubled letters kept («лентяями», «ссоры»).
    words = {norm, _STRETCH_RE.sub(r"\1", "".join(ch for ch in text.lower().replace("ё", "е") if ch.isalnum()))}
    if obscene:
        words.add(_fold(obscene))
    if "-" in text:  # «программисты-недоучки», «горе-специалисты», «спамеры-идиоты»
        parts = [_norm_word(part) for part in text.split("-") if part]
        if any(_STAFF_RE.fullmatch(part) for part in parts):
            if parts[0] == "горе" or any(_STRONG_NOUN_RE.fullmatch(part) for part in parts):
                return "strong"
        elif any(_STRONG_NOUN_RE.fullmatch(part) or _WEAK_NOUN_RE.fullmatch(part) for part in parts):
            return "weak"  # the other part names who: not necessarily support
        words.update(parts)
    if obscene and _ENGLISH_PERSON_RE.fullmatch(obscene):
        return "strong"  # «fuckers», «fuckwits», «fuckheads»
    for word in words:
        if _STRONG_NOUN_RE.fullmatch(word):
            return "strong"
        prefix = _DEMEANING_PREFIX_RE.match(word)
        if prefix and _STAFF_RE.fullmatch(word[prefix.end() :]):
            return "strong"  # «недопрограммисты», «псевдоспециалисты», «горе-разработчики»: staff, belittled
    for word in words:
        if _ADJ_RE.fullmatch(word):
            return "adj"
    for word in words:
        if _WEAK_NOUN_RE.fullmatch(word):
            return "weak" if _inflection_of_label(text) else None
        if _WEAK_ADJ_RE.fullmatch(word):
            return "weak_adj"
    if _LATIN_LETTERS_RE.fullmatch(norm) and 5 <= len(norm) <= 16:
        # Russian typed in Latin letters: «ushlepki», «debily», «tupye»; only unmistakable labels.
        for reading in _translit_variants(norm):
            if _STRONG_NOUN_RE.fullmatch(reading):
                return "strong"
            if _ADJ_RE.fullmatch(reading):
                return "adj"
    return None


_LATIN_LETTERS_RE = re.compile("[a-z']+")
# A weak label's own lemma: the stem with a nominative ending, no suffix («баран», «дубина», «овцы»).
_WEAK_LEMMA_RE = re.compile(f"(?:{_WEAK_NOUNS})(?:|а|я|ь|о|е|й|ы|и|ья|ое)")


def _inflection_of_label(text: str) -> bool:
    """Morphology, where the dictionary knows the word: it is a form of the label itself, not a word
    derived from it («баранина», «свинина», «козлятина» are meat, «дубовый» is oak). Unknown words pass."""
    spelling = text.lower().replace("ё", "е")
    if not spelling.isalpha():
        return True
    found = lemmas(spelling)
    return not found or any(_WEAK_LEMMA_RE.fullmatch(_fold(lemma)) for lemma in found) or animate(spelling)


def _target(tokens: list[_Token], i: int, bot_in_sentence: bool, before: bool = False) -> str | None:
    """'staff', 'own', 'bot', 'self', 'person' (unknown person) or None for the token at ``i``.

    ``before``: the token stands before the label, where «я»/«себя» make it the writer's own word
    about themselves («я не идиот», «чувствую себя идиотом»).
    """
    word = tokens[i].norm
    if before and word in _FIRST_PERSON:
        if word == "себя" and not _first_person_verb(tokens, i - 1):
            return None  # «ведут себя как дети»: reflexive of whoever the subject is
        return "self"
    if i > 0 and tokens[i - 1].norm == "у" and (word in _SECOND_PLURAL or word in _SECOND_SINGULAR):
        return None  # «бот у вас тупой»: «у вас» says whose, not whom
    if word in _SECOND_PLURAL:
        return "staff"
    if word in _SECOND_SINGULAR:
        return "bot" if bot_in_sentence else "staff"
    if _BOT_RE.fullmatch(word) or tokens[i].text.lower() == "ии":  # «ИИ» folds to «и»
        return "bot"
    if tokens[i].capital and not _ASPRO_RE.match(word) and organisation(tokens[i].text):
        return "own"  # «Гугл — …»: another company, not support
    if "-" in tokens[i].text and not _STAFF_RE.fullmatch(word) and not _OWN_RE.fullmatch(word):
        # «программист-фрилансер», «девушка-консультант»: the person is whom its parts name
        parts = [_norm_word(part) for part in tokens[i].text.split("-") if part]
        if any(_OWN_RE.fullmatch(part) for part in parts):
            word = next(part for part in parts if _OWN_RE.fullmatch(part))
        elif any(_STAFF_RE.fullmatch(part) for part in parts):
            word = next(part for part in parts if _STAFF_RE.fullmatch(part))
    if _STAFF_RE.fullmatch(word) and _someone_elses(tokens, i):
        return "own"  # «их поддержка», «разработчики Битрикс24», «поддержка банка Х»: another company's people
    prev = {tokens[k].norm for k in range(max(0, i - 2), min(len(tokens), i + 2)) if k != i}  # «специалисты ваши»
    own_pos = bool(prev & _OWN_POSSESSIVE) or _with_us(tokens, i)
    your_pos = bool(prev & _YOUR_POSSESSIVE)
    if _STAFF_RE.fullmatch(word):
        return "own" if own_pos else "staff"
    if own_pos and i > 0 and tokens[i - 1].norm in _OWN_POSSESSIVE and not _label_kind(tokens[i]) \
            and animate(_spelling(tokens[i])):
        return "own"  # «наш айтишник», «моя помощница»: whoever it is, one of the writer's own
    if _OWN_RE.fullmatch(word):
        return "staff" if your_pos and not own_pos else "own"
    if _NEUTRAL_PERSON_RE.fullmatch(word):
        if own_pos:
            return "own"
        nxt = tokens[i + 1].norm if i + 1 < len(tokens) else ""
        if your_pos or _STAFF_RE.fullmatch(nxt) or nxt in _SECOND_PLURAL:
            return "staff"
        return "person"
    return None


def _someone_elses(tokens: list[_Token], i: int) -> bool:
    """The staff word at ``i`` names another company's people: «их/его/её» before it, or a name after it
    («разработчики Битрикс24», «поддержка Тинькофф», «support of Google»); Aspro's own name excepted."""
    if i > 0 and tokens[i - 1].norm in _THIRD_POSSESSIVE:
        return True
    k = i + 1
    if k < len(tokens) and tokens[k].norm in ("of", "из", "у", "от") and not tokens[i].pause_after:
        k += 1
    if k >= len(tokens) or tokens[i].pause_after or (tokens[i].break_after and k == i + 1):
        return False
    name = tokens[k]
    if _ASPRO_RE.match(name.norm) or _ASPRO_RE.match(name.text.lower()):
        return False
    if k == i + 2 and tokens[i + 1].norm in ("из", "у", "от") and not name.capital:
        return False
    if any(ch.isdigit() for ch in name.text):
        return True  # «Битрикс24», «1С-Битрикс»
    if name.sentence_start or not any(ch.isupper() for ch in name.text):
        return False
    return not personal_name(name.text)  # «консультант Анна» is one of them; «поддержка Сбера» is not


def _with_us(tokens: list[_Token], i: int) -> bool:
    """«у меня сотрудники», «менеджеры у нас», «в моём отделе»: the people at ``i`` are the writer's own."""
    for k in range(max(0, i - 4), min(len(tokens) - 1, i + 3)):
        if tokens[k].norm in ("у", "в") and tokens[k + 1].norm in _FIRST_OBLIQUE and not any(
            tokens[m].break_after for m in range(min(k, i), max(k, i))
        ):
            return True
    return False


def _first_person_verb(tokens: list[_Token], k: int) -> bool:
    """«чувствую себя», «считаем себя»: a verb of the writer (or «я», «мы») stands before «себя»."""
    if k < 0:
        return False
    word = tokens[k].norm
    return word in _FIRST_NOMINATIVE or (len(word) > 3 and word.endswith(("ю", "у", "ем", "им")))


def _sentences(tokens: list[_Token]) -> Iterator[tuple[int, int]]:
    start = 0
    for i, token in enumerate(tokens):
        if token.break_after:
            yield start, i + 1
            start = i + 1
    if start < len(tokens):
        yield start, len(tokens)


def _nearest_target(
    tokens: list[_Token], i: int, lo: int, hi: int, bot: bool, no_verb_between: bool = False,
    subject_after: bool = True,
) -> str | None:
    """The nearest word naming whom the label at ``i`` is about.

    ``no_verb_between``: only a target the label is predicated of directly («вы бараны», «дятел из
    поддержки»), not the subject of a verb whose object the word is («вы продаёте тормоза»).
    """
    for distance in range(1, hi - lo):
        for k in (i - distance, i + distance):
            if lo <= k < hi:
                if subject_after and k > i and distance <= 2 and tokens[k].norm in _FIRST_NOMINATIVE and not any(
                    tokens[m].pause_after or tokens[m].break_after for m in range(i, k)
                ):
                    return "self"  # «ну и идиоты же мы», «идиот я»
                target = _target(tokens, k, bot, before=k < i)
                if target and target != "person":
                    if no_verb_between and any(
                        _VERB_RE.fullmatch(tokens[m].norm) and tokens[m].norm not in _PLACEMENT_VERBS
                        for m in range(min(i, k) + 1, max(i, k))
                    ):
                        continue
                    return target
    return None


def _adj_target(tokens: list[_Token], i: int, lo: int, hi: int, bot: bool) -> str | None:
    """Whom a label adjective is said of: its head noun, else its subject, else a vocative."""
    # Head noun after the adjective: «тупые сотрудники», «криворукие уёбки», «тупой бот». A comparative
    # has none: «вы тупее бота».
    word = tokens[i].norm
    comparative = word.endswith("е") and not word.endswith(("ое", "ие", "ые"))
    k = i
    while not comparative and not tokens[k].pause_after and not tokens[k].break_after and k + 1 < hi:
        k += 1
        target = _target(tokens, k, bot)
        if target == "bot" and i > lo and tokens[i - 1].pause_after and any(
            _target(tokens, m, bot) == "staff" for m in range(lo, i)
        ):
            return "staff"  # «ваши консультанты — тупые боты»: what staff are called, not the bot
        if target == "person":
            return _nearest_target(tokens, k, lo, hi, bot)
        if target:
            return target
        kind = _label_kind(tokens[k])
        if kind in ("strong", "weak"):
            return _noun_target(tokens, k, lo, hi, bot, kind)
        if tokens[k].norm in _HEAD_STOPS:
            break
        if _whose(tokens, k):  # «тупая у вас поддержка»
            continue
        if not kind and tokens[k].norm in _PREPOSITIONS:
            # «ебанутые на всю голову», «тупой на вид отчёт»: a phrase of its own, read past up to its noun
            while k + 1 < hi and not tokens[k].pause_after and not tokens[k].break_after:
                k += 1
                if "NOUN" in part_of_speech(_spelling(tokens[k])):
                    break
            continue
        if kind or tokens[k].norm in _FILLERS:
            continue
        if tokens[k].capital and not tokens[k].sentence_start:
            continue  # a name: «тупая Маша»
        if animate(_spelling(tokens[k])):
            return _nearest_target(tokens, k, lo, hi, bot)  # someone, not a thing: «безрукие инвалиды»
        return None  # a thing: «тупая ошибка», «ебанутая логика»
    # Predicate or vocative: look back for the subject.
    k = i
    while k > lo:
        if tokens[k - 1].pause_after and tokens[k - 1].text not in ("—", "–"):
            if tokens[k - 1].norm in _SECOND_PLURAL | _SECOND_SINGULAR:
                return "staff"
            if _target(tokens, k - 1, bot) or _label_kind(tokens[k - 1]) or tokens[k - 1].norm in _FILLERS:
                pass
            elif tokens[k].comma_before and not _any_target(tokens, lo, hi, bot):
                return "staff"  # «…, тупые»
        k -= 1
        target = _target(tokens, k, bot, before=True)
        if target == "person":
            return _nearest_target(tokens, k, lo, hi, bot)
        if target:
            return target
        if _label_kind(tokens[k]) or tokens[k].norm in _FILLERS or _whose(tokens, k) or tokens[k].norm in _POSSESSIVES:
            continue
        if "ADVB" in part_of_speech(_spelling(tokens[k])):
            continue  # «Анна совершенно тупая»
        if tokens[k].capital and not tokens[k].sentence_start:
            continue
        return None
    return "staff" if not _any_target(tokens, lo, hi, bot) else None  # vocative: «Тупые, верните…»


def _whose(tokens: list[_Token], k: int) -> bool:
    """«у вас», «у тебя»: says whose the subject is («операторы у вас тупые»), not whom."""
    you = _SECOND_PLURAL | _SECOND_SINGULAR
    if tokens[k].norm == "у":
        return k + 1 < len(tokens) and tokens[k + 1].norm in you
    return k > 0 and tokens[k - 1].norm == "у" and tokens[k].norm in you


def _any_target(tokens: list[_Token], lo: int, hi: int, bot: bool) -> bool:
    return any(_target(tokens, k, bot) in ("own", "bot") for k in range(lo, hi))


# Parts of speech that make a word after «X,» a list of things rather than a sentence said to someone.
_LISTED = frozenset({"NOUN", "ADJF", "CONJ", "NUMR"})
# Words that call someone before a bare address: «эй, бараны», «короче, клоуны».
_CALLING = frozenset(_fold(w) for w in _words("эй ау алло слышь слышь-ка короче ну так итак уважаемые дорогие"))
_PLURAL_IMPERATIVE_RE = re.compile(r"\w{2,}(?:йте|ите|ьте)")


def _noun_target(tokens: list[_Token], i: int, lo: int, hi: int, bot: bool, kind: str) -> str | None:
    if kind == "weak":
        token = tokens[i]
        vocative = (token.comma_before or token.sentence_start) and (
            token.pause_after or token.break_after or i + 1 == len(tokens)
        )
        if vocative and any(
            t.norm in _SECOND_PLURAL or _target(tokens, k, bot) == "staff" for k, t in enumerate(tokens[lo:hi], lo)
        ):
            return "staff"  # «ну вы даёте, клоуны», «ваши сотрудники ведут себя как дети, бараны»
        if vocative and not _any_target(tokens, lo, hi, bot) and (
            (i > lo and tokens[i - 1].norm in _CALLING)
            or _spoken_to(tokens)
        ):
            return "staff"  # a bare address in a message spoken to support: «слушайте, клоуны, почините»
        target = _nearest_target(tokens, i, lo, hi, bot, no_verb_between=True)
        if target is None and vocative and token.sentence_start and any(
            _PLURAL_IMPERATIVE_RE.fullmatch(t.norm) for t in tokens[i + 1 : hi]
        ):
            return "staff"  # «бараны, читайте что пишу»: called by name and told what to do
        if target is None and i == 0 and token.pause_after and not token.break_after and i + 1 < len(tokens) \
                and not _any_target(tokens, lo, hi, bot) and not part_of_speech(_spelling(tokens[1])) & _LISTED:
            return "staff"  # «Козлы, опять всё сломали»: the message opens by calling its reader so
        return target
    if _bare_address(tokens, i) and not bot and _spoken_to(tokens):
        return "staff"  # «Мудаки, я из-за вас …»: the address is whom it names
    target = _nearest_target(tokens, i, lo, hi, bot)
    if target:
        return target
    if any(_REPORTING.fullmatch(tokens[k].norm) and not _said_by_writer(tokens, k) for k in range(lo, hi)):
        return None
    return "staff"  # a bare label in a message to support is said to support


# Endings a verb said to «вы»/«ты» can have (the dictionary decides): «ответите», «почини», «слушайте».
_VERB_TO_YOU_RE = re.compile(r"\w+(?:ешь|ишь|ете|ите|йте|ьте|ь|и|й)(?:сь|ся)?")


def _spelling(token: _Token) -> str:
    """The word as written, in lower case, for the dictionary (the folded reading loses doubled letters)."""
    return token.text.lower() if token.text.isalpha() else token.norm


def _bare_address(tokens: list[_Token], i: int) -> bool:
    """The word at ``i`` stands apart, as one calls someone: at a sentence's start or after a comma (or a
    calling word), with a pause or the end after it."""
    token = tokens[i]
    before = token.comma_before or token.sentence_start or (i > 0 and tokens[i - 1].norm in _CALLING)
    return before and (token.pause_after or token.break_after or i + 1 == len(tokens))


def _spoken_to(tokens: list[_Token]) -> bool:
    """The message speaks to someone: «вы», «ваш», a verb in the second person or an imperative."""
    you = _SECOND_PLURAL | _SECOND_SINGULAR | _YOUR_POSSESSIVE
    if any(t.norm in you for t in tokens):
        return True
    return any(_VERB_TO_YOU_RE.fullmatch(t.norm) and addresses_you(_spelling(t)) for t in tokens)


def _said_by_writer(tokens: list[_Token], k: int) -> bool:
    """«я же написал», «мы писали»: the writer's own words, not someone else's being reported."""
    return any(tokens[m].norm in _FIRST_PERSON for m in range(max(0, k - 2), k))


def _abuse(tokens: list[_Token], i: int, hi: int) -> str | None:
    """'abuse' («идите нахуй», «пошли вы в жопу», «ебал я вас»), 'rude' (sent away with no obscene or
    vulgar destination: «да пошли вы», «идите лесом», «отвалите») or None."""
    word = tokens[i].norm
    if not tokens[i].obscene and word not in _GO_VERBS and word not in _SUCK_VERBS and word not in _SHOO_VERBS:
        return None  # the common case, decided before looking further
    if word in _GO_TARGETS and i + 1 < hi and tokens[i + 1].norm in _GO_VERBS and not tokens[i].pause_after:
        return "abuse"  # «нахуй валите»: the destination first
    window = [t.norm for t in tokens[i + 1 : min(hi, i + 5)]]
    if word in _SUCK_VERBS or (tokens[i].obscene and _GO_AWAY_RE.fullmatch(word)):
        return "abuse"
    if word.startswith(("fuck", "fuk")) and window[:1] and window[0] in _ENGLISH_ABUSE_OBJECTS:
        return "abuse"  # «fuck you», «fuck off»
    if word in _SHOO_VERBS:
        return "rude"
    if word in _GO_VERBS:
        for k, w in enumerate(window):
            if w in _GO_TARGETS:
                return "abuse"
            for phrase in _GO_PHRASES:
                if len(phrase) > 1 and tuple(window[k : k + len(phrase)]) == phrase:
                    return "abuse"
        if (window[:1] and window[0] in ("вы", "ты")) or any(w in _RUDE_DESTINATIONS for w in window[:3]):
            return "rude"  # «пошли вы», «иди ты», «идите лесом»
        return None
    if tokens[i].obscene and re.fullmatch(r"(?:вы|от|за)?еб(?:ал|у|ать)", word) and not tokens[i].pause_after:
        for k, w in enumerate(window[:3]):
            if w in _SECOND_PLURAL or w in _SECOND_SINGULAR:
                return "abuse"
            if w in _YOUR_POSSESSIVE and k + 1 < len(window):
                following = window[k + 1]
                return "abuse" if following == "мать" or _STAFF_RE.fullmatch(following) is not None else None
    return None


# Idioms that demean with no label word: «руки из одного места», «руки не оттуда растут», «кривые руки»,
# «мозгов нет», «без мозгов».
_HANDS_RE = re.compile(r"(?:рук|ручк|ручонк|рученьк)(?:а|и|ами)?")
_PLACE_RE = re.compile(r"(?:жоп|задниц|поп|пятой|места|мест|точки|очк)\w*")
_CROOKED_RE = re.compile(r"(?:крив|коряв|кос)(?:ые|ыми|ых)")
_BRAINS_RE = re.compile(r"мозг(?:ов|а|и|ами)?")
_HEAD_RE = re.compile(r"(?:голов|башк)ы")
_NONE_OF = frozenset(_fold(w) for w in _words("нет нету ноль без отсутствуют ни грамма капли"))


def _idiom(tokens: list[_Token], i: int, hi: int) -> str | None:
    """The words of a demeaning idiom starting at ``i``, or None."""
    word = tokens[i].norm
    if _HANDS_RE.fullmatch(word):
        window = [t.norm for t in tokens[i + 1 : min(hi, i + 8)]]
        for k, w in enumerate(window):
            if w == "из" and any(_PLACE_RE.fullmatch(x) for x in window[k + 1 : k + 4]):
                return " ".join([word, *window[: k + 2]])
            if w == "отуда" and "не" in window[:k]:  # «оттуда», folded
                return " ".join([word, *window[: k + 1]])
        neighbours = [tokens[m].norm for m in (i - 1, i + 1) if 0 <= m < len(tokens)]
        if any(_CROOKED_RE.fullmatch(w) for w in neighbours):
            return f"кривые {word}"
        return None
    if _BRAINS_RE.fullmatch(word):
        near = [tokens[m].norm for m in range(max(0, i - 2), min(hi, i + 4)) if m != i]
        if any(w in _NONE_OF for w in near):
            return word
    if _HEAD_RE.fullmatch(word) and i > 0 and tokens[i - 1].norm == "без":
        return f"без {word}"  # «работаете без головы»
    return None


_QUOTED_RE = re.compile(r"«[^«»]*»|“[^“”]*”|„[^„“”]*[“”]|\"[^\"]*\"")


# «работаете как обезьяны»: a comparison whose subject is the addressee, named only by the verb.
_SECOND_PERSON_VERB_RE = re.compile(r"\w{3,}(?:ете|ите|ешь|ишь)")


def _compared_to_you(tokens: list[_Token], i: int, lo: int) -> bool:
    """The label at ``i`` ends «<verb of вы/ты> как (стадо) <label>»."""
    for c in (i - 1, i - 2):
        if c - 1 >= lo and tokens[c].norm == "как":
            between = tokens[c + 1 : i]
            if all(_label_kind(t) in ("weak", "strong") for t in between):
                return _SECOND_PERSON_VERB_RE.fullmatch(tokens[c - 1].norm) is not None
    return False


# Praise said in irony: «гении поддержки», «спасибо, умники из техподдержки, всё сломалось».
_IRONY_RE = re.compile(f"(?:{_stems('гени умник умниц профессионал светил эксперт знаток мастер')}){_NOUN_END}")
_FAILURE_WORDS = frozenset(_fold(w) for w in _words("не ни нет ничего опять снова вообще окончательно никак хуже"))
_FAILURE_RE = re.compile(
    r"(?:слома|упал|упад|лег|глюч|тормоз|завис|висит|виснет|отвал|слетел|угроб|запорол|убра|вернет|вернут"
    r"|придумал|испорт|удалил)\w*"
)


def _ironic_at_staff(tokens: list[_Token], i: int, lo: int, hi: int, bot: bool) -> bool:
    """Praise for staff in a message about things failing is irony, and irony is a label."""
    if not any(t.norm in _FAILURE_WORDS or _FAILURE_RE.fullmatch(t.norm) for t in tokens):
        return False
    target = _nearest_target(tokens, i, lo, hi, bot, no_verb_between=True)
    if target is not None:
        return target == "staff"
    token = tokens[i]
    last = token
    if not (token.pause_after or token.break_after) and i + 1 < hi and tokens[i + 1].text[:1].isupper():
        last = tokens[i + 1]  # «умники Aspro,»: a name that says whose
    return (token.comma_before or token.sentence_start or (i > lo and tokens[i - 1].norm == "ну")) and (
        last.pause_after or last.break_after
    )


# Comparatives of wit and care: «умнее», «аккуратнее» — said of a bot or an animal against staff, they demean.
_SMARTER = frozenset(
    _fold(w) for w in _words("умнее толковее сообразительнее грамотнее аккуратнее разумнее адекватнее смышленее")
)


def _compared_below(tokens: list[_Token], i: int, lo: int, hi: int, bot: bool) -> bool:
    """«даже бот умнее ваших консультантов», «попугай толковее, чем ваши специалисты»: staff come off
    worse in wit or care than a bot, an animal or anyone else (the comparative at ``i``)."""
    after = range(i + 1, hi)
    compared = next((k for k in after if tokens[k].norm == "чем"), i)
    staff_after = any(_target(tokens, k, False) == "staff" for k in range(compared + 1, min(hi, compared + 4)))
    if not staff_after:
        return False
    return any(
        _BOT_RE.fullmatch(tokens[k].norm) or _label_kind(tokens[k]) in ("weak", "strong")
        or ("NOUN" in part_of_speech(_spelling(tokens[k])) and animate(_spelling(tokens[k])))
        for k in range(lo, i)
    )


def _obscene_address(tokens: list[_Token], i: int, bot: bool) -> bool:
    """An obscene word used to call the reader: set apart by commas (or after a calling word) in a message
    spoken to someone, and no interjection («Слушайте, бля, …» is not one)."""
    token = tokens[i]
    called = token.comma_before or (i > 0 and tokens[i - 1].norm in _CALLING)
    if bot or not called or not (token.pause_after or token.break_after or i + 1 == len(tokens)):
        return False
    return "INTJ" not in part_of_speech(_spelling(token)) and _spoken_to(tokens)


def _insult(tokens: list[_Token]) -> tuple[str | None, bool]:
    """The normalised words of the first insult to staff (or None), and whether the message is rude to
    them without one («да пошли вы»)."""
    rude = False
    for sentence_lo, sentence_hi in _sentences(tokens):
        bot = any(_BOT_RE.fullmatch(t.norm) for t in tokens[sentence_lo:sentence_hi])
        for i in range(sentence_lo, sentence_hi):
            token = tokens[i]
            lo, hi = max(sentence_lo, i - _WINDOW), min(sentence_hi, i + _WINDOW + 1)
            abuse = _abuse(tokens, i, hi)
            if abuse:
                target = _nearest_target(tokens, i, lo, hi, bot, subject_after=False)  # «ебал я вас»
                if target == "bot" and token.norm in _PLURAL_GO:
                    target = "staff"  # «идите нахуй со своим ботом»: said to people, the bot goes along
                if target in (None, "staff"):
                    if abuse == "rude":
                        rude = True
                        continue
                    return " ".join(t.norm for t in tokens[i : min(hi, i + 3)]), rude
                continue
            idiom = _idiom(tokens, i, hi)
            if idiom:
                if i > lo and tokens[i - 1].norm in _OWN_POSSESSIVE:
                    continue
                target = _nearest_target(tokens, i, lo, hi, bot)
                if target in (None, "staff"):
                    return idiom, rude
                continue
            if token.obscene and _label_kind(token) is None and _obscene_address(tokens, i, bot):
                return token.norm, rude  # «Эй, залупа, ответь»
            if _IRONY_RE.fullmatch(token.norm):
                if i > lo and tokens[i - 1].norm in _CALLING and _bare_address(tokens, i) and not bot:
                    return token.norm, rude  # «Эй, гении, почему …»: praise called out is irony
                if _ironic_at_staff(tokens, i, lo, hi, bot):
                    return token.norm, rude
                continue
            if token.norm in _SMARTER and _compared_below(tokens, i, lo, hi, bot):
                return token.norm, rude
            kind = _label_kind(token)
            if kind is None:
                continue
            if i > lo and tokens[i - 1].norm == "не":
                continue  # «вы же не идиоты»: said that they are not
            if i > lo and tokens[i - 1].norm in _OWN_POSSESSIVE:
                continue  # «кто-то из наших идиотов»: the writer's own people
            if kind in ("adj", "weak_adj"):
                target = _adj_target(tokens, i, lo, hi, bot)
                if kind == "weak_adj" and target == "staff":
                    target = _nearest_target(tokens, i, lo, hi, bot)
            else:
                if i > lo and tokens[i - 1].norm in _NOT_ADDRESSING:
                    kind = "weak"  # «сделал как идиот», «сделано для идиотов»: needs someone it is said of
                target = _noun_target(tokens, i, lo, hi, bot, kind)
                if target is None and _compared_to_you(tokens, i, lo):
                    target = "staff"
            if target == "staff":
                return token.norm, rude
    return None, rude


# From the start of a run only: a long run of digits is one failed try, not one per digit.
_LATIN_WORD_RE = re.compile(r"(?<![A-Za-z0-9'])(?=[A-Za-z0-9']*[A-Za-z])[A-Za-z0-9']+")


def _transliterated(text: str) -> str | None:
    """The text with its Latin words read as Russian, when most of them are Russian words typed in Latin
    letters (the dictionary knows the reading); None for an English or mixed text."""
    words = _LATIN_WORD_RE.findall(text)
    if len(words) < 2:
        return None
    readings: dict[str, str] = {}
    known = 0
    for word in dict.fromkeys(words):
        latin = word.lower().translate(_DIGITS_AS_LATIN)  # «d1bily»: digits for letters
        reading = _russian_reading(latin)
        if reading is not None:
            known += words.count(word)
        elif not _ENGLISH_SHAPE_RE.search(latin):
            reading = _translit_variants(latin)[0]  # a word the dictionary lacks («dibily»): its first reading
        if reading is not None:
            readings[word] = reading
    if known * 2 < len(words):
        return None
    return _LATIN_WORD_RE.sub(lambda m: readings.get(m.group(0), m.group(0)), text)


@lru_cache(maxsize=16384)
def _russian_reading(word: str) -> str | None:
    """The first transliteration of a Latin word that the dictionary knows (or that is obscene), or None."""
    if _ENGLISH_SHAPE_RE.search(word) or len(word) > _MAX_WORD:
        return None
    for candidate in _translit_variants(word):
        if known_word(candidate) or _match_folded(_fold(candidate)):
            return candidate
    return None


def moderate(text: str) -> Moderation:
    """Read one message: obscene language (SLA 4.2, 4.8) and insults to support staff (SLA 4.2)."""
    clean = _PI_RE.sub("пи", _strip_invisible(text))
    tokens = _tokens(clean)
    obscene = [t.obscene for t in tokens if t.obscene]
    unquoted = _QUOTED_RE.sub(" , ", clean)  # quoted speech is not the writer's own insult
    insult, rude = _insult(tokens if unquoted == clean else _tokens(unquoted))
    if insult is None and not _has(unquoted.lower(), _CYR):
        russian = _transliterated(unquoted)
        if russian is not None:  # «ty tupoj operator»: Russian typed in Latin letters
            insult, rude_translit = _insult(_tokens(russian))
            rude = rude or rude_translit
    matches = tuple(dict.fromkeys([*obscene, *([insult] if insult else [])]))
    return Moderation(profanity=bool(obscene), insult=insult is not None, matches=matches,
                      rude=rude and insult is None and not obscene)


def prepare() -> None:
    """Load the dictionary and the look-alike tables ahead of the first message (a fraction of a second)."""
    moderate("Прогрев: ʜаxуй, мандаты, слушайте")


def clear_caches() -> None:
    """Forget the words read so far (the per-word caches, not the loaded tables); for measuring a cold start."""
    for cached in (obscene_form, _read_word, _word_label_kind, _read_raw, _may_start, _segments, _russian_reading,
                   _spelt):
        cached.cache_clear()
    letters.clear_caches()
