# The project's vocabulary. `make run` serves the app, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format migrations-check deploy-check worker beat clean screenshots checkworthiness-embedding

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-semantic.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# The check-worthiness scorer's static embedding model, which training reads
# (claims/extraction/distill.py): made in its own environment (PyTorch, CPU), never downloaded.
# The tests that retrain the shipped model use it, and skip, saying so, without it.
DISTILL_VENV := .venv-distill
EMBEDDING_DIR := .cache/checkworthiness-embedding
$(DISTILL_VENV)/.installed: requirements-distill.txt
	$(PYTHON) -m venv $(DISTILL_VENV)
	$(DISTILL_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-distill.txt
	touch $@

$(EMBEDDING_DIR)/model.safetensors: claims/extraction/distill.py | $(DISTILL_VENV)/.installed
	$(DISTILL_VENV)/bin/python -m claims.extraction.distill $(EMBEDDING_DIR)

checkworthiness-embedding: $(EMBEDDING_DIR)/model.safetensors

# Serve the app on the embedded default (SQLite, tasks in-process) unless
# DATABASE_URL / CELERY_BROKER_URL say otherwise. Debug is on unless you turn it off.
run: export DJANGO_DEBUG ?= 1
# The demo's monitored outlet is a feed this server serves itself (claims/static/claims/demo/).
run: export FACTCHECK_FETCH_TEST_HOSTS ?= $(HOST)
# In debug without SITE_URL, links made outside a request point at this port.
run: export PORT := $(PORT)
run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's pictures (docs/img/): the demo data on a throw-away SQLite database,
# served on a free port and photographed at 1366 x 768 with Playwright and /usr/bin/chromium.
screenshots: $(VENV)/.dev-installed
	$(BIN)/python -m tools.screenshots

# Renders the admin triage queue on an empty database and with 100,000 claims,
# then times ingestion of local HTML files against its extraction-only floor, and a round of
# polling 1,000 monitored feeds and sitemaps against fetching and parsing them alone;
# needs PostgreSQL (BENCH_DATABASE_URL, a database each benchmark may drop).
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.triage_queue $(BENCH_ARGS)
	$(BIN)/python -m bench.ingestion
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.check_import
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.matching
	$(BIN)/python -m bench.semantic
	$(BIN)/python -m bench.tiplines
	$(BIN)/python -m bench.monitoring

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: export DJANGO_DEBUG ?= 1
migrations-check: $(VENV)/.runtime-installed
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: $(VENV)/.runtime-installed
	$(BIN)/celery -A factcheck worker --loglevel=INFO

beat: $(VENV)/.runtime-installed
	$(BIN)/celery -A factcheck beat --loglevel=INFO

clean:
	rm -rf $(VENV) $(DISTILL_VENV) .cache .pytest_cache .ruff_cache staticfiles
