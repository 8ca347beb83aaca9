# Two entry points (see README): `make lab` runs JupyterLab with orcheo; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
LAB_IP ?= 127.0.0.1
export ORCHEO_DATA_DIR ?= $(CURDIR)/.orcheo-data

.PHONY: lab test install lint typecheck pytest schema bench clean services

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Postgres and Redis tests start Debian's servers themselves (tests/services.py); this
# only installs the packages when missing. If apt cannot, those tests skip loudly.
services:
	@{ ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			postgresql redis-server >/dev/null; } || \
		echo "WARNING: could not install postgresql/redis-server; their tests will be skipped"

lab: install
	$(BIN)/jupyter lab --allow-root --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR)/notebooks notebooks/quickstart.ipynb

lint: install
	$(BIN)/ruff check orcheo_jupyter tests benchmarks
	$(BIN)/ruff format --check orcheo_jupyter tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install services
	$(BIN)/python -m pytest

test: lint typecheck pytest

schema: install
	$(BIN)/python -m orcheo_jupyter schema --write schema/workflow.schema.json

bench: install
	$(BIN)/python benchmarks/runtime.py

clean:
	rm -rf $(VENV) .orcheo-data .pytest_cache .mypy_cache .ruff_cache
