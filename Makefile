# Set-up and the two entry points: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DETENTE_MIRROR ?= $(abspath ../shared/data)

.PHONY: demo test lint bench sysdeps lock clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is required" >&2; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# System packages the project needs: a Java runtime for Apache Spark (local mode).
sysdeps:
	@if ! command -v java >/dev/null 2>&1; then \
	  echo "installing a Java runtime for Spark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	fi

demo: $(STAMP) sysdeps
	$(BIN)/python -m detente.demo

test: $(STAMP) sysdeps
	$(BIN)/python -m detente.checks.services
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP) sysdeps
	$(BIN)/python benchmarks/run_all.py

# Re-pin the dependencies from a fresh resolve (maintainers only).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet -e ".[dev]"
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^detente' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
