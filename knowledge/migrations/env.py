"""Alembic environment of the help-center index (`alembic -n knowledge ...`)."""

from knowledge.migrate import knowledge_history, run_env

run_env(knowledge_history())
