"""State shared by the Bot API side and the test driver: the world, the update queue, what the bot sent."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import mimetypes
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .media import IMAGE_FORMATS, image_size, new_file_id, new_unique_id, photo_sizes, sniff
from .models import CONTENT_KEYS, Chat, ChatMessage, Member, StoredFile, Topic, User, bad_request, compact

T = TypeVar("T")
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
FILE_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "sticker": "stickers",
    "voice": "voice",
    "video": "videos",
    "animation": "animations",
    "audio": "music",
    "video_note": "video_notes",
}


@dataclass
class PendingUpdate:
    update_id: int
    data: dict[str, Any]
    forced: bool = False  # a re-delivery: handed out again whatever the offset

    @property
    def kind(self) -> str:
        return next(key for key in self.data if key != "update_id")

    @property
    def chat_key(self) -> int | None:
        """The chat an update belongs to (webhook deliveries keep order within it)."""
        payload = self.data[self.kind]
        if not isinstance(payload, dict):
            return None
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat") or payload.get("from") or {}
        return chat.get("id")


@dataclass
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class CallbackQueryRecord:
    id: str
    user: User
    message: ChatMessage
    data: str
    answer: CallbackAnswer | None = None


def describe_file(stored: StoredFile) -> dict[str, Any]:
    """The Document-like JSON of a stored file."""
    return compact(
        {
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
    )


def _notify(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return asyncio.Event()


class World:
    """Users, chats, files and messages, the queue of updates for the bot, and the bot's output."""

    def __init__(self, token: str, bot_username: str, bot_name: str) -> None:
        self.token = token
        self.bot = User(id=int(token.split(":", 1)[0]), first_name=bot_name, username=bot_username, is_bot=True)
        self.bot_can_read_all_group_messages = False
        self.clock: Callable[[], float] = time.time
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.files_by_unique: dict[str, StoredFile] = {}
        self.bot_messages: list[ChatMessage] = []
        self._bot_messages_by_chat: dict[int, list[ChatMessage]] = {}
        self._chat_output_changed: dict[int, asyncio.Event] = {}
        self.photo_sets: dict[str, list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.deliveries: Counter[int] = Counter()  # update_id -> how many times it was handed to the bot
        self.updates: dict[int, dict[str, Any]] = {}  # every update ever enqueued, by id
        self._queue: list[PendingUpdate] = []
        self._update_ids = itertools.count(700_000_001)
        self._user_ids = itertools.count(500_001)
        self._group_ids = itertools.count(1_001_000_001)
        self._callback_ids = itertools.count(4_000_000_000_000_001)
        self._media_group_ids = itertools.count(13_800_000_000_000_001)
        self._updates_changed = asyncio.Event()
        self._bot_output_changed = asyncio.Event()

    def now(self) -> int:
        return int(self.clock())

    # --- users and chats ------------------------------------------------------------------------------

    def create_user(
        self,
        first_name: str = "Иван",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        started: bool = True,
        user_id: int | None = None,
    ) -> User:
        """A Telegram user. `started=False`: the user never opened the bot, so the bot cannot write first."""
        user = User(
            id=user_id or next(self._user_ids),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started_bot=started,
        )
        self.users[user.id] = user
        return user

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[user.id] = chat
        return chat

    def create_group(
        self,
        title: str = "Поддержка",
        members: tuple[User, ...] | list[User] = (),
        admins: tuple[User, ...] | list[User] = (),
        forum: bool = True,
        bot_status: str = "administrator",
        bot_rights: dict[str, bool] | None = None,
        username: str | None = None,
    ) -> Chat:
        """A supergroup (a forum with topics by default) with the bot in it as an administrator."""
        chat = Chat(id=int(f"-100{next(self._group_ids)}"), type="supergroup")
        chat.title, chat.is_forum, chat.username = title, forum, username
        chat.last_message_id = 1  # the message that created the group
        chat.members[self.bot.id] = Member(self.bot, bot_status, dict(bot_rights or {}))
        for index, admin in enumerate(admins):
            chat.members[admin.id] = Member(admin, "creator" if index == 0 else "administrator")
        for member in members:
            chat.members.setdefault(member.id, Member(member, "member"))
        self.chats[chat.id] = chat
        return chat

    def set_member(self, chat: Chat, user: User, status: str = "member", rights: dict[str, bool] | None = None) -> None:
        """Add a user to a group, change their status (administrator, left, kicked, ...) or rights."""
        chat.members[user.id] = Member(user, status, dict(rights or {}))

    def chat(self, ref: int | str) -> Chat:
        if isinstance(ref, str):
            name = ref.removeprefix("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name:
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(ref)
        if chat is None:
            user = self.users.get(ref)
            if user is None:
                raise bad_request("chat not found")
            chat = self.private_chat(user)
        return chat

    # --- files ----------------------------------------------------------------------------------------

    def store_file(
        self, kind: str, data: bytes, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        unique_id = new_unique_id()
        extension = mimetypes.guess_extension(mime_type or "") or ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        if kind == "photo":
            extension = ".jpg"
        index = sum(1 for f in self.files.values() if f.kind == kind)
        stored = StoredFile(
            file_id=new_file_id(kind),
            file_unique_id=unique_id,
            kind=kind,
            data=data,
            file_path=f"{FILE_FOLDERS.get(kind, 'documents')}/file_{index}{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        self.files_by_unique[unique_id] = stored
        return stored

    # --- messages -------------------------------------------------------------------------------------

    def new_message(
        self,
        chat: Chat,
        sender: User,
        content: dict[str, Any],
        thread_id: int | None = None,
        reply_to: ChatMessage | None = None,
        method: str = "",
    ) -> ChatMessage:
        """Create a message as Telegram stores it, with the forum-topic fields Telegram adds."""
        message_id = chat.next_message_id()
        data: dict[str, Any] = {"message_id": message_id}
        if chat.is_forum:
            if thread_id is None and reply_to is not None:
                thread_id = (
                    reply_to.thread_id if reply_to.is_topic_message else (reply_to.thread_id or reply_to.message_id)
                )
            topic = chat.topics.get(thread_id) if thread_id is not None else None
            if topic is not None and not topic.deleted:
                data["message_thread_id"] = thread_id
                if reply_to is None:
                    reply_to = chat.messages.get(thread_id)  # Telegram replies to the topic's first message
            elif thread_id is not None and thread_id != 1:
                data["message_thread_id"] = thread_id
        data["from"] = sender.to_api()
        data["chat"] = chat.to_api()
        data["date"] = self.now()
        if data.get("message_thread_id") in chat.topics:
            data["is_topic_message"] = True
        if reply_to is not None and not reply_to.deleted:
            replied = reply_to.to_api()
            replied.pop("reply_to_message", None)
            data["reply_to_message"] = replied
        data.update(content)
        message = ChatMessage(
            chat.id, message_id, data, from_bot=sender.is_bot and sender.id == self.bot.id, method=method
        )
        chat.messages[message_id] = message
        if message.from_bot and any(key in content for key in CONTENT_KEYS):
            self.bot_messages.append(message)
            self._bot_messages_by_chat.setdefault(chat.id, []).append(message)
            self.bot_output_changed(chat.id)
        return message

    def photo(self, data: bytes) -> list[dict[str, Any]]:
        """The PhotoSize list Telegram makes of an image: several sizes, each with its own file_id."""
        if sniff(data) not in IMAGE_FORMATS:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = image_size(data) or (1, 1)
        sizes = []
        for w, h in photo_sizes(width, height):
            stored = self.store_file("photo", data, mime_type="image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.size,
                    "width": w,
                    "height": h,
                }
            )
        self.photo_sets.update({size["file_id"]: sizes for size in sizes})
        return sizes

    def open_topic(self, chat: Chat, name: str, icon_color: int | None, emoji_id: str | None, creator: User) -> Topic:
        """A new forum topic: its id is the id of the service message that opens it."""
        topic = Topic(chat.last_message_id + 1, name, icon_color or 7322096, emoji_id)
        chat.topics[topic.thread_id] = topic
        created = compact({"name": name, "icon_color": topic.icon_color, "icon_custom_emoji_id": emoji_id})
        self.new_message(chat, creator, {"forum_topic_created": created}, topic.thread_id, None, "createForumTopic")
        return topic

    def remove_topic(self, chat: Chat, topic: Topic) -> None:
        """Delete a topic with all its messages (sending there afterwards: "message thread not found")."""
        topic.deleted = True
        for message in chat.messages.values():
            if message.thread_id == topic.thread_id:
                message.deleted = True
        self.bot_output_changed()

    def find_message(self, chat: Chat, message_id: int) -> ChatMessage | None:
        message = chat.messages.get(message_id)
        return None if message is None or message.deleted else message

    # --- updates --------------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        data = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self.updates[update_id] = data
        self._queue.append(PendingUpdate(update_id, data))
        self._updates_changed = _notify(self._updates_changed)
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Hand an update the bot has already received (and confirmed) to it once more, as Telegram sometimes does."""
        if update_id not in self.updates:
            raise KeyError(f"update {update_id} was never sent")
        self._queue.insert(0, PendingUpdate(update_id, copy.deepcopy(self.updates[update_id]), forced=True))
        self._updates_changed = _notify(self._updates_changed)

    @property
    def pending_update_count(self) -> int:
        return len(self._queue)

    def confirm(self, offset: int | None) -> None:
        """getUpdates' offset: forget updates before it (a negative offset keeps only the last -offset)."""
        if not offset:
            return
        if offset < 0:
            keep = -offset
            normal = [u for u in self._queue if not u.forced]
            drop = {id(u) for u in normal[: max(len(normal) - keep, 0)]}
            self._queue = [u for u in self._queue if id(u) not in drop]
            return
        self._queue = [u for u in self._queue if u.forced or u.update_id >= offset]

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        """The next updates to hand out (re-deliveries first); types the bot did not ask for are dropped."""
        batch: list[dict[str, Any]] = []
        for pending in list(self._queue):
            if len(batch) >= limit:
                break
            if pending.kind not in self.allowed_updates:
                self._queue.remove(pending)
                continue
            batch.append(copy.deepcopy(pending.data))
            self.deliveries[pending.update_id] += 1
            if pending.forced:
                self._queue.remove(pending)
        return batch

    # --- what the bot sent ----------------------------------------------------------------------------

    def bot_output_changed(self, chat_id: int | None = None) -> None:
        """Wake the waits: those on one chat (a new message there) or all of them (edits, answers, deletions)."""
        if chat_id is None:
            self._bot_output_changed = _notify(self._bot_output_changed)
            for key, event in self._chat_output_changed.items():
                self._chat_output_changed[key] = _notify(event)
        elif chat_id in self._chat_output_changed:
            self._chat_output_changed[chat_id] = _notify(self._chat_output_changed[chat_id])

    def sent(
        self, chat: Chat | User | int, thread_id: int | None = None, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """Every message the bot has sent to a chat (optionally one topic), oldest first, in its current state."""
        chat_id = chat if isinstance(chat, int) else chat.id
        return [
            m
            for m in self._bot_messages_by_chat.get(chat_id, [])
            if (thread_id is None or m.thread_id == thread_id) and (include_deleted or not m.deleted)
        ]

    async def wait_for_output(
        self, check: Callable[[], T | None], timeout: float, failure: Callable[[], str], chat_id: int | None = None
    ) -> T:
        """Re-run `check` whenever the bot's output changes until it returns a value; AssertionError on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if chat_id is None:
                changed = self._bot_output_changed
            else:
                changed = self._chat_output_changed.setdefault(chat_id, asyncio.Event())
            found = check()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(failure())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_for_bot_message(
        self,
        chat: Chat | User | int,
        predicate: Callable[[ChatMessage], bool] | None = None,
        timeout: float = 5.0,
        thread_id: int | None = None,
    ) -> ChatMessage:
        """The oldest message the bot sent to the chat that no earlier wait returned (and that matches).

        Each message is returned once, so consecutive waits walk through the bot's answers in order.
        Raises AssertionError listing what the bot did send if nothing matches within `timeout` seconds.
        """
        chat_id = chat if isinstance(chat, int) else chat.id

        def check() -> ChatMessage | None:
            for message in self._bot_messages_by_chat.get(chat_id, []):
                if message.seen:
                    continue
                if thread_id is not None and message.thread_id != thread_id:
                    continue
                if predicate is None or predicate(message):
                    message.seen = True
                    return message
            return None

        def failure() -> str:
            texts = [(m.method, m.thread_id, m.text) for m in self.sent(chat_id, include_deleted=True)]
            return f"the bot sent no matching message to {chat_id} in {timeout}s; it sent: {texts}"

        return await self.wait_for_output(check, timeout, failure, chat_id)

    async def wait_for_bot_messages(
        self, chat: Chat | User | int, count: int, timeout: float = 5.0, thread_id: int | None = None
    ) -> list[ChatMessage]:
        return [await self.wait_for_bot_message(chat, timeout=timeout, thread_id=thread_id) for _ in range(count)]

    def mark_all_seen(self) -> None:
        """Make later waits look only at messages the bot sends from now on."""
        for message in self.bot_messages:
            message.seen = True

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for a pressed button."""
        return await self.wait_for_output(
            lambda: self.callback_queries[query_id].answer,
            timeout,
            lambda: f"the bot did not answer callback query {query_id} in {timeout}s",
        )

    def next_callback_id(self) -> str:
        return str(next(self._callback_ids))

    def next_media_group_id(self) -> str:
        return str(next(self._media_group_ids))
