"""An update whose handling failed: one line in the log, and a count kept with the stored update.

A failure is logged once, as one line naming the update, the exception and the project's line that
raised it (not a traceback at every try). The update stays stored and not handled, so it is tried again
(at the next start, or before the chat's next update on several instances); at the `TRIES`-th failure it
is marked handled, so that a bug which fails it every time does not fail every start.
"""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import ProcessedUpdate

TRIES = 2
ROOT = Path(__file__).resolve().parents[1]


def describe(error: BaseException) -> str:
    """`Type: message (at file:line in function)`, on one line; the place is the last frame of the project."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename]
    where = ""
    if ours or frames:
        frame = (ours or frames)[-1]
        name = Path(frame.filename)
        shown = name.relative_to(ROOT) if name.is_relative_to(ROOT) else name.name
        where = f" (at {shown}:{frame.lineno} in {frame.name})"
    message = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"


async def record(session: AsyncSession, update_id: int, now: datetime) -> int:
    """One more failure of a stored update: how many there were so far; the `TRIES`-th marks it handled."""
    row = await session.get(ProcessedUpdate, update_id)
    if row is None:
        return TRIES
    event = dict(row.event or {})
    tries = int(event.get("failures") or 0) + 1
    row.event = {**event, "failures": tries}
    if tries >= TRIES:
        row.done_at = now
    return tries
