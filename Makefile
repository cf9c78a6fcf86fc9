# One entry point for every developer command; CI calls these too.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup system postgres demo serve test bench bench-r bench-metrics bench-rota bench-web bench-ingest lint format

setup: system $(BIN)/stocktake node_modules/.package-lock.json

system:
	@sh scripts/system-packages.sh

# The web's front-end packages (NHS.UK frontend, htmx; axe-core for the browser tests).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# A PostgreSQL server on loopback for the app-database tests.
postgres:
	@sh scripts/test-postgres.sh

$(BIN)/stocktake: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/stocktake demo

serve: setup
	$(BIN)/stocktake serve

test: setup postgres
	$(BIN)/pytest -n 3 --dist loadfile

bench: setup
	$(BIN)/python benchmarks/bench_spc.py
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_waitinglist.py
	$(BIN)/python benchmarks/bench_form_text.py

# The national-size list beside R's NHSRwaitinglist (the issue's anchor): NHSRWAITINGLIST=DIR for a
# checkout of the package where CRAN is out of reach.
NHSRWAITINGLIST ?= library
bench-r: setup
	@sh scripts/r-anchor.sh "$(NHSRWAITINGLIST)"
	$(BIN)/python benchmarks/bench_waitinglist.py --only national --r-anchor "$(NHSRWAITINGLIST)"

bench-metrics: setup
	$(BIN)/python benchmarks/bench_metrics.py

bench-rota: setup
	$(BIN)/python benchmarks/bench_curtois.py

bench-web: setup
	$(BIN)/python benchmarks/bench_web.py

bench-ingest: setup
	$(BIN)/python benchmarks/bench_ingest_fuzz.py
	$(BIN)/python benchmarks/bench_ingest_kill.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
