"""The user's dialogue as a state machine on plain values.

`advance(state, event, context)` takes the conversation's state (its step and draft ticket) and one
input event, and returns the next state, the replies to send (text keys of `bot.texts` with their
parameters and buttons as plain data) and the effects the caller must carry out (create the ticket,
record a wish, count a self-served conversation). Nothing here does I/O or knows about Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, Protocol

from bot import account as accounts
from bot import extraction

# --- what the dialogue reads from triage and search (structural, so fakes are plain objects) ---


class ProblemLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def critical(self) -> bool: ...


class ReadingLike(Protocol):
    @property
    def scope(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def critical(self) -> bool: ...
    @property
    def multi_problem(self) -> bool: ...
    @property
    def account(self) -> str | None: ...
    @property
    def problems(self) -> Sequence[ProblemLike]: ...
    @property
    def readable(self) -> bool: ...       # False: only emoji, marks or invisible characters
    @property
    def outage_unsure(self) -> bool: ...  # may or may not be an outage: ask who is affected


class HitLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def heading(self) -> str | None: ...
    @property
    def score(self) -> float: ...


# Categories that describe an error or a failure: only these need steps and browser/OS (SLA 4.2, 4.8).
FAILURE_CATEGORIES = frozenset({"bug_report", "outage"})
WISH_CATEGORIES = frozenset({"feature_request", "payment_integration_script"})  # SLA 3.1 last item, 3.2


class Step(StrEnum):
    IDLE = "idle"
    LINKS = "links"                      # help links offered, waiting for «helped» / «specialist»
    DESCRIPTION = "description"          # a screenshot came first: waiting for the description
    ACCOUNT = "account"
    ACCOUNT_CONFIRM = "account_confirm"  # the account of the previous ticket offered
    ACCOUNT_GUESS = "account_guess"      # «Вы имели в виду …?»: the address typed, or our reading of it
    STEPS = "steps"
    ENVIRONMENT = "environment"
    SUMMARY = "summary"                  # the card with send / edit / cancel
    EDIT_MENU = "edit_menu"
    EDIT_FIELD = "edit_field"            # waiting for the new value of `DialogueState.editing`
    OFFER_NEXT = "offer_next"            # a ticket was sent; the next problem of the split offered (SLA 2.4)
    OUTAGE_SCOPE = "outage_scope"        # asked whether everyone or only the user is affected (SLA 2.1)
    SUSPENDED = "suspended"              # SLA 4.8: obscenities or insults repeated


EDITABLE_FIELDS = ("description", "account", "steps", "environment")


@dataclass(slots=True)
class Problem:
    text: str
    category: str
    critical: bool


@dataclass(slots=True)
class Draft:
    """The ticket being gathered. Stored as JSON: every field has a default, unknown keys are ignored."""

    description: str | None = None
    category: str | None = None
    critical: bool = False
    account: str | None = None
    account_idna: str | None = None                        # the ASCII form of an internationalised address
    account_offer: dict[str, Any] | None = None            # {"written", "guess"}: asked before it is taken
    steps: str | None = None
    steps_unknown: bool = False
    environment: str | None = None
    environment_unknown: bool = False
    article_read: str | None = None                        # SLA 1.2: an article the user already read
    help_links: list[dict[str, Any]] = field(default_factory=list)  # links shown to the user
    links_declined: bool = False                           # the user said the links did not help
    attachments: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)  # field -> id of the message it came from
    # the description's pieces: the request, then what the user added at the card ({"message_id", "text"})
    description_parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needs_failure_details(self) -> bool:
        return self.category in FAILURE_CATEGORIES

    def missing(self) -> list[str]:
        """Fields still needed, in the order they are asked."""
        needed: list[str] = []
        if not self.description:
            needed.append("description")
        if not self.account:
            needed.append("account")
        if self.needs_failure_details:
            if not self.steps and not self.steps_unknown:
                needed.append("steps")
            if not self.environment and not self.environment_unknown:
                needed.append("environment")
        return needed

    @property
    def complete(self) -> bool:
        return not self.missing()

    def to_dict(self) -> dict[str, Any]:
        """A copy as plain JSON values (faster than `asdict`, which deep-copies every value)."""
        return {name: _plain(getattr(self, name)) for name in _DRAFT_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


_DRAFT_FIELDS = tuple(f.name for f in fields(Draft))


def _plain(value: Any) -> Any:
    """A copy of a JSON value: lists and dicts copied, strings, numbers and None shared (immutable)."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@dataclass(slots=True)
