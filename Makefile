# hostpanel: `make run` starts the panel with demo data, `make test` runs every test.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help run test test-sqlite test-postgres deps uv lint bench docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --break-system-packages uv

run: uv ## Run the panel on SQLite with demo data at http://127.0.0.1:8000
	$(UV) run --locked panel serve --demo

deps: ## Install the Debian packages the tests use (PostgreSQL, Chromium)
	@scripts/system-deps.sh

test: uv deps ## Run the whole suite on SQLite, then on PostgreSQL
	$(UV) sync --locked --all-packages
	scripts/run-tests.sh $(PYTEST_ARGS)

test-sqlite: uv ## Only the SQLite run (core's tests, then the plugins')
	PANEL_TEST_DATABASE=sqlite $(UV) run --locked pytest tests $(PYTEST_ARGS)
	PANEL_TEST_DATABASE=sqlite $(UV) run --locked pytest plugins $(PYTEST_ARGS)

lint: uv ## ruff and mypy
	$(UV) run --locked ruff check src plugins tests bench
	$(UV) run --locked ruff format --check src plugins tests bench
	$(UV) run --locked mypy src plugins/wordpress/src plugins/partner_console/src

bench: uv ## Benchmarks: rules engine, clients list, renewals, client-area pages, WordPress bulk updates (ratios to targets)
	$(UV) run --locked python bench/authz.py
	$(UV) run --locked python bench/clients_list.py
	$(UV) run --locked python bench/renewals.py
	$(UV) run --locked python bench/client_area.py
	$(UV) run --locked python bench/wordpress_updates.py

docs: ## Where the docs are
	@ls docs

clean:
	rm -rf .pytest_cache .ruff_cache .mypy_cache data/test-*
