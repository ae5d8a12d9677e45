# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint bench docs fuzz clean

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
	$(BIN)/allegiance brief

# every compiled kernel is compiled (or loaded from Numba's cache) in one process first: processes
# compiling the same kernel at once can leave cache files that crash the next one to load them
test: $(STAMP_TEST)
	$(BIN)/python -m allegiance.precompile
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench

bench: $(STAMP_TEST)
	$(BIN)/python -m compileall -q src/allegiance
	$(BIN)/python -m allegiance.precompile
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

FUZZ_INPUTS ?= 1000000
FUZZ_SEED ?= 1
ATHERIS_SECONDS ?= 0
fuzz: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	$(BIN)/python -m fuzz.campaign --inputs $(FUZZ_INPUTS) --seed $(FUZZ_SEED) --workers 2 \
		--atheris $(ATHERIS_SECONDS)
# every results table in docs/ (the DEU split beside the repository; the full backtest takes minutes)
docs: $(STAMP_RUN)
	$(BIN)/python -m allegiance.docs

clean:
	rm -rf $(VENV) build dist src/*.egg-info
