# One entry point for a newcomer: `make run` starts the bot, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv run test lint bench crawl

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/python -m bot

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .

crawl: venv
	$(BIN)/python -m knowledge crawl

bench: venv
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
