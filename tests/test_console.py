"""The console drives the same dialogue: typed lines in, plain texts and numbered buttons out."""

from __future__ import annotations

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
        await console.send("1")  # «Отправить» on the card
        assert any("Обращение №1 зарегистрировано" in line for line in lines)
        assert all("<b>" not in line for line in lines)  # HTML is shown as plain text
        assert await service.unsent() == []
    finally:
        await engine.dispose()


def test_a_line_is_a_button_number_only_in_ascii_digits_within_the_buttons():
    console = Console(None, 5, lambda line: None)  # type: ignore[arg-type]
    console.buttons = ["helped:", "specialist:"]
    assert console.parse("2").text == "specialist:"
    for line in ("²", "①", "٢", "２", "0", "3", "9" * 5000, "-1"):
        parsed = console.parse(line)
        assert parsed is not None and parsed.type == "text" and parsed.text == line
