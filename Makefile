# The two commands: `make run` (demo server on the embedded default) and `make test`.
# Embedded default = no DATABASE_URL / REDIS_URL: SQLite in var/mfme.sqlite3, Celery tasks run eagerly.
# The .mo files are committed, so neither `run` nor `test` needs gettext; only `messages` does.

PORT ?= 8000
PYTHON := .venv/bin/python
MANAGE := $(PYTHON) manage.py
# Use uv from PATH; on a machine without it, bootstrap it into .venv-tools (see the rule below).
UV := $(or $(shell command -v uv 2>/dev/null),.venv-tools/bin/uv)

# Fast tests only: PostgreSQL, Redis, browser and slow tests run in .ci/run.
TEST_MARKERS := not postgres and not redis and not browser and not slow

.PHONY: help run test lint migrations-check messages venv check-system

help:
	@echo "make run               create .venv, migrate, load the demo data, serve on 127.0.0.1:$(PORT)"
	@echo "make test              fast test suite on the embedded default (SQLite, eager Celery)"
	@echo "make lint              ruff check + ruff format --check"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make messages          extract and compile the ar/fr translations (needs gettext)"

run: venv check-system
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_indicator_catalog
	$(MANAGE) load_shariah_checklist
	PORT=$(PORT) $(MANAGE) load_demo > var/load_demo.log || { cat var/load_demo.log; exit 1; }
	$(MANAGE) load_shariah_demo
	@echo "Computing the indicators of every demo quarter (log: var/compute_indicators.log)..."
	$(MANAGE) compute_indicators --all --missing > var/compute_indicators.log 2>&1 \
		|| { tail -n 40 var/compute_indicators.log; exit 1; }
	@cat var/load_demo.log
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: venv
	$(PYTHON) -m pytest -n auto -m "$(TEST_MARKERS)"

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

migrations-check: venv
	$(MANAGE) makemigrations --check --dry-run

messages: venv
	$(MANAGE) makemessages -l ar -l fr --ignore=.venv --ignore=.venv-tools --ignore=var
	$(MANAGE) compilemessages --ignore=.venv --ignore=.venv-tools

# `uv sync --frozen` is a no-op in milliseconds when .venv already matches uv.lock, so it always runs.
venv: $(UV)
	$(UV) sync --frozen

.venv-tools/bin/uv:
	python3 -m venv .venv-tools
	.venv-tools/bin/pip install --quiet uv

# WeasyPrint needs Pango and HarfBuzz from the system: fail without them. The Arabic font only
# changes how Arabic PDFs look, so its absence is a warning.
check-system: venv
	@$(PYTHON) -c "import weasyprint" 2>/dev/null || { \
		echo "WeasyPrint cannot load its system libraries. Install them with:"; \
		echo "    apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; \
		exit 1; }
	@fc-list : family 2>/dev/null | grep -qi amiri || \
		echo "warning: no Arabic font (Amiri) found; for Arabic PDFs run: apt-get install fonts-hosny-amiri"
