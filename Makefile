# trdclinic: every task starts here. Each target sets up what it needs on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The staging engines compiled with mypyc (trdclinic/compiled_engines.py), stamped with a hash of
# their sources: a stale build is never used, and this target rebuilds it.
ENGINES := .engines/source-hash
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run serve test check fix lock bench clean-db clean-engines backup restore

help:
	@echo "make run    set everything up (venv, database, migrations, demo clinic) and serve on $(HOST):$(PORT)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make check  ruff (format and lint), migrations check, Django checks, mypy, app layering"
	@echo "            (import-linter, docs/adr/0005), staging/ coverage,"
	@echo "            bandit, pip-audit of requirements.lock (docs/security.md)"
	@echo "make fix    apply ruff's formatting and safe fixes"
	@echo "make lock   re-pin requirements.lock from pyproject.toml"
	@echo "make bench  build a synthetic clinic in a separate database and print the performance figures"
	@echo "make backup dump the database in use to backups/trdclinic-<UTC time>.dump"
	@echo "make restore FILE=backups/....dump [DATABASE=name] [FORCE=1]  restore a backup (docs/backup.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the pinned requirements change.
$(INSTALLED): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(INSTALLED)

install: $(INSTALLED)

$(ENGINES): $(INSTALLED) $(wildcard staging/*.py staging/*.json)
	$(BIN)/python -c "from trdclinic import compiled_engines; compiled_engines.main()"

run: $(ENGINES)
	TRDCLINIC_MODE=local $(MANAGE) migrate --no-input
	TRDCLINIC_MODE=local $(MANAGE) demo
	TRDCLINIC_MODE=local $(MANAGE) runserver $(HOST):$(PORT)

test: $(ENGINES)
	$(BIN)/pytest $(PYTEST_ARGS)

check: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	TRDCLINIC_MODE=test $(MANAGE) makemigrations --check --dry-run
	TRDCLINIC_MODE=test $(MANAGE) check
	TRDCLINIC_MODE=test $(BIN)/mypy trdclinic records pseudoresistance staging bench cohort
	$(BIN)/lint-imports --no-cache
	TRDCLINIC_PURE_ENGINES=1 $(BIN)/pytest -q -p no:cacheprovider tests/unit/staging --cov=staging --cov-branch \
		--cov-fail-under=100 --cov-report=term-missing:skip-covered
	$(BIN)/bandit -q -r trdclinic records pseudoresistance staging bench cohort \
		--severity-level medium
	$(BIN)/python .ci/audit_dependencies.py requirements.lock

fix: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Pins every runtime and development dependency, resolved from pyproject.toml in a scratch venv.
lock: | $(BIN)/python
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude trdclinic > requirements.lock
	rm -rf .lock-venv build trdclinic.egg-info

# Prints the figures of issue 9 (takes a few minutes); BENCH_ARGS="--patients 10000" for the full size.
bench: $(ENGINES)
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Backups of the database in use (embedded or DATABASE_URL's); docs/backup.md.
backup: $(INSTALLED)
	TRDCLINIC_MODE=$${TRDCLINIC_MODE:-local} $(MANAGE) backup

restore: $(INSTALLED)
	@test -n "$(FILE)" || { echo "Name the backup: make restore FILE=backups/trdclinic-....dump"; exit 2; }
	TRDCLINIC_MODE=$${TRDCLINIC_MODE:-local} $(MANAGE) restore "$(FILE)" \
		$(if $(DATABASE),--database "$(DATABASE)") $(if $(filter 1,$(FORCE)),--force)

clean-db:
	rm -rf .pgdata

clean-engines:
	rm -rf .engines .engines.new
