# Two entry points (see README): `make lab` runs JupyterLab with orcheo; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
LAB_IP ?= 127.0.0.1
export ORCHEO_DATA_DIR ?= $(CURDIR)/.orcheo-data

.PHONY: lab test install lint typecheck pytest schema bench clean bundles chromium services

# The canvas bundles (anywidget ESM + prebuilt lab extension): `pip install` builds them
# through hatch-jupyter-builder; this rule rebuilds them when the TypeScript changes and
# points the venv's lab extension at the build output.
BUNDLE := labextension/package.json
CANVAS_SOURCES := $(shell find src style scripts -type f 2>/dev/null) package.json package-lock.json tsconfig.json
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/orcheo-jupyter

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# node_modules exactly as the committed lock says (the build, ESLint, Prettier, vitest).
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(BUNDLE): $(STAMP) $(NPM_STAMP) $(CANVAS_SOURCES)
	npm run build --silent
	@if [ ! -L $(LABEXT_LINK) ]; then rm -rf $(LABEXT_LINK); ln -s $(CURDIR)/labextension $(LABEXT_LINK); fi
	touch $(BUNDLE)

bundles: $(BUNDLE)

# Postgres and Redis tests start Debian's servers themselves (tests/services.py); this
# only installs the packages when missing. If apt cannot, those tests skip loudly.
services:
	@{ ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			postgresql redis-server >/dev/null; } || \
		echo "WARNING: could not install postgresql/redis-server; their tests will be skipped"

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The URL jupyter prints is its default_url (a file argument only steers a browser it opens).
lab: install bundles
	$(BIN)/jupyter lab --allow-root --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR)/notebooks --LabApp.default_url=/lab/tree/quickstart.ipynb

# Python and TypeScript: ruff, then ESLint + Prettier and the canvas unit tests (vitest).
lint: install $(NPM_STAMP)
	$(BIN)/ruff check orcheo_jupyter tests benchmarks
	$(BIN)/ruff format --check orcheo_jupyter tests benchmarks
	npm run lint --silent
	npm test --silent

typecheck: install
	$(BIN)/mypy

# One worker per core (two at least, eight at most): each worker's tests keep about a
# core busy with servers, browsers and subprocesses; a third worker on two cores made
# the run no faster and the load-sensitive tests flaky.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 2 ? 2 : n > 8 ? 8 : n )))
pytest: install bundles chromium services
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

schema: install
	$(BIN)/python -m orcheo_jupyter schema --write schema/workflow.schema.json
	$(BIN)/python -m orcheo_jupyter schema --edits --write schema/edits.schema.json
	npm run gen:types

bench: install
	$(BIN)/python benchmarks/runtime.py

clean:
	rm -rf $(VENV) .orcheo-data .pytest_cache .mypy_cache .ruff_cache
