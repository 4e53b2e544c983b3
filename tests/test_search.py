"""Search over the help-center mirror: Russian normalisation, field weights, the cut-off, bad input."""

from __future__ import annotations

import pytest

from knowledge.model import Section
from knowledge.search import (
    COOC_WEIGHT,
    DEFAULT_THRESHOLD,
    DERIVED_WEIGHT,
    FEATURES,
    GATE,
    SearchIndex,
)
from knowledge.textproc import Analyzer, deobfuscate, fold, transliterate, transliterations, words
from tests.helpcenter import mirror_sections, url_path

CRM_SETTINGS = "/help/articles/3301-7327--nastrojki-modulya-crm"
NEW_DEAL = "/help/articles/9201-9203--sozdanie-sdelki"
FUNNEL = "/help/articles/9210-9211--sozdanie-voronki-prodazh"
REST_API = "/help/articles/9280-9281--rest-api-nachalo-raboty"
CHECKLISTS = "/help/articles/9108-9159--chek-listy"
MAIL_IN = "/help/articles/9250-9252--pisma-ne-prihodyat-v-crm"
LOGIN = "/help/articles/9102-9125--ne-mogu-vojti-v-sistemu"
WEBHOOKS = "/help/articles/9280-9285--vebhuki-format-zaprosa-i-proverka-dostavki"
SHARED_MAILBOX = "/help/articles/9113-9179--obshchij-pochtovyj-yashchik"
ACCOUNT_ADDRESS = "/help/articles/9101-9123--kak-izmenit-adres-akkaunta"
MAIL_NOTIFICATIONS = "/help/articles/9109-9167--uvedomleniya-po-elektronnoj-pochte"
INVOICE_FOR_SUBSCRIPTION = "/help/articles/9105-9147--schet-na-oplatu-aspro-cloud"
WHATSAPP = "/help/articles/9270-9272--integraciya-s-whatsapp"
ONE_C_ERRORS = "/help/articles/9260-9262--oshibki-sinhronizacii-s-1s"
MOBILE_LOGIN = "/help/articles/9106-9152--ne-mogu-vojti-v-mobilnoe-prilozhenie"
WEB_FORMS = "/help/articles/9230-9231--veb-formy-dlya-sajta"
MAIL_OUT = "/help/articles/9250-9253--pisma-ne-otpravlyayutsya-iz-crm"


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(mirror_sections())


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def paths(hits) -> list[str]:
    return [url_path(h.url) for h in hits]


# --- normalisation ------------------------------------------------------------------------------
def test_fold_lowers_case_and_yo() -> None:
    assert fold("ЁЛКА Счёт") == "елка счет"
    assert words("Счёт-фактура, «CRM»!") == ["счет-фактура", "crm"]


def test_inflections_and_yo_share_a_term(analyzer: Analyzer) -> None:
    assert analyzer.term("сделками") == analyzer.term("сделка") == analyzer.term("СДЕЛКИ".lower())
    assert analyzer.term("счёт") == analyzer.term("счета")
    assert analyzer.term("массово") == analyzer.term("массовый")  # lemma, then stem


def test_transliteration_of_russian_written_in_latin() -> None:
    assert transliterate("sdelki") == "сделки"
    assert transliterate("voronku") == "воронку"
    assert transliterate("etap") == "этап"
    assert transliterate("proigryvaetsya") == "проигрывается"


def test_disguised_words_are_restored() -> None:
    assert deobfuscate("сдeлкa") == "сделка"  # Latin e and a inside a Cyrillic word
    assert deobfuscate("нееет") == "нет"
    assert deobfuscate("push-уведомления") == "push-уведомления"  # a real mixed compound stays


def test_disguised_query_finds_what_the_plain_one_does(index: SearchIndex) -> None:
    assert paths(index.search("кaк сoздaть вoрoнку прoдaж")) == paths(index.search("как создать воронку продаж"))


def test_latin_terms_and_their_russian_spellings_are_one_word(analyzer: Analyzer) -> None:
    for latin, cyrillic in [("crm", "црм"), ("api", "апи"), ("webhook", "вебхук")]:
        assert analyzer.synonyms[analyzer.term(cyrillic)][analyzer.term(latin)] == 1.0


def test_case_and_yo_do_not_change_results(index: SearchIndex) -> None:
    assert paths(index.search("как создать сделку")) == paths(index.search("КАК СОЗДАТЬ СДЕЛКУ"))
    assert paths(index.search("выставить счёт из сделки")) == paths(index.search("выставить счет из сделки"))