class DialogueState:
    step: Step = Step.IDLE
    draft: Draft | None = None
    strikes: int = 0                                           # moderation offences (SLA 4.2, 4.8)
    editing: str | None = None                                 # the field asked in Step.EDIT_FIELD
    pending: list[Problem] = field(default_factory=list)       # the other problems of a split (SLA 2.4)
    last_account: str | None = None                            # the account of the last request
    last_media_group: str | None = None                        # an album is answered once

    def to_data(self) -> dict[str, Any]:
        """Everything but `step` and `strikes`, which have columns of their own."""
        return {
            "draft": self.draft.to_dict() if self.draft else None,
            "editing": self.editing,
            "pending": [asdict(problem) for problem in self.pending],
            "last_account": self.last_account,
            "last_media_group": self.last_media_group,
        }

    @classmethod
    def from_data(cls, step: str, strikes: int, data: Mapping[str, Any] | None) -> DialogueState:
        data = data or {}
        draft = data.get("draft")
        return cls(
            step=Step(step) if step in Step._value2member_map_ else Step.IDLE,
            draft=Draft.from_dict(draft) if draft else None,
            strikes=strikes,
            editing=data.get("editing"),
            pending=[Problem(**problem) for problem in data.get("pending") or []],
            last_account=data.get("last_account"),
            last_media_group=data.get("last_media_group"),
        )


# --- input events ---


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    message_id: int = 0
    reading: ReadingLike | None = None  # triage of `text`; None when it was flagged by moderation
    flagged: bool = False               # obscenities or insults (SLA 4.2)
    hits: Sequence[HitLike] = ()        # confident help-center results for `text`
    rude: bool = False                  # rude with no label and no obscenity («да пошли вы»): not an offence


@dataclass(frozen=True, slots=True)
class Media:
    kind: str                   # photo, animation, document
    file_id: str
    accepted: bool              # the verdict of `bot.screenshots.judge`
    mime: str | None = None
    size: int | None = None
    reason: str | None = None   # why it was refused: format, too_big, unreadable
    media_group_id: str | None = None
    caption: Text | None = None
    message_id: int = 0


@dataclass(frozen=True, slots=True)
class Press:
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    name: str   # without the slash: start, new, cancel, help
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Edit:
    message_id: int
    text: str
    reading: ReadingLike | None = None
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class Unsupported:
    kind: str   # sticker, voice, video, video_note, audio, location, contact, poll, other


Event = Text | Media | Press | Command | Edit | Unsupported


# --- output ---


@dataclass(frozen=True, slots=True)
class Button:
    label: str                  # a key of `bot.texts.BUTTONS`
    action: str
    value: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> str:
        """Telegram callback data (at most 64 bytes)."""
        return f"{self.action}:{self.value}"[:64]


@dataclass(frozen=True, slots=True)
class Reply:
    key: str                    # a key of `bot.texts`
    params: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class SubmitTicket:
    draft: Draft


@dataclass(frozen=True, slots=True)
class RecordWish:
    category: str
    text: str
    account: str | None


@dataclass(frozen=True, slots=True)
class SelfServed:
    query: str
    links: list[dict[str, Any]]


Effect = SubmitTicket | RecordWish | SelfServed


@dataclass(slots=True)
class Outcome:
    state: DialogueState
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Context:
    previous_account: str | None = None   # from the user's previous ticket, offered with confirmation
    hours: str = ""                        # support hours, for /start
    next_hits: Sequence[HitLike] = ()      # help-center results for the next problem of a split (SLA 2.4)


def parse_button(data: str) -> Press:
    action, _, value = data.partition(":")
    return Press(action, value)


# --- the machine ---


def advance(state: DialogueState, event: Event, context: Context | None = None) -> Outcome:
    """The next state, replies and effects for one event. `state` is not modified."""
    ctx = context or Context()
    current = _copy(state)
    if isinstance(event, Command):
        return _on_command(current, event, ctx)
    if isinstance(event, Press):
        return _on_press(current, event, ctx)
    if isinstance(event, Text):
        return _on_text(current, event, ctx)
    if isinstance(event, Media):
        return _on_media(current, event, ctx)
    if isinstance(event, Edit):
        return _on_edit(current, event, ctx)
    return Outcome(current, [Reply(unsupported_key(event.kind))])


UNSUPPORTED = frozenset({"sticker", "voice", "video", "video_note", "audio", "location", "contact", "poll"})


def unsupported_key(kind: str) -> str:
    """The text that answers a message of a kind the bot does not take (a sticker, a voice message…)."""
    return f"unsupported_{kind}" if kind in UNSUPPORTED else "unsupported_other"


def _copy(state: DialogueState) -> DialogueState:
    draft = Draft.from_dict(state.draft.to_dict()) if state.draft else None
    return replace(state, draft=draft, pending=[replace(p) for p in state.pending])


def _reset(state: DialogueState, step: Step = Step.IDLE) -> DialogueState:
    if state.draft and state.draft.account:
        state.last_account = state.draft.account
    state.step = step
    state.draft = None
    state.editing = None
    return state


