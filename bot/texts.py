"""Every user-facing string of the bot, in Russian, and how it is put into Telegram's HTML.

Whatever came from a user is escaped before it goes into a message (`quote`), and a message longer
than Telegram's limit is split on paragraph, line or word boundaries, never inside a tag or an
entity (`split_html`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot import extraction

MESSAGE_LIMIT = 4096  # Telegram's limit for one message, in UTF-16 code units


def quote(value: object) -> str:
    """Escape a user's text for Telegram's HTML parse mode (like aiogram's `html.quote`)."""
    return html.escape(str(value), quote=False)


# --- plain templates: parameters are escaped, the template's own markup is kept ---

TEXTS: dict[str, str] = {
    "start": (
        "Здравствуйте! Это бот технической поддержки Аспро.Cloud.\n\n"
        # SLA 3.1 in one sentence
        "Мы консультируем по настройке и функционалу продукта, API и безопасности, фиксируем ошибки и сбои "
        "и принимаем пожелания по улучшению продукта.\n\n"
        "Поддержка работает {hours}.\n\n"
        "Опишите, пожалуйста, ваш вопрос или проблему одним сообщением: я подберу статьи из справки, "
        "а если они не помогут — оформлю обращение к специалисту."
    ),
    "help": (
        "Напишите вопрос или опишите проблему обычным сообщением — можно сразу с адресом аккаунта, "
        "шагами и браузером, тогда уточнять ничего не придётся.\n\n"
        "Команды:\n"
        "/new — новое обращение\n"
        "/status — ваши обращения и их состояние\n"
        "/history N — переписка по обращению №N\n"
        "/cancel — отменить черновик обращения\n"
        "/help — эта подсказка\n\n"
        "Скриншоты принимаются в форматах JPG, GIF и PNG."
    ),
    "draft_continues": "У вас есть незаконченное обращение — продолжим с того же места.",
    "new_request": "Хорошо, начнём новое обращение. Опишите, пожалуйста, ваш вопрос или проблему.",
    "new_request_after_suspension": (
        "Хорошо, начнём новое обращение. Пожалуйста, сформулируйте его корректно: при повторении "
        "нецензурной лексики или оскорблений поддержка будет приостановлена сразу."
    ),
    "cancelled": "Черновик обращения отменён. Если понадобится помощь, просто напишите.",
    "nothing_to_cancel": "Сейчас нечего отменять. Чтобы начать обращение, опишите ваш вопрос.",
    "unknown_command": "Такой команды нет. Список команд — /help.",
    "empty_text": "Сообщение пустое. Опишите, пожалуйста, ваш вопрос словами.",
    "nothing_to_read": (
        "Не вижу в сообщении вопроса. Напишите, пожалуйста, словами, что случилось или что вы хотите узнать, "
        "— и я подскажу."
    ),
    "ask_outage_scope": (
        "Уточните, пожалуйста: проблема у всех сотрудников вашей компании или только у вас? "
        "Если не работает у всех, обращение о восстановлении работы обрабатывается вне очереди "
        "(п. 2.1 регламента)."
    ),
    # SLA 4.2: the message is not passed on, the user is asked to rephrase
    "rephrase": (
        "Пожалуйста, переформулируйте сообщение без нецензурной лексики и оскорблений — в таком виде "
        "мы не можем передать его специалисту (п. 4.2 регламента)."
    ),
    # SLA 4.2: rude, but with no obscenity and no insult; the message is handled as usual
    "keep_constructive": (
        "Понимаем, что ситуация неприятная, и постараемся помочь как можно быстрее. Пожалуйста, давайте "
        "продолжим общение в конструктивном ключе."
    ),
    "rephrase_edit": (
        "Исправленное сообщение содержит нецензурную лексику или оскорбления, поэтому в обращение оно "
        "не попадёт. Пожалуйста, сформулируйте его корректно."
    ),
    # SLA 4.8, last reason
    "suspended_abuse": (
        "Поддержка по этому обращению приостановлена: в переписке повторно использованы нецензурная "
        "лексика или оскорбления сотрудников (п. 4.8 регламента)."
    ),
    "suspended_still": (
        "Поддержка по этому обращению приостановлена из-за нецензурной лексики или оскорблений "
        "(п. 4.8 регламента). Чтобы начать новое корректное обращение, отправьте /new."
    ),
    # SLA 3.2 and 1.3: out of scope, with the reason
    "refuse_general_programming": (
        "К сожалению, с этим помочь не сможем: общие вопросы программирования, не связанные с Аспро.Cloud, "
        "не входят в техническую поддержку (п. 3.2 регламента). Если вопрос касается API или настройки "
        "продукта, опишите, пожалуйста, что именно не получается."
    ),
    "refuse_custom_development": (
        "К сожалению, разработка компонентов и модулей по заказу и изменение кода под задачи отдельной "
        "компании не входят в техническую поддержку (п. 3.2 регламента). Если в продукте что-то работает "
        "с ошибкой, опишите, пожалуйста, проблему — её мы зафиксируем."
    ),
    "refuse_business_case_implementation": (
        "К сожалению, реализация бизнес-кейсов и решение конкретных задач с заданной логикой не входят "
        "в техническую поддержку (п. 3.2 регламента). Мы можем проконсультировать по настройке "
        "и функционалу продукта — спросите, если нужно."
    ),
    "refuse_other_channel_or_offtopic": (
        "К сожалению, этот вопрос выходит за рамки технической поддержки Аспро.Cloud (п. 3.2 регламента): "
        "мы помогаем с настройкой и работой самого продукта. Вопросы по стороннему программному обеспечению "
        "и сервисам лучше адресовать их разработчикам (п. 1.3). Если у вас вопрос по Аспро.Cloud — напишите, "
        "я помогу."
    ),
    "refuse_sales": (
        "Вопросы стоимости, тарифов, лицензий и оплаты решает не техническая поддержка, а отдел продаж "
        "Аспро — обратитесь, пожалуйста, к вашему менеджеру. Если у вас вопрос по работе Аспро.Cloud — "
        "напишите, я помогу."
    ),
    "thanks": "Пожалуйста! Если появятся вопросы по Аспро.Cloud — пишите.",
    "greeting": (
        "Здравствуйте! Я бот технической поддержки Аспро.Cloud. Опишите, пожалуйста, ваш вопрос или "
        "проблему — подберу статью из справки или оформлю обращение к специалисту."
    ),
    # SLA 4.5
    "other_channels": (
        "Техническая поддержка не оказывается по телефону и в других каналах вроде Skype или мессенджеров: "
        "такие вопросы не регистрируются как обращения (п. 4.5 регламента). Официально обратиться можно "
        "здесь, в онлайн-чате продукта или по почте support@aspro.finance. Опишите проблему — я оформлю "
        "обращение."
    ),
    # SLA 3.1 (last item) and 3.2 (payment scripts)
    "wish_recorded": (
        "Спасибо за предложение! Я записал пожелание и передал его в поддержку — такие запросы "
        "рассматриваются при планировании развития продукта (п. 3.1 регламента). Сроков реализации, "
        "к сожалению, обещать не можем."
    ),
    "wish_payment_script": (
        "Разработка скриптов интеграции с платёжными системами не входит в техническую поддержку "
        "(п. 3.2 регламента). Я записал ваше пожелание: такие интеграции могут войти в стандартную "
        "поставку продукта, но срок не определён."
    ),
    "one_problem": "",  # rendered by _one_problem
    "critical_noted": (
        "Понимаю, ситуация срочная: обращение о восстановлении работы будет обработано вне очереди "
        "(п. 2.1 регламента)."
    ),
    "links": "",  # rendered by _links
    "self_served": "Рад, что статья помогла! Если появятся вопросы — пишите.",
    "ask_description": "Опишите, пожалуйста, вашу проблему или вопрос: что именно происходит?",
    "ask_account": (
        "Укажите, пожалуйста, адрес вашего аккаунта — например, <code>romashka.aspro.cloud</code> "
        "или ваш собственный домен (п. 4.2 регламента)."
    ),
    "account_not_recognised": (
        "Не удалось распознать адрес аккаунта. Пришлите его, пожалуйста, в виде "
        "<code>romashka.aspro.cloud</code> — его видно в адресной строке браузера, когда вы в аккаунте."
    ),
    "confirm_account": "Обращение по аккаунту <b>{account}</b>, как в прошлый раз?",
    "account_guess": "",  # rendered by _account_guess
    "ask_steps": (
        "Опишите, пожалуйста, по шагам, как воспроизвести проблему: куда заходите, что нажимаете "
        "и что видите в итоге. Если не знаете — так и напишите."
    ),
    "ask_steps_and_environment": (
        "Опишите, пожалуйста, по шагам, как воспроизвести проблему: куда заходите, что нажимаете "
        "и что видите в итоге. И укажите браузер и систему, например: <i>Chrome 120, Windows 11</i>. "
        "Если шагов не знаете — так и напишите."
    ),
    "ask_environment": (
        "В каком браузере и системе это происходит? Достаточно коротко, например: "
        "<i>Chrome 120, Windows 11</i> или <i>мобильное приложение, Android 14</i>."
    ),
    "summary": "",  # rendered by _summary
    "edit_menu": "Что исправить?",
    "ask_edit_description": "Пришлите, пожалуйста, новое описание проблемы.",
    "ask_edit_account": "Пришлите, пожалуйста, адрес аккаунта, например <code>romashka.aspro.cloud</code>.",
    "ask_edit_steps": "Опишите, пожалуйста, шаги воспроизведения заново (или напишите «не знаю»).",
    "ask_edit_environment": "Укажите, пожалуйста, браузер и систему (или напишите «не знаю»).",
    "added_to_description": "Добавил это к описанию.",
    "edit_applied": "Учёл исправление в черновике обращения.",
    "edit_not_in_draft": (
        "Исправление сохранено в переписке. В черновик обращения из этого сообщения ничего не попало, "
        "поэтому в нём всё осталось как было."
    ),
    "ticket_created": "",  # rendered by _ticket_created
    "offer_next": "Оформить следующее обращение — «{problem}»?",
    "next_declined": "Хорошо. Если понадобится, просто опишите вопрос снова.",
    "stale_button": "Эта кнопка уже неактуальна. Продолжим с текущего шага — или отправьте /new.",
    "screenshot_then_describe": "Скриншот получил. Теперь опишите, пожалуйста, проблему словами.",
    "screenshot_added": "Скриншот добавлен к обращению (всего: {count}).",
    "screenshot_refused": "",  # rendered by _screenshot_refused
    "unsupported_sticker": "Стикеры я не разбираю. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_voice": (
        "Голосовые сообщения я не обрабатываю. Напишите, пожалуйста, вопрос текстом — так специалист "
        "быстрее разберётся."
    ),
    "unsupported_video_note": "Видеосообщения я не обрабатываю. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_video": (
        "Видео я не принимаю. Опишите проблему текстом и при необходимости приложите скриншоты "
        "в форматах JPG, GIF или PNG (п. 4.6 регламента)."
    ),
    "unsupported_audio": "Аудиофайлы я не обрабатываю. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_location": "Геопозиция для обращения не нужна. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_contact": "Контакты для обращения не нужны. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_poll": "Опросы я не обрабатываю. Опишите, пожалуйста, вопрос текстом.",
    "unsupported_other": "Такой тип сообщений я не обрабатываю. Опишите, пожалуйста, вопрос текстом.",
    "status": "",  # rendered by _status
    "no_tickets": "У вас пока нет обращений. Чтобы создать обращение, опишите ваш вопрос.",
    "history": "",  # rendered by _history
    "history_not_found": "Обращение №{number} не найдено среди ваших. Список ваших обращений — /status.",
    "history_usage": "Укажите номер обращения, например: /history 12. Список ваших обращений — /status.",
    "processing_error": (
        "Извините, при обработке вашего сообщения что-то пошло не так. Сообщение сохранено и не потеряется: "
        "мы разберёмся и ответим вам здесь."
    ),
}

BUTTONS: dict[str, str] = {
    "helped": "Это помогло",
    "need_specialist": "Нужна помощь специалиста",
    "account_yes": "Да, {account}",
    "account_other": "Другой аккаунт",
    "account_guess": "Да, {account}",
    "account_written": "Нет, как написано",
    "dont_know": "Не знаю",
    "send": "Отправить",
    "edit": "Исправить",
    "cancel": "Отменить",
    "field_description": "Описание",
    "field_account": "Аккаунт",
    "field_steps": "Шаги воспроизведения",
    "field_environment": "Браузер и система",
    "back": "Назад к карточке",
    "next_yes": "Да, оформить",
    "next_no": "Нет, спасибо",
    "scope_everyone": "У всех сотрудников",
    "scope_me": "Только у меня",
}

# The command menu (setMyCommands).
COMMANDS: dict[str, str] = {
    "start": "Начать: что умеет поддержка и когда работает",
    "new": "Новое обращение",
    "status": "Мои обращения и их состояние",
    "history": "Переписка по обращению: /history N",
    "cancel": "Отменить черновик обращения",
    "help": "Подсказка",
}

STATE_LABELS: dict[str, str] = {
    "new": "в очереди",
    "in_progress": "в работе",
    "need_information": "нужна информация от вас",
    "passed_to_development": "передано в разработку",
    "suspended": "приостановлено",
    "refused": "отказано",
    "resolved": "решено",
    "reopened": "открыто повторно",
}

CATEGORY_LABELS: dict[str, str] = {
    "setup_consultation": "консультация по настройке",
    "functionality_question": "вопрос по функционалу",
    "bug_report": "ошибка",
    "outage": "сбой в работе",
    "api_question": "вопрос по API",
    "security_question": "вопрос по безопасности",
    "feature_request": "пожелание",
}

_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря")


def hours_text(open_hour: int, close_hour: int, timezone: str = "Europe/Moscow") -> str:
    """SLA 2.1: «по рабочим дням с 8:00 до 18:00 по московскому времени»."""
    zone = "по московскому времени" if timezone == "Europe/Moscow" else f"({timezone})"
    return f"по рабочим дням с {open_hour}:00 до {close_hour}:00 {zone}, кроме выходных и праздников"


def when_text(moment: datetime, now: datetime | None = None, by: bool = False) -> str:
    """«в понедельник, 1 декабря, в 08:00» in the moment's own time zone; «сегодня в 08:00» and
    «завтра в 08:00» when `now` is that day or the day before; «до 12:30» in place of «в» with `by`."""
    at = "до" if by else "в"
    if now is not None:
        days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
        if days in (0, 1):
            return f"{('сегодня', 'завтра')[days]} {at} {moment:%H:%M}"
    weekday = _WEEKDAYS[moment.weekday()]
    preposition = "во" if weekday == "вторник" else "в"
    weekday = {"среда": "среду", "пятница": "пятницу", "суббота": "субботу"}.get(weekday, weekday)
    return f"{preposition} {weekday}, {moment.day} {_MONTHS[moment.month - 1]}, {at} {moment:%H:%M}"


# --- rendered texts: the ones with structure ---


def _links(params: Mapping[str, Any]) -> str:
    lines = ["Возможно, ответ уже есть в справке:"]  # SLA 4.7
    for index, link in enumerate(params.get("links", []), 1):
        title = link.get("title") or link.get("url")
        heading = link.get("heading")
        label = f"{quote(title)} — {quote(heading)}" if heading and heading != title else quote(title)
        lines.append(f'{index}. <a href="{html.escape(str(link.get("url", "")), quote=True)}">{label}</a>')
    lines.append("\nЕсли статья не помогла, нажмите «Нужна помощь специалиста» — оформим обращение.")
    return "\n".join(lines)


def _one_problem(params: Mapping[str, Any]) -> str:
    others = "\n".join(f"• {quote(_short(text))}" for text in params.get("others", []))
    return (
        "В одном обращении решается одна проблема (п. 2.4 регламента). Начнём с главной:\n"
        f"<i>{quote(_short(params.get('primary', '')))}</i>\n\n"
        f"Остальное оформлю следующими обращениями сразу после этого:\n{others}"
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _account_guess(params: Mapping[str, Any]) -> str:
    letters = ", ".join(f"«{quote(letter)}»" for letter in params.get("letters", []))
    return (f"В адресе <code>{quote(params['written'])}</code> среди латинских букв есть русские ({letters}), "
            "а адрес аккаунта обычно пишут одной раскладкой.\n"
            f"Вы имели в виду <code>{quote(params['guess'])}</code> — всё латиницей?")


def _summary(params: Mapping[str, Any]) -> str:
    draft = params.get("draft", {})
    head = "Обновил карточку обращения. Проверьте, пожалуйста:" if params.get("edited") else (
        "Проверьте, пожалуйста, обращение перед отправкой:")
    lines = [head, ""]
    lines.append(f"<b>Аккаунт:</b> {quote(draft.get('account') or '—')}")
    category = CATEGORY_LABELS.get(draft.get("category") or "", "")
    if category:
        lines.append(f"<b>Тип:</b> {quote(category)}" + (" (срочно)" if draft.get("critical") else ""))
    lines.append(f"<b>Описание:</b> {quote(draft.get('description') or '—')}")
    if params.get("failure"):
        steps = "неизвестны" if draft.get("steps_unknown") else draft.get("steps")
        if not extraction.same_text(steps, draft.get("description")):  # steps told in the description: once
            lines.append(f"<b>Шаги воспроизведения:</b> {quote(steps or '—')}")
        environment = "неизвестны" if draft.get("environment_unknown") else (draft.get("environment") or "—")
        lines.append(f"<b>Браузер и система:</b> {quote(environment)}")
    if draft.get("article_read"):
        lines.append(f"<b>Прочитанная статья:</b> {quote(draft['article_read'])}")
    if draft.get("attachments"):
        lines.append(f"<b>Скриншоты:</b> {len(draft['attachments'])}")
    links = draft.get("help_links") or []
    if links and params.get("links"):
        lines.append("")
        lines.append(_links({"links": links}).split("\n\n", 1)[0])
        lines.append("Если статья помогла, нажмите «Это помогло».")
    lines.append("")
    lines.append("Можно приложить скриншоты (JPG, GIF, PNG) или ссылку на статью справки, которую вы уже читали.")
    return "\n".join(lines)


def _ticket_created(params: Mapping[str, Any]) -> str:
    lines = [f"Обращение <b>№{params['number']}</b> зарегистрировано."]
    if params.get("critical"):
        lines.append("Оно отмечено как срочное и будет обработано вне очереди (п. 2.1 регламента).")
    lines.append(f"Место в очереди: {params['place']}.")
    # the expected moment comes from the desk's recent first responses at this queue length (not a promise)
    expected = f"ответ здесь можно ожидать {quote(params['expected'])} по московскому времени" if params.get(
        "expected") else "специалист ответит здесь"
    if params.get("open_now"):
        lines.append(f"Поддержка сейчас работает: при нынешней очереди {expected}.")
    else:
        lines.append(
            f"Сейчас поддержка не работает; специалисты приступят к обращениям {quote(params['next_open'])}, "
            f"при нынешней очереди {expected}."
        )
    lines.append(f"Время работы поддержки: {quote(params['hours'])}.")
    # SLA 2.3: never a promised resolution time
    lines.append("Срок решения зависит от сложности вопроса, поэтому заранее назвать его мы не можем (п. 2.3).")
    lines.append("Состояние обращения — /status, переписка — /history " + str(params["number"]) + ".")
    return "\n".join(lines)


_REFUSAL_REASONS = {
    "format": "Файл не похож на изображение в формате JPG, GIF или PNG — такой формат принять не могу "
              "(п. 4.6 регламента). Пришлите, пожалуйста, скриншот в одном из этих форматов.",
    "too_big": "Файл слишком большой: принимаю скриншоты до {limit} МБ. Пришлите, пожалуйста, файл поменьше "
               "в формате JPG, GIF или PNG.",
    "unreadable": "Не удалось прочитать файл. Пришлите его, пожалуйста, ещё раз в формате JPG, GIF или PNG.",
}


def _screenshot_refused(params: Mapping[str, Any]) -> str:
    from bot.screenshots import MAX_SCREENSHOT_BYTES

    reason = params.get("reason") or "format"
    template = _REFUSAL_REASONS.get(reason, _REFUSAL_REASONS["format"])
    return template.format(limit=MAX_SCREENSHOT_BYTES // (1024 * 1024))


def _status(params: Mapping[str, Any]) -> str:
    lines = ["Ваши обращения:"]
    for ticket in params.get("tickets", []):
        state = STATE_LABELS.get(ticket["state"], ticket["state"])
        created = ticket["created_at"]
        description = quote(_short(ticket["description"], 80))
        lines.append(f"<b>№{ticket['number']}</b> · {quote(state)} · {created:%d.%m.%Y} · {description}")
    lines.append("\nПереписка по обращению — /history N.")
    return "\n".join(lines)


def _history(params: Mapping[str, Any]) -> str:
    state = STATE_LABELS.get(params["state"], params["state"])
    lines = [f"<b>Обращение №{params['number']}</b> · {quote(state)}", ""]
    authors = {"user": "Вы", "bot": "Бот", "agent": "Поддержка"}
    for item in params.get("messages", []):
        author = authors.get(item["author"], "Поддержка")
        text = item["text"] or f"[{item.get('kind') or 'вложение'}]"
        edited = " (изменено)" if item.get("edited") else ""
        lines.append(f"<b>{author}</b>, {item['at']:%d.%m %H:%M}{edited}:\n{quote(text)}\n")
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "account_guess": _account_guess,
    "links": _links,
    "one_problem": _one_problem,
    "summary": _summary,
    "ticket_created": _ticket_created,
    "screenshot_refused": _screenshot_refused,
    "status": _status,
    "history": _history,
}


def render(key: str, params: Mapping[str, Any] | None = None) -> str:
    """The HTML text of one reply; string parameters are escaped."""
    params = params or {}
    renderer = RENDERERS.get(key)
    if renderer is not None:
        return renderer(params)
    template = TEXTS[key]
    escaped = {name: quote(_short(value) if name == "problem" else value) for name, value in params.items()}
    return template.format(**escaped)


def button_label(label: str, params: Mapping[str, Any] | None = None) -> str:
    """Button labels are plain text (no parse mode), so they are not escaped."""
    text = BUTTONS[label].format(**(params or {}))
    return text if len(text) <= 60 else text[:59] + "…"


# --- splitting to Telegram's limit ---

_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*>")


CAPTION_LIMIT = 1024  # ... and for a caption
CARD_PARTS = 3  # a description longer than this many follow-up messages goes to the topic as a .txt file


def units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


_units = units


def _longest_prefix(text: str, limit: int) -> int:
    """The number of characters of the longest prefix within `limit` UTF-16 units."""
    low, high = 0, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if units(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _cut_position(text: str, limit: int, markup: bool = True) -> int:
    """The longest prefix within `limit` that ends on a paragraph, line or word boundary, never inside a tag
    or an entity (`markup`), and never between the two halves of a surrogate pair."""
    low = _longest_prefix(text, limit)
    window = text[:low]
    cut = low
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position > low // 2:
            cut = position + len(separator)
            break
    if markup:
        while True:  # back out of a tag or an entity the cut falls into
            head = text[:cut]
            tag, entity = head.rfind("<"), head.rfind("&")
            if tag > head.rfind(">"):
                cut = tag
            elif entity != -1 and ";" not in head[entity:] and (len(head) - entity) <= 10:
                cut = entity
            else:
                break
    return max(cut, 1)


def split_plain(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text into messages within `limit` UTF-16 units, cut on line or word boundaries."""
    chunks: list[str] = []
    rest = text
    while units(rest) > limit:
        position = _cut_position(rest, limit, markup=False)
        chunks.append(rest[:position].rstrip())
        rest = rest[position:]
    chunks.append(rest)
    return [chunk for chunk in chunks if chunk.strip()] or [""]


def _open_tags(html_text: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags still open after `html_text`, given those open before it (name, opening tag)."""
    stack = list(stack)
    for match in _TAG.finditer(html_text):
        closing, name = match.group(1), match.group(2).lower()
        if closing and stack and stack[-1][0] == name:
            stack.pop()
        elif not closing:
            stack.append((name, match.group(0)))
    return stack


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into messages within `limit` (4,096 for a message, `CAPTION_LIMIT` for a caption), on
    paragraph, line or word boundaries, never inside a tag or an entity: the tags open at a cut are closed
    there and opened again at the start of the next part."""
    chunks: list[str] = []
    opened: list[tuple[str, str]] = []
    rest = text
    while rest:
        reopen = "".join(tag for _, tag in opened)
        if units(reopen + rest) <= limit:
            chunks.append(reopen + rest)
            break
        room = limit - units(reopen) - 16 - sum(len(name) + 3 for name, _ in opened)
        while True:  # the closing tags must fit too: a shorter cut when this part opened more of them
            position = _cut_position(rest, max(room, 1))
            still_open = _open_tags(rest[:position], opened)
            chunk = (reopen + rest[:position]).rstrip() + "".join(f"</{name}>" for name, _ in reversed(still_open))
            if units(chunk) <= limit or room <= 1:
                break
            room -= units(chunk) - limit + 8
        rest, opened = rest[position:], still_open
        if chunk.strip():
            chunks.append(chunk)
    return [chunk for chunk in chunks if chunk.strip()] or [""]


def plain(text: str) -> str:
    """HTML of a message back to plain text (the console, a reply Telegram could not parse); links keep their URL."""
    text = re.sub(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", text, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", text))



# --- the agents' desk (issue 5): what the user is told about their ticket, and what the agents see ---

# SLA 4.8: the reasons support may be suspended or refused, as agents choose them and users read them.
REASONS_48: dict[str, tuple[str, str]] = {
    # code: (the agents' short label, the explanation the user reads)
    "no_repro": ("Не воспроизводится / нет доступа",
                 "описанную проблему не удаётся повторить, и/или у нас нет доступа к вашему аккаунту"),
    "outdated_software": ("Устаревшее ПО",
                          "проблема наблюдается только в устаревшей версии браузера или операционной системы "
                          "и не воспроизводится в актуальной. Пожалуйста, обновите браузер или систему"),
    "insufficient_info": ("Недостаточно информации",
                          "в обращении недостаточно информации, чтобы найти решение"),
    "needs_development": ("Нужна доработка / обновление",
                          "вопрос требует детальной диагностики, доработки функционала или выпуска обновления"),
    "out_of_scope": ("Вне рамок поддержки", "вопрос выходит за рамки технической поддержки"),
    "untimely_information": ("Нет своевременного ответа",
                             "решение затягивается из-за того, что информация по обращению не поступила вовремя"),
    "abuse": ("Нецензурная лексика / оскорбления",
              "в обращении используется нецензурная лексика или оскорбления сотрудников"),
}

DESK_TEXTS: dict[str, str] = {
    # to the user
    "specialist_joined": "К обращению №{number} подключился специалист {agent}. Он ответит вам здесь, в этом чате.",
    "added_to_ticket": "Добавил ваше сообщение к обращению №{number}. Специалист увидит его.",
    "which_ticket": "У вас несколько открытых обращений. К какому из них относится это сообщение?",
    "which_ticket_done": "Добавил сообщение к обращению №{number}.",
    "need_information": (
        "Специалисту нужна дополнительная информация по обращению №{number}. Ответьте, пожалуйста, "
        "на его вопрос в этом чате — без неё решение может затянуться."
    ),
    # SLA 4.8: untimely information delays the solution and may suspend support
    "need_information_reminder": (
        "Напоминаем: по обращению №{number} специалист ждёт от вас информацию. Если ответа не будет, "
        "обращение придётся приостановить (п. 4.8 регламента)."
    ),
    # SLA 2.2, 2.3
    "passed_to_development": (
        "Обращение №{number} передано в отдел разработки: исправление выйдет с обновлением продукта. "
        "Срок выпуска обновления определяется планом разработки, поэтому назвать точную дату мы, "
        "к сожалению, не можем (пп. 2.2, 2.3 регламента). Мы сообщим, когда будут новости."
    ),
    "suspended": (
        "Работа по обращению №{number} приостановлена: {explanation} (п. 4.8 регламента). "
        "Если появятся новые сведения, просто напишите сюда."
    ),
    "refused": "К сожалению, по обращению №{number} в поддержке отказано: {explanation} (п. 4.8 регламента).",
    "resolved": (
        "Обращение №{number} решено. Оцените, пожалуйста, работу специалиста от 1 до 5. "
        "Если вопрос вернётся в течение {days} дн., просто напишите сюда — обращение откроется снова."
    ),
    "csat_thanks": "Спасибо за оценку!",
    "reopened": "Обращение №{number} открыто снова — специалист увидит ваше сообщение.",
    # SLA 4.3
    "admin_access_request": (
        "Чтобы разобраться с обращением №{number}, специалисту нужно выполнить действия в вашем аккаунте "
        "<b>{account}</b>. Пожалуйста, добавьте сотрудника технической поддержки в аккаунт администратором "
        "(п. 4.3 регламента) и напишите сюда, когда будет готово."
    ),
    "access_removal": (
        "Обращение №{number} закрыто. Пожалуйста, удалите сотрудника технической поддержки из администраторов "
        "аккаунта <b>{account}</b>: после закрытия обращения поддержка не отвечает за сохранность данных "
        "(п. 4.3 регламента). Нажмите «Удалил», когда сделаете это."
    ),
    "access_removed_thanks": "Спасибо! Отметили, что доступ сотрудника поддержки удалён.",
    # to the agents
    "critical_announce": "🔥 Критичное обращение <b>#{number}</b> · {account}: {title}\n{link}",
    "taken": "Обращение #{number} взял(а) {agent}.",
    "already_taken": "Обращение #{number} уже ведёт {agent}.",
    "already_yours": "Вы уже ведёте обращение #{number}.",
    "released": "{agent} вернул(а) обращение #{number} в очередь (было: {state}). Его может взять любой специалист.",
    "release_not_yours": "Вернуть обращение #{number} в очередь может только тот, кто его ведёт, или администратор.",
    "already_queued": "Обращение #{number} и так в очереди.",
    "state_changed": "{agent}: {state}.",
    "state_changed_reason": "{agent}: {state} — {reason}.",
    "transition_refused": "Из состояния «{current}» нельзя перейти в «{target}».",
    "choose_reason": "Причина по п. 4.8 регламента:",
    "choose_category": "Категория обращения №{number} (сейчас: {current}):",
    "category_changed": "{agent} изменил категорию: {before} → {after}.",
    "critical_on": "{agent} отметил обращение как критичное: оно обрабатывается вне очереди (п. 2.1 регламента).",
    "critical_off": "{agent} снял отметку «критично»: обращение в общей очереди.",
    "outage_stays_critical": (
        "Сбой в работе всегда обрабатывается вне очереди (п. 2.1 регламента). Чтобы снять срочность, "
        "сначала измените категорию."
    ),
    "access_requested": "{agent} запросил(а) у пользователя доступ администратора (п. 4.3).",
    "access_removed": "Пользователь подтвердил, что удалил доступ сотрудника поддержки.",
    "user_blocked": "⚠️ Пользователь заблокировал бота: сообщение не доставлено. Обращение отмечено.",
    "user_edited": "(изменено) {text}",
    "user_edited_request": "✏️ Пользователь исправил сообщение из обращения (в карточке прежний текст):\n{text}",
    "not_delivered": "⚠️ Telegram отказался доставить сообщение пользователю: {reason}",
    "still_waiting_user": (
        "⏳ Сообщение пользователю пока не доставлено: Telegram не принимает его с {since}. "
        "Бот продолжает попытки и доставит его, как только Telegram снова ответит."
    ),
    "still_waiting_admin": (
        "⏳ Сообщение в {where} пока не доставлено: Telegram не принимает его с {since}. "
        "Бот продолжает попытки и доставит его, как только Telegram снова ответит."
    ),
    "description_attached": "Обращение #{number}: описание целиком — во вложенном файле.",
    "description_follows": "<i>Описание длинное — полностью в следующих сообщениях.</i>",
    "description_in_file": "<i>Описание длинное — полностью во вложенном файле ниже.</i>",
    "user_reopened": "Пользователь написал снова — обращение #{number} открыто повторно и вернулось в очередь.",
    "need_info_suspended": "Пользователь не ответил за {days} раб. дн.: обращение приостановлено (п. 4.8).",
    "reminder_sent": "Пользователю отправлено напоминание ({what}).",
    "closed_not_sent": (
        "Обращение #{number} закрыто — сообщение сохранено, но пользователю не отправлено. "
        "Если нужно продолжить, пользователь может написать снова и обращение откроется."
    ),
    "not_in_topic": "Эта команда работает в теме обращения.",
    "processing_error": ("Не получилось выполнить это из-за внутренней ошибки: она записана в журнал бота. "
                         "Действие сохранено и будет повторено при следующем запуске."),
    "no_ticket_here": "Эта тема не связана с обращением.",
    "queue_empty": "Очередь пуста.",
    "reindex_running": "Переиндексация уже идёт — дождитесь её окончания.",
    "reindex_started": "Переиндексация справки началась…",
    "reindex_progress": (
        "Переиндексация: обработано {done} из {discovered} адресов, загружено {fetched}, ошибок {errors}."
    ),
    "reindex_done": "Переиндексация завершена.\n{summary}",
    "reindex_failed": "Переиндексация не удалась: {error}",
    "admins_only": "Эта команда доступна только администраторам.",
    "stats_usage": "Использование: /stats [дней], например /stats 30.",
}

DESK_BUTTONS: dict[str, str] = {
    "take": "Взять",
    "release": "Вернуть в очередь",
    "need_information": "Нужна информация",
    "passed_to_development": "В разработку",
    "suspend": "Приостановить",
    "refuse": "Отказать",
    "admin_access": "Доступ администратора",
    "resolve": "Решено",
    "removed": "Удалил",
    "category": "Изменить категорию",
    "critical": "Срочность",
}

DESK_STATE_LABELS: dict[str, str] = {
    "new": "в очереди",
    "in_progress": "в работе",
    "need_information": "нужна информация",
    "passed_to_development": "передано в разработку",
    "suspended": "приостановлено",
    "refused": "отказано",
    "resolved": "решено",
    "reopened": "открыто повторно",
}


def desk(key: str, **params: Any) -> str:
    """A desk text; string parameters are escaped (they may come from a user)."""
    escaped = {name: quote(value) if isinstance(value, str) else value for name, value in params.items()}
    return DESK_TEXTS[key].format(**escaped)


# what a user sent that the desk did not pass on to the topic (SLA 4.6: screenshots JPG, GIF, PNG only)
_REFUSED_KINDS = {
    "photo": "фото", "animation": "GIF-анимацию", "document": "файл", "sticker": "стикер",
    "voice": "голосовое сообщение", "video": "видео", "video_note": "видеосообщение", "audio": "аудиофайл",
    "location": "геопозицию", "venue": "адрес на карте", "contact": "контакт", "poll": "опрос", "dice": "кубик",
}
_REFUSED_WHY = {
    "format": "по содержимому это не изображение JPG, GIF или PNG",
    "too_big": "файл больше {limit} МБ",
    "unreadable": "файл не удалось прочитать",
}


def file_refused_note(kind: str, reason: str | None, name: str | None = None, caption: str = "") -> str:
    """The agents' line in the topic when a file the user sent was not passed on (the user was told why)."""
    from bot.screenshots import MAX_SCREENSHOT_BYTES

    what = _REFUSED_KINDS.get(kind, "сообщение неподдерживаемого типа")
    if name:
        what += f" «{quote(name)}»"
    if reason in _REFUSED_WHY:
        why = _REFUSED_WHY[reason].format(limit=MAX_SCREENSHOT_BYTES // (1024 * 1024))
        line = (f"⚠️ Пользователь прислал {what}. Не принято: {why} (п. 4.6) — в тему не передано, "
                "пользователю объяснено, какие скриншоты подходят.")
    else:
        line = (f"⚠️ Пользователь прислал {what} — такие сообщения в тему не передаются. "
                "Пользователя попросили написать текстом.")
    if caption.strip():
        line += f"\nПодпись: {quote(shorten(caption, 500))}"
    return line


def reason_explanation(code: str) -> str:
    return REASONS_48[code][1] if code in REASONS_48 else REASONS_48["insufficient_info"][1]


def topic_name(number: int, account: str, title: str, critical: bool) -> str:
    """`#N · account · short title` (Telegram allows 128 characters); critical ones marked."""
    short = " ".join(title.split())
    name = f"{'🔥 ' if critical else ''}#{number} · {account} · {short}"
    return name if len(name) <= 128 else name[:127] + "…"


def hours_figure(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f} раб. ч"


def _idna_note(address: str) -> str:
    """An internationalised address with its ASCII form, as the admin panel may show it."""
    from bot.account import idna_form

    ascii_form = idna_form(address)
    return f" (<code>{quote(ascii_form)}</code>)" if ascii_form else ""


def ticket_card(card: Mapping[str, Any]) -> str:
    """The card the agents see in the ticket's topic."""
    lines = [f"{'🔥 <b>КРИТИЧНОЕ</b> ' if card['critical'] else ''}<b>Обращение #{card['number']}</b>",
             f"Пользователь: {quote(card['user'])}",
             f"Аккаунт: <code>{quote(card['account'])}</code>" + _idna_note(card["account"]),
             f"Категория: {quote(CATEGORY_LABELS.get(card['category'], card['category']))}",
             f"Критичность: {'критично (п. 2.1)' if card['critical'] else 'обычная'}",
             f"Состояние: {DESK_STATE_LABELS.get(card['state'], card['state'])}"
             + (f" · ведёт {quote(card['assignee'])}" if card.get("assignee") else ""),
             "", f"<b>Описание</b>\n{quote(card['description'])}"]
    if card.get("steps") or card.get("steps_unknown"):
        lines.append(f"\n<b>Шаги воспроизведения</b>\n{quote(card['steps'] or 'пользователь не знает')}")
    if card.get("environment"):
        lines.append(f"\n<b>Браузер / ОС</b>: {quote(card['environment'])}")
    if card.get("article_read"):
        lines.append(f"\n<b>Уже читал статью</b>: {quote(card['article_read'])}")
    links = card.get("help_links") or []
    if links:
        lines.append("\n<b>Показанные ссылки справки</b>")
        for link in links:
            title = quote(" — ".join(part for part in (link.get("title"), link.get("heading")) if part)
                          or link.get("url") or "")
            url = quote(link.get("url") or "")
            lines.append(f"• <a href=\"{url}\">{title}</a>" if url else f"• {title}")
    earlier = card.get("earlier") or []
    if earlier:
        lines.append("\n<b>Прежние обращения</b>")
        for item in earlier:
            state = DESK_STATE_LABELS.get(item["state"], item["state"])
            lines.append(f"• #{item['number']} ({state}): {quote(shorten(item['description'], 80))}")
    if card.get("screenshots"):
        lines.append(f"\nСкриншотов: {card['screenshots']} (ниже)")
    return "\n".join(lines)


def card_messages(card: Mapping[str, Any]) -> tuple[str, list[str], str | None]:
    """The card as Telegram takes it: its first message (the buttons go on it; a refresh edits only it), the
    follow-up messages with the description and steps in full, and the plain text of a .txt file instead of
    them when they would take more than `CARD_PARTS` messages. A card that fits is one message."""
    whole = ticket_card(card)
    if units(whole) <= MESSAGE_LIMIT:
        return whole, [], None
    long_fields = [(title, card.get(name) or "") for name, title in (("description", "Описание"),
                                                                    ("steps", "Шаги воспроизведения"))]
    full = "\n\n".join(f"<b>{title} (полностью)</b>\n{quote(value)}" for title, value in long_fields if value)
    parts = split_html(full)
    attached = len(parts) > CARD_PARTS
    marker = DESK_TEXTS["description_in_file" if attached else "description_follows"]
    room = 1500
    while True:
        excerpt = shorten(card["description"], room)
        shortened = {**card, "description": excerpt,
                     "steps": shorten(card["steps"], room // 3) if card.get("steps") else card.get("steps")}
        first = ticket_card(shortened)
        at = first.index(quote(excerpt)) + len(quote(excerpt))
        first = f"{first[:at]}\n{marker}{first[at:]}"
        if units(first) <= MESSAGE_LIMIT or room <= 100:
            break
        room //= 2
    first = split_html(first)[0]
    if attached:
        plain_text = "\n\n".join(f"{title}:\n{value}" for title, value in long_fields if value)
        return first, [], f"Обращение #{card['number']}\n\n{plain_text}\n"
    return first, parts, None


def shorten(text: str, limit: int = 200) -> str:
    """A user's text on one line, cut to `limit` characters."""
    return _short(text, limit)


def queue_listing(items: list[Mapping[str, Any]]) -> str:
    """`/queue`: critical first, then by arrival (SLA 2.1), with waiting time in working hours."""
    if not items:
        return DESK_TEXTS["queue_empty"]
    lines = [f"<b>Очередь: {len(items)}</b>"]
    for place, item in enumerate(items, 1):
        mark = "🔥 " if item["critical"] else ""
        blocked = " 🚫 бот заблокирован" if item.get("blocked") else ""
        lines.append(f"{place}. {mark}#{item['number']} · {quote(item['account'])} · "
                     f"{quote(shorten(item['description'], 60))} — ждёт {hours_figure(item['waiting'])}{blocked}")
    return "\n".join(lines)


def health_report(report: Mapping[str, Any]) -> str:
    lines = ["<b>Состояние бота</b>",
             f"Telegram: {quote(report['telegram'])}",
             f"База данных: {quote(report['database'])}",
             f"Индекс справки: {report['pages']} статей, {report['sections']} разделов, "
             f"обновлён {quote(report['index_age'])}",
             f"Очередь: {report['queue']}",
             f"Напоминаний ждёт: {report['reminders']}"]
    if report.get("desk") is False:  # no AGENT_CHAT_ID: tickets are stored, and no one sees them
        lines.append(HEALTH_NO_DESK)
    return "\n".join(lines)


HEALTH_NO_DESK = ("⚠️ Группа специалистов не подключена: обращения сохраняются, но их никто не видит. "
                  "Укажите AGENT_CHAT_ID (и ADMIN_IDS) и перезапустите бота.")


# `python -m bot console`: the console's own notes, between the dialogue's messages
CONSOLE_NOTES: dict[str, str] = {
    "help": "Пишите так, как написал бы пользователь. Цифра нажимает кнопку последнего сообщения бота; "
            ":press N — кнопку более раннего сообщения, :text N — отправить число текстом; "
            ":file ПУТЬ и :photo ПУТЬ — отправить файл или фото, :edit ТЕКСТ — исправить последнее сообщение, "
            ":quit — выйти.",
    "empty_index": "(Индекс справки пуст, поэтому ответы придут без ссылок на статьи. Заполнить его: "
                   "python -m knowledge crawl.)",
    "not_latest": "Цифрой нажимаются только кнопки последнего сообщения бота, а у него кнопок нет. "
                  "Если вы хотели нажать «{label}» в более раннем сообщении, напишите :press {number}, "
                  "а чтобы отправить число текстом — :text {number}.",
    "out_of_range": "У последнего сообщения бота кнопки с номерами от 1 до {count}, кнопки {number} нет. "
                    "Чтобы отправить число текстом, напишите :text {number}.",
    "no_buttons": "Кнопки с номером {number} нет ни у последнего, ни у прежних сообщений бота. "
                  "Чтобы отправить число текстом, напишите :text {number}.",
}


def console_note(key: str, **values: object) -> str:
    return CONSOLE_NOTES[key].format(**values)


def stats_report(stats: Mapping[str, Any]) -> str:
    def block(title: str, counts: Mapping[str, int], labels: Mapping[str, str]) -> list[str]:
        if not counts:
            return [f"<b>{title}</b>: —"]
        return [f"<b>{title}</b>"] + [f"• {quote(labels.get(key, key))}: {value}"
                                      for key, value in sorted(counts.items(), key=lambda kv: -kv[1])]
    reasons = {code: label for code, (label, _) in REASONS_48.items()}
    share = stats["self_served_share"]
    csat = stats["csat_average"]
    lines = [f"<b>Статистика за {stats['days']} дн.</b>", f"Обращений: {stats['tickets']}"]
    lines += block("По состоянию", stats["by_state"], DESK_STATE_LABELS)
    lines += block("По категории", stats["by_category"], CATEGORY_LABELS)
    lines += block("По критичности", stats["by_criticality"], {"critical": "критичные", "normal": "обычные"})
    lines.append(f"Закрыто ссылкой на справку: {'—' if share is None else f'{share:.0%}'} "
                 f"({stats['self_served']} из {stats['self_served'] + stats['tickets']})")
    lines.append(f"Медиана первого ответа: {hours_figure(stats['median_first_response'])}")
    lines.append(f"Медиана времени решения: {hours_figure(stats['median_resolution'])}")
    lines.append(f"Оценка (CSAT): {'—' if csat is None else f'{csat:.2f}'} по {stats['csat_count']} оценкам")
    lines += block("Приостановлено по причинам", stats["suspended_by_reason"], reasons)
    return "\n".join(lines)
