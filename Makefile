# rekit: two commands do all the set-up. `make reports` builds the reports, `make test` runs every test.
# Both create the environment in .venv/ from pyproject.toml, pinned by requirements.lock, when it is
# missing or stale. `make docs` builds the documentation site; `make lock` refreshes the lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rekit-installed
DOCS_STAMP := $(VENV)/.rekit-docs-installed
LOCK := requirements.lock

.DEFAULT_GOAL := help
.PHONY: help env browser pyc lint types test reports data-check clean lab workspace docs lock app

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The versions come from requirements.lock (a pip constraints file: what the tests passed with);
# pyproject.toml keeps the compatible ranges.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name rekit --display-name "Python (rekit)" >/dev/null
	@touch $@

env: $(STAMP)  ## create or refresh .venv/ and the `rekit` Jupyter kernel

# Debian's chromium: kaleido draws static images with it and the browser tests drive it.
# Installed where apt-get is available (as root, or through sudo); elsewhere those steps say
# so and are skipped.
browser:  ## install Debian's chromium if it is missing and apt-get is available
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "installing Debian's chromium (sudo apt-get)"; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: no chromium and no way to install it here: static images and browser tests will be skipped"; fi

# rekit's own bytecode, written explicitly: where PYTHONDONTWRITEBYTECODE is set (as in CI), Python
# would otherwise compile the kit's modules from source in every process and every kernel.
pyc: env
	@$(BIN)/python -m compileall -q rekit >/dev/null

# Lint and types run first and stop `make test` at the first finding (ruff ~0.3 s; mypy ~4 s with
# its cache in .venv/.mypy_cache, 20-50 s cold). Configured in pyproject.toml ([tool.ruff], [tool.mypy]).
lint: env  ## ruff over the code, tests, benchmarks and tools, and (nbqa) over the notebooks
	@echo "lint: ruff check rekit tests benchmarks tools; nbqa ruff notebooks"
	@$(BIN)/ruff check --quiet --output-format concise rekit tests benchmarks tools || { echo "lint: ruff found the problems above (make lint)"; exit 1; }
	@$(BIN)/nbqa ruff notebooks --quiet --output-format concise || { echo "lint: ruff found the problems above in the notebooks (make lint)"; exit 1; }

types: env  ## mypy over rekit/
	@echo "types: mypy rekit"
	@$(BIN)/mypy || { echo "types: mypy found the errors above (make types)"; exit 1; }

# pytest runs on the machine's cores (pytest-xdist: one worker a core, at most 4), a test file to a
# worker (--dist loadfile: a notebook's cells stay in one kernel, a module's fixtures are built
# once). On these 2-core machines that halves the wall time; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
test: env lint types browser pyc  ## lint, type-check, then run every test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile

reports: env browser pyc  ## build every report into reports/ (with chromium for the landing page's thumbnails)
	$(BIN)/rekit reports

# The documentation site: the notebooks are executed during the build (a cell that raises fails it,
# naming the notebook; -T prints the cell and its error); the pages generated from the data, the
# model and the command line are written by docs/generate.py first. Opens from file://
# (docs/_build/html/index.html).
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,docs]'
	@touch $@

docs: $(DOCS_STAMP) pyc  ## build the documentation site into docs/_build/html/ (runs the notebooks)
	$(BIN)/python -m sphinx -T -q -b html docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

# Run after changing pyproject.toml's dependencies, or to move to newer versions on purpose; then
# run `make test` and commit requirements.lock with what changed.
lock:  ## refresh requirements.lock from a clean environment built from pyproject.toml
	$(PYTHON) tools/lock.py --python $(PYTHON)

data-check: env  ## validate the bundled data
	$(BIN)/rekit data check

clean:  ## remove the environment and caches (keeps reports/)
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build docs/_generated

# Your own notebooks live in $(WORKSPACE)/ (git ignores it), never in notebooks/: nothing saved there
# enters `rekit reports`, nbval or `rekit notebooks check`. On the first run the kit's notebooks are
# copied into $(WORKSPACE)/kit/ (one click away in JupyterLab's file browser); a copy you have edited
# is never overwritten (delete it to get the kit's version back).
WORKSPACE ?= workspace
workspace:  ## create $(WORKSPACE)/ with copies of the kit's notebooks in kit/ (existing files kept)
	@mkdir -p $(WORKSPACE)/kit/teaching
	@for f in notebooks/*.ipynb notebooks/teaching/*.ipynb; do d=$(WORKSPACE)/kit/$${f#notebooks/}; [ -e "$$d" ] || cp "$$f" "$$d"; done
	@echo "workspace: $(WORKSPACE)/, the kit's notebooks in $(WORKSPACE)/kit/ (copied once; your edits are kept)"

lab: env workspace  ## open JupyterLab in workspace/ (git-ignored), the kit's notebooks copied into workspace/kit/
	$(BIN)/jupyter lab --notebook-dir=$(WORKSPACE) --ServerApp.ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(WORKSPACE)/kit/explorer.ipynb

PORT ?= 8866
app: env  ## run the deal explorer as a web app (Voilà) on 127.0.0.1:8866 until Ctrl-C (another port: make app PORT=N)
	$(BIN)/rekit explore --serve --port $(PORT)
