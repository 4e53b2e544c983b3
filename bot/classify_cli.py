"""`python -m bot classify`: how the bot reads messages, for admins.

Reads JSON lines `{"text": ...}` on stdin and writes one JSON line per input, in order. A line
that cannot be read gets `{"error": ...}` in its place and the run goes on. Needs no token,
network or database.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from bot.triage import read_message


def _answer(line: str) -> dict[str, object]:
    try:
        item = json.loads(line)
    except ValueError as error:
        return {"error": f"not a JSON object: {error}"}
    if not isinstance(item, dict):
        return {"error": 'expected a JSON object like {"text": "..."}'}
    text = item.get("text")
    if not isinstance(text, str):
        return {"error": 'the object needs a "text" string'}
    return read_message(text).as_json()


def run(source: TextIO, sink: TextIO) -> int:
    """Classify every line of `source`; the number of lines answered with an error."""
    errors = 0
    for raw in source:
        line = raw.strip()
        answer = _answer(line) if line else {"error": "empty line"}
        errors += "error" in answer
        sink.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sink.flush()
    return errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot classify",
        description='Read JSON lines {"text": ...} on stdin; write how the bot reads each one as a JSON line.',
    )
    parser.parse_args(argv)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    run(sys.stdin, sys.stdout)
    return 0
