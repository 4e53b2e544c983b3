"""`python -m bot` runs the bot; `python -m bot classify` and `python -m bot console` are tools for admins."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args and not args[0].startswith("-") else "run"
    rest = args[1:] if command != "run" or (args and args[0] == "run") else args
    if command == "classify":
        from bot.classify_cli import main as classify_main

        return classify_main(rest)
    if command == "console":
        from bot.console import main as console_main

        return console_main(rest)
    if command == "migrate":
        from bot.app import migrate_main

        return migrate_main(rest)
    if command == "run":
        from bot.app import main as app_main

        return app_main(rest)
    print(f"Unknown command: {command}. Use: python -m bot [run|migrate|classify|console]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
