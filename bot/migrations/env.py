"""Alembic environment of the bot's tables (`alembic revision --autogenerate -m ...`)."""

from bot.migrations.history import bot_history
from knowledge.migrate import run_env

run_env(bot_history())
