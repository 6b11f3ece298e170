# Two entry points (README): `make run` serves the app, `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint bench browser-deps

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: setup
	SEI_ATLAS_HOST=$(HOST) SEI_ATLAS_PORT=$(PORT) $(PY) app.py

browser-deps:
	bash scripts/install-browser.sh

test: setup browser-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -q

bench: setup browser-deps
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done
