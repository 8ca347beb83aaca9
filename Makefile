# Two entry points (see README): `make lab` runs JupyterLab with orcheo; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
LAB_IP ?= 127.0.0.1
export ORCHEO_DATA_DIR ?= $(CURDIR)/.orcheo-data

.PHONY: lab test install lint typecheck pytest schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab --allow-root --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR)/notebooks notebooks/quickstart.ipynb

lint: install
	$(BIN)/ruff check orcheo_jupyter tests benchmarks
	$(BIN)/ruff format --check orcheo_jupyter tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck pytest

schema: install
	$(BIN)/python -m orcheo_jupyter schema --write schema/workflow.schema.json

bench: install
	$(BIN)/python benchmarks/runtime.py

clean:
	rm -rf $(VENV) .orcheo-data .pytest_cache .mypy_cache .ruff_cache
