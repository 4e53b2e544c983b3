"""A bare aiogram echo bot in long polling: the yardstick `bench_load.py` compares the support bot with.
It echoes a message's text, and a button's data as a message (the load presses a button too).

    BOT_TOKEN=... TELEGRAM_API_URL=... python benchmarks/echo_bot.py
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @dispatcher.callback_query()
    async def echo_press(query: CallbackQuery) -> None:
        await bot.send_message(query.from_user.id, query.data or "?")
        await query.answer()

    await dispatcher.start_polling(bot, polling_timeout=30, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
