# Two entry points: `make demo` and `make test`. Both create or reuse .venv with only
# the machine's python3 (3.11+), pip and the package registry.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/sheetsync demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/tables.py
	$(BIN)/python benchmarks/sync.py
	$(BIN)/python benchmarks/verify.py
	$(BIN)/python benchmarks/service.py

clean:
	rm -rf $(VENV) build *.egg-info demo-output
