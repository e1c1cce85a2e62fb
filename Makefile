# Two entry points: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# An editable install leaves the bytecode to the first import, which PYTHONDONTWRITEBYTECODE
# forbids: it is compiled here, as pip compiles a package it installs.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q federator
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/federator demo

lint: $(STAMP)
	$(BIN)/ruff check federator tests bench
	$(BIN)/ruff format --check federator tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
