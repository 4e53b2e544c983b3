"""Settings of the help-center index, read from the environment and `.env`.

The bot's settings (`bot.settings.Settings`) extend these, so one `.env` serves both.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.sqlite3"
DEFAULT_HELP_BASE_URL = "https://aspro.cloud/help/"


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    help_base_url: str = Field(DEFAULT_HELP_BASE_URL, alias="HELP_BASE_URL")
    help_public_base_url: str | None = Field(None, alias="HELP_PUBLIC_BASE_URL")
    crawl_concurrency: int = Field(8, alias="CRAWL_CONCURRENCY", ge=1, le=64)
    crawl_timeout: float = Field(10.0, alias="CRAWL_TIMEOUT", gt=0)
    crawl_max_page_bytes: int = Field(2_000_000, alias="CRAWL_MAX_PAGE_BYTES", gt=0)
    crawl_max_pages: int = Field(5_000, alias="CRAWL_MAX_PAGES", gt=0)
    crawl_retries: int = Field(3, alias="CRAWL_RETRIES", ge=0, le=10)
    # Apply pending schema migrations at start; false: refuse to start until `python -m bot migrate` ran.
    auto_migrate: bool = Field(True, alias="AUTO_MIGRATE")
    # the sections' sentence vectors, saved so that a restart embeds only new text; by default next to a
    # SQLite database file, in memory only with another database unless set
    section_vectors_path: str | None = Field(None, alias="SECTION_VECTORS_PATH")

    @field_validator("help_base_url", "help_public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("must be a SQLAlchemy URL such as sqlite+aiosqlite:///./data/bot.sqlite3")
        return value

    def vectors_path(self) -> Path | None:
        """Where the section vectors are saved (None: kept in memory)."""
        if self.section_vectors_path:
            return Path(self.section_vectors_path)
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            path = self.database_url[len(prefix):].split("?", 1)[0]
            if path and path != ":memory:":
                return Path(path).with_name(Path(path).stem + ".vectors.npz")
        return None

    def ensure_sqlite_dir(self) -> None:
        """Create the folder of a SQLite database file, so a first start just works."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            path = self.database_url[len(prefix):].split("?", 1)[0]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], **overrides: object) -> SettingsT:
    """Build settings, or print one clear line naming the bad setting and exit with code 2."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error.get("loc") or ("?",)
        field = str(loc[0])
        info = cls.model_fields.get(field)
        name = (info.alias if info and info.alias else field).upper()
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "missing":
            message = "is required but not set"
        print(f"Configuration error: {name} {message}", file=sys.stderr)
        raise SystemExit(2) from None