def _on_command(state: DialogueState, event: Command, ctx: Context) -> Outcome:
    if event.name == "start":
        replies = [Reply("start", {"hours": ctx.hours})]
        if state.draft and state.step not in (Step.IDLE, Step.SUSPENDED):
            replies.append(Reply("draft_continues"))
            replies.extend(_prompt(state, ctx))
        return Outcome(state, replies)
    if event.name == "help":
        return Outcome(state, [Reply("help")])
    if event.name == "new":
        was_suspended = state.step == Step.SUSPENDED
        _reset(state)
        state.pending = []
        # SLA 4.8: the strikes stay; after a suspension the next offence suspends again at once.
        return Outcome(state, [Reply("new_request_after_suspension" if was_suspended else "new_request")])
    if event.name == "cancel":
        if state.step == Step.SUSPENDED:
            return Outcome(state, [Reply("suspended_still")])
        if state.draft is None and state.step == Step.IDLE and not state.pending:
            return Outcome(state, [Reply("nothing_to_cancel")])
        _reset(state)
        state.pending = []
        return Outcome(state, [Reply("cancelled")])
    return Outcome(state, [Reply("unknown_command")])


def _on_text(state: DialogueState, event: Text, ctx: Context) -> Outcome:
    if event.flagged:
        return _offence(state)
    if state.step == Step.SUSPENDED:
        return Outcome(state, [Reply("suspended_still")])
    outcome = _read_text(state, event, ctx)
    if event.rude:
        # SLA 4.2 forbids obscenities and insults; rudeness without them is no offence: the message is
        # handled as usual, with a polite request to keep the conversation constructive.
        outcome.replies.insert(0, Reply("keep_constructive"))
    return outcome


def _read_text(state: DialogueState, event: Text, ctx: Context) -> Outcome:
    text = event.text.strip()
    if not text:
        return Outcome(state, [Reply("empty_text")])
    step, draft = state.step, state.draft
    shortcut = _shortcut(step, text)
    if shortcut is not None:
        return _on_press(state, shortcut, ctx)
    if event.reading is not None and not event.reading.readable and (
            draft is None or step in (Step.IDLE, Step.OFFER_NEXT, Step.DESCRIPTION) or not draft.description):
        # Emoji, marks or an invisible filler: nothing to start a request from. An account given with
        # them is kept for the request that follows.
        if event.reading.account:
            state.last_account = event.reading.account
        return Outcome(state, [Reply("nothing_to_read")])
    if draft is None or step in (Step.IDLE, Step.OFFER_NEXT):
        state.pending = [] if step == Step.OFFER_NEXT else state.pending
        return _start_request(state, event, ctx)
    if step == Step.DESCRIPTION or not draft.description:
        return _start_request(state, event, ctx, keep=draft)
    outcome = Outcome(state)
    if step == Step.LINKS:
        draft.links_declined = True  # the user goes on instead of pressing «Это помогло»: the links did not help
    elif step == Step.SUMMARY and draft.help_links and not draft.links_declined and _declines_links(text):
        draft.links_declined = True  # «не помогло» at a card that offers the links: they leave the card
        return _ask_next(outcome, ctx, edited=True)
    if step == Step.EDIT_FIELD and state.editing:
        _set_field(draft, state.editing, event)
        state.editing = None
        return _ask_next(outcome, ctx, edited=True)
    answered = False
    if step == Step.ACCOUNT_GUESS and draft.account_offer:
        offer = draft.account_offer
        if _is_yes(text) or _YES.match(text):
            _set_account(draft, offer["guess"], event.message_id)
            return _ask_next(outcome, ctx)
        if _NO.match(text) or _AS_WRITTEN.match(text):
            _set_account(draft, offer["written"], event.message_id)
            return _ask_next(outcome, ctx)
        step = Step.ACCOUNT  # another address typed: read as the answer to «which account?»
    if step in (Step.ACCOUNT, Step.ACCOUNT_CONFIRM):
        account = _account_of(event)
        if account is None and step == Step.ACCOUNT_CONFIRM and _is_yes(text):
            account = ctx.previous_account
        if account is None:
            _extract_into(draft, event)
            if not draft.account:
                outcome.replies.append(Reply("account_not_recognised"))
                return outcome
        else:
            _take_account(draft, account, event.message_id)
        answered = True
    elif step == Step.STEPS:
        steps = None if extraction.is_dont_know(text) else extraction.steps_answer(text)
        if steps is not None:
            draft.steps = steps
            draft.sources["steps"] = event.message_id
        else:
            # «не знаю», or only the browser and system (taken below): the steps field holds steps or nothing
            draft.steps_unknown = extraction.is_dont_know(text)
        answered = True
    elif step == Step.ENVIRONMENT:
        if extraction.is_dont_know(text):
            draft.environment_unknown = True
        else:
            draft.environment = extraction.extract_environment(text) or text[:300]
            draft.sources["environment"] = event.message_id
        answered = True
    before = draft.to_dict()
    _extract_into(draft, event)
    if not answered and draft.to_dict() == before and step in (Step.SUMMARY, Step.EDIT_MENU, Step.LINKS):
        # Nothing recognised in a message at the card: it adds to the description.
        _add_to_description(draft, text, event.message_id)
        outcome.replies.append(Reply("added_to_description"))
    return _ask_next(outcome, ctx, edited=step in (Step.SUMMARY, Step.EDIT_MENU))


