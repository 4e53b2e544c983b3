"""The bot's settings: everything the knowledge index needs plus the Telegram side."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from knowledge.settings import KnowledgeSettings


def _split(value: object) -> object:
    """Accept `1,2,3` (and `[1, 2, 3]`) for list settings."""
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [part.strip().strip("\"'") for part in text.split(",") if part.strip()]
    return value


class Settings(KnowledgeSettings):
    bot_token: str | None = Field(None, alias="BOT_TOKEN")
    telegram_api_url: str | None = Field(None, alias="TELEGRAM_API_URL")
    agent_chat_id: int | None = Field(None, alias="AGENT_CHAT_ID")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="ADMIN_IDS")
    agent_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="AGENT_IDS")
    support_timezone: str = Field("Europe/Moscow", alias="SUPPORT_TIMEZONE")
    support_open_hour: int = Field(8, alias="SUPPORT_OPEN_HOUR", ge=0, le=23)
    support_close_hour: int = Field(18, alias="SUPPORT_CLOSE_HOUR", ge=1, le=24)
    extra_days_off: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="EXTRA_DAYS_OFF")
    extra_working_days: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="EXTRA_WORKING_DAYS"
    )

    production_calendar_file: str | None = Field(None, alias="PRODUCTION_CALENDAR_FILE")

    # --- the agents' desk (issue 5) ---
    need_info_suspend_days: int = Field(5, alias="NEED_INFO_SUSPEND_DAYS", ge=1, le=60)  # SLA 4.8
    reopen_days: int = Field(7, alias="REOPEN_DAYS", ge=0, le=365)
    group_messages_per_minute: int = Field(20, alias="GROUP_MESSAGES_PER_MINUTE", ge=1, le=600)
    agent_cache_seconds: float = Field(60.0, alias="AGENT_CACHE_SECONDS", ge=0)
    desk_tick_seconds: float = Field(60.0, alias="DESK_TICK_SECONDS", gt=0)

    _split_lists = field_validator(
        "admin_ids", "agent_ids", "extra_days_off", "extra_working_days", mode="before"
    )(_split)
