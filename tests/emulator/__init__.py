"""A Telegram Bot API emulator on loopback for end-to-end tests with the real aiogram client.

    emu = BotAPIEmulator(); await emu.start()
    bot = emu.make_bot()                      # or AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    user = emu.create_user("Анна")
    await emu.user_sends(user, "/start")
    reply = await emu.wait_for_bot_message(user)

See README.md next to this file.
"""

from .core import CallbackAnswer, CallbackQueryRecord
from .formatting import EntityParseError, parse_html, parse_markdown_v2, render, utf16_len
from .media import sample_gif, sample_jpeg, sample_pdf, sample_png, sniff
from .models import ApiError, Chat, ChatMessage, Member, StoredFile, Topic, User
from .server import DEFAULT_TOKEN, BotAPIEmulator, CallRecord, Fault

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotAPIEmulator",
    "CallRecord",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "Chat",
    "ChatMessage",
    "EntityParseError",
    "Fault",
    "Member",
    "StoredFile",
    "Topic",
    "User",
    "parse_html",
    "parse_markdown_v2",
    "render",
    "sample_gif",
    "sample_jpeg",
    "sample_pdf",
    "sample_png",
    "sniff",
    "utf16_len",
]