_HELPED = re.compile(
    r"^(?:да[,.!]?\s*)?(?:(?:спасибо|благодарю)[,.!]?\s*)?(?:это\s+|статья\s+)?"
    r"(?:помогл[оа]|помогли|разобрал\w*|получилось)\b",
    re.IGNORECASE,
)
_NOT_HELPED = re.compile(r"^(?:нет|не\s+помогл\w*|не\s+то|не\s+подходит|нужен\s+специалист|нужна\s+помощь)\b",
                         re.IGNORECASE)
_SEND = re.compile(r"^(?:отправ\w*|да|верно|вс[её]\s+верно|подтверждаю|ок|ok)[\s.!]*$", re.IGNORECASE)
_YES = re.compile(r"^(?:да|давайте|ага|оформ\w*|конечно|ok|ок)\b[\s\w,.!]{0,20}$", re.IGNORECASE)
_NO = re.compile(r"^(?:нет|не\s+надо|не\s+нужно|не\s+сейчас)\b[\s\w,.!]{0,20}$", re.IGNORECASE)
_ONLY_ME = re.compile(r"(?<!\w)(?:только\s+(?:у\s+)?(?:меня|мен[яе]|одного|одной|нас\s+двоих)|у\s+меня\s+одн|"
                      r"я\s+один|одн(?:ого|ой)\s+(?:сотрудник|пользовател|человек)|нет,?\s+не\s+у\s+всех|"
                      r"не\s+у\s+всех|only\s+me|just\s+me)", re.IGNORECASE)
_EVERYONE = re.compile(r"(?<!\w)(?:у\s+всех|все\s+сотрудник|всех\s+сотрудник|у\s+всей|вся\s+компания|"
                       r"никто\s+не|все\b|всех\b|everyone|everybody|all)", re.IGNORECASE)
_AS_WRITTEN = re.compile(r"^(?:как\s+(?:я\s+)?написа\w*|так\s+и\s+есть|правильно)\b[\s\w,.!]{0,20}$", re.IGNORECASE)


_DECLINED = re.compile(r"\bне\s+(?:помогл\w*|подходит|подошл\w*|то\b)", re.IGNORECASE)


def _declines_links(text: str) -> bool:
    """A short «не помогло», «статьи не подошли»: about the links offered, not a detail of the problem."""
    return len(text.split()) <= 6 and bool(_DECLINED.search(text))


def _shortcut(step: Step, text: str) -> Press | None:
    """Words that mean a button: «помогло» / «не помогло» at the links, «отправить» at the card,
    «да» / «нет» to the next problem of a split."""
    if step == Step.LINKS:
        if _NOT_HELPED.match(text):
            return Press("specialist")
        if _HELPED.match(text):
            return Press("helped")
    if step == Step.SUMMARY and _SEND.match(text):
        return Press("send")
    if step == Step.OUTAGE_SCOPE:
        if _ONLY_ME.search(text):
            return Press("scope", "me")
        if _EVERYONE.search(text):
            return Press("scope", "everyone")
    if step == Step.OFFER_NEXT:
        if _YES.match(text):
            return Press("next", "yes")
        if _NO.match(text):
            return Press("next", "no")
    return None


def _offence(state: DialogueState) -> Outcome:
    """SLA 4.2: the message is not passed on; SLA 4.8: repeated, the conversation is suspended."""
    state.strikes += 1
    if state.strikes >= 2:
        state.step = Step.SUSPENDED
        return Outcome(state, [Reply("suspended_abuse")])
    return Outcome(state, [Reply("rephrase")])