def test_stemming_matches_other_word_forms(index: SearchIndex) -> None:
    assert paths(index.search("создание сделок"))[0] == NEW_DEAL


def test_transliterated_query_finds_the_article(index: SearchIndex) -> None:
    assert paths(index.search("kak sozdat voronku prodazh"))[0] == FUNNEL


def test_cyrillic_spelling_of_latin_term(index: SearchIndex) -> None:
    assert REST_API in paths(index.search("где получить ключ апи"))
    assert CRM_SETTINGS in paths(index.search("настройки модуля црм"))


def test_typos_are_corrected_against_the_index(index: SearchIndex) -> None:
    assert paths(index.search("как создать варонку продаж"))[0] == FUNNEL
    assert paths(index.search("добавить чеклист в задачю"))[0] == CHECKLISTS


def test_misspelt_inflected_word_is_matched_by_its_stem(index: SearchIndex) -> None:
    word, _ = index._correct("элетронную")  # no index word is close, its stem is
    assert word.startswith("электрон")
    assert paths(index.search("настройка элетронных уведомлений на почту"))[0] == MAIL_NOTIFICATIONS


def test_a_word_the_help_lacks_meets_its_root(index: SearchIndex) -> None:
    slot = index._parse("переписываться")[0]  # the help says «переписка», never the verb
    assert slot.alternatives == {index._an.term("переписка"): pytest.approx(0.6)}
    assert index._parse("сделка")[0].alternatives.get(index._an.term("сделка")) == 1.0  # known words as before


def test_ambiguous_latin_letters_have_both_readings(index: SearchIndex) -> None:
    assert transliterations("schet")[:2] == ["щет", "счет"]
    assert "какой" in transliterations("kakoy")
    assert paths(index.search("schet na oplatu"))[0] == INVOICE_FOR_SUBSCRIPTION


def test_english_question_with_contractions(index: SearchIndex) -> None:
    assert paths(index.search("cannot sign in to mobile app"))[0] == MOBILE_LOGIN


def test_joined_and_hyphenated_compounds_meet(index: SearchIndex) -> None:
    assert CHECKLISTS in paths(index.search("чек-лист"))
    assert CHECKLISTS in paths(index.search("чеклист"))


def test_symptom_wording_finds_the_troubleshooting_article(index: SearchIndex) -> None:
    assert paths(index.search("не могу зайти в систему, неверный пароль"))[0] == LOGIN
    assert MAIL_IN in paths(index.search("письма от клиентов не приходят в црм"))


def test_webhook_in_latin_or_cyrillic(index: SearchIndex) -> None:
    assert WEBHOOKS in paths(index.search("webhook не доходит до сервера"))
    assert WEBHOOKS in paths(index.search("вебхук не доходит до сервера"))


def test_email_and_account_addresses_are_read_as_mail_and_account(index: SearchIndex) -> None:
    assert SHARED_MAILBOX in paths(index.search("доступ к общему ящику sales@firma.ru для всего отдела"))
    assert ACCOUNT_ADDRESS in paths(index.search("хотим сменить адрес на newname.aspro.cloud"))


def test_common_words_weigh_less_than_domain_words(index: SearchIndex, analyzer: Analyzer) -> None:
    slots = {s.word: s for s in index._parse("три раза в день приходят дубли контактов")}
    assert slots["дубли"].weight > slots["три"].weight
    assert analyzer.commonness("три") > analyzer.commonness("вебхук")


def test_words_the_help_never_uses_weigh_less_in_a_long_message(index: SearchIndex) -> None:
    short = {s.word: s.weight for s in index._parse("гостиница и расход")}
    long = {s.word: s.weight for s in index._parse(
        "мы оплатили гостиницу сотруднику в командировке, теперь он отчитывается чеками, как провести расход")}
    assert long["гостиницу"] < short["гостиница"] * 0.8  # context of a long message
    assert long["расход"] == pytest.approx(short["расход"])  # a word the help uses keeps its weight


