from knowledge.encoder import shared_store
from tests.emulator.fixtures import emulator, tg_bot
from tests.helpcenter import VECTORS

shared_store().load(VECTORS)  # the mirror's section vectors: indexing the mirror runs no encoder

__all__ = ["emulator", "tg_bot"]
