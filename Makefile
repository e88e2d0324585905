# Chop: `make run` serves the demo, `make test` runs the whole suite (SQLite, then PostgreSQL when
# one answers on 127.0.0.1:5432). Both install what they need first.
SHELL := /bin/bash
UV := $(shell scripts/ensure-uv.sh)
RUN := $(UV) run --frozen
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The distribution's Python 3.11 (Debian's is built with PGO and LTO) rather than whatever comes
# first on PATH: a pyenv build without --enable-optimizations costs the app 10–30 % more CPU per
# request (bench/api.py). Where there is none, uv finds or fetches one as before.
ifneq ($(wildcard /usr/bin/python3.11),)
export UV_PYTHON ?= /usr/bin/python3.11
endif

.PHONY: setup setup-test run test test-fast test-sqlite test-postgres lint bench loadtest gallery messages clean

setup:
	@scripts/system-deps.sh run
	@$(UV) sync --frozen --quiet

setup-test:
	@scripts/system-deps.sh test
	@$(UV) sync --frozen --quiet

# CHOP_HOST/CHOP_PORT reach settings, so SITE_URL (links in messages, CRL/OCSP URLs in
# certificates, the banner) follows HOST and PORT unless SITE_URL is set.
run: export CHOP_HOST = $(HOST)
run: export CHOP_PORT = $(PORT)
run: setup
	@$(RUN) chop migrate --noinput
	@$(RUN) chop seed_demo
	@$(RUN) chop run_platform --host $(HOST) --port $(PORT)

test: setup-test lint test-sqlite test-postgres

# The suite without the browser tests (no chromium started), on SQLite: the quick loop while
# working. `make test` still runs everything.
test-fast:
	@env -u DATABASE_URL $(RUN) pytest -m "not browser" $(PYTEST_ARGS)

test-sqlite:
	@echo "== tests on SQLite =="
	@env -u DATABASE_URL $(RUN) pytest $(PYTEST_ARGS)

test-postgres:
	@if $(RUN) python scripts/pg-reachable.py; then \
	  echo "== tests on PostgreSQL ($(PG_URL)) =="; \
	  DATABASE_URL=$(PG_URL) $(RUN) pytest $(PYTEST_ARGS); \
	else echo "== PostgreSQL not reachable on 127.0.0.1:5432: skipped =="; fi

# Every gate CI runs (make test runs lint first). mypy covers the engines and chop.errors (the
# packages are listed in pyproject's [tool.mypy]); makemigrations needs no database server.
lint:
	@$(RUN) ruff check src tests bench
	@$(RUN) ruff format --check src tests bench
	@$(RUN) mypy
	@DATABASE_URL=sqlite://:memory: $(RUN) chop makemigrations --check --dry-run
	@$(RUN) lint-imports

bench: setup
	@PYTHONPATH=. $(RUN) python -m bench

# PostgreSQL-backed Chop (2 gunicorn processes, 2 task workers) on loopback, driven through the
# API for LOADTEST_SECONDS (60), then 1/2/4 processes, then SIGKILLed workers; its own database
# <name>_loadtest_<pid> on PG_URL's server, dropped at the end. Figures: var/loadtest.json.
loadtest: setup
	@if $(RUN) python scripts/pg-reachable.py; then \
	  DATABASE_URL=$(PG_URL) PYTHONPATH=. $(RUN) python -m bench.loadtest; \
	else echo "make loadtest needs PostgreSQL on 127.0.0.1:5432 (PG_URL)"; exit 1; fi

gallery: setup
	@$(RUN) python -m chop.sealart gallery docs/gallery

messages:
	@RUN="$(RUN)" scripts/messages.sh

clean:
	rm -rf .venv var/test-* test-artifacts
