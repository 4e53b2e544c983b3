from tests.emulator.fixtures import emulator, tg_bot

__all__ = ["emulator", "tg_bot"]
