import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge.settings import KnowledgeSettings, load_settings


def test_defaults_point_to_a_sqlite_file_under_data(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the suite's PostgreSQL run sets it
    settings = KnowledgeSettings()
    assert settings.database_url == "sqlite+aiosqlite:///./data/bot.sqlite3"
    settings.ensure_sqlite_dir()
    assert (tmp_path / "data").is_dir()


def test_lists_accept_commas(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADMIN_IDS", "10, 20")
    monkeypatch.setenv("EXTRA_WORKING_DAYS", "2025-11-01")
    settings = Settings()
    assert settings.admin_ids == [10, 20]
    assert settings.extra_working_days == ["2025-11-01"]


def test_base_url_gets_a_trailing_slash(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELP_BASE_URL", "http://127.0.0.1:1/help")
    assert KnowledgeSettings().help_base_url == "http://127.0.0.1:1/help/"


def test_bad_setting_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRAWL_CONCURRENCY", "many")
    with pytest.raises(SystemExit) as exc:
        load_settings(Settings)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "CRAWL_CONCURRENCY" in err


def test_bad_setting_in_a_real_process_has_no_traceback(tmp_path):
    code = "from bot.settings import Settings; from knowledge.settings import load_settings; load_settings(Settings)"
    env = {"HELP_BASE_URL": "ftp://nope", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(__import__("pathlib").Path.cwd())}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "HELP_BASE_URL" in proc.stderr


def test_env_example_as_is_is_a_valid_configuration(monkeypatch, tmp_path):
    """A newcomer copies .env.example to .env: empty values mean "not set", not a parse error."""
    example = Path(__file__).resolve().parent.parent / ".env.example"
    (tmp_path / ".env").write_text(example.read_text("utf-8"), "utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("AGENT_CHAT_ID", "ADMIN_IDS", "BOT_TOKEN", "HELP_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("EXTRA_DAYS_OFF", "EXTRA_WORKING_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.agent_chat_id is None
    assert settings.admin_ids == []
    assert settings.bot_token is None
    assert settings.extra_days_off == [] and settings.extra_working_days == []  # examples are comments


def test_env_example_says_what_a_working_desk_needs():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text("utf-8")
    assert "A working desk needs all three of BOT_TOKEN, AGENT_CHAT_ID and ADMIN_IDS" in example


def test_env_example_sets_nothing_but_the_defaults(monkeypatch, tmp_path):
    """Its live values change nothing: a sample (a date, an id) stays a comment a newcomer cannot ship."""
    example = Path(__file__).resolve().parent.parent / ".env.example"
    names = [line.split("=", 1)[0] for line in example.read_text("utf-8").splitlines()
             if line and not line.startswith("#") and "=" in line]
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    from_example = Settings(_env_file=example)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example.model_dump() == defaults.model_dump()