def test_long_message_is_judged_by_its_best_answered_sentence(index: SearchIndex) -> None:
    query = ("мы небольшая фирма, занимаемся поставками мебели, раньше всё вели в блокноте. "
             "хотим чтобы заявки с сайта сами попадали в срм")
    best = index.explain(query, 1)[0]
    coverage, clause = (best.features[FEATURES.index(f)] for f in ("coverage", "clause_coverage"))
    assert clause > coverage
    one_sentence = index.explain("заявки с сайта попадают в срм", 1)[0]
    assert one_sentence.features[FEATURES.index("clause_coverage")] == one_sentence.features[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("здравствуйте! мы небольшая фирма, занимаемся поставками мебели, раньше всё вели в блокноте. "
         "сейчас хотим чтобы заявки с нашего сайта сами попадали в срм, что для этого нужно?", WEB_FORMS),
        ("вчера вечером шеф попросил срочно разобраться: почему письма клиентам, которые уходят из сделок, "
         "попадают у них в спам?", MAIL_OUT),
    ],
)
def test_long_rambling_question_finds_the_article(index: SearchIndex, query: str, expected: str) -> None:
    assert expected in paths(index.search(query))


def test_other_vendors_names_are_marked(index: SearchIndex) -> None:
    flags = {s.word: s.third_party for s in index._parse("перенести чаты whatsapp с андроида в срм")}
    assert flags["whatsapp"] and flags["андроида"]
    assert not flags["чаты"] and not flags["срм"]
    assert index._an.is_third_party("телеграме")  # the dictionary reads «телеграм» as «телеграмма»


def test_a_bare_name_of_a_connected_service_is_answered(index: SearchIndex) -> None:
    assert paths(index.search("telegram"))
    assert any("1s" in p for p in paths(index.search("1с")))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("подключить whatsapp к срм чтобы сообщения клиентов попадали в сделки", WHATSAPP),
        ("обмен с 1с остановился, в журнале ошибки", ONE_C_ERRORS),
    ],
)
def test_connected_services_are_still_answered(index: SearchIndex, query: str, expected: str) -> None:
    assert paths(index.search(query))[0] == expected


# --- ranking and result shape -------------------------------------------------------------------
def _section(page: str, title: str, heading: str | None, text: str, pos: int = 0) -> Section:
    url = f"https://help.test/{page}"
    return Section(url + (f"#s{pos}" if heading else ""), url, title, ("Раздел",), heading, text, pos)


