# README's two commands: `make run` (the whole app, embedded setup) and `make test` (every test);
# `make flask ARGS="..."` runs a command by hand with `make run`'s settings.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
# The suite runs in this many processes (pytest-xdist). Each starts with its share of the tests
# in file order and, once done, takes half of what another has left (worksteal): the slow
# stories (processes started and stopped, servers restarted) no longer hold one process while
# the other idles. A module's data set is seeded once per process that runs some of its tests.
# Three on the embedded setup: a process often waits (a worker process starting, a server
# restarting, a story's pause) and a third keeps both cores busy meanwhile. Two on a Redis
# server, where each process takes a db of its own (TEST_REDIS_URL's, then the next).
TEST_WORKERS ?= $(if $(TEST_REDIS_URL),2,3)

# The Python extras installed with the app: the container image builds with EXTRAS= (none).
EXTRAS ?= test

.PHONY: install build translations run flask test lint bench bench-load messages

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.$(if $(EXTRAS),[$(EXTRAS)])'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) build

# The one build step, on a server and in the image alike: the npm packages' files copied into
# intake/static/vendor/ (served from there, never from node_modules), the catalogues
# compiled (.mo), and the app's modules compiled to bytecode (__pycache__/), so that no process
# compiles them again where PYTHONDONTWRITEBYTECODE is set or the code is read-only. All are
# build outputs, kept out of git.
build: $(STAMP)
	$(BIN)/python scripts/build-assets
	$(BIN)/pybabel compile --statistics -d intake/translations
	$(BIN)/python -m compileall -q intake migrations wsgi.py gunicorn.conf.py

translations: build

run: install
	PORT=$(PORT) scripts/run-dev

# A command by hand with `make run`'s settings (scripts/dev-env): make flask ARGS="reminders sweep"
flask: install
	@PORT=$(PORT) scripts/dev-env $(BIN)/flask --app wsgi $(ARGS)

# The linter first: a style or import problem fails as fast as a test.
test: install lint
	scripts/ensure-chromium
	scripts/ensure-dovecot
	@# Bytecode kept (__pycache__/, out of git) even where PYTHONDONTWRITEBYTECODE is set: else
	@# each test process, and each app process a test starts, compiles the code again (a
	@# quarter of the suite's CPU time).
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest --numprocesses=$(TEST_WORKERS) \
	  --dist=worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/intake_steps.py
	$(BIN)/python bench/reminder_sweep.py
	$(BIN)/python bench/email_throughput.py
	$(BIN)/python bench/email_dispatcher.py
	$(BIN)/python bench/triage_queue.py
	$(BIN)/python bench/register_page.py
	$(BIN)/python bench/limiter_overhead.py
	$(BIN)/python bench/db_pool_ping.py
	$(BIN)/python bench/floor_ratio.py
	$(BIN)/python bench/archive_import.py
	scripts/ensure-dovecot
	$(BIN)/python bench/inbound_ingest.py

# The load on gunicorn + PostgreSQL + Redis + a worker (about 15 minutes; LOAD_ARGS for a
# short run: LOAD_ARGS="--users 20 --seconds 20 --burst 100").
bench-load: install
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/load_mixed.py $(LOAD_ARGS)

# After changing user-facing text: refresh the catalogues, then translate the new entries.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs='.venv node_modules' -o intake/translations/messages.pot .
	$(BIN)/pybabel update -i intake/translations/messages.pot -d intake/translations --no-fuzzy-matching
