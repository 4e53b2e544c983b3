"""`python -m bot classify` as an admin runs it: a real subprocess, JSON lines in and out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.triage import read_message

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"profanity", "insult", "scope", "category", "critical", "multi_problem", "account"}


def run_cli(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL", "AGENT_CHAT_ID"}}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "bot", "classify", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_one_answer_per_line_in_order_and_bad_lines_do_not_stop_the_run() -> None:
    lines = [
        json.dumps({"text": "аккаунт Romashka.aspro.clod не открывается с утра"}, ensure_ascii=False),
        "{not json",
        json.dumps({"text": "Позвоните мне по номеру +7 900 000-00-00"}, ensure_ascii=False),
        json.dumps(["a list"]),
        json.dumps({"message": "no text key"}),
        "",
        json.dumps({"text": "Как настроить воронку продаж?"}, ensure_ascii=False),
    ]
    result = run_cli("\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(lines)
    # The same reading as the Python API gives, field for field.
    assert answers[0] == read_message("аккаунт Romashka.aspro.clod не открывается с утра").as_json()
    assert (answers[0]["category"], answers[0]["critical"], answers[0]["account"]) == (
        "outage",
        True,
        "romashka.aspro.cloud",
    )
    assert [set(answer) == {"error"} for answer in answers] == [False, True, False, True, True, True, False]
    assert (answers[2]["scope"], answers[2]["category"]) == ("out", "other_channel_or_offtopic")
    assert set(answers[6]) == KEYS and answers[6]["category"] == "setup_consultation"


def test_help_and_empty_input() -> None:
    assert run_cli("").stdout == ""
    result = run_cli("", "--help")
    assert result.returncode == 0 and "stdin" in result.stdout


def test_domain_modules_do_not_import_aiogram() -> None:
    code = (
        "import sys, bot.classify_cli, bot.triage, bot.account, bot.schedule; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'aiogram', 'sqlalchemy', 'httpx'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
