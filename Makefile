# Set-up is part of every target: a fresh clone needs only Python 3.11+, Node/npm and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test serve bench setup vendor messages gettext wrk chromium lint format clean audit bandit

run: setup .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Development settings for `make run` and for manage.py commands run by hand; never committed.
.env:
	printf '# Local development settings written by make run (see .env.example for production).\nDEBUG=1\nSECRET_KEY=%s\n' \
	  "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@

test: setup chromium
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	# The arrows between feedback's rooms point one way (contracts in pyproject.toml).
	$(BIN)/lint-imports --no-cache
	# Every string of the code translated in French, Spanish and Arabic, none fuzzy (docs/GLOSSARY.md).
	$(BIN)/python manage.py check_translations --settings=tests.settings
	$(BIN)/pytest

# Known vulnerabilities in the installed Python packages (PyPI's advisory data), then security mistakes in our own
# code (bandit, configured in pyproject.toml). --strict makes pip-audit fail when it could not check a package
# (no network, no answer from PyPI), so an audit that could not look never passes. An advisory we accept goes in
# PIP_AUDIT_IGNORES as `--ignore-vuln <ID>`, one per line, each under a comment saying why; none so far.
PIP_AUDIT_IGNORES :=

audit: bandit
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off --desc on $(PIP_AUDIT_IGNORES) || { \
	  echo "make audit: pip-audit found a vulnerability or could not check every package against PyPI (see above)"; \
	  exit 1; }

# Static analysis of our own code; needs no network, so CI runs it on every submission.
bandit: $(BIN)/.installed
	$(BIN)/bandit -r consultation feedback -c pyproject.toml -q

# Production-like serving; needs SECRET_KEY and ALLOWED_HOSTS in the environment (see .env.example).
serve: setup
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py migrate --noinput
	# Workers, threads, timeouts and the token-free JSON access log: consultation/gunicorn.conf.py (GUNICORN_* env).
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c consultation/gunicorn.conf.py consultation.wsgi

# Throughput of the question page, autosave, the meeting's poll and the resource page as ratios of /healthz
# through gunicorn (wrk, PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379), then each target's p50 at one
# connection; figures in docs/PERFORMANCE.md. The other benchmarks there:
# bench/export.py, bench/export_memory.py, bench/admin_queue.py (run by hand, they take minutes).
# Benchmarks and drills (not tests): they report ratios and invariants, and need PostgreSQL and Redis.
bench: setup wrk
	$(BIN)/python bench/http_load.py --one-connection $(BENCH_ARGS)
	$(BIN)/python bench/resource_page.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/db_outage.py
	$(BIN)/python bench/backup_drill.py
	$(BIN)/python bench/admin_queue.py

setup: $(BIN)/.installed vendor messages

# The translations: .po files are committed, the compiled .mo files are built here (GNU gettext's msgfmt).
messages: $(BIN)/.installed gettext
	# tests.settings: the only settings that need no SECRET_KEY or .env; compiling reads nothing else of them.
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --settings=tests.settings -v 0

# make bench loads the server with wrk (Debian's package), like the browser tests' Chromium.
wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "make bench needs wrk: run 'sudo apt-get install wrk'"; exit 1; fi; }

gettext:
	@command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "Translations need GNU gettext: run 'sudo apt-get install gettext'"; exit 1; fi; }

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Third-party front-end files come from npm and are copied, never committed.
vendor: node_modules/.installed
	mkdir -p static/vendor/bootstrap
	# The .map files too: the hashed (manifest) storage of production refuses CSS and JS whose maps are missing.
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/css/bootstrap.rtl.min.css node_modules/bootstrap/dist/css/bootstrap.rtl.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   static/vendor/bootstrap/
	mkdir -p static/vendor/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/

# The browser tests drive Debian's Chromium; Playwright cannot download its own browser here.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'"; exit 1; fi; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
