"""The Bot API methods, answered the way Telegram answers them (results and error texts)."""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from .core import DEFAULT_UPDATE_TYPES, describe_file
from .formatting import CAPTION_LIMIT, TEXT_LIMIT, EntityParseError, render
from .media import DOWNLOAD_LIMIT, UPLOAD_LIMIT
from .models import CONTENT_KEYS, ApiError, Chat, ChatMessage, StoredFile, Topic, bad_request, compact, forbidden
from .params import Params, Upload

if TYPE_CHECKING:
    from .server import BotAPIEmulator


@dataclass
class Described:
    """A successful answer that carries a description too (setWebhook, deleteWebhook)."""

    result: Any
    description: str


Handler = Callable[["BotApi", Params], Awaitable[Any]]
REGISTRY: dict[str, tuple[str, Handler]] = {}
# Methods that put a message into a chat: these count against rate limits.
SENDING_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendAnimation",
        "sendVideo",
        "sendVoice",
        "sendAudio",
        "sendSticker",
        "sendLocation",
        "copyMessage",
        "forwardMessage",
    )
)
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)


def method(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        REGISTRY[name.lower()] = (name, func)
        return func

    return register


def _render(text: str, p: Params, mode_key: str, entities_key: str, limit: int, too_long: str) -> tuple[str, list]:
    try:
        plain, entities = render(text, p.str(mode_key), p.json(entities_key))
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    except ValueError as exc:
        raise bad_request("unsupported parse_mode") from exc
    if len(plain) > limit:
        raise bad_request(too_long)
    return plain, entities


def _with_entities(key: str, text: str, entities: list[dict[str, Any]], entities_key: str) -> dict[str, Any]:
    content: dict[str, Any] = {key: text}
    if entities:
        content[entities_key] = entities
    return content


class BotApi:
    """Method implementations working on the emulator's world."""

    def __init__(self, emu: BotAPIEmulator) -> None:
        self.emu = emu
        self._poll_generation = 0

    async def call(self, name: str, p: Params) -> Any:
        entry = REGISTRY.get(name.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        return await entry[1](self, p)

    # --- helpers ------------------------------------------------------------------------------------

    def writable_chat(self, p: Params, key: str = "chat_id") -> Chat:
        emu = self.emu
        chat = emu.chat(p.chat_ref(key))
        if chat.type == "private":
            user = chat.user
            assert user is not None
            if user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not user.started_bot:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        member = chat.members.get(emu.bot.id)
        kind = "supergroup chat" if chat.type == "supergroup" else f"{chat.type} chat"
        if member is None or member.status == "left":
            raise forbidden(f"bot is not a member of the {kind}")
        if member.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        return chat

    def thread(self, chat: Chat, p: Params) -> int | None:
        thread_id = p.int("message_thread_id")
        if thread_id is None:
            return None
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is not None and not topic.deleted:
                member = chat.members.get(self.emu.bot.id)
                if topic.closed and not (member and member.can("can_manage_topics")):
                    raise bad_request("TOPIC_CLOSED")
                return thread_id
            if thread_id == 1:
                return None
            general = self.emu.find_message(chat, thread_id)
            if general is not None and not general.is_topic_message and thread_id not in chat.topics:
                return thread_id
            raise bad_request("message thread not found")
        if chat.type == "supergroup" and self.emu.find_message(chat, thread_id) is not None:
            return thread_id
        raise bad_request("message thread not found")

    def reply_target(self, chat: Chat, p: Params) -> ChatMessage | None:
        params = p.json("reply_parameters") or {}
        message_id = params.get("message_id") if params else p.int("reply_to_message_id")
        if message_id is None:
            return None
        allow_missing = params.get("allow_sending_without_reply", False) or p.bool("allow_sending_without_reply")
        source = self.emu.chat(params["chat_id"]) if params.get("chat_id") else chat
        target = self.emu.find_message(source, int(message_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def reply_markup(self, p: Params) -> dict[str, Any] | None:
        markup = p.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request('can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    self._check_button(button)
            return {"inline_keyboard": [[compact(dict(b)) for b in row] for row in rows]}
        return markup

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        actions = {
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        }
        if not actions & {key for key, value in button.items() if value is not None}:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not str(url).lower().startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")

    def deliver(self, chat: Chat, content: dict[str, Any], p: Params, method_name: str) -> ChatMessage:
        """Put the bot's message into the chat (thread, reply and keyboard checked as Telegram does)."""
        thread_id = self.thread(chat, p)
        reply_to = self.reply_target(chat, p)
        markup = self.reply_markup(p)
        if markup is not None:
            content["reply_markup"] = markup
        if p.bool("has_protected_content") or p.bool("protect_content"):
            content["has_protected_content"] = True
        message = self.emu.new_message(chat, self.emu.bot, content, thread_id, reply_to, method_name)
        message.source = p.str("text") if "text" in content else p.str("caption")
        message.parse_mode = p.str("parse_mode")
        return message

    def caption(self, p: Params) -> dict[str, Any]:
        text = p.str("caption")
        if not text:
            return {}
        plain, entities = _render(
            text, p, "parse_mode", "caption_entities", CAPTION_LIMIT, "message caption is too long"
        )
        return _with_entities("caption", plain, entities, "caption_entities") if plain else {}

    async def input_file(self, value: Any, p: Params, kind: str) -> tuple[Upload | None, StoredFile | None]:
        """An uploaded file, or a file Telegram already has (by file_id), or the bytes behind a URL."""
        value = p.attachment(value)
        if isinstance(value, Upload):
            if len(value.data) > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            return value, None
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.lower().startswith(("http://", "https://")):
            try:
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(value, timeout=aiohttp.ClientTimeout(5)) as r,
                ):
                    r.raise_for_status()
                    data = await r.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise bad_request("failed to get HTTP URL content") from exc
            return Upload(value.rstrip("/").rsplit("/", 1)[-1] or "file", r.content_type, data), None
        stored = self.emu.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
        return None, stored

    def file_content(self, kind: str, upload: Upload) -> dict[str, Any]:
        mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        stored = self.emu.store_file(kind, upload.data, file_name=upload.filename, mime_type=mime)
        return describe_file(stored)

    async def media_content(self, kind: str, value: Any, p: Params) -> dict[str, Any]:
        upload, stored = await self.input_file(value, p, kind)
        if kind == "photo":
            if stored is not None:
                return {"photo": self.emu.photo_sets[stored.file_id]}
            assert upload is not None
            return {"photo": self.emu.photo(upload.data)}
        if stored is not None:
            return {kind: describe_file(stored)}
        assert upload is not None
        return {kind: self.file_content(kind, upload)}

    def own_message(self, p: Params, action: str) -> ChatMessage:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.emu.chat(p.chat_ref())
        message = self.emu.find_message(chat, p.int("message_id", required=True) or 0)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if not message.from_bot:
            raise bad_request(f"message can't be {action}ed")
        return message

    def apply_edit(self, message: ChatMessage, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit the bot's message in place (None removes a field); the old version goes into its history."""
        if all(message.data.get(key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        message.history.append(message.to_api())
        for key, value in changes.items():
            if value is None:
                message.data.pop(key, None)
            else:
                message.data[key] = value
        message.data["edit_date"] = self.emu.now()
        self.emu.bot_output_changed()
        return message.to_api()

    def topic(self, chat: Chat, p: Params) -> Topic:
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        thread_id = p.int("message_thread_id", required=True)
        topic = chat.topics.get(thread_id or 0)
        if topic is None or topic.deleted:
            raise bad_request("TOPIC_ID_INVALID")
        self.require_right(chat, "can_manage_topics")
        return topic

    def require_right(self, chat: Chat, right: str) -> None:
        member = chat.members.get(self.emu.bot.id)
        if member is None or not member.can(right):
            raise bad_request("not enough rights to manage topics" if "topic" in right else "not enough rights")


# --- the bot itself ------------------------------------------------------------------------------------


@method("getMe")
async def get_me(api: BotApi, p: Params) -> Any:
    emu = api.emu
    return {
        **emu.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": emu.bot_can_read_all_group_messages,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _commands_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.str("language_code") or "")


@method("setMyCommands")
async def set_my_commands(api: BotApi, p: Params) -> Any:
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise bad_request("commands is empty")
    if len(commands) > 100:
        raise bad_request("too many commands")
    for item in commands:
        command = str(item.get("command", "")).removeprefix("/")
        if not 1 <= len(command) <= 32 or not all(c.islower() or c.isdigit() or c == "_" for c in command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    api.emu.commands[_commands_key(p)] = [
        {"command": str(c["command"]).removeprefix("/"), "description": c["description"]} for c in commands
    ]
    return True


@method("getMyCommands")
async def get_my_commands(api: BotApi, p: Params) -> Any:
    return api.emu.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(api: BotApi, p: Params) -> Any:
    api.emu.commands.pop(_commands_key(p), None)
    return True


def _bot_setting(name: str, key: str, default: Any) -> None:
    async def setter(api: BotApi, p: Params) -> Any:
        api.emu.bot_settings[(key, p.str("language_code") or "")] = p.json(key) if key == "menu_button" else p.str(key)
        return True

    async def getter(api: BotApi, p: Params) -> Any:
        value = api.emu.bot_settings.get((key, p.str("language_code") or "")) or ""
        return value or default if key == "menu_button" else {key: value}

    method(f"set{name}")(setter)
    method(f"get{name}")(getter)


_bot_setting("MyDescription", "description", "")
_bot_setting("MyShortDescription", "short_description", "")
_bot_setting("MyName", "name", "")
_bot_setting("ChatMenuButton", "menu_button", {"type": "default"})


# --- updates -----------------------------------------------------------------------------------------


@method("getUpdates")
async def get_updates(api: BotApi, p: Params) -> Any:
    emu = api.emu
    if emu.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
            "delete the webhook first",
        )
    offset = p.int("offset")
    limit = min(max(p.int("limit") or 100, 1), 100)
    timeout = max(p.int("timeout") or 0, 0)
    allowed = p.json("allowed_updates")
    if isinstance(allowed, list):
        emu.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
    emu.confirm(offset)
    api._poll_generation += 1
    generation = api._poll_generation
    emu.wake_pollers()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    emu.polls_waiting += 1
    try:
        while True:
            changed = emu.updates_changed_event()
            if p.client_gone():
                return []
            batch = emu.take_updates(limit)
            if batch or loop.time() >= deadline or emu.closing:
                return batch
            if generation != api._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            try:
                await asyncio.wait_for(changed.wait(), deadline - loop.time())
            except TimeoutError:
                return []
    finally:
        emu.polls_waiting -= 1


@method("setWebhook")
async def set_webhook(api: BotApi, p: Params) -> Any:
    emu = api.emu
    url = p.str("url") or ""
    if not url:
        emu.set_webhook(None)
        return Described(True, "Webhook was deleted")
    if not url.startswith("https://") and not (emu.allow_http_webhook and url.startswith("http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.str("secret_token")
    if secret is not None and (
        not 1 <= len(secret) <= 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
    ):
        raise bad_request("secret token contains unallowed characters")
    if p.bool("drop_pending_updates"):
        emu.drop_pending_updates()
    allowed = p.json("allowed_updates")
    if isinstance(allowed, list):
        emu.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
    unchanged = emu.webhook_url == url and emu.webhook_secret == secret
    emu.set_webhook(url, secret, p.int("max_connections") or 40)
    return Described(True, "Webhook is already set" if unchanged else "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(api: BotApi, p: Params) -> Any:
    emu = api.emu
    had = emu.webhook_url is not None
    if p.bool("drop_pending_updates"):
        emu.drop_pending_updates()
    emu.set_webhook(None)
    return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("getWebhookInfo")
async def get_webhook_info(api: BotApi, p: Params) -> Any:
    emu = api.emu
    if not emu.webhook_url:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": emu.pending_update_count}
    return compact(
        {
            "url": emu.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": emu.pending_update_count,
            "ip_address": "127.0.0.1",
            "last_error_date": emu.webhook_last_error_date,
            "last_error_message": emu.webhook_last_error_message,
            "max_connections": emu.webhook_max_connections,
            "allowed_updates": sorted(emu.allowed_updates) if emu.allowed_updates != DEFAULT_UPDATE_TYPES else None,
        }
    )


# --- sending -----------------------------------------------------------------------------------------


@method("sendMessage")
async def send_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    text = p.str("text", required=True, empty_error="message text is empty") or ""
    plain, entities = _render(text, p, "parse_mode", "entities", TEXT_LIMIT, "message is too long")
    if not plain:
        raise bad_request("message text is empty")
    content = _with_entities("text", plain, entities, "entities")
    if p.has("link_preview_options"):
        content["link_preview_options"] = p.json("link_preview_options")
    return api.deliver(chat, content, p, "sendMessage").to_api()


def _send_media(kind: str, api_name: str) -> None:
    async def send(api: BotApi, p: Params) -> Any:
        chat = api.writable_chat(p)
        content = await api.media_content(kind, p.raw(kind), p)
        content.update(api.caption(p))
        return api.deliver(chat, content, p, api_name).to_api()

    method(api_name)(send)


for _kind, _name in (
    ("photo", "sendPhoto"),
    ("document", "sendDocument"),
    ("animation", "sendAnimation"),
    ("video", "sendVideo"),
    ("voice", "sendVoice"),
    ("audio", "sendAudio"),
    ("sticker", "sendSticker"),
):
    _send_media(_kind, _name)


@method("sendLocation")
async def send_location(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    try:
        location = {"latitude": float(p.raw("latitude")), "longitude": float(p.raw("longitude"))}
    except (TypeError, ValueError) as exc:
        raise bad_request("wrong latitude or longitude specified") from exc
    return api.deliver(chat, {"location": location}, p, "sendLocation").to_api()


@method("sendMediaGroup")
async def send_media_group(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    media = p.json("media")
    if not media:
        raise bad_request("media to send are not specified")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media items")
    kinds = {item.get("type") for item in media if isinstance(item, dict)}
    if ("document" in kinds and kinds != {"document"}) or ("audio" in kinds and kinds != {"audio"}):
        raise bad_request("document and audio can't be mixed with other media types")
    contents = []
    for item in media:
        kind = item.get("type")
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request("wrong type of media in the album")
        content = await api.media_content(kind, item.get("media"), p)
        if item.get("caption"):
            caption_params = Params(
                {
                    "caption": item["caption"],
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                }
            )
            content.update(api.caption(caption_params))
        contents.append(content)
    group_id = api.emu.next_media_group_id()
    sent = []
    for content in contents:
        content["media_group_id"] = group_id
        sent.append(api.deliver(chat, content, p, "sendMediaGroup").to_api())
    return sent


def _source_message(api: BotApi, p: Params, action: str) -> ChatMessage:
    source_chat = api.emu.chat(p.chat_ref("from_chat_id"))
    source = api.emu.find_message(source_chat, p.int("message_id", required=True) or 0)
    if source is None:
        raise bad_request(f"message to {action} not found")
    if not any(key in source.data for key in CONTENT_KEYS):
        raise bad_request(
            f"message can't be {action.removesuffix('y')}ied" if action == "copy" else "message can't be forwarded"
        )
    return source


@method("copyMessage")
async def copy_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    source = _source_message(api, p, "copy")
    content = {key: source.data[key] for key in CONTENT_KEYS if key in source.data}
    if p.raw("caption") is not None and "text" not in content:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(api.caption(p))
    message = api.deliver(chat, content, p, "copyMessage")
    return {"message_id": message.message_id}


@method("forwardMessage")
async def forward_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    source = _source_message(api, p, "forward")
    content = {key: source.data[key] for key in CONTENT_KEYS if key in source.data}
    origin = source.data.get("forward_origin") or {
        "type": "user",
        "sender_user": source.data["from"],
        "date": source.data["date"],
    }
    content["forward_origin"] = origin
    return api.deliver(chat, content, p, "forwardMessage").to_api()


@method("sendChatAction")
async def send_chat_action(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    action = p.str("action", required=True)
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api.emu.chat_actions.append((chat.id, action, api.thread(chat, p)))
    return True


# --- editing and deleting ------------------------------------------------------------------------------


@method("editMessageText")
async def edit_message_text(api: BotApi, p: Params) -> Any:
    message = api.own_message(p, "edit")
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    text = p.str("text", required=True, empty_error="text must be non-empty") or ""
    plain, entities = _render(text, p, "parse_mode", "entities", TEXT_LIMIT, "MESSAGE_TOO_LONG")
    if not plain:
        raise bad_request("text must be non-empty")
    changes = {"text": plain, "entities": entities or None, "reply_markup": api.reply_markup(p)}
    edited = api.apply_edit(message, changes)
    message.source, message.parse_mode = text, p.str("parse_mode")
    return edited


@method("editMessageCaption")
async def edit_message_caption(api: BotApi, p: Params) -> Any:
    message = api.own_message(p, "edit")
    if "text" in message.data:
        raise bad_request("there is no caption in the message to edit")
    caption = api.caption(p)
    changes = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
        "reply_markup": api.reply_markup(p),
    }
    return api.apply_edit(message, changes)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApi, p: Params) -> Any:
    message = api.own_message(p, "edit")
    return api.apply_edit(message, {"reply_markup": api.reply_markup(p)})


def _delete(api: BotApi, chat: Chat, message_id: int) -> None:
    message = api.emu.find_message(chat, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    if chat.type != "private" and not message.from_bot:
        member = chat.members.get(api.emu.bot.id)
        if member is None or not member.can("can_delete_messages"):
            raise bad_request("message can't be deleted")
    if chat.is_forum and message_id in chat.topics and not chat.topics[message_id].deleted:
        raise bad_request("message can't be deleted")
    message.deleted = True
    api.emu.bot_output_changed()


@method("deleteMessage")
async def delete_message(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    _delete(api, chat, p.int("message_id", required=True) or 0)
    return True


@method("deleteMessages")
async def delete_messages(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    ids = p.json("message_ids") or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        if api.emu.find_message(chat, int(message_id)) is not None:
            _delete(api, chat, int(message_id))
    return True


@method("pinChatMessage")
async def pin_chat_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    message = api.emu.find_message(chat, p.int("message_id", required=True) or 0)
    if message is None:
        raise bad_request("message to pin not found")
    chat_pins = api.emu.pinned.setdefault(chat.id, [])
    chat_pins.append(message.message_id)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    pins = api.emu.pinned.get(chat.id, [])
    message_id = p.int("message_id") or (pins[-1] if pins else None)
    if message_id in pins:
        pins.remove(message_id)
    return True


# --- callback queries ------------------------------------------------------------------------------------


@method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, p: Params) -> Any:
    from .core import CallbackAnswer

    query_id = p.str("callback_query_id", required=True) or ""
    record = api.emu.callback_queries.get(query_id)
    if record is None or record.answer is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answer = CallbackAnswer(p.str("text"), p.bool("show_alert"), p.str("url"))
    api.emu.bot_output_changed()
    return True


# --- files, chats, members -------------------------------------------------------------------------------


@method("getFile")
async def get_file(api: BotApi, p: Params) -> Any:
    stored = api.emu.files.get(p.str("file_id", required=True) or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


@method("getChat")
async def get_chat(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    if chat.type != "private" and api.emu.bot.id not in chat.members:
        raise bad_request("chat not found")
    info = {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat.type != "private":
        info["permissions"] = {"can_send_messages": True, "can_manage_topics": False}
    return info


def _group(api: BotApi, p: Params) -> Chat:
    chat = api.emu.chat(p.chat_ref())
    if chat.type != "private" and api.emu.bot.id not in chat.members:
        raise bad_request("chat not found")
    return chat


@method("getChatMember")
async def get_chat_member(api: BotApi, p: Params) -> Any:
    chat = _group(api, p)
    user_id = p.int("user_id", required=True) or 0
    user = api.emu.users.get(user_id) or (api.emu.bot if user_id == api.emu.bot.id else None)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    if chat.type == "private":
        if user_id not in (chat.id, api.emu.bot.id):
            raise bad_request("user not found")
        return {"status": "member", "user": user.to_api()}
    member = chat.members.get(user_id)
    if member is None:
        return {"status": "left", "user": user.to_api()}
    return member.to_api(api.emu.bot.id)


@method("getChatAdministrators")
async def get_chat_administrators(api: BotApi, p: Params) -> Any:
    chat = _group(api, p)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [m.to_api(api.emu.bot.id) for m in chat.members.values() if m.status in ("creator", "administrator")]


@method("getChatMemberCount")
async def get_chat_member_count(api: BotApi, p: Params) -> Any:
    chat = _group(api, p)
    if chat.type == "private":
        return 2
    return sum(1 for m in chat.members.values() if m.status not in ("left", "kicked"))


# --- forum topics ----------------------------------------------------------------------------------------


@method("createForumTopic")
async def create_forum_topic(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    member = chat.members.get(api.emu.bot.id)
    if member is None or not member.can("can_manage_topics"):
        raise bad_request("not enough rights to create a topic")
    name = (p.str("name") or "").strip()
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_INVALID")
    return api.emu.open_topic(chat, name, p.int("icon_color"), p.str("icon_custom_emoji_id"), api.emu.bot).to_api()


@method("editForumTopic")
async def edit_forum_topic(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    topic = api.topic(chat, p)
    name = p.str("name")
    emoji = p.str("icon_custom_emoji_id")
    if name is not None and not 1 <= len(name.strip()) <= 128:
        raise bad_request("TOPIC_TITLE_INVALID")
    if (name is None or name == topic.name) and (emoji is None or emoji == topic.icon_custom_emoji_id):
        raise bad_request("TOPIC_NOT_MODIFIED")
    edited = compact({"name": name, "icon_custom_emoji_id": emoji})
    topic.name = name or topic.name
    topic.icon_custom_emoji_id = emoji if emoji is not None else topic.icon_custom_emoji_id
    api.emu.new_message(chat, api.emu.bot, {"forum_topic_edited": edited}, topic.thread_id, None, "editForumTopic")
    return True


def _topic_state(name: str, closed: bool) -> None:
    async def change(api: BotApi, p: Params) -> Any:
        chat = api.emu.chat(p.chat_ref())
        topic = api.topic(chat, p)
        if topic.closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        service = "forum_topic_closed" if closed else "forum_topic_reopened"
        api.emu.new_message(chat, api.emu.bot, {service: {}}, topic.thread_id, None, name)
        return True

    method(name)(change)


_topic_state("closeForumTopic", True)
_topic_state("reopenForumTopic", False)


@method("deleteForumTopic")
async def delete_forum_topic(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    topic = api.topic(chat, p)
    api.emu.remove_topic(chat, topic)
    return True


@method("unpinAllForumTopicMessages")
async def unpin_all_forum_topic_messages(api: BotApi, p: Params) -> Any:
    chat = api.emu.chat(p.chat_ref())
    api.topic(chat, p)
    return True


@method("getForumTopicIconStickers")
async def get_forum_topic_icon_stickers(api: BotApi, p: Params) -> Any:
    return []
