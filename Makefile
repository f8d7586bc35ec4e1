# opendata-sozial: `make serve` installs, publishes datapackages/ and serves; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install lint fmt test validate seed serve clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

lint: $(STAMP) ## ruff, mypy --strict, import-linter
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format and autofix
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

test: $(STAMP) ## Lint, then the whole test suite (SQLite and PostgreSQL)
	$(MAKE) lint
	$(BIN)/pytest

validate: $(STAMP) ## Validate every package in datapackages/
	$(BIN)/opendata-sozial validate datapackages

seed: $(STAMP) ## Rebuild datapackages/ from scripts/seed/ and ../shared/data
	$(BIN)/python scripts/build_seed_packages.py

serve: $(STAMP) ## Publish datapackages/ into the embedded database and serve it
	$(BIN)/opendata-sozial publish datapackages
	$(BIN)/opendata-sozial serve --host $(HOST) --port $(PORT)

clean: ## Remove the local database and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
