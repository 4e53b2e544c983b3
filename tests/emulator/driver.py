"""What users do in Telegram, turned into the updates Telegram would send the bot."""

from __future__ import annotations

import mimetypes
from typing import Any

from .core import World, describe_file
from .formatting import detect_entities
from .media import image_size
from .models import Chat, ChatMessage, Topic, User

Document = tuple[str, bytes, str | None] | tuple[str, bytes]
WEBP_STICKER = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
OGG_VOICE = b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"


class Driver(World):
    """The test's side: users writing, editing, pressing buttons, blocking the bot, deleting topics."""

    def _target_chat(self, user: User, chat: Chat | None) -> Chat:
        if chat is None:
            user.started_bot = True
            if user.blocked_bot:
                self.unblock_bot(user)
            return self.private_chat(user)
        member = chat.members.get(user.id)
        if member is None or member.status in ("left", "kicked"):
            raise ValueError(f"{user.full_name} is not a member of {chat.title}")
        return chat

    def _resolve_reply(self, chat: Chat, reply_to: ChatMessage | int | None) -> ChatMessage | None:
        if reply_to is None:
            return None
        message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
        found = self.find_message(chat, message_id)
        if found is None:
            raise ValueError(f"no message {message_id} in chat {chat.id} to reply to")
        return found

    def _bot_sees(self, chat: Chat, message: ChatMessage) -> bool:
        """Privacy mode: in groups a bot that is not an admin sees only commands, replies to it and mentions."""
        if chat.type == "private" or self.bot_can_read_all_group_messages:
            return True
        member = chat.members.get(self.bot.id)
        if member is None or member.status in ("left", "kicked"):
            return False
        if member.status in ("administrator", "creator"):
            return True
        text = message.text or ""
        reply = message.data.get("reply_to_message") or {}
        return (
            text.startswith("/")
            or f"@{self.bot.username}".lower() in text.lower()
            or reply.get("from", {}).get("id") == self.bot.id
        )

    def _post(
        self, chat: Chat, user: User, content: dict[str, Any], thread_id: int | None, reply: ChatMessage | None
    ) -> ChatMessage:
        if thread_id is not None and chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.deleted:
                raise ValueError(f"no topic {thread_id} in {chat.title}")
            member = chat.members.get(user.id)
            if topic.closed and not (member and member.can("can_manage_topics")):
                raise ValueError(f"topic {thread_id} is closed: only admins can write there")
        message = self.new_message(chat, user, content, thread_id, reply)
        if self._bot_sees(chat, message):
            message.update_id = self.enqueue("message", message.to_api())
        return message

    async def user_sends(
        self,
        user: User,
        text: str | None = None,
        *,
        chat: Chat | None = None,
        photo: bytes | None = None,
        document: Document | None = None,
        animation: bytes | None = None,
        caption: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        media_group_id: str | None = None,
        reply_to: ChatMessage | int | None = None,
        thread_id: int | None = None,
        forwarded_from: User | None = None,
    ) -> ChatMessage:
        """The user writes to the bot (or, with `chat`, in a group; `thread_id` for a forum topic).

        `photo` is an image as bytes (Telegram sends photos as JPEG, so JPEG bytes are the realistic case);
        `document` is (file name, bytes[, declared MIME type]); `animation` is a GIF Telegram turned into
        an MP4 animation (served back as the bytes given). Commands get bot_command entities, links url ones.
        Returns the user's message; its `update_id` is the update the bot gets (None if the bot cannot see it).
        """
        target = self._target_chat(user, chat)
        content: dict[str, Any] = {}
        if text is not None:
            found = detect_entities(text, entities or [])
            content = {"text": text, **({"entities": found} if found else {})}
        else:
            if photo is not None:
                content["photo"] = self.photo(photo)
            elif document is not None:
                name, data = document[0], document[1]
                mime = document[2] if len(document) > 2 else mimetypes.guess_type(name)[0]
                stored = self.store_file("document", data, file_name=name, mime_type=mime or "application/octet-stream")
                content["document"] = describe_file(stored)
            elif animation is not None:
                stored = self.store_file("animation", animation, file_name="animation.gif.mp4", mime_type="video/mp4")
                width, height = image_size(animation) or (1, 1)
                info = describe_file(stored)
                content["animation"] = {**info, "width": width, "height": height, "duration": 1}
                content["document"] = info
            else:
                raise ValueError("user_sends needs text, photo, document or animation")
            if caption:
                found = detect_entities(caption, entities or [])
                content.update({"caption": caption, **({"caption_entities": found} if found else {})})
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        if forwarded_from is not None:
            content["forward_origin"] = {"type": "user", "sender_user": forwarded_from.to_api(), "date": self.now()}
        return self._post(target, user, content, thread_id, self._resolve_reply(target, reply_to))

    async def user_sends_album(
        self,
        user: User,
        photos: list[bytes],
        caption: str | None = None,
        *,
        chat: Chat | None = None,
        thread_id: int | None = None,
    ) -> list[ChatMessage]:
        """An album: one message (and one update) per photo, all with the same media_group_id."""
        group_id = self.next_media_group_id()
        return [
            await self.user_sends(
                user,
                chat=chat,
                photo=data,
                caption=caption if index == 0 else None,
                media_group_id=group_id,
                thread_id=thread_id,
            )
            for index, data in enumerate(photos)
        ]

    async def user_sends_sticker(self, user: User, emoji: str = "👍", *, chat: Chat | None = None) -> ChatMessage:
        target = self._target_chat(user, chat)
        stored = self.store_file("sticker", WEBP_STICKER, mime_type="image/webp")
        sticker = {
            **describe_file(stored),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TestStickers",
        }
        sticker.pop("mime_type", None)
        return self._post(target, user, {"sticker": sticker}, None, None)

    async def user_sends_voice(
        self, user: User, duration: int = 3, data: bytes = OGG_VOICE, *, chat: Chat | None = None
    ) -> ChatMessage:
        target = self._target_chat(user, chat)
        stored = self.store_file("voice", data, mime_type="audio/ogg")
        return self._post(target, user, {"voice": {**describe_file(stored), "duration": duration}}, None, None)

    async def user_sends_video(
        self, user: User, data: bytes, duration: int = 5, *, chat: Chat | None = None
    ) -> ChatMessage:
        target = self._target_chat(user, chat)
        stored = self.store_file("video", data, file_name="video.mp4", mime_type="video/mp4")
        video = {**describe_file(stored), "width": 640, "height": 360, "duration": duration}
        return self._post(target, user, {"video": video}, None, None)

    async def user_sends_location(
        self, user: User, latitude: float = 55.7558, longitude: float = 37.6173, *, chat: Chat | None = None
    ) -> ChatMessage:
        target = self._target_chat(user, chat)
        return self._post(target, user, {"location": {"latitude": latitude, "longitude": longitude}}, None, None)

    async def user_edits(
        self, user: User, message: ChatMessage, text: str | None = None, *, caption: str | None = None
    ) -> ChatMessage:
        """The user edits their message: an edited_message update with the same message_id and an edit_date."""
        if message.data.get("from", {}).get("id") != user.id:
            raise ValueError("a user can edit only their own messages")
        message.history.append(message.to_api())
        if text is not None:
            found = detect_entities(text, [])
            message.data["text"] = text
            message.data.pop("entities", None)
            if found:
                message.data["entities"] = found
        if caption is not None:
            message.data["caption"] = caption
        message.data["edit_date"] = self.now()
        chat = self.chats[message.chat_id]
        if self._bot_sees(chat, message):
            self.enqueue("edited_message", message.to_api())
        return message

    async def user_presses(
        self,
        user: User,
        message: ChatMessage,
        callback_data: str | None = None,
        *,
        button: str | None = None,
        forge: bool = False,
    ) -> str:
        """The user presses an inline button (by its callback_data, or by a part of its text).

        Returns the callback query id (see `wait_for_callback_answer`). The button must be on the message
        as it is now, unless `forge=True` (a modified client sending data of its own).
        """
        from .core import CallbackQueryRecord

        if message.deleted:
            raise ValueError("the message with the button was deleted")
        if callback_data is None:
            callback_data = message.callback_data(button)
        elif not forge and callback_data not in [b.get("callback_data") for b in message.buttons]:
            raise AssertionError(f"no button with callback_data {callback_data!r}: {message.buttons}")
        query_id = self.next_callback_id()
        self.callback_queries[query_id] = CallbackQueryRecord(query_id, user, message, callback_data)
        self.enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": str(abs(message.chat_id) * 7 + 11),
                "data": callback_data,
            },
        )
        return query_id

    def block_bot(self, user: User) -> int:
        """The user blocks the bot: sends to them fail with 403 and the bot gets a my_chat_member update."""
        user.blocked_bot = True
        return self._my_chat_member(user, "member", "kicked")

    def unblock_bot(self, user: User) -> int:
        user.blocked_bot = False
        return self._my_chat_member(user, "kicked", "member")

    def _my_chat_member(self, user: User, old: str, new: str) -> int:
        def state(status: str) -> dict[str, Any]:
            return {"status": status, "user": self.bot.to_api(), **({"until_date": 0} if status == "kicked" else {})}

        return self.enqueue(
            "my_chat_member",
            {
                "chat": self.private_chat(user).to_api(),
                "from": user.to_api(),
                "date": self.now(),
                "old_chat_member": state(old),
                "new_chat_member": state(new),
            },
        )

    async def user_joins(self, user: User, chat: Chat) -> ChatMessage:
        """The user joins a group: a service message and, for an admin bot, a chat_member update."""
        return self._membership(user, chat, "member", {"new_chat_members": [user.to_api()]})

    async def user_leaves(self, user: User, chat: Chat) -> ChatMessage:
        return self._membership(user, chat, "left", {"left_chat_member": user.to_api()})

    def _membership(self, user: User, chat: Chat, status: str, service: dict[str, Any]) -> ChatMessage:
        old = chat.members.get(user.id)
        old_state = old.to_api(self.bot.id) if old else {"status": "left", "user": user.to_api()}
        self.set_member(chat, user, status)
        message = self.new_message(chat, user, service)
        bot = chat.members.get(self.bot.id)
        if bot is not None and bot.status in ("administrator", "creator"):
            message.update_id = self.enqueue("message", message.to_api())
            self.enqueue(
                "chat_member",
                {
                    "chat": chat.to_api(),
                    "from": user.to_api(),
                    "date": self.now(),
                    "old_chat_member": old_state,
                    "new_chat_member": chat.members[user.id].to_api(self.bot.id),
                },
            )
        return message

    async def user_creates_topic(self, user: User, chat: Chat, name: str) -> Topic:
        topic = self.open_topic(chat, name, None, None, user)
        created = chat.messages[topic.thread_id]
        if self._bot_sees(chat, created):
            created.update_id = self.enqueue("message", created.to_api())
        return topic

    def delete_topic(self, chat: Chat, thread_id: int) -> None:
        """Someone deletes a forum topic by hand; the bot is not told."""
        self.remove_topic(chat, chat.topics[thread_id])

    def topic_named(self, chat: Chat, name_contains: str) -> Topic:
        for topic in chat.topics.values():
            if name_contains in topic.name and not topic.deleted:
                return topic
        raise AssertionError(f"no topic with {name_contains!r} in {[t.name for t in chat.topics.values()]}")

    def download(self, file_id: str) -> bytes:
        """The bytes behind a file_id (what the bot sent, or what a user sent)."""
        return self.files[file_id].data

    async def wait_for_edit(self, message: ChatMessage, versions: int = 1, timeout: float = 5.0) -> ChatMessage:
        """Wait until the bot has edited `message` (at least `versions` times in all)."""
        return await self.wait_for_output(
            lambda: message if len(message.history) >= versions else None,
            timeout,
            lambda: f"message {message.message_id} was not edited in {timeout}s: {message.text!r}",
        )
