# Two commands matter: `make demo` (the main job on the embedded local target) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests infra policies scripts

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2 -q tests --ignore=tests/benchmarks

bench: $(STAMP)
	$(BIN)/pytest -q -s tests/benchmarks

clean:
	rm -rf $(VENV) .connectorops .mypy_cache .pytest_cache .ruff_cache
