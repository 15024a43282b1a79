# TokenUI. Two commands matter: `make run` (the dashboard) and `make test` (the whole suite).
# Everything installs into .venv from the committed uv.lock, so a laptop, CI and a server agree.
# `make run` installs only what the dashboard needs; test, lint, bench and audit add the dev
# group (pytest, playwright, hypothesis, ruff, pip-audit). Each has its own stamp file.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell bin/find-python)
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/uv/bin/uv
PORT ?= 8000
# The embedded WHM simulator's port (WHM_SIMULATOR_PORT); empty: .env's, or 2087.
SIMULATOR_PORT ?=
# Its cPanel's port (CPANEL_PORT); empty: .env's, or four below the simulator's (2083 beside 2087).
CPANEL_PORT ?=
# OIDC=1: a local OpenID provider beside the simulator, to try single sign-on (needs the dev group).
OIDC ?=

# uv must never fetch an interpreter of its own: it uses the one found above.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test lint format audit lock clean check-python bench load

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

check-python:
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.12 found (see above); set PYTHON=" >&2; exit 1; }

$(UV): | check-python
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv==$(UV_VERSION)

# Everything, dev group included: the tests, linters and benchmarks.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# The dashboard's own dependencies only. --inexact: a dev group already installed stays (an
# exact sync would remove it behind `make test`'s stamp).
$(VENV)/.synced-app: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --no-dev --inexact --python $(PYTHON)
	@touch $@

.env: | $(VENV)/.synced-app
	@sed "s|^SECRET_KEY=.*|SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')|" \
		.env.example > .env
	@echo "Created .env from .env.example with a fresh SECRET_KEY."

run: $(if $(OIDC),$(VENV)/.synced,$(VENV)/.synced-app) .env ## Serve the dashboard on http://127.0.0.1:8000 (PORT=8001 moves it, SIMULATOR_PORT=2088 the simulator, its cPanel with it; OIDC=1 a local OpenID provider)
	$(PY) manage.py migrate --no-input
	$(if $(SIMULATOR_PORT),WHM_SIMULATOR_PORT=$(SIMULATOR_PORT) )$(if $(CPANEL_PORT),CPANEL_PORT=$(CPANEL_PORT) )$(if $(OIDC),TOKENUI_DEMO_OIDC=1 )$(PY) manage.py rundashboard --port $(PORT)

# The suite runs on every core (pytest-xdist; TEST_WORKERS=1 runs it in one process). --dist load
# hands the tests out in collection order, which keeps the browser tests last in each worker
# (tests/conftest.py says why).
TEST_WORKERS ?= auto

test: $(VENV)/.synced ## Lint, then run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

bench: $(VENV)/.synced ## Benchmarks: write bench/report.md and bench/results.json
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.fleet
	$(PY) -m bench.inventory $(INVENTORY_ARGS)
	$(PY) -m bench.all_servers $(ALL_SERVERS_ARGS)
	$(PY) -m bench.notices

load: $(VENV)/.synced ## Load/soak: 50 users for 60 s; write bench/load-report.md
	$(PY) -m bench.load $(LOAD_ARGS)

lint: $(VENV)/.synced ## Lint and check formatting
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.synced ## Fix what ruff can and format the code
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# pip-audit on every package in uv.lock, dev group included (it runs on laptops and in CI, beside
# the code and its secrets), at exactly the locked versions. Markers are cut so that the answer does
# not depend on the machine asking: pip-audit skips lines whose marker it does not match. --strict:
# a package it cannot look up fails the run instead of passing unaudited. Needs the network (PyPI's
# JSON API), so `make test` never runs it. AUDIT_ARGS adds options, e.g. "--ignore-vuln ID".
audit: $(VENV)/.synced ## Check every locked package for known vulnerabilities (asks PyPI)
	@set -eo pipefail; requirements=$$(mktemp); trap 'rm -f "$$requirements"' EXIT; \
	$(UV) export --frozen --all-groups --no-emit-project --no-hashes --no-header --no-annotate \
		--format requirements.txt | sed 's/ *;.*//' > "$$requirements"; \
	echo "pip-audit: $$(wc -l < "$$requirements") locked packages"; \
	$(PY) -m pip_audit --requirement "$$requirements" --no-deps --disable-pip --strict \
		--progress-spinner off $(AUDIT_ARGS)

lock: | $(UV) ## Re-resolve uv.lock after editing pyproject.toml
	$(UV) lock --python $(PYTHON)

clean: ## Remove the virtualenv, tools and local state (var/)
	rm -rf $(VENV) .tools var .pytest_cache .ruff_cache
