# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# (bytecode is compiled at install, as a regular install does: an editable install otherwise
# recompiles every module in every process where PYTHONDONTWRITEBYTECODE is set)
$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src/allegiance
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q src/allegiance
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/allegiance forecast

test: $(STAMP_TEST)
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench

bench: $(STAMP_TEST)
	$(BIN)/python -m compileall -q src/allegiance
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# every results table in docs/ (the DEU split beside the repository; the full backtest takes minutes)
docs: $(STAMP_RUN)
	$(BIN)/python -m allegiance.docs

clean:
	rm -rf $(VENV) build dist src/*.egg-info
