# The two commands in the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Local targets (worker, migrate, bench ...) run the development settings; DEBUG is off unless
# set, and the images and manifests set DEBUG=0 themselves.
export DEBUG ?= 1

.PHONY: install run test lint fmt worker gpu-worker webhook-worker bench tiny-models migrate messages catalogs

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[ml,dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

run: install
	bin/dev-run

test: install
	bin/test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(PY) manage.py qcluster

gpu-worker: install
	Q_CLUSTER_NAME=gpu $(PY) manage.py qcluster

webhook-worker: install
	Q_CLUSTER_NAME=webhooks $(PY) manage.py qcluster

tiny-models: install
	$(PY) manage.py build_tiny_models var/models

bench: install
	$(PY) bench/run.py --quick

# Translations (README: "Adding a language"). Extracting needs GNU gettext (apt-get install
# gettext); the compiled .mo files are committed, so running and testing the app does not.
LANGS ?= zh_Hans
MSG_IGNORE := --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*' \
	--ignore='docker/*' --ignore='artifacts/*' --ignore='build/*'
messages: install catalogs

# The same without the install step, for a checkout that runs another venv's Python:
# make catalogs PY=/path/to/venv/bin/python VENV=/path/to/venv
catalogs:
	@command -v xgettext >/dev/null || { echo "GNU gettext is missing: apt-get install -y gettext"; exit 1; }
	for lang in $(LANGS); do \
	  $(PY) manage.py makemessages -l $$lang --no-obsolete --add-location=file $(MSG_IGNORE); \
	  $(PY) manage.py makemessages -d djangojs -l $$lang --no-obsolete --add-location=file $(MSG_IGNORE); \
	done
	$(PY) manage.py compilemessages --ignore='.venv'
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/i18n/test_catalogs.py
