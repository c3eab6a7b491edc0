PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What the demo needs (the package and the aws CLI its kubeconfig runs) and what the tests and checks need
# (the test and dev extras) are two steps; no target installs system packages (.ci/run provisions CI).
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed
# pytest-xdist workers: the fastest measured on a 2-core machine (the suite waits on subprocesses). The
# longest tests are collected first (tests/conftest.py RUN_FIRST) and idle workers take tests from busy ones
# (worksteal), so the workers finish together instead of one running the last long tests alone.
JOBS ?= 6
XDIST := -n $(JOBS) --dist worksteal

.PHONY: install demo test lint typecheck unit suite bench clean generate

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	@command -v kubectl >/dev/null || echo "note: kubectl is not on PATH; the demo skips its kubectl step" >&2
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	@command -v kubectl >/dev/null || echo "note: kubectl is not on PATH; the kubectl end-to-end tests need it" >&2
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
		echo "note: chromium is not on PATH; the HTML report test skips (README: Set-up)" >&2
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/eksaccess demo

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest -m "unit and not slow" $(XDIST)

# compileall writes the bytecode even under PYTHONDONTWRITEBYTECODE=1, so the hundreds of eksaccess and
# aws processes the suite starts do not each compile the package from source.
suite: install
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest -m "not slow" $(XDIST)

test: lint typecheck suite

# Every generated file (data JSON twins, docs/schemas, docs/doctor-findings.md); a unit test fails when one is stale.
generate: install
	$(BIN)/python scripts/generate.py

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
