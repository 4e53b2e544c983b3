"""The bot's settings: everything the knowledge index needs plus the Telegram side."""

from __future__ import annotations

import re
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

    # Webhook mode (several instances behind one URL) when WEBHOOK_URL is set; long polling otherwise.
    webhook_url: str | None = Field(None, alias="WEBHOOK_URL")
    webhook_secret: str | None = Field(None, alias="WEBHOOK_SECRET")
    webhook_host: str = Field("0.0.0.0", alias="WEBHOOK_HOST")
    webhook_port: int = Field(8080, alias="WEBHOOK_PORT", ge=0, le=65535)
    webhook_path: str | None = Field(None, alias="WEBHOOK_PATH")  # default: the path of WEBHOOK_URL
    webhook_delete_on_stop: bool = Field(True, alias="WEBHOOK_DELETE_ON_STOP")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    # messages per second sent with the bot's token, by all instances together (Telegram allows about 30); 0: no cap
    send_rate_limit: int = Field(30, alias="SEND_RATE_LIMIT", ge=0)
    # the delivery queue: the longest wait between two tries of a message, and after how long one still
    # waiting is told to the agents (or the admins)
    delivery_backoff_cap: float = Field(300.0, alias="DELIVERY_BACKOFF_CAP", gt=0, le=3600)
    delivery_waiting_note: float = Field(3600.0, alias="DELIVERY_WAITING_NOTE", gt=0)

    @field_validator("webhook_url", "webhook_secret", "webhook_path", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def webhook_route(self) -> str:
        from urllib.parse import urlsplit

        path = self.webhook_path or (urlsplit(self.webhook_url).path if self.webhook_url else "") or "/"
        return path if path.startswith("/") else "/" + path

    # --- the agents' desk (issue 5) ---
    need_info_suspend_days: int = Field(5, alias="NEED_INFO_SUSPEND_DAYS", ge=1, le=60)  # SLA 4.8
    reopen_days: int = Field(7, alias="REOPEN_DAYS", ge=0, le=365)
    group_messages_per_minute: int = Field(20, alias="GROUP_MESSAGES_PER_MINUTE", ge=1, le=600)
    agent_cache_seconds: float = Field(60.0, alias="AGENT_CACHE_SECONDS", ge=0)
    desk_tick_seconds: float = Field(60.0, alias="DESK_TICK_SECONDS", gt=0)

    _split_lists = field_validator(
        "admin_ids", "agent_ids", "extra_days_off", "extra_working_days", mode="before"
    )(_split)
