# The two commands: `make run` (serve the demo) and `make test` (the whole suite).
# Every step skips what is already there, so re-runs are quick.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The local cluster unless the environment names a database.
LOCAL_DB := $(if $(DATABASE_URL),,db)

.PHONY: run test bench loadtest stop setup system db assets lint backup

system:
	@bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

assets:
	@bash scripts/vendor-assets.sh

db:
	@bash scripts/localdb.sh start

stop:
	@bash scripts/localdb.sh stop

setup: system $(VENV)/.installed assets $(LOCAL_DB)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py compilemessages -v 0 --ignore '.venv/*' --ignore 'node_modules/*'
	@$(PY) manage.py collectstatic --noinput -v 0

# Ctrl-C stops what this started: the web server, the worker, and the local
# database if it was not already running.
run:
	@if [ -z "$$DATABASE_URL" ] && ! bash scripts/localdb.sh status 2>/dev/null; then stop_db=1; fi; \
	$(MAKE) --no-print-directory setup && $(PY) manage.py load_demo --reports 300 --basemap && STOP_DB=$$stop_db bash scripts/serve.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# Tests run over plain HTTP on loopback: no HTTPS redirect.
test: lint
	HTTPS=0 $(VENV)/bin/pytest -n 2 --dist loadfile --durations=25

bench: setup
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
	@HTTPS=0 $(PY) -m bench.run

# A few minutes of simulated citizens, officers and warning pollers against the production set-up
# (scripts/serve.sh) on its own database; then every accepted report is checked (bench/loadtest.py).
# LOADTEST_SECONDS and LOADTEST_USERS change its length and size.
loadtest: setup
	@HTTPS=0 $(PY) -m bench.loadtest

# The database and the stored files it names, into one folder under BACKUP_DIR (.var/backups); restore
# with scripts/restore.sh (README: Backup and restore).
backup: $(VENV)/.installed $(LOCAL_DB)
	@$(PY) manage.py backup
