# QuantDesk: `make up` sets up and runs the main job; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: up test lint unit bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "QuantDesk needs Python 3.11 (found $$($(PYTHON) --version)); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

up: $(VENV)/.installed  ## set up .venv and run the whole platform (API, worker, demo deployment) until Ctrl-C
	$(BIN)/quantdesk up

lint: $(VENV)/.installed-dev  ## ruff and the import-layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: $(VENV)/.installed-dev lint  ## set up .venv with the dev extras and run the whole suite
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev  ## run the benchmarks (figures go to benchmarks/README.md by hand)
	$(BIN)/python benchmarks/run_all.py

clean:  ## remove the virtualenv and local runtime state (keeps data/bundled)
	rm -rf $(VENV) .cache data/catalog data/quarantine data/*.db*
