# Quick start: `make demo` and `make test` on a fresh machine with Python >= 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest docs bench bench-national clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lotsen-match demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q tests
	$(BIN)/python -m pytest -q --nbmake --nbmake-timeout=120 notebooks

# The documentation (docs/, mkdocs.yml): contract, guide, API reference; warnings are errors.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: lint typecheck pytest docs

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-national: $(STAMP)
	$(BIN)/python benchmarks/run.py --national

clean:
	rm -rf $(VENV) demo-output site .pytest_cache .mypy_cache .ruff_cache