def test_title_weighs_more_than_body() -> None:
    filler = "Здесь описано, как работать с разделом и что в нём бывает."
    sections = [
        _section("a", "Импорт контактов", None, filler),
        _section("b", "Работа с разделом", None, f"{filler} Иногда упоминается импорт контактов."),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    assert paths(index.search("импорт контактов"))[:2] == ["/a", "/b"]


def test_heading_weighs_more_than_body() -> None:
    filler = "Здесь описано, как работать с разделом и что в нём бывает."
    sections = [
        _section("a", "Работа с карточкой", None, filler),
        _section("a", "Работа с карточкой", "Объединение дублей", filler, 1),
        _section("b", "Работа со списком", None, f"{filler} Бывает и объединение дублей."),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    hits = index.search("объединение дублей")
    assert paths(hits)[:2] == ["/a", "/b"]
    assert hits[0].url.endswith("#s1") and hits[0].heading == "Объединение дублей"


def test_words_formed_from_one_stem_are_relatives(analyzer: Analyzer) -> None:
    assert "удалить" in analyzer.relatives("удаление")
    assert "удалить" in analyzer.relatives("удалённых")  # a participle leads to its verb
    assert "выгрузка" in analyzer.relatives("выгрузить")
    assert "выгрузить" in analyzer.relatives("выгрузку")
    assert analyzer.relatives("фывапролд") == ()  # not a dictionary word: no guesses


def test_a_participle_finds_the_article_named_by_its_verb() -> None:
    filler = "В статье описан порядок действий и частые ошибки."
    sections = [
        _section("a", "Как удалить задачу", None, filler),
        _section("b", "Как создать задачу", None, filler),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    slot = next(s for s in index._parse("удалённые задачи") if s.word == "удаленные")
    assert max(slot.alternatives.values()) <= DERIVED_WEIGHT  # less than the word itself
    assert paths(index.search("удалённые задачи"))[0] == "/a"


def test_terms_named_together_in_titles_stand_in_for_each_other_weakly() -> None:
    filler = "В статье описан порядок действий и частые ошибки."
    sections = [
        _section("a", "Ставки тайм-трекера", None, filler),
        _section("a", "Ставки тайм-трекера", "Как изменить ставку в тайм-трекере", filler, 1),
        _section("b", "Отчёт по тайм-трекеру", None, filler),
        _section("c", "Ставки и стоимость часа", None, filler),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    tracker = index._an.term("трекера")
    assert tracker in index._cooccurring[index._an.term("ставка")]  # two names have both
    slot = index._parse("ставка")[0]
    assert slot.alternatives[tracker] == pytest.approx(COOC_WEIGHT)
    found = paths(index.search("ставка"))
    assert set(found[:2]) == {"/a", "/c"} and "/b" in found  # the word itself first, its company after


def test_stability_tells_an_answer_backed_by_every_word_from_one_that_hangs_on_a_word() -> None:
    filler = "В статье описан порядок действий и частые ошибки."
    sections = [
        _section("a", "Подключение почты по IMAP", None, filler),
        _section("b", "Подключение телефонии", None, filler),
        _section("c", "Подключение бота", None, filler),
        _section("d", "Подключение виджета", None, filler),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    k = FEATURES.index("stability")
    backed = index.explain("подключение почты imap", 1)[0]
    assert backed.page_url.endswith("/a") and backed.features[k] == pytest.approx(1.0)
    # an article named by «почта» only: without «подключение» it still leads, without «почта» it drops out
    mail_only = [_section("m", "Почта", None, filler), *sections[1:]]
    hanging = SearchIndex(mail_only, threshold=0.0).explain("подключение почты", 1)[0]
    assert hanging.page_url.endswith("/m") and 0.0 < hanging.features[k] < 1.0


def test_complaints_are_told_from_questions(analyzer: Analyzer) -> None:
    for text in ("письма перестали уходить", "почему не сработало", "клиент не видит счет", "ошибка 500"):
        assert analyzer.is_complaint(text), text
    for text in ("как создать сделку", "не могли бы вы подсказать про тариф", "не подскажете, где настройки",
                 "как сделать, чтобы задачи не терялись"):
        assert not analyzer.is_complaint(text), text


def test_complaint_favours_the_troubleshooting_article() -> None:
    filler = "Здесь описано, как работать с разделом и что в нём бывает."
    sections = [
        _section("a", "Отправка писем клиентам", None, f"{filler} Письма клиентам уходят из карточки сделки."),
        _section("b", "Письма не уходят", None, f"{filler} Письма клиентам не уходят: проверьте ящик."),
        *[_section(f"x{i}", f"Статья {i}", None, f"{filler} Другая тема номер {i}.") for i in range(8)],
    ]
    index = SearchIndex(sections, threshold=0.0)
    assert paths(index.search("письма клиентам не уходят"))[0] == "/b"
    assert paths(index.search("отправка писем клиентам"))[0] == "/a"


def test_one_hit_per_article_best_first_with_scores(index: SearchIndex) -> None:
    hits = index.search("импорт сделок и контактов из excel", limit=3)
    assert hits
    assert len({url_path(h.url) for h in hits}) == len(hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True) or len(hits) == 1
    for h in hits:
        assert 0.0 <= h.score <= 1.0
        assert h.title and 0 < len(h.snippet) <= 201


def test_limit_is_respected(index: SearchIndex) -> None:
    assert len(index.search("задачи", limit=1)) <= 1
    assert index.search("задачи", limit=0) == []


def test_deep_link_points_at_the_matching_section(index: SearchIndex) -> None:
    hit = index.search("частые ошибки smtp при отправке писем из crm")[0]
    assert url_path(hit.url) == "/help/articles/9250-9253--pisma-ne-otpravlyayutsya-iz-crm"
    assert hit.heading == "Частые ошибки SMTP" and hit.url.endswith("#s1")


def test_len_counts_sections(index: SearchIndex) -> None:
    assert len(index) == len(mirror_sections())


# --- the cut-off and bad input ------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "какой курс доллара будет завтра",
        "как в javascript отсортировать массив объектов по дате",
        "посоветуйте рецепт борща",
        "как в гугл таблицах сделать выпадающий список",
        # other vendors' products asked about in the product's own words
        "как удалить аккаунт в инстаграме",
        "как настроить уведомления в битрикс24 о новых лидах",
        "whatsapp на андроиде не отправляет фотографии",
        "сколько стоит тариф у амо срм на 10 пользователей",
        "как поставить пароль на телеграм",
    ],
)
def test_off_topic_gets_no_link(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


@pytest.mark.parametrize("query", ["", "   ", "???!!!", "как что где", "ъъъ ыыы", "\x00\ud800", "😀😀😀"])
def test_empty_or_garbage_input_gives_nothing(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


def test_huge_input_does_not_fail(index: SearchIndex) -> None:
    query = "как создать сделку " + "абракадабра " * 9000
    assert len(query) > 100_000
    assert isinstance(index.search(query), list)


def test_empty_index() -> None:
    index = SearchIndex([])
    assert len(index) == 0
    assert index.search("сделка") == []


def test_results_are_deterministic(index: SearchIndex) -> None:
    queries = ["как создать сделку", "письма не приходят", "kak sozdat proekt"]
    first = [index.search(q) for q in queries]
    again = SearchIndex(mirror_sections())
    assert [again.search(q) for q in queries] == first
    assert [index.search(q) for q in queries] == first


def test_calibration_is_consistent() -> None:
    """The shipped gates weigh exactly the features they name, each one `explain` reports."""
    for gate in (GATE.lexical, GATE.fused):
        assert all(how in ("best", "first") and f in FEATURES for how, f in (n.split(".", 1) for n in gate.features))
        assert len(set(gate.features)) == len(gate.features) == len(gate.weights)
    assert any(".dense" in f for f in GATE.fused.features) and not any(".dense" in f for f in GATE.lexical.features)
    assert 0.0 < DEFAULT_THRESHOLD < 1.0 and GATE.dense_weight >= 0.0


def test_cut_off_prefers_no_link_to_a_half_covered_question(index: SearchIndex) -> None:
    """A question the help answers in its own words passes; the same product words around a topic
    the help never covers, or another vendor's product the articles do not cover, get no link."""
    assert index.search("как изменить адрес аккаунта")
    assert index.search("как отключить неиспользуемые модули")
    assert not index.search("как принимать у покупателей оплату банковской картой через терминал")
    assert not index.search("как выгружать товары из каталога на Ozon")
    probs = [index.explain(q, 1)[0].probability for q in ("импорт сделок из excel", "импорт сделок из ozon")]
    assert probs[0] > probs[1]


# --- the sentence encoder and the gate -----------------------------------------------------------
class _CountingEncoder:
    """Stands in for the sentence encoder: a fixed direction per text, counting the queries."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def encode(self, texts):
        import numpy as np

        rng = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(512) for t in texts]
        out = np.array(rng, dtype=np.float32).reshape(-1, 512)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def query(self, text: str):
        self.queries.append(text)
        return self.encode([text])[0]


def test_vector_store_round_trip_without_pickle(tmp_path) -> None:
    import numpy as np

    from knowledge.encoder import VectorStore

    encoder = _CountingEncoder()
    store = VectorStore(tmp_path / "v.npz")
    first = store.vectors(["сделка", "воронка", "сделка"], encoder)  # type: ignore[arg-type]
    assert first.shape == (3, 512) and first.dtype == np.float16 and len(store) == 2
    store.save()
    with np.load(tmp_path / "v.npz", allow_pickle=False) as data:
        assert set(data.files) == {"keys", "vectors"}
    again = VectorStore(tmp_path / "v.npz")
    assert len(again) == 2
    assert np.array_equal(again.vectors(["воронка"], None), first[1:2])  # known: nothing is encoded


def test_encoder_runs_only_where_the_words_leave_the_answer_uncertain() -> None:
    encoder = _CountingEncoder()
    index = SearchIndex(mirror_sections(), encoder=encoder)  # type: ignore[arg-type]
    assert paths(index.search("как создать воронку продаж"))[:1] == [FUNNEL]
    plain = len(encoder.queries)
    index.search("где посмотреть все непрочитанные оповещения")
    assert plain == 0 and len(encoder.queries) == 1
    ranked = index.ranking("где посмотреть все непрочитанные оповещения", dense=True)
    assert ranked is not None and ranked[2] and ranked[1][0, FEATURES.index("dense")] != 0.0
    assert SearchIndex(mirror_sections(), dense=False).ranking("оповещения", dense=True)[2] is False


def test_the_gate_reads_the_best_of_three_and_scores_never_rise(index: SearchIndex) -> None:
    for query in ("как создать сделку", "письма не приходят", "kak sozdat proekt", "оплата картой через терминал",
                  "не всплывают уведомления на телефоне", "как поменять почту, на которую зарегистрирована учётка"):
        explained = index.explain(query, 3)
        hits = index.search(query)
        best = max((e.probability for e in explained), default=0.0)
        assert bool(hits) == (best >= index.threshold)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        if hits:
            assert hits[0].score == round(best, 4)