def _start_request(state: DialogueState, event: Text, ctx: Context, keep: Draft | None = None) -> Outcome:
    reading = event.reading
    outcome = Outcome(state)
    if reading is None:
        outcome.replies.append(Reply("empty_text"))
        return outcome
    if reading.scope == "out" or reading.category in WISH_CATEGORIES:
        _reset(state)
        state.pending = []
        outcome.replies.append(_out_of_scope_reply(reading, event.text))
        if reading.category in WISH_CATEGORIES:
            outcome.effects.append(RecordWish(str(reading.category), event.text.strip(), reading.account))
        return outcome
    draft = keep or Draft()
    _set_description(draft, _primary_text(reading, event.text), event.message_id)
    draft.category = str(reading.category)
    draft.critical = bool(reading.critical)
    state.draft = draft
    _extract_into(draft, event)
    problems = list(reading.problems)
    if reading.multi_problem and len(problems) > 1:
        # SLA 2.4: one ticket is one problem; the primary goes first, the others are offered next.
        state.pending = [Problem(extraction.original_span(event.text, p.text), str(p.category), bool(p.critical))
                         for p in problems[1:]]
        outcome.replies.append(Reply("one_problem", {"primary": draft.description,
                                                     "others": [p.text for p in state.pending]}))
    if reading.outage_unsure and not (reading.multi_problem and len(problems) > 1):
        # SLA 2.1: whether it goes out of turn depends on who is affected; asked, not guessed.
        state.step = Step.OUTAGE_SCOPE
        draft.help_links = [_link(hit) for hit in event.hits[:3]]
        outcome.replies.append(Reply("ask_outage_scope", buttons=_scope_buttons()))
        return outcome
    if draft.critical:
        outcome.replies.append(Reply("critical_noted"))  # SLA 2.1: out of turn
    return _offer_links(outcome, event.hits, ctx)


def _offer_links(outcome: Outcome, hits: Sequence[HitLike], ctx: Context) -> Outcome:
    """SLA 4.7: answers as links, for a question the help center may answer; not for a critical
    request, nor for a bug report that already says everything a specialist needs."""
    state = outcome.state
    draft = state.draft
    assert draft is not None
    complete_report = draft.needs_failure_details and draft.complete
    if hits and not draft.critical and not draft.article_read and not complete_report:
        draft.help_links = [_link(hit) for hit in hits[:3]]
        if not draft.complete:
            state.step = Step.LINKS
            outcome.replies.append(Reply("links", {"links": draft.help_links}, _links_buttons()))
            return outcome
    else:
        draft.help_links = []
    return _ask_next(outcome, ctx)


def _scope_buttons() -> tuple[tuple[Button, ...], ...]:
    return ((Button("scope_everyone", "scope", "everyone"), Button("scope_me", "scope", "me")),)


def _primary_text(reading: ReadingLike, text: str) -> str:
    """The description: the whole message, or the primary problem's part of it (SLA 2.4)."""
    problems = list(reading.problems)
    if reading.multi_problem and problems:
        return extraction.original_span(text, problems[0].text) or text.strip()
    return text.strip()


def _out_of_scope_reply(reading: ReadingLike, text: str) -> Reply:
    category = str(reading.category)
    if category == "feature_request":
        return Reply("wish_recorded")                 # SLA 3.1, last item
    if category == "payment_integration_script":
        return Reply("wish_payment_script")           # SLA 3.2
    if category in REFUSALS:
        return Reply(f"refuse_{category}")            # SLA 3.2
    return Reply(OFFTOPIC_REPLIES[extraction.offtopic_kind(text)])


REFUSALS = frozenset({"general_programming", "custom_development", "business_case_implementation"})
OFFTOPIC_REPLIES = {
    "channels": "other_channels",                     # SLA 4.5
    "sales": "refuse_sales",
    "greeting": "greeting",
    "thanks": "thanks",
    "other": "refuse_other_channel_or_offtopic",      # SLA 1.3, 3.2
}


def _link(hit: HitLike) -> dict[str, Any]:
    return {"url": hit.url, "title": hit.title, "heading": hit.heading}


@dataclass(frozen=True, slots=True)
class _Hit:
    """A link kept in the draft, offered again as a search result."""

    url: str
    title: str
    heading: str | None = None
    score: float = 1.0


def _links_buttons() -> tuple[tuple[Button, ...], ...]:
    return ((Button("helped", "helped"),), (Button("need_specialist", "specialist"),))


def _account_of(event: Text | Edit) -> str | None:
    if event.reading is not None and event.reading.account:
        return event.reading.account
    return extraction.account_from_answer(event.text)


def _is_yes(text: str) -> bool:
    return text.strip().lower().strip(".!") in {"да", "ага", "верно", "он", "этот", "да, он", "да, этот", "yes"}


def _extract_into(draft: Draft, event: Text | Edit) -> None:
    """Fill what is still missing from whatever the user wrote (any message, any step)."""
    text = event.text
    if not draft.account and not draft.account_offer and event.reading is not None and event.reading.account:
        _take_account(draft, event.reading.account, event.message_id)
    if draft.needs_failure_details:
        if not draft.environment:
            environment = extraction.extract_environment(text)
            if environment:
                draft.environment = environment
                draft.environment_unknown = False
                draft.sources["environment"] = event.message_id
        if not draft.steps:
            steps = extraction.extract_steps(text)
            if steps:
                draft.steps = steps
                draft.steps_unknown = False
                draft.sources["steps"] = event.message_id
    if not draft.article_read:
        link = extraction.extract_help_link(text)
        if link:
            draft.article_read = link
            draft.sources["article_read"] = event.message_id


