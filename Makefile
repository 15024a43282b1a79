# TokenUI. Two commands matter: `make run` (the dashboard) and `make test` (the whole suite).
# Everything installs into .venv from the committed uv.lock, so a laptop, CI and a server agree.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell bin/find-python)
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/uv/bin/uv
PORT ?= 8000

# uv must never fetch an interpreter of its own: it uses the one found above.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test lint format lock clean check-python bench load

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

check-python:
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.12 found (see above); set PYTHON=" >&2; exit 1; }

$(UV): | check-python
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

.env: | $(VENV)/.synced
	@sed "s|^SECRET_KEY=.*|SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')|" \
		.env.example > .env
	@echo "Created .env from .env.example with a fresh SECRET_KEY."

run: $(VENV)/.synced .env ## Serve the dashboard on http://127.0.0.1:$(PORT) (PORT= overrides)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py rundashboard --port $(PORT)

test: $(VENV)/.synced ## Lint, then run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.synced ## Benchmarks (issue 5): write bench/report.md and bench/results.json
	$(PY) -m bench.run $(BENCH_ARGS)

load: $(VENV)/.synced ## Load/soak: 50 users for 60 s; write bench/load-report.md
	$(PY) -m bench.load $(LOAD_ARGS)

lint: $(VENV)/.synced ## Lint and check formatting
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.synced ## Fix what ruff can and format the code
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

lock: | $(UV) ## Re-resolve uv.lock after editing pyproject.toml
	$(UV) lock --python $(PYTHON)

clean: ## Remove the virtualenv, tools and local state (var/)
	rm -rf $(VENV) .tools var .pytest_cache .ruff_cache
