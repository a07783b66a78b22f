# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OPSDROID_STAMP := .venv-opsdroid/.installed
# Tests run in two worker processes (most of them wait on fake platforms, not on the CPU).
PYTEST_ARGS ?= -n 2

.PHONY: run test test-sqlite test-pg lint bench bench-opsdroid clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/baton run

# Lint, then the whole suite on SQLite files and again on a throwaway PostgreSQL server (skipped,
# saying so, where no PostgreSQL server is installed; `.ci/system-packages` installs one on Debian).
test: lint test-sqlite
	@.ci/with-postgres $(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 3 ]; then echo "make test: the PostgreSQL pass did not run."; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

# The inner loop: the suite on SQLite only.
test-sqlite: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The PostgreSQL pass only (fails when no PostgreSQL server is installed).
test-pg: $(STAMP)
	.ci/with-postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

# Style, types and the import contracts of the architecture (pyproject.toml, [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot adapters commands storage
	$(BIN)/lint-imports

bench: $(STAMP) $(OPSDROID_STAMP)
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/slack_ack.py
	$(BIN)/python bench/faq_quality.py
	$(BIN)/python bench/faq_speed.py
	$(BIN)/python bench/web.py

# The same task workload on the opsdroid framework, the yardstick bench/commands.py prints beside
# Baton's, in a virtualenv of its own (apart from Baton's dependencies). opsdroid 0.31.0 imports
# pkg_resources, gone from setuptools 81.
$(OPSDROID_STAMP):
	$(PYTHON) -m venv .venv-opsdroid
	.venv-opsdroid/bin/python -m pip install --quiet 'opsdroid[database-sqlite]==0.31.0' 'setuptools<81'
	touch $@

bench-opsdroid: $(OPSDROID_STAMP)
	.venv-opsdroid/bin/python bench/opsdroid_tasks.py

clean:
	rm -rf $(VENV) .venv-opsdroid .pytest_cache .ruff_cache .mypy_cache