def _set_field(draft: Draft, name: str, event: Text | Edit) -> None:
    text = event.text.strip()
    if name == "account":
        _take_account(draft, _account_of(event) or text, event.message_id)
        return
    elif name == "steps":
        draft.steps_unknown = extraction.is_dont_know(text)
        draft.steps = None if draft.steps_unknown else (extraction.steps_answer(text) or text)
    elif name == "environment":
        draft.environment_unknown = extraction.is_dont_know(text)
        draft.environment = None if draft.environment_unknown else (extraction.extract_environment(text) or text)
    elif name == "description":
        _set_description(draft, text, event.message_id)
    draft.sources[name] = event.message_id


def _take_account(draft: Draft, address: str, message_id: int) -> None:
    """The address as the user typed it; one whose all-Latin reading is only a guess is asked about first."""
    guess = accounts.latin_guess(address)
    if guess is None:
        _set_account(draft, address, message_id)
        return
    draft.account = draft.account_idna = None
    draft.account_offer = {"written": address, "guess": guess}
    draft.sources["account"] = message_id


def _set_account(draft: Draft, address: str, message_id: int | None = None) -> None:
    draft.account = address
    draft.account_idna = accounts.idna_form(address)
    draft.account_offer = None
    if message_id is not None:
        draft.sources["account"] = message_id


def _set_description(draft: Draft, text: str, message_id: int) -> None:
    """The description anew, from one message (what was added to the old one goes with it)."""
    draft.description = text
    draft.description_parts = [{"message_id": message_id, "text": text}]
    draft.sources["description"] = message_id


def _add_to_description(draft: Draft, text: str, message_id: int) -> None:
    if not draft.description_parts and draft.description:  # a draft stored before the parts were kept
        draft.description_parts = [{"message_id": draft.sources.get("description", 0), "text": draft.description}]
    draft.description_parts.append({"message_id": message_id, "text": text})
    draft.description = "\n".join(part["text"] for part in draft.description_parts)


def _edit_description(draft: Draft, event: Edit) -> bool:
    """The parts of the description an edited message gave take its new text; False: it gave none."""
    parts = draft.description_parts
    if not any(part["message_id"] == event.message_id for part in parts):
        if draft.sources.get("description") != event.message_id:
            return False
        parts = draft.description_parts = [{"message_id": event.message_id, "text": draft.description or ""}]
    reading = event.reading
    for index, part in enumerate(parts):
        if part["message_id"] != event.message_id:
            continue
        if index == 0:  # the request itself: read again (its category may change with it)
            part["text"] = _primary_text(reading, event.text) if reading is not None else event.text.strip()
            if reading is not None and reading.scope == "in":
                draft.category = str(reading.category)
                draft.critical = bool(reading.critical)
        else:
            part["text"] = event.text.strip()
    draft.description = "\n".join(part["text"] for part in parts if part["text"]) or draft.description
    return True


def _ask_next(outcome: Outcome, ctx: Context, edited: bool = False) -> Outcome:
    """Ask for the first missing field only, or show the summary card when nothing is missing."""
    state = outcome.state
    draft = state.draft
    assert draft is not None
    missing = draft.missing()
    if not missing:
        state.step = Step.SUMMARY
        outcome.replies.append(summary(draft, edited=edited))
        return outcome
    first = missing[0]
    if first == "description":
        state.step = Step.DESCRIPTION
        outcome.replies.append(Reply("ask_description"))
    elif first == "account" and draft.account_offer:
        state.step = Step.ACCOUNT_GUESS
        offer = draft.account_offer
        outcome.replies.append(Reply(
            "account_guess", {**offer, "letters": accounts.lookalike_letters(offer["written"])},
            ((Button("account_guess", "guess", "latin", {"account": offer["guess"]}),),
             (Button("account_written", "guess", "written"),)),
        ))
    elif first == "account" and ctx.previous_account:
        state.step = Step.ACCOUNT_CONFIRM
        outcome.replies.append(Reply(
            "confirm_account", {"account": ctx.previous_account},
            ((Button("account_yes", "account", "yes", {"account": ctx.previous_account}),),
             (Button("account_other", "account", "other"),)),
        ))
    elif first == "account":
        state.step = Step.ACCOUNT
        outcome.replies.append(Reply("ask_account"))
    elif first == "steps":
        state.step = Step.STEPS
        # the browser and OS are asked in the same breath; whatever of them the answer lacks is asked next
        key = "ask_steps_and_environment" if "environment" in missing else "ask_steps"
        outcome.replies.append(Reply(key, buttons=((Button("dont_know", "unknown", "steps"),),)))
    else:
        state.step = Step.ENVIRONMENT
        outcome.replies.append(Reply("ask_environment", buttons=((Button("dont_know", "unknown", "environment"),),)))
    return outcome


