PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# `make run PORT=8001` serves on another port (the demo webhook follows it).
PORT ?= 8000
# `make run DEMO_LANGUAGE=es` seeds the demo data in Spanish (on a fresh database); empty: the
# project's LANGUAGE_CODE. Not LANGUAGE: gettext's environment variable, often set by the desktop.
DEMO_LANGUAGE ?=

.PHONY: run test lint format migrate messages smoke prune bench clean

$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

# Translations are compiled at setup, so neither `make run` nor `make test` needs an extra step.
messages: $(STAMP)
	@if [ -d locale ]; then $(BIN)/python manage.py compilemessages --ignore=$(VENV) -v 0; fi

migrate: messages
	$(BIN)/python manage.py migrate --noinput

# The embedded default: SQLite, django-q2's ORM broker, the web server and one qcluster.
run: migrate
	$(BIN)/python manage.py seed_demo --port $(PORT) $(if $(DEMO_LANGUAGE),--language $(DEMO_LANGUAGE))
	$(BIN)/python manage.py run_all 127.0.0.1:$(PORT)

test: messages
	$(BIN)/pytest $(PYTEST_ARGS)

# Production smoke test: gunicorn + two qclusters on PostgreSQL and Redis (docs/production.md).
smoke: $(STAMP)
	bash .ci/smoke.sh

# Benchmarks (docs/performance.md): SQLite + ORM broker, or PostgreSQL/Redis with DATABASE_URL/REDIS_URL.
bench: messages
	$(BIN)/python -m bench

prune: $(STAMP)
	$(BIN)/python manage.py prune_logs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
