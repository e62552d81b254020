# trdclinic: every task starts here. Each target sets up what it needs on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run serve test check fix lock bench clean-db

help:
	@echo "make run    set everything up (venv, database, migrations, demo clinic) and serve on $(HOST):$(PORT)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make check  ruff (format and lint), migrations check, Django checks, mypy, staging/ coverage"
	@echo "make fix    apply ruff's formatting and safe fixes"
	@echo "make lock   re-pin requirements.lock from pyproject.toml"
	@echo "make bench  build a synthetic clinic in a separate database and print the performance figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the pinned requirements change.
$(INSTALLED): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	TRDCLINIC_MODE=local $(MANAGE) migrate --no-input
	TRDCLINIC_MODE=local $(MANAGE) demo
	TRDCLINIC_MODE=local $(MANAGE) runserver $(HOST):$(PORT)

test: $(INSTALLED)
	$(BIN)/pytest $(PYTEST_ARGS)

check: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	TRDCLINIC_MODE=test $(MANAGE) makemigrations --check --dry-run
	TRDCLINIC_MODE=test $(MANAGE) check
	TRDCLINIC_MODE=test $(BIN)/mypy trdclinic records pseudoresistance staging bench
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/staging --cov=staging --cov-branch \
		--cov-fail-under=100 --cov-report=term-missing:skip-covered

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
bench: $(INSTALLED)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean-db:
	rm -rf .pgdata
