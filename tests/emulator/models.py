"""The emulator's world: users, chats, topics, files and messages, kept as Telegram would return them."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A Bot API error answer: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "animation",
    "video",
    "voice",
    "audio",
    "sticker",
    "location",
    "contact",
    "caption",
    "caption_entities",
)


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Telegram leaves out empty optional fields."""
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False
    blocked_bot: bool = False  # the user stopped the bot: sends to them fail with 403
    started_bot: bool = True  # the user has opened a private chat with the bot

    def to_api(self) -> dict[str, Any]:
        return compact(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": None if self.is_bot else self.language_code,
            }
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
    "can_send_welcome_messages",
)


@dataclass
class Member:
    user: User
    status: str = "member"  # creator, administrator, member, restricted, left, kicked
    rights: dict[str, bool] = field(default_factory=dict)

    def to_api(self, bot_id: int) -> dict[str, Any]:
        base: dict[str, Any] = {"status": self.status, "user": self.user.to_api()}
        if self.status == "creator":
            return {**base, "is_anonymous": False}
        if self.status == "administrator":
            rights = {name: self.rights.get(name, True) for name in ADMIN_RIGHTS}
            return {**base, "can_be_edited": self.user.id == bot_id, "is_anonymous": False, **rights}
        if self.status == "kicked":
            return {**base, "until_date": 0}
        if self.status == "restricted":
            flags = [
                "can_send_messages",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_react_to_messages",
                "can_edit_tag",
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_manage_topics",
            ]
            return {**base, "is_member": True, **{f: self.rights.get(f, False) for f in flags}, "until_date": 0}
        return base

    def can(self, right: str) -> bool:
        if self.status == "creator":
            return True
        return self.status == "administrator" and self.rights.get(right, True)


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        return compact(
            {
                "message_thread_id": self.thread_id,
                "name": self.name,
                "icon_color": self.icon_color,
                "icon_custom_emoji_id": self.icon_custom_emoji_id,
            }
        )


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ChatMessage:
    """A message in a chat, by a user or by the bot, with its Telegram JSON in `data`."""

    chat_id: int
    message_id: int
    data: dict[str, Any]
    from_bot: bool
    method: str = ""
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    seen: bool = False
    update_id: int | None = None  # the update that brought a user's message to the bot
    source: str | None = None  # the bot's text or caption as sent, markup included
    created: float = field(default_factory=time.perf_counter)  # for latency figures in benchmarks
    parse_mode: str | None = None

    def to_api(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    @property
    def thread_id(self) -> int | None:
        return self.data.get("message_thread_id")

    @property
    def is_topic_message(self) -> bool:
        return bool(self.data.get("is_topic_message"))

    @property
    def text(self) -> str | None:
        """The plain text (or caption) after parse-mode rendering."""
        return self.data.get("text", self.data.get("caption"))

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.data.get("entities", self.data.get("caption_entities", []))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.data.get("reply_markup")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row flattened."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def callback_data(self, text_contains: str | None = None) -> str:
        """The callback_data of the (first) inline button whose text contains `text_contains`."""
        for button in self.buttons:
            if "callback_data" in button and (text_contains is None or text_contains in button["text"]):
                return str(button["callback_data"])
        raise AssertionError(f"no inline button with {text_contains!r} in {self.button_texts}")

    @property
    def reply_to_message_id(self) -> int | None:
        reply = self.data.get("reply_to_message")
        return reply["message_id"] if reply else None

    @property
    def media_group_id(self) -> str | None:
        return self.data.get("media_group_id")

    @property
    def kind(self) -> str:
        for key in ("text", "photo", "document", "animation", "video", "voice", "sticker", "location", "audio"):
            if key in self.data:
                return key
        return "service"

    def file_ids(self) -> list[str]:
        if "photo" in self.data:
            return [self.data["photo"][-1]["file_id"]]
        return [
            self.data[key]["file_id"]
            for key in ("document", "animation", "video", "voice", "sticker", "audio")
            if key in self.data
        ]


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: User | None = None  # the other side of a private chat
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    last_message_id: int = 0

    def to_api(self) -> dict[str, Any]:
        if self.type == "private" and self.user is not None:
            return compact(
                {
                    "id": self.id,
                    "type": "private",
                    "first_name": self.user.first_name,
                    "last_name": self.user.last_name,
                    "username": self.user.username,
                }
            )
        return compact(
            {
                "id": self.id,
                "type": self.type,
                "title": self.title,
                "username": self.username,
                "is_forum": True if self.is_forum else None,
            }
        )

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id
