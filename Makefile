# The two commands: `make run` serves the app, `make test` runs the whole suite.
# Both set themselves up (virtualenv, dependencies, database) on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
MANAGE := $(BIN)/python manage.py
HONCHO ?= $(BIN)/honcho

.DEFAULT_GOAL := help
.PHONY: help install install-dev chromium run serve test lint check bench schema screenshots clean backup restore

help:  ## List the targets (PORT=… and HOST=… change the addresses shown)
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/\$$(HOST)/$(HOST)/g' -e 's/\$$(PORT)/$(PORT)/g' \
	  | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.deps

install: $(VENV)/.deps  ## Create .venv and install the runtime dependencies

install-dev: $(VENV)/.dev-deps  ## Also install the test and lint tools

run: export DEBUG ?= true
run: export SERVER_BASE_URL ?= http://localhost:$(PORT)
run: export CELERY_BROKER_URL ?= filesystem://localhost/
run: install  ## Migrate, create the demo admin, serve on http://localhost:$(PORT) with a worker and beat (Procfile)
	@case "$$DEBUG" in [Tt]rue|1|[Yy]es|on) ;; *) $(MANAGE) collectstatic --noinput -v0 ;; esac
	@$(MANAGE) migrate --noinput -v0
	@seeded="$$($(MANAGE) create_demo_admin 2>&1; $(MANAGE) seed_events --if-empty 2>&1)"; \
	  echo "Serving on http://localhost:$(PORT)/  (admin: /admin/, API docs: /docs), with a worker and beat"; \
	  echo "$$seeded" | grep -v -e '^$$' -e 'nothing seeded' | sed 's/^/  /'
	@HOST=$(HOST) VENV_BIN=$(BIN) $(HONCHO) -f Procfile start -p $(PORT)

serve: install  ## Production-like: collectstatic, migrate, gunicorn on $(HOST):$(PORT) (needs SECRET_KEY or DEBUG=true)
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) migrate --noinput
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) event_manager.wsgi:application

# The browser tests (tests/browser) drive Debian's chromium; installed with apt-get when
# missing (as root), else `make test` stops saying how to get it. Never skipped.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium:  ## Install Debian's chromium for the browser tests when missing (apt-get, as root)
	@test -x "$(CHROMIUM)" || { \
	  echo "Installing chromium for the browser tests (apt-get install chromium)..."; \
	  command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	    && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	    && test -x "$(CHROMIUM)"; \
	} || { \
	  echo "The browser tests need chromium at $(CHROMIUM). Install it as root with" >&2; \
	  echo "  apt-get update && apt-get install -y chromium" >&2; \
	  echo "or point CHROMIUM=/path/to/chromium at a Chromium binary." >&2; \
	  exit 1; \
	}

test: install-dev chromium  ## Run the whole test suite (DATABASE_URL picks the database)
	$(BIN)/python -m pytest --cov=core --cov=audit --cov=notifications --cov=users --cov=events --cov=portal --cov=event_manager --cov-report=term:skip-covered $(PYTEST_ARGS)

screenshots: install-dev chromium  ## Rewrite the README's screenshots (docs/screenshots/) from the browser tests
	PORTAL_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser -q -p no:cacheprovider

lint: install-dev  ## ruff (check and format) and the import contracts (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check: install-dev  ## Django system checks and the migrations check
	SECRET_KEY=check-only $(MANAGE) check
	SECRET_KEY=check-only $(MANAGE) makemigrations --check --dry-run

bench: install-dev  ## Load-test the service under gunicorn (WSGI and ASGI); writes docs/benchmarks.md
	@case "$(BENCH_ARGS)" in *--instrumentation-only*) ;; *) command -v wrk >/dev/null || { echo "make bench needs wrk: sudo apt-get update && sudo apt-get install -y wrk"; exit 2; } ;; esac
	$(BIN)/python -m bench $(BENCH_ARGS)

schema: install  ## Regenerate docs/openapi.json, the reviewed snapshot of the API schema
	SECRET_KEY=schema-only $(MANAGE) spectacular --format openapi-json --file docs/openapi.json

# Neither command signs anything: a placeholder key lets them run where SECRET_KEY is unset.
backup: install  ## Back up the database (DATABASE_URL) into backups/, or OUTPUT=file; prints the file
	SECRET_KEY="$${SECRET_KEY:-backup-only}" $(MANAGE) backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore: install  ## Replace the database's content with FILE=… (made by make backup; asks first), then migrate
	@test -n "$(FILE)" || { echo 'Usage: make restore FILE=backups/event_manager-<time>.dump (or .sqlite3)' >&2; exit 2; }
	SECRET_KEY="$${SECRET_KEY:-backup-only}" $(MANAGE) restore "$(FILE)"
	SECRET_KEY="$${SECRET_KEY:-backup-only}" $(MANAGE) migrate --noinput

clean:  ## Remove the virtualenv, the SQLite database and collected static files
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .coverage htmlcov
