"""The intake state machine on plain values: no database, no Telegram."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import intake
from bot.account import find_account
from bot.intake import Command, Context, DialogueState, Edit, Media, Press, Step, Text, Unsupported, advance
from tests.fakes import FakeHit, FakeProblem, FakeReading, fake_read

BUG_FULL = (
    "Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, заполняю поля "
    "и жму «Сохранить» — ошибка 500. Браузер Chrome 120, Windows 11."
)


def text(value: str, message_id: int = 1, hits: tuple = ()) -> Text:
    return Text(value, message_id, fake_read(value), False, hits)


def run(events, state: DialogueState | None = None, context: Context | None = None):
    """Feed events one by one; return the final state and every outcome."""
    state = state or DialogueState()
    outcomes = []
    for event in events:
        outcome = advance(state, event, context)
        outcomes.append(outcome)
        state = outcome.state
    return state, outcomes


def keys(outcome) -> list[str]:
    return [reply.key for reply in outcome.replies]


def test_everything_in_one_message_asks_nothing_but_to_confirm():
    state, (first,) = run([text(BUG_FULL)])
    assert keys(first) == ["summary"]
    assert state.step == Step.SUMMARY
    draft = state.draft
    assert draft.account == "romashka.aspro.cloud"
    assert draft.environment == "Chrome 120, Windows 11"
    assert "Сделки" in draft.steps and draft.category == "bug_report"
    [buttons] = [reply.buttons for reply in first.replies]
    assert [b.action for row in buttons for b in row] == ["send", "edit", "cancel"]

    sent = advance(state, Press("send"))
    assert [type(e) for e in sent.effects] == [intake.SubmitTicket]
    assert sent.effects[0].draft.account == "romashka.aspro.cloud"
    assert sent.state.step == Step.IDLE and sent.state.draft is None
    assert sent.state.last_account == "romashka.aspro.cloud"


def test_only_missing_fields_are_asked_one_at_a_time():
    state, outcomes = run([
        text("Не сохраняется сделка, выдаёт ошибка 500", 1),
        text("romashka.aspro.cloud", 2),
        text("Открываю сделку, меняю сумму и нажимаю сохранить", 3),
        text("Firefox 128 на Ubuntu", 4),
    ])
    assert [keys(o)[-1] for o in outcomes] == ["ask_account", "ask_steps_and_environment", "ask_environment",
                                               "summary"]
    draft = state.draft
    assert draft.steps == "Открываю сделку, меняю сумму и нажимаю сохранить"
    assert draft.environment == "Firefox 128 на Ubuntu"  # in the user's words
    assert draft.sources == {"description": 1, "account": 2, "steps": 3, "environment": 4}


def test_details_are_taken_from_any_message_whatever_was_asked():
    state, outcomes = run([
        text("Не сохраняется сделка, ошибка 500", 1),
        # asked for the account, the user also names the browser: only the steps remain
        text("аккаунт romashka.aspro.cloud, у меня Яндекс Браузер 24 на macOS", 2),
    ])
    assert keys(outcomes[-1]) == ["ask_steps"]
    assert state.draft.environment == "Яндекс Браузер 24 на macOS"


def test_a_bare_account_name_is_accepted_when_asked():
    state, outcomes = run([text("Не сохраняется сделка, ошибка", 1), text("Romashka", 2)])
    assert state.draft.account == "romashka.aspro.cloud"
    state, outcomes = run([text("как настроить права доступа к сделкам?", 1), text("ну вот такой вот", 2)])
    assert keys(outcomes[-1]) == ["account_not_recognised"]
    assert state.step == Step.ACCOUNT


def test_dont_know_is_accepted_for_steps_and_marked():
    state, outcomes = run([
        text("Пропадает задача из списка, ошибка", 1),
        text("romashka.aspro.cloud", 2),
        text("не знаю", 3),
    ])
    assert keys(outcomes[-1]) == ["ask_environment"]
    assert state.draft.steps is None and state.draft.steps_unknown
    state = advance(state, Press("unknown", "environment")).state
    assert state.step == Step.SUMMARY and state.draft.environment_unknown and state.draft.complete


def test_questions_need_no_steps_nor_browser():
    state, outcomes = run([text("Как настроить воронку продаж в romashka.aspro.cloud?")])
    assert keys(outcomes[-1]) == ["summary"]
    assert state.draft.missing() == []


def test_edited_message_updates_the_draft_fields_it_gave():
    state, _ = run([
        text("Не сохраняется сделка в romashka.aspro.cloud, ошибка", 1),
        text("Захожу в сделку и нажимаю сохранить", 2),
        text("Chrome 119, Windows 10", 3),
    ])
    assert state.step == Step.SUMMARY
    edited = advance(state, Edit(3, "Chrome 120, Windows 11", fake_read("Chrome 120, Windows 11")))
    assert edited.state.draft.environment == "Chrome 120, Windows 11"
    assert keys(edited) == ["edit_applied", "summary"]
    fixed = "Не сохраняется контакт в romashka.aspro.cloud, ошибка"
    edited = advance(edited.state, Edit(1, fixed, fake_read(fixed)))
    assert edited.state.draft.description == fixed
    assert edited.state.draft.steps == "Захожу в сделку и нажимаю сохранить"


def test_an_edited_addition_to_the_description_changes_what_is_filed():
    state, _ = run([text(BUG_FULL, 1)])
    added = advance(state, text("Только у менеджеров отдела продаж", 2))
    assert keys(added) == ["added_to_description", "summary"]
    edited = advance(added.state, Edit(2, "Только у менеджеров отдела закупок", fake_read("закупок")))
    assert keys(edited) == ["edit_applied", "summary"]
    description = edited.state.draft.description
    assert description.endswith("\nТолько у менеджеров отдела закупок") and "продаж" not in description
    assert description.startswith("Не сохраняется сделка")
    fixed = BUG_FULL.replace("сделка", "задача")
    edited = advance(edited.state, Edit(1, fixed, fake_read(fixed)))  # the request itself, the addition kept
    assert edited.state.draft.description == fixed + "\nТолько у менеджеров отдела закупок"
    filed = advance(edited.state, Press("send")).effects[0].draft
    assert filed.description == fixed + "\nТолько у менеджеров отдела закупок"


def test_an_edit_of_a_message_that_gave_the_draft_nothing_says_so():
    state, _ = run([text(BUG_FULL, 1)])
    state = advance(state, Press("edit")).state
    outcome = advance(state, Edit(7, "привет", fake_read("привет")))
    assert keys(outcome) == ["edit_not_in_draft"] and outcome.state.draft == state.draft


def account_text(message: str, message_id: int = 1) -> Text:
    """A message read with the real account finder (the fake reader knows only Latin addresses)."""
    return Text(message, message_id, FakeReading(category="bug_report", account=find_account(message)))


def test_an_internationalised_address_is_taken_as_written_with_its_idna_form():
    state, (outcome,) = run([account_text("Не сохраняется сделка в ооо-вектор.aspro.cloud")])
    assert state.draft.account == "ооо-вектор.aspro.cloud"
    assert state.draft.account_idna == "xn----dtbjuqaaess.aspro.cloud"
    assert "account_guess" not in keys(outcome) and state.step == Step.STEPS


def test_a_look_alike_rewrite_is_asked_not_applied():
    state, (outcome,) = run([account_text("Не сохраняется сделка в оmega-tex.aspro.cloud")])
    assert state.step == Step.ACCOUNT_GUESS and state.draft.account is None
    [question] = [reply for reply in outcome.replies if reply.key == "account_guess"]
    assert question.params["guess"] == "omega-tex.aspro.cloud" and question.params["letters"] == ["о"]
    assert [b.data for row in question.buttons for b in row] == ["guess:latin", "guess:written"]
    latin = advance(state, Press("guess", "latin"))
    assert latin.state.draft.account == "omega-tex.aspro.cloud" and keys(latin)[-1] == "ask_steps_and_environment"
    assert advance(state, Press("guess", "written")).state.draft.account == "оmega-tex.aspro.cloud"
    assert advance(state, text("да", 2)).state.draft.account == "omega-tex.aspro.cloud"
    assert advance(state, text("нет, как я написал", 2)).state.draft.account == "оmega-tex.aspro.cloud"
    other = advance(state, text("vektor.aspro.cloud", 2))  # another address typed instead
    assert other.state.draft.account == "vektor.aspro.cloud" and other.state.draft.account_offer is None


def test_a_certain_correction_is_not_asked_about():
    state, (outcome,) = run([account_text("Не сохраняется сделка в megapolis.aspro.clod")])
    assert state.draft.account == "megapolis.aspro.cloud" and state.draft.account_idna is None
    assert "account_guess" not in keys(outcome)


def test_links_said_not_to_help_leave_the_card():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки"),)
    state, (card,) = run([text("Как настроить воронку в romashka.aspro.cloud?", 1, hits)])
    assert card.replies[0].params["links"]
    declined = advance(state, text("не помогло", 2))
    assert keys(declined) == ["summary"] and not declined.replies[0].params["links"]
    assert declined.state.draft.description == "Как настроить воронку в romashka.aspro.cloud?"  # not added to it
    assert "helped" not in [b.action for row in declined.replies[0].buttons for b in row]
    assert declined.state.draft.help_links  # the agents still see what was shown


def test_going_on_past_the_links_declines_them():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки"),)
    state, outcomes = run([text("Как настроить воронку?", 1, hits), text("romashka.aspro.cloud", 2)])
    assert keys(outcomes[0]) == ["links"] and keys(outcomes[1]) == ["summary"]
    assert not outcomes[1].replies[0].params["links"] and state.draft.links_declined


def test_an_answer_with_only_the_browser_is_not_taken_as_steps():
    state, outcomes = run([text("Не сохраняется сделка в romashka.aspro.cloud, ошибка", 1),
                           text("Chrome 120, Windows 11", 2)])
    assert state.draft.steps is None and not state.draft.steps_unknown
    assert state.draft.environment == "Chrome 120, Windows 11"
    assert keys(outcomes[-1]) == ["ask_steps"]


def test_a_field_is_edited_from_the_card():
    state, _ = run([text(BUG_FULL)])
    state, outcomes = run([Press("edit"), Press("field", "account"), text("vektor.aspro.cloud", 5)], state)
    assert keys(outcomes[0]) == ["edit_menu"]
    assert keys(outcomes[1]) == ["ask_edit_account"]
    assert keys(outcomes[2]) == ["summary"] and outcomes[2].replies[0].params["edited"]
    assert state.draft.account == "vektor.aspro.cloud" and state.step == Step.SUMMARY


def test_cancel_drops_the_draft_by_button_and_by_command():
    state, _ = run([text(BUG_FULL)])
    cancelled = advance(state, Press("cancel"))
    assert keys(cancelled) == ["cancelled"] and cancelled.state.draft is None
    state, _ = run([text("Не сохраняется сделка", 1)])
    cancelled = advance(state, Command("cancel"))
    assert cancelled.state.draft is None and cancelled.state.step == Step.IDLE
    assert keys(advance(cancelled.state, Command("cancel"))) == ["nothing_to_cancel"]


def test_one_ticket_one_problem_the_others_offered_next():
    message = ("Не сохраняется сделка в romashka.aspro.cloud, ошибка, Chrome 120 на Windows 11, "
               "шаги: открываю сделку и жму сохранить и ещё как настроить воронку продаж?")
    state, (first,) = run([text(message)])
    assert keys(first) == ["one_problem", "summary"]
    assert state.draft.description.startswith("Не сохраняется сделка")
    assert "воронку" not in state.draft.description
    assert [p.text for p in state.pending] == ["как настроить воронку продаж?"]

    sent = advance(state, Press("send"))
    assert keys(sent) == ["offer_next"] and sent.state.step == Step.OFFER_NEXT
    following = advance(sent.state, Press("next", "yes"))
    draft = following.state.draft
    assert draft.description == "как настроить воронку продаж?" and draft.category == "setup_consultation"
    assert draft.account == "romashka.aspro.cloud"  # carried over, not asked again
    assert keys(following) == ["summary"] and following.state.pending == []


def test_out_of_scope_is_refused_with_its_reason_and_wishes_are_recorded():
    refused = advance(DialogueState(), text("Помогите написать SQL-запрос на python для моей базы"))
    assert keys(refused) == ["refuse_general_programming"] and refused.state.draft is None
    assert refused.effects == []

    payment = advance(DialogueState(), text("Напишите нам скрипт оплаты через Robokassa"))
    assert keys(payment) == ["wish_payment_script"]
    assert [type(e) for e in payment.effects] == [intake.RecordWish]

    wish = advance(DialogueState(), text("Предлагаю добавить тёмную тему в мобильное приложение"))
    assert keys(wish) == ["wish_recorded"] and wish.effects[0].category == "feature_request"

    phone = advance(DialogueState(), text("Дайте телефон поддержки, хочу позвонить"))
    assert keys(phone) == ["other_channels"]


def test_critical_goes_out_of_turn_without_links():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--x", "X"),)
    outcome = advance(DialogueState(), text("Не открывается аккаунт romashka.aspro.cloud, у всех", hits=hits))
    assert keys(outcome)[0] == "critical_noted"
    assert outcome.state.draft.critical and outcome.state.draft.help_links == []
    assert keys(outcome)[-1] == "ask_steps_and_environment"


def test_steps_and_browser_in_one_answer_complete_the_ticket():
    state, outcomes = run([
        text("Не сохраняется сделка в romashka.aspro.cloud, ошибка", 1),
        text("Открываю сделку, меняю сумму и жму «Сохранить». Chrome 120, Windows 11", 2),
    ])
    assert keys(outcomes[0]) == ["ask_steps_and_environment"] and keys(outcomes[1]) == ["summary"]
    assert state.draft.environment == "Chrome 120, Windows 11" and "меняю сумму" in state.draft.steps


def test_help_links_first_then_specialist_or_self_served():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки", "Настройка"),)
    offered = advance(DialogueState(), text("как настроить воронку?", hits=hits))
    assert keys(offered) == ["links"] and offered.state.step == Step.LINKS
    assert offered.replies[0].params["links"][0]["url"].endswith("1--voronki")

    helped = advance(offered.state, Press("helped"))
    assert keys(helped) == ["self_served"] and helped.state.draft is None
    assert isinstance(helped.effects[0], intake.SelfServed)
    assert helped.effects[0].query == "как настроить воронку?"

    specialist = advance(offered.state, Press("specialist"))
    assert keys(specialist) == ["ask_account"]
    assert specialist.state.draft.description == "как настроить воронку?"  # kept, not asked again


def test_complete_first_message_shows_links_on_the_card():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки"),)
    outcome = advance(DialogueState(), text("Как настроить воронку в romashka.aspro.cloud?", hits=hits))
    assert keys(outcome) == ["summary"]
    assert next(b.action for row in outcome.replies[0].buttons for b in row) == "helped"


def test_previous_account_is_offered_with_confirmation():
    context = Context(previous_account="romashka.aspro.cloud")
    state, outcomes = run([text("Как настроить воронку продаж?")], context=context)
    assert keys(outcomes[-1]) == ["confirm_account"]
    confirmed = advance(state, Press("account", "yes"), context)
    assert confirmed.state.draft.account == "romashka.aspro.cloud" and confirmed.state.step == Step.SUMMARY
    other = advance(state, Press("account", "other"), context)
    assert keys(other) == ["ask_account"]


def test_profanity_first_rephrase_then_suspended():
    state, _ = run([text("Не сохраняется сделка", 1)])
    first = advance(state, Text("да бля опять", 2, None, True))
    assert keys(first) == ["rephrase"]
    assert first.state.draft.description == "Не сохраняется сделка"  # not passed on
    second = advance(first.state, Text("идиоты", 3, None, True))
    assert keys(second) == ["suspended_abuse"] and second.state.step == Step.SUSPENDED
    assert keys(advance(second.state, text("ну так что?"))) == ["suspended_still"]
    renewed = advance(second.state, Command("new"))
    assert renewed.state.step == Step.IDLE
    assert keys(advance(renewed.state, Text("бля", 4, None, True))) == ["suspended_abuse"]


def test_screenshots_checked_and_albums_answered_once():
    state, _ = run([text("Не сохраняется сделка", 1)])
    refused = advance(state, Media("document", "f1", False, reason="format"))
    assert keys(refused) == ["screenshot_refused"] and refused.state.draft.attachments == []
    first = advance(state, Media("photo", "p1", True, "image/jpeg", 1000, media_group_id="g1"))
    second = advance(first.state, Media("photo", "p2", True, "image/jpeg", 1000, media_group_id="g1"))
    assert keys(first) == ["screenshot_added"] and keys(second) == []
    assert [a["file_id"] for a in second.state.draft.attachments] == ["p1", "p2"]


def test_a_screenshot_before_any_text_waits_for_the_description():
    photo = advance(DialogueState(), Media("photo", "p1", True, "image/jpeg", 500))
    assert keys(photo) == ["screenshot_then_describe"] and photo.state.step == Step.DESCRIPTION
    described = advance(photo.state, text("Как настроить воронку в romashka.aspro.cloud?"))
    assert described.state.draft.attachments[0]["file_id"] == "p1"
    assert keys(described) == ["summary"]


def test_stale_buttons_and_unsupported_content_get_a_clear_answer():
    assert keys(advance(DialogueState(), Press("send"))) == ["stale_button"]
    assert keys(advance(DialogueState(), Press("forged", "123"))) == ["stale_button"]
    assert keys(advance(DialogueState(), Unsupported("sticker"))) == ["unsupported_sticker"]
    assert keys(advance(DialogueState(), Unsupported("dice"))) == ["unsupported_other"]


def test_state_survives_a_round_trip_through_json():
    state, _ = run([text("Не сохраняется сделка и ещё как настроить воронку?", 1), text("romashka.aspro.cloud", 2)])
    restored = DialogueState.from_data(str(state.step), state.strikes, state.to_data())
    assert restored == state


def test_words_mean_the_buttons_at_the_links_and_the_card():
    hits = (FakeHit("https://aspro.cloud/help/articles/1--voronki", "Воронки"),)
    offered = advance(DialogueState(), text("как настроить воронку?", hits=hits))
    assert keys(advance(offered.state, text("Спасибо, помогло!"))) == ["self_served"]
    assert keys(advance(offered.state, text("не помогло"))) == ["ask_account"]
    state, _ = run([text(BUG_FULL)])
    assert [type(e) for e in advance(state, text("Отправить")).effects] == [intake.SubmitTicket]


def test_split_problems_keep_the_users_own_words():
    message = "Не грузится аккаунт https://romashka.aspro.cloud с утра! И ещё: в отчёте по оплатам суммы задвоены?"
    reading = FakeReading(category="outage", critical=True, multi_problem=True, account="romashka.aspro.cloud",
                          problems=(FakeProblem("не грузится аккаунт с утра", "outage", True),
                                    FakeProblem("в отчете по оплатам суммы задвоены", "bug_report")))
    outcome = advance(DialogueState(), Text(message, 1, reading))
    assert outcome.state.draft.description == "Не грузится аккаунт https://romashka.aspro.cloud с утра!"
    assert [p.text for p in outcome.state.pending] == ["в отчёте по оплатам суммы задвоены?"]


def test_yes_in_words_files_the_next_problem():
    state, _ = run([text("Не сохраняется сделка в romashka.aspro.cloud, ошибка, Chrome 120 на Windows 11, "
                         "шаги: открываю сделку и жму сохранить и ещё как настроить воронку продаж?")])
    offered = advance(advance(state, Press("send")).state, text("да, давайте"))
    assert offered.state.draft.description == "как настроить воронку продаж?"
    assert keys(advance(advance(state, Press("send")).state, text("нет"))) == ["next_declined"]


def test_off_topic_messages_get_the_answer_that_fits():
    def answer(message: str) -> list[str]:
        reading = FakeReading(category="other_channel_or_offtopic", scope="out")
        return keys(advance(DialogueState(), Text(message, 1, reading)))

    assert answer("Наберите меня в WhatsApp, обсудим голосом") == ["other_channels"]  # SLA 4.5
    assert answer("Позвоните по номеру +7 (912) 000-00-00") == ["other_channels"]
    assert answer("Сколько стоит тариф на 50 сотрудников?") == ["refuse_sales"]
    assert answer("Добрый день!") == ["greeting"]
    assert answer("Спасибо большое!") == ["thanks"]
    assert answer("Сервис Wazzup не передаёт сообщения, их поддержка молчит") == ["refuse_other_channel_or_offtopic"]


def test_topic_markers_are_not_part_of_a_problem():
    from bot.extraction import original_span

    message = "Во-первых, не работает импорт. Во-вторых, как настроить воронку?"
    assert original_span(message, "во вторых как настроить воронку") == "Как настроить воронку?"
    assert original_span(message, "во первых не работает импорт") == "Не работает импорт."
    assert original_span("Всё лежит! И ещё: отчёт пустой", "и еще отчет пустой") == "Отчёт пустой"


TEXTS_POOL = [BUG_FULL, "Не сохраняется сделка, ошибка", "romashka.aspro.cloud", "не знаю", "Chrome 120, Windows 11",
              "как настроить воронку?", "Предлагаю добавить тёмную тему", "да", "нет", "Отправить", "помогло",
              "Пропадает задача и ещё как настроить воронку?", "<b>&amp;", ""]
PRESSES = ["send:", "edit:", "cancel:", "helped:", "specialist:", "account:yes", "account:other", "unknown:steps",
           "unknown:environment", "field:account", "field:steps", "back:", "next:yes", "next:no", "forged:1"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("text"), st.sampled_from(TEXTS_POOL)),
    st.tuples(st.just("press"), st.sampled_from(PRESSES)),
    st.tuples(st.just("command"), st.sampled_from(["start", "new", "cancel", "help", "status"])),
    st.tuples(st.just("flagged"), st.just("бля")),
    st.tuples(st.just("photo"), st.sampled_from(["g1", "g2", ""])),
), max_size=25))
def test_any_sequence_of_events_keeps_a_consistent_state(events):
    from bot import texts as bot_texts

    state = DialogueState()
    context = Context(previous_account="vektor.aspro.cloud", hours="с 8 до 18")
    for number, (kind, value) in enumerate(events, 1):
        if kind == "text":
            event = text(value, number)
        elif kind == "press":
            event = intake.parse_button(value)
        elif kind == "command":
            event = Command(value)
        elif kind == "flagged":
            event = Text(value, number, None, True)
        else:
            event = Media("photo", f"p{number}", True, "image/jpeg", 100, media_group_id=value or None)
        outcome = advance(state, event, context)
        state = outcome.state
        for reply in outcome.replies:
            assert bot_texts.render(reply.key, reply.params)  # every reply renders
        for effect in outcome.effects:
            if isinstance(effect, intake.SubmitTicket):
                assert effect.draft.complete
        if state.step == Step.SUMMARY:
            assert state.draft is not None and state.draft.complete
        if state.step in (Step.IDLE, Step.OFFER_NEXT):
            assert state.draft is None
        assert DialogueState.from_data(str(state.step), state.strikes, state.to_data()) == state


def test_a_message_with_nothing_to_read_asks_for_the_question_and_keeps_the_account():
    for value in ("👍", "...", "\u3164", "🔥🔥🔥 !!!"):
        outcome = advance(DialogueState(), text(value))
        assert keys(outcome) == ["nothing_to_read"] and outcome.state.draft is None
    thumbs = advance(DialogueState(), text("👍 romashka.aspro.cloud"))
    assert keys(thumbs) == ["nothing_to_read"] and thumbs.state.draft is None
    assert thumbs.state.last_account == "romashka.aspro.cloud"  # offered with the next request, not filed


def test_nothing_to_read_in_the_middle_of_a_request_is_not_refused():
    state, _ = run([text("Как настроить воронку?")])
    assert state.step == Step.ACCOUNT
    outcome = advance(state, text("👍"))
    assert keys(outcome) != ["nothing_to_read"]


def _unsure(value: str, hits: tuple = ()) -> Text:
    reading = FakeReading(category="outage", critical=True, outage_unsure=True,
                          problems=(FakeProblem(value, "outage", True),))
    return Text(value, 1, reading, False, hits)


def test_an_unsure_outage_is_asked_who_is_affected_before_it_goes_out_of_turn():
    asked = advance(DialogueState(), _unsure("не грузятся сделки с утра"))
    assert keys(asked) == ["ask_outage_scope"]
    assert [b.value for row in asked.replies[0].buttons for b in row] == ["everyone", "me"]
    everyone = advance(asked.state, Press("scope", "everyone"))
    assert keys(everyone)[0] == "critical_noted"
    assert everyone.state.draft.critical and everyone.state.draft.category == "outage"
    typed = advance(asked.state, Text("да, у всех сотрудников", 2, fake_read("да, у всех сотрудников")))
    assert typed.state.draft.critical


def test_only_me_makes_it_an_ordinary_bug_with_the_help_links_offered():
    hits = (FakeHit("https://aspro.cloud/help/articles/7--sdelki", "Сделки"),)
    asked = advance(DialogueState(), _unsure("не грузятся сделки с утра", hits))
    me = advance(asked.state, Press("scope", "me"))
    assert keys(me) == ["links"]
    assert not me.state.draft.critical and me.state.draft.category == "bug_report"
    typed = advance(asked.state, Text("только у меня", 2, fake_read("только у меня")))
    assert keys(typed) == ["links"] and not typed.state.draft.critical
    assert advance(me.state, Press("scope", "everyone")).replies[0].key == "stale_button"


def test_a_complete_bug_report_gets_no_help_links():
    hits = (FakeHit("https://aspro.cloud/help/articles/9--sdelki", "Сделки"),)
    outcome = advance(DialogueState(), text(BUG_FULL, hits=hits))
    assert keys(outcome) == ["summary"]
    assert outcome.state.draft.help_links == []
    assert all(b.action != "helped" for row in outcome.replies[0].buttons for b in row)


def test_the_next_problem_of_a_split_gets_its_own_help_links():
    state, _ = run([text("Как настроить воронку в romashka.aspro.cloud? и ещё как подключить почту")])
    assert state.pending
    state = advance(state, Press("helped")).state if state.step == Step.LINKS else state
    state, _ = run([Press("send")], state) if state.step == Step.SUMMARY else (state, None)
    assert state.step == Step.OFFER_NEXT
    assert intake.next_press(state, Press("next", "yes")) == "yes"
    assert intake.next_press(state, Text("да", 5)) == "yes"
    hits = (FakeHit("https://aspro.cloud/help/articles/3--pochta", "Почта"),)
    taken = advance(state, Press("next", "yes"), Context(next_hits=hits))
    assert keys(taken) == ["summary"]  # the account is known: a complete question, its links on the card
    assert taken.state.draft.help_links[0]["url"].endswith("3--pochta")
    assert next(b.action for row in taken.replies[0].buttons for b in row) == "helped"
