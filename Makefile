PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench clean schemas

$(STAMP): pyproject.toml
	@command -v kubectl >/dev/null || echo "note: kubectl is not on PATH; the kubectl end-to-end tests need it" >&2
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
		{ command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "note: could not install chromium; the HTML report test needs it" >&2; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/eksaccess demo

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest -m "not slow" -n 4

test: lint typecheck unit

schemas: install
	$(BIN)/python -m eksaccess.cli.main schema --write docs/schemas

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
