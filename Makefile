# Orchestrated Campaigns: `make demo` runs the platform with demo data; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_CUSTOMERS ?= 10000
PYTEST_ARGS ?=

.PHONY: demo test serve setup lint bench messages clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py createcachetable

## Everything a newcomer needs: install, migrate, demo data, then web server + job cluster (Ctrl-C stops both).
demo: setup
	DEBUG=true $(PY) manage.py demo_setup --customers $(DEMO_CUSTOMERS)
	DEBUG=true $(PY) manage.py run_platform --host $(HOST) --port $(PORT)

## The whole test suite; set DATABASE_URL=postgres://... to run it on PostgreSQL.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

serve: setup
	DEBUG=true $(PY) manage.py run_platform --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## Refresh the translation catalogs and compile them (commit both .po and .mo).
messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages -l zh_Hant -l en --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*'
	DEBUG=true $(PY) manage.py makemessages -d djangojs -l zh_Hant -l en --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*' --ignore 'static/vendor/*' --ignore 'test-artifacts/*'
	DEBUG=true $(PY) manage.py compilemessages --ignore '.venv/*'

bench: $(STAMP)
	@echo "see bench/README.md for each benchmark's command"

clean:
	rm -rf var/test-*.sqlite3* .pytest_cache
