"""Databases for tests: a SQLite file by default, a fresh PostgreSQL database when `DATABASE_URL` names a
PostgreSQL server (the suite's second run in CI), so the same tests prove both engines.

`database_url(tmp_path)` gives a new, empty database each call; PostgreSQL ones are dropped at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")
_created: list[str] = []


def database_url(tmp_path: Path, name: str = "bot.sqlite3") -> str:
    """A new empty database: `tmp_path/name` on SQLite, or a new database on the PostgreSQL server."""
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{tmp_path / name}"
    database = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"')) if not _in_loop() else _in_thread(
        f'CREATE DATABASE "{database}"')
    _created.append(database)
    return make_url(SERVER_URL).set(database=database).render_as_string(hide_password=False)


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(statement: str) -> None:
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_admin(statement))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def _admin(*statements: str) -> None:
    import asyncpg

    url = make_url(SERVER_URL)
    connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                       database="postgres")
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# The throwaway server of .ci/services can be stopped and started by a test (a database outage).
CAN_STOP_SERVER = ON_POSTGRES and bool(os.environ.get("SERVICES_DIR")) and bool(os.environ.get("PG_BIN"))


async def pg_ctl(action: str) -> None:
    """`stop` or `start` the PostgreSQL server that .ci/services started (as its owner when root)."""
    data = Path(os.environ["SERVICES_DIR"]) / "pg"
    command = [str(Path(os.environ["PG_BIN"]) / "pg_ctl"), "-D", str(data), "-w"]
    command += ["-m", "fast", "stop"] if action == "stop" else ["-l", str(data / "server.log"), "start"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    _out, err = await process.communicate()
    assert process.returncode == 0, err.decode()


@atexit.register
def _drop_created() -> None:
    if _created:
        # a server already gone (a throwaway cluster stopped first) took its databases with it
        with contextlib.suppress(OSError):
            asyncio.run(_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in _created)))
