# Two entry points (README): `make run` serves the app, `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test test-sqlite test-postgres serve lint bench bench-load bench-postgis bench-tiles \
	bench-tiles-postgis browser-deps

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package-lock.json
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,postgres]'
	bash scripts/install-frontend.sh
	touch $@

run: setup
	SEI_ATLAS_HOST=$(HOST) SEI_ATLAS_PORT=$(PORT) $(PY) app.py

browser-deps:
	bash scripts/install-browser.sh

# Both database legs: SQLite (the default) with every test, then every test that touches the
# database or the tile engines again on a throwaway PostgreSQL + PostGIS cluster
# (scripts/with-postgres.sh installs and starts it; tests/conftest.py keeps the tests that use a
# database fixture or are marked `postgres`; browser and packaging tests run once).
PG_TESTS := -m "not browser and not packaging"
test: setup browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n 2 -q
	bash scripts/with-postgres.sh $(PY) -m pytest -n 2 -q $(PG_TESTS)

test-sqlite: setup browser-deps
	$(PY) -m pytest -n 2 -q

test-postgres: setup browser-deps
	bash scripts/with-postgres.sh $(PY) -m pytest -n 2 -q $(PG_TESTS)

# Production server (gunicorn or waitress; needs SEI_ATLAS_SECRET_KEY): docs/operators.md
serve: setup
	VENV=$(VENV) bash scripts/serve-production.sh

bench: setup browser-deps
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

bench-load: setup
	$(PY) benchmarks/bench_load.py

# The parcel check against PostGIS (GiST indexes) on the same data, on a throwaway cluster.
bench-postgis: setup
	bash scripts/with-postgres.sh $(PY) benchmarks/bench_parcel_check.py

# Vector tiles on fictional layers of 10k–1M features (~30 min; ARGS=--quick for a CI-sized run).
bench-tiles: setup browser-deps
	$(PY) benchmarks/bench_tiles.py $(ARGS)

# The same tiles from PostGIS ST_AsMVT beside the embedded engine, on a throwaway cluster.
bench-tiles-postgis: setup
	bash scripts/with-postgres.sh $(PY) benchmarks/bench_tiles_postgis.py $(ARGS)