def summary(draft: Draft, edited: bool = False) -> Reply:
    buttons: list[tuple[Button, ...]] = [
        (Button("send", "send"),),
        (Button("edit", "edit"), Button("cancel", "cancel")),
    ]
    offer_links = bool(draft.help_links) and not draft.links_declined
    if offer_links:
        buttons.insert(0, (Button("helped", "helped"),))
    return Reply("summary", {"draft": draft.to_dict(), "edited": edited, "links": offer_links,
                             "failure": draft.needs_failure_details}, tuple(buttons))


def _prompt(state: DialogueState, ctx: Context) -> list[Reply]:
    """Repeat the question of the current step (after /start in the middle of a request)."""
    if state.draft is None:
        return []
    if state.step == Step.LINKS:
        return [Reply("links", {"links": state.draft.help_links}, _links_buttons())]
    if state.step == Step.OUTAGE_SCOPE:
        return [Reply("ask_outage_scope", buttons=_scope_buttons())]
    if state.step == Step.EDIT_MENU:
        return [_edit_menu(state.draft)]
    if state.step == Step.EDIT_FIELD and state.editing:
        return [Reply(f"ask_edit_{state.editing}")]
    return _ask_next(Outcome(state), ctx).replies


def _edit_menu(draft: Draft) -> Reply:
    names = [name for name in EDITABLE_FIELDS if name not in ("steps", "environment") or draft.needs_failure_details]
    rows = tuple((Button(f"field_{name}", "field", name),) for name in names)
    return Reply("edit_menu", buttons=(*rows, (Button("back", "back"),)))


def _on_press(state: DialogueState, event: Press, ctx: Context) -> Outcome:
    step, draft, action = state.step, state.draft, event.action
    stale = Outcome(state, [Reply("stale_button")])
    if step == Step.SUSPENDED:
        return Outcome(state, [Reply("suspended_still")])
    if action == "next":
        if step != Step.OFFER_NEXT or not state.pending:
            return stale
        if event.value != "yes":
            state.pending = []
            state.step = Step.IDLE
            return Outcome(state, [Reply("next_declined")])
        problem = state.pending.pop(0)
        state.draft = Draft(category=problem.category, critical=problem.critical, account=state.last_account)
        _set_description(state.draft, problem.text, 0)
        _extract_into(state.draft, Text(problem.text))
        outcome = Outcome(state)
        if problem.critical:
            outcome.replies.append(Reply("critical_noted"))
        return _offer_links(outcome, ctx.next_hits, ctx)
    if draft is None:
        return stale
    if action == "scope":
        if step != Step.OUTAGE_SCOPE or event.value not in ("everyone", "me"):
            return stale
        outcome = Outcome(state)
        hits = [_Hit(**link) for link in draft.help_links]
        draft.help_links = []
        if event.value == "everyone":
            draft.category, draft.critical = "outage", True
            outcome.replies.append(Reply("critical_noted"))  # SLA 2.1: out of turn
            return _ask_next(outcome, ctx)
        draft.critical = False
        if draft.category == "outage":
            draft.category = "bug_report"  # one user's failure is a bug, not an outage (SLA 3.1)
        return _offer_links(outcome, hits, ctx)
    if action == "helped" and step in (Step.LINKS, Step.SUMMARY):
        links = list(draft.help_links)
        _reset(state)
        outcome = Outcome(state, [Reply("self_served")], [SelfServed(draft.description or "", links)])
        return _offer_next(outcome)
    if action == "specialist" and step == Step.LINKS:
        draft.links_declined = True
        return _ask_next(Outcome(state), ctx)
    if action == "guess" and step == Step.ACCOUNT_GUESS and draft.account_offer:
        _set_account(draft, draft.account_offer["guess" if event.value == "latin" else "written"])
        return _ask_next(Outcome(state), ctx)
    if action == "account" and step == Step.ACCOUNT_CONFIRM:
        if event.value == "yes" and ctx.previous_account:
            _set_account(draft, ctx.previous_account)
            return _ask_next(Outcome(state), ctx)
        state.step = Step.ACCOUNT
        return Outcome(state, [Reply("ask_account")])
    if action == "unknown" and event.value == "steps" and step == Step.STEPS:
        draft.steps_unknown = True
        return _ask_next(Outcome(state), ctx)
    if action == "unknown" and event.value == "environment" and step == Step.ENVIRONMENT:
        draft.environment_unknown = True
        return _ask_next(Outcome(state), ctx)
    if action == "send" and step == Step.SUMMARY:
        if not draft.complete:
            return _ask_next(Outcome(state), ctx)
        _reset(state)
        return _offer_next(Outcome(state, effects=[SubmitTicket(draft)]))
    if action == "edit" and step in (Step.SUMMARY, Step.EDIT_MENU):
        state.step = Step.EDIT_MENU
        return Outcome(state, [_edit_menu(draft)])
    if action == "field" and step in (Step.SUMMARY, Step.EDIT_MENU) and event.value in EDITABLE_FIELDS:
        state.step = Step.EDIT_FIELD
        state.editing = event.value
        return Outcome(state, [Reply(f"ask_edit_{event.value}")])
    if action == "back" and step in (Step.EDIT_MENU, Step.EDIT_FIELD):
        state.editing = None
        return _ask_next(Outcome(state), ctx)
    if action == "cancel" and step != Step.IDLE:
        _reset(state)
        state.pending = []
        return Outcome(state, [Reply("cancelled")])
    return stale


