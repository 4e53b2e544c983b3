"""`python -m bot` refuses to start on a missing or malformed token: one clear line, exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("token", "expected"), [(None, "BOT_TOKEN is required"), ("not-a-token", "BOT_TOKEN")])
def test_bad_token_is_one_line_and_exit_2(tmp_path, token, expected):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}
    if token is not None:
        env["BOT_TOKEN"] = token
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr
