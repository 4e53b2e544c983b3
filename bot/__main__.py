"""`python -m bot` runs the bot; `migrate`, `classify` and `console` are tools for admins.

Every command answers `--help` and does nothing else then: no settings are read, no database is opened."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = "The Аспро.Cloud support bot. Without a command it runs the bot (the same as `run`)."
EPILOG = ("Settings come from the environment and a .env file in the current directory; every one is described "
          "in .env.example. `python -m bot COMMAND --help` tells more about a command.")
# The tools with options of their own parse the rest of the command line themselves (and answer its --help).
DELEGATED = {
    "classify": "read JSON lines {\"text\": ...} on stdin and write how the bot reads each one (no token needed)",
    "console": "talk to the bot's dialogue in this terminal, over the same database (no token needed)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=DESCRIPTION, epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.add_parser(
        "run", help="run the bot (the default): long polling, or a webhook server when WEBHOOK_URL is set",
        description="Run the bot: long polling, or a webhook server when WEBHOOK_URL is set. Needs BOT_TOKEN; "
                    "AGENT_CHAT_ID and ADMIN_IDS for the agents' desk.", epilog=EPILOG)
    commands.add_parser(
        "migrate", help="apply the pending schema migrations of DATABASE_URL and exit",
        description="Apply the pending schema migrations of the bot's tables and the help-center index in "
                    "DATABASE_URL, then exit. Needs no token.", epilog=EPILOG)
    for name, summary in DELEGATED.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    known, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    command = known.command or "run"
    if command == "classify":
        from bot.classify_cli import main as classify_main

        return classify_main(rest)
    if command == "console":
        from bot.console import main as console_main

        return console_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if command == "migrate":
        from bot.app import migrate_main

        return migrate_main([])
    from bot.app import main as app_main

    return app_main([])


if __name__ == "__main__":
    raise SystemExit(main())