def _offer_next(outcome: Outcome) -> Outcome:
    """After a ticket or a helpful link: offer the next problem of a split message (SLA 2.4)."""
    state = outcome.state
    if state.pending:
        state.step = Step.OFFER_NEXT
        outcome.replies.append(Reply(
            "offer_next", {"problem": state.pending[0].text},
            ((Button("next_yes", "next", "yes"), Button("next_no", "next", "no")),),
        ))
    return outcome


def _on_media(state: DialogueState, event: Media, ctx: Context) -> Outcome:
    if state.step == Step.SUSPENDED:
        return Outcome(state, [Reply("suspended_still")])
    repeated_album = event.media_group_id is not None and event.media_group_id == state.last_media_group
    state.last_media_group = event.media_group_id
    outcome = Outcome(state)
    if event.caption is not None and event.caption.text.strip():
        outcome = _on_text(state, event.caption, ctx)
        state = outcome.state
        if event.caption.flagged or state.step == Step.SUSPENDED or state.draft is None:
            return outcome  # not passed on (SLA 4.2) or out of scope: the file goes nowhere
    if not event.accepted:
        if not repeated_album:
            outcome.replies.append(Reply("screenshot_refused", {"reason": event.reason or "format"}))
        return outcome
    if state.draft is None:
        state.draft = Draft()
        state.step = Step.DESCRIPTION
    state.draft.attachments.append({"file_id": event.file_id, "kind": event.kind, "mime": event.mime,
                                    "size": event.size, "message_id": event.message_id})
    if repeated_album:
        return outcome
    if state.step == Step.DESCRIPTION and not outcome.replies:
        outcome.replies.append(Reply("screenshot_then_describe"))
    elif not outcome.replies:
        outcome.replies.append(Reply("screenshot_added", {"count": len(state.draft.attachments)}))
    return outcome


def _on_edit(state: DialogueState, event: Edit, ctx: Context) -> Outcome:
    """An edited message updates what the draft took from it, and fills what is still missing."""
    draft = state.draft
    if event.flagged:
        return Outcome(state, [Reply("rephrase_edit")])
    if draft is None or state.step in (Step.IDLE, Step.SUSPENDED, Step.OFFER_NEXT):
        return Outcome(state)
    before = draft.to_dict()
    taken = [name for name, source in draft.sources.items() if source == event.message_id]
    text = Text(event.text, event.message_id, event.reading)
    described = _edit_description(draft, event)
    for name in taken:
        if name == "account":
            address = _account_of(event)
            if address and address not in (draft.account, (draft.account_offer or {}).get("written")):
                _take_account(draft, address, event.message_id)
        elif name == "steps":
            draft.steps = extraction.extract_steps(event.text) or (event.text.strip() if len(taken) == 1 else None)
        elif name == "environment":
            draft.environment = extraction.extract_environment(event.text) or (
                event.text.strip() if len(taken) == 1 else None)
        elif name == "article_read":
            draft.article_read = extraction.extract_help_link(event.text)
    _extract_into(draft, text)
    if not taken and not described and draft.to_dict() == before:
        # the message gave the draft nothing: the transcript keeps both versions, the draft stays as it was
        return Outcome(state, [Reply("edit_not_in_draft")])
    outcome = Outcome(state, [Reply("edit_applied")])
    if state.step in (Step.SUMMARY, Step.ACCOUNT, Step.ACCOUNT_CONFIRM, Step.ACCOUNT_GUESS, Step.STEPS,
                      Step.ENVIRONMENT):
        return _ask_next(outcome, ctx, edited=state.step == Step.SUMMARY)
    return outcome


def next_press(state: DialogueState, event: Press | Text) -> str | None:
    """The answer to «the next problem?» that this event gives: "yes", "no" or None."""
    press = event if isinstance(event, Press) else _shortcut(state.step, event.text.strip())
    return press.value if press is not None and press.action == "next" else None


def starts_request(state: DialogueState) -> bool:
    """Whether a text in this state is read as a new request (and so is worth a help-center search)."""
    if state.step == Step.SUSPENDED:
        return False
    return state.draft is None or state.step in (Step.IDLE, Step.OFFER_NEXT, Step.DESCRIPTION) or (
        not state.draft.description)
