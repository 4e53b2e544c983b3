"""The console drives the same dialogue: typed lines in, plain texts and numbered buttons out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.console import Console
from bot.conversation import ConversationService
from knowledge.db import make_engine
from tests.dbs import database_url
from tests.fakes import FakeSchedule, FakeSearcher, fake_moderate, fake_read


async def test_console_dialogue_to_a_ticket_with_a_button_and_a_file(tmp_path):
    engine = make_engine(database_url(tmp_path))
    from bot.console import _probe

    service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule(),
                                  searcher=FakeSearcher(), prober=_probe)
    await service.start()
    lines: list[str] = []
    console = Console(service, 5, lines.append)
    try:
        await console.send("Как настроить воронку продаж?")
        assert any("[2] Нужна помощь специалиста" in line for line in lines)
        assert any("Воронки продаж — Как настроить воронку (https://aspro.cloud/help/articles/1--voronki)" in line
                   for line in lines)
        await console.send("2")
        assert any("адрес вашего аккаунта" in line for line in lines)
        await console.send("romashka.aspro.cloud")
        pdf = tmp_path / "screen.png"
        pdf.write_bytes(b"%PDF-1.4\n")
        await console.send(f":file {pdf}")
        assert any("JPG, GIF или PNG" in line for line in lines)
        del lines[:]
        await console.send("1")  # the latest message (the file refused) has no buttons: nothing is pressed
        assert lines[0].startswith("Цифрой нажимаются только кнопки последнего сообщения бота")
        assert "«Отправить»" in lines[0] and ":press 1" in lines[0]
        await console.send(":press 1")  # «Отправить» on the card, pressed deliberately
        assert any("Обращение №1 зарегистрировано" in line for line in lines)
        assert all("<b>" not in line for line in lines)  # HTML is shown as plain text
        assert await service.unsent() == []
    finally:
        await engine.dispose()


def test_a_line_is_a_button_number_only_in_ascii_digits_within_the_buttons():
    console = Console(None, 5, lambda line: None)  # type: ignore[arg-type]
    console.buttons, console.latest = [("Это помогло", "helped:"), ("Нужна помощь", "specialist:")], True
    assert console.parse("2").text == "specialist:"
    for line in ("²", "①", "٢", "２", "-1", "+1"):  # not ASCII digits: sent as text
        parsed = console.parse(line)
        assert not isinstance(parsed, str) and parsed.type == "text" and parsed.text == line
    for line in ("0", "3", "9" * 5000):  # ASCII digits naming no button: a note, nothing sent
        assert isinstance(console.parse(line), str)
async def console_on(tmp_path) -> tuple[Console, list[str], object]:
    from bot.console import _probe

    engine = make_engine(database_url(tmp_path))
    service = ConversationService(engine, reader=fake_read, moderator=fake_moderate, schedule=FakeSchedule(),
                                  searcher=FakeSearcher(), prober=_probe)
    await service.start()
    lines: list[str] = []
    return Console(service, 7, lines.append), lines, engine


async def test_a_number_presses_only_a_button_of_the_latest_message(tmp_path):
    console, lines, engine = await console_on(tmp_path)
    try:
        await console.send("Как настроить воронку продаж?")
        del lines[:]
        await console.send("3")  # two buttons on the latest message
        assert lines[0] == ("У последнего сообщения бота кнопки с номерами от 1 до 2, кнопки 3 нет. "
                            "Чтобы отправить число текстом, напишите :text 3.")
        await console.send("2")  # «Нужна помощь специалиста»
        await console.send("romashka.aspro.cloud")
        await console.send("1")  # «Отправить» on the card: the latest message
        assert any("Обращение №1 зарегистрировано" in line for line in lines)
        del lines[:]
        await console.send("1")  # the card is behind: no second «Отправить», no «кнопка неактуальна»
        assert len([line for line in lines if line]) == 1 and "последнего сообщения" in lines[0]
        assert not any("неактуальна" in line for line in lines)
        del lines[:]
        await console.send(":text 1")  # a number as text reaches the dialogue
        assert lines and not lines[0].startswith("Цифрой")
        assert await console.service.unsent() == []
    finally:
        await engine.dispose()


def process_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
            "DATABASE_URL": database_url(tmp_path, "console.sqlite3"), "HELP_BASE_URL": "http://127.0.0.1:9/help/"}


def test_console_process_keeps_log_lines_out_of_the_dialogue(tmp_path):
    """A stale press used to print the dialogue's warning between the bot's messages; logs go to a file now."""
    env = process_env(tmp_path)
    typed = ("Не сохраняется сделка в romashka.aspro.cloud: открываю CRM → Сделки → Новая сделка, жму "
             "«Сохранить» — ошибка 500. Браузер Chrome 120, Windows 11.\n1\n1\n:press 1\n:quit\n")
    proc = subprocess.run([sys.executable, "-m", "bot", "console"], cwd=tmp_path, env=env, input=typed,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    assert "Обращение №1 зарегистрировано" in out and "Цифрой нажимаются только кнопки" in out
    assert out.count("Эта кнопка уже неактуальна") == 1  # only the deliberate :press of the old card
    assert not any(word in out for word in ("INFO", "WARNING", "alembic", "stale or forged"))
    log = (tmp_path / "data" / "console.log").read_text("utf-8")
    assert "Running upgrade" in log and "stale or forged" in log


def test_the_readme_local_try_crawls_the_mirror_and_the_console_shows_public_links(tmp_path):
    """As the README says: serve the help-center mirror, crawl it keeping the public links, ask the console."""
    from tests.mirror import serving

    env = process_env(tmp_path)
    with serving() as mirror:
        crawl = subprocess.run([sys.executable, "-m", "knowledge", "crawl", "--base-url", mirror.base,
                                "--public-base-url", "https://aspro.cloud/help/", "--timeout", "2"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert "fetched" in crawl.stdout + crawl.stderr, crawl.stderr
    proc = subprocess.run([sys.executable, "-m", "bot", "console"], cwd=tmp_path, env=env,
                          input="Как настроить воронку продаж?\n:quit\n", capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "Индекс справки пуст" not in proc.stdout
    assert "(https://aspro.cloud/help/articles/" in proc.stdout and "[2] Нужна помощь специалиста" in proc.stdout
