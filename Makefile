# One entry point for every developer command; CI calls these too.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup system demo test bench bench-metrics bench-rota lint format

setup: system $(BIN)/stocktake

system:
	@sh scripts/system-packages.sh

$(BIN)/stocktake: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/stocktake demo

test: setup
	$(BIN)/pytest -n 2

bench: setup
	$(BIN)/python benchmarks/bench_spc.py
	$(BIN)/python benchmarks/bench_demo.py

bench-metrics: setup
	$(BIN)/python benchmarks/bench_metrics.py

bench-rota: setup
	$(BIN)/python benchmarks/bench_curtois.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
