# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/baton run

test: lint
	$(BIN)/python -m pytest

# Style, types and the import contracts of the architecture (pyproject.toml, [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot adapters commands storage
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/faq_quality.py
	$(BIN)/python bench/faq_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
