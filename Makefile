# trdclinic: every task starts here. Each target sets up what it needs on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Runtime and development dependencies, each locked with hashes (make lock). make run needs only
# the runtime ones; the other targets install both.
RUNTIME_INSTALLED := $(VENV)/.installed-runtime
INSTALLED := $(VENV)/.installed
# The staging engines compiled with mypyc (trdclinic/compiled_engines.py), with the checklist's
# pure modules, stamped with a hash of their sources: a stale build is never used, and this
# target rebuilds it. make run does not wait for it (the interpreted engines give the same
# results); make test, make bench and a production install build it. The compiler's output
# goes to ENGINES_LOG.
ENGINES := .engines/source-hash
# The checklist's pure modules compiled with them (and what they read), issue 18.
CHECKLIST_SOURCES := $(addprefix pseudoresistance/,__init__.py checklist_data.py derived.py status.py)
ENGINES_LOG := .engines.log
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Test workers: one per core (pytest-xdist), each with its own test database and browser; an idle
# worker takes queued tests from a busy one (worksteal), so one slow file does not leave a core idle.
TEST_WORKERS ?= auto

.PHONY: help install install-production engines run test check fix lock compress-static bench \
	clean-db clean-engines backup restore

help:
	@echo "make run    set everything up (venv, database, migrations, demo clinic) and serve on $(HOST):$(PORT)"
	@echo "make test   set everything up and run the whole test suite (TEST_WORKERS=$(TEST_WORKERS) processes)"
	@echo "make check  ruff (format and lint), migrations check, Django checks, mypy, app layering"
	@echo "            (import-linter, docs/adr/0005), staging/ coverage,"
	@echo "            bandit, pip-audit of both lock files (docs/security.md)"
	@echo "make fix    apply ruff's formatting and safe fixes"
	@echo "make lock   re-pin requirements.lock (runtime) and requirements-dev.lock, with hashes"
	@echo "make install-production  runtime dependencies only, and the compiled engines"
	@echo "make bench  build a synthetic clinic in a separate database and print the performance figures"
	@echo "            (needs wrk: apt-get install wrk)"
	@echo "make backup dump the database in use to backups/trdclinic-<UTC time>.dump"
	@echo "make restore FILE=backups/....dump [DATABASE=name] [FORCE=1]  restore a backup (docs/backup.md)"

# Byte-compiles the virtualenv's packages; COMPILE_BEHIND does it in the background at the lowest
# priority, quiet and harmless if stopped (each .pyc is written whole, a missing one is compiled
# at import).
COMPILE := $(BIN)/python -m compileall -q -j 0 \
	$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_path('purelib'))")
COMPILE_BEHIND = nohup nice -n 19 $(COMPILE) >/dev/null 2>&1 &

$(BIN)/python:
	@echo "trdclinic: creating the virtualenv $(VENV)"
	@$(PYTHON) -m venv $(VENV)

# The locks are complete (pip-compile resolved them), so pip installs exactly them (--no-deps).
# Each reinstalls whenever its lock file changes. pip would byte-compile all ~7,000 modules
# (plotly, pandas, fhir.resources) before the first page: about two thirds of its CPU time.
# It installs without (--no-compile) and a low-priority process compiles them behind, while
# migrations and the demo clinic run; until it is done an import compiles its module itself.
$(RUNTIME_INSTALLED): requirements.lock | $(BIN)/python
	@echo "trdclinic: installing the locked runtime dependencies"
	@$(BIN)/python -m pip install --quiet --no-compile --no-deps --require-hashes \
		-r requirements.lock
	@$(COMPILE_BEHIND)
	@touch $(RUNTIME_INSTALLED)

# Development: the development lock pins the runtime packages alike.
$(INSTALLED): $(RUNTIME_INSTALLED) requirements-dev.lock
	@echo "trdclinic: installing the locked development dependencies"
	@$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-dev.lock
	@touch $(INSTALLED)

install: $(INSTALLED)

# Production: the runtime lock only (no test runner, linters or browser driver), and the
# compiled engines, built by mypyc in a throw-away virtualenv (mypy is not a runtime package).
# A production image is compiled in full before it serves: a background compile could be cut off.
install-production: $(RUNTIME_INSTALLED)
	$(COMPILE)
	rm -rf .build-venv
	$(PYTHON) -m venv .build-venv
	.build-venv/bin/python -m pip install --quiet \
		mypy==$$(sed -n 's/^mypy==\([^ ]*\).*/\1/p' requirements-dev.lock)
	.build-venv/bin/python -c "from trdclinic import compiled_engines; compiled_engines.main()"
	rm -rf .build-venv

$(ENGINES): $(wildcard staging/*.py staging/*.json) $(CHECKLIST_SOURCES) | $(BIN)/python
	@echo "trdclinic: compiling the staging engines with mypyc (a minute or two; output in $(ENGINES_LOG))"
	@$(BIN)/python -c "from trdclinic import compiled_engines; compiled_engines.main()" \
		> $(ENGINES_LOG) 2>&1 || { tail -n 30 $(ENGINES_LOG); exit 1; }

engines: $(ENGINES)

# Serves with the engines as they are: compiled when a current build exists, else interpreted.
run: $(RUNTIME_INSTALLED)
	@$(BIN)/python -m trdclinic.run $(HOST):$(PORT)

# Python may write bytecode here even when the caller's environment says not to
# (PYTHONDONTWRITEBYTECODE): each worker would otherwise compile the project's modules and have
# pytest rewrite the asserts of every test module again, about 4.7 of the 10.7 CPU s a worker
# spends collecting. The files go to the checkout's __pycache__ folders (git-ignored).
test: $(INSTALLED) $(ENGINES)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

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
	$(BIN)/python .ci/audit_dependencies.py requirements.lock requirements-dev.lock

fix: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Pins every dependency with its hashes, resolved from pyproject.toml by pip-tools: the runtime
# ones in requirements.lock, the development ones (runtime pins as constraints) in
# requirements-dev.lock. Existing pins are kept unless pyproject.toml rules them out.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links
lock: $(INSTALLED)
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.lock --output-file requirements-dev.lock \
		pyproject.toml
	rm -rf build trdclinic.egg-info

# The vendored plotly bundle is served precompressed: whitenoise sends the .br or .gz beside it.
compress-static: $(INSTALLED)
	$(BIN)/python -c "from whitenoise.compress import Compressor; \
		list(Compressor(quiet=True).compress('static/vendor/plotly/plotly.min.js'))"

# Prints the figures of issue 9 (takes a few minutes); BENCH_ARGS="--patients 10000" for the full size.
# The load test drives wrk, which the machine must have (apt-get install wrk; .ci/run installs it).
bench: $(INSTALLED) $(ENGINES)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python -m bench $(BENCH_ARGS)

# Backups of the database in use (embedded or DATABASE_URL's); docs/backup.md.
backup: $(INSTALLED)
	TRDCLINIC_MODE=$${TRDCLINIC_MODE:-local} $(MANAGE) backup

restore: $(INSTALLED)
	@test -n "$(FILE)" || { echo "Name the backup: make restore FILE=backups/....dump"; exit 2; }
	TRDCLINIC_MODE=$${TRDCLINIC_MODE:-local} $(MANAGE) restore "$(FILE)" \
		$(if $(DATABASE),--database "$(DATABASE)") $(if $(filter 1,$(FORCE)),--force)

clean-db:
	rm -rf .pgdata

clean-engines:
	rm -rf .engines .engines.new $(ENGINES_LOG)
