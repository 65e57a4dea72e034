# The README's commands. Everything installs into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# XStatic-Bootstrap's source package imports pkg_resources at build time (see constraints-build.txt).
PIP := PIP_CONSTRAINT=constraints-build.txt $(BIN)/pip install --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev vnu run migrate seed test lint format worker beat bench loadtest clean

help:
	@echo "make run     install, migrate the SQLite default, load demo data, serve http://$(HOST):$(PORT)"
	@echo "make test    install and run the whole test suite"
	@echo "make lint    ruff check, ruff format --check, import layers, makemigrations --check"
	@echo "make worker  Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat    Celery beat: the daily reminder sweep at 08:00 Europe/London"
	@echo "make bench   page and task benchmarks at scales 0, 30, 100, one JSON line each, then the verdict"
	@echo "             (BENCH_ARGS=\"--scales 0,30 --repeats 25\")"
	@echo "make loadtest  gunicorn + wrk on PostgreSQL (DATABASE_URL, default .../qms_load: rebuilt), the verdict"
	@echo "             (LOADTEST_ARGS=\"--duration 10 --reuse\")"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt constraints-build.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt constraints-build.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

# The Nu HTML checker (npm's vnu-jar, pinned in package-lock.json) for the HTML validity tests; they
# run it with the machine's Java. Scripts off: its postinstall would download a Java. Without npm,
# `make install-dev` leaves it out and the tests skip the check (CI installs npm and fails instead).
NPM ?= npm
VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

vnu: $(VNU_JAR)

install-dev: $(VENV)/.installed-dev $(if $(shell command -v $(NPM) 2>/dev/null),$(VNU_JAR))

# `make run` is for a developer's machine: debug on (demo logins work) unless told otherwise.
run: export DJANGO_DEBUG ?= 1
# The feedback links and QR posters print the address the app is served at, unless told another
# (QMS_SITE_URL: the address phones reach, e.g. make run HOST=0.0.0.0 QMS_SITE_URL=http://10.1.2.3:8000).
run: export QMS_SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

migrate: install
	$(BIN)/python manage.py migrate --noinput

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	env -u DJANGO_DEBUG -u DJANGO_SECRET_KEY $(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	@test -n "$$CELERY_BROKER_URL" || (echo "Set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0" && exit 1)
	$(BIN)/celery -A qms_site worker --loglevel=INFO

beat: install
	@test -n "$$CELERY_BROKER_URL" || (echo "Set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0" && exit 1)
	$(BIN)/celery -A qms_site beat --loglevel=INFO --schedule=/tmp/qms-celerybeat-schedule

bench: install-dev
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=bench-only $(BIN)/python manage.py bench $(BENCH_ARGS)

# PostgreSQL only: its database is dropped and rebuilt (seed_demo --scale 30) unless LOADTEST_ARGS has
# --reuse, so its name must end in _load. Needs wrk (Debian: apt-get install wrk).
loadtest: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qms_load
loadtest: install
	$(BIN)/python manage.py loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
