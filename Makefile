# rekit: two commands do all the set-up. `make reports` builds the reports, `make test` runs every test.
# Both create the environment in .venv/ from pyproject.toml when it is missing or stale.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rekit-installed

.DEFAULT_GOAL := help
.PHONY: help env test data-check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name rekit --display-name "Python (rekit)" >/dev/null
	@touch $@

env: $(STAMP)  ## create or refresh .venv/ and the `rekit` Jupyter kernel

test: env  ## run every test
	$(BIN)/python -m pytest

data-check: env  ## validate the bundled data
	$(BIN)/rekit data check

clean:  ## remove the environment and caches (keeps reports/)
	rm -rf $(VENV) .pytest_cache .hypothesis
