# Two commands for a fresh machine: `make run` (demo on http://127.0.0.1:8000) and `make test`
# (lint, migrations check, a fast SQLite pass, then the whole suite on throwaway PostgreSQL and
# Redis servers started by tests/services.py).

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Playwright drives Debian's Chromium (/usr/bin/chromium): never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# DEBUG is off unless set (production mode); every target here is development: demo, lint, tests.
export DEBUG ?= true

.PHONY: run test lint messages services-test fast-test clean

# (Re)install when the virtualenv is missing or pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

# Translations are compiled when there are any and gettext is installed.
messages: $(STAMP)
	@if ! find consultation frontend realtime -name '*.po' 2>/dev/null | grep -q .; then \
		true; \
	elif command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0; \
	else \
		echo "gettext (msgfmt) absent : traductions non compilées, l'interface reste en français."; \
	fi

run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Plateforme sur http://127.0.0.1:8000/ (Ctrl-C pour arrêter)"
	$(BIN)/daphne -b 127.0.0.1 -p 8000 consultation.asgi:application

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# SQLite and the in-memory channel layer: everything that needs no server.
fast-test: $(STAMP) messages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q -m "not postgres and not redis and not e2e"

# The whole suite, postgres, redis and e2e tests included, on private servers.
services-test: $(STAMP) messages
	$(BIN)/python -m tests.services -- $(BIN)/pytest -q

test: lint fast-test services-test

clean:
	rm -rf $(VENV) staticfiles
