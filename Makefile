# Octroi: two commands on a fresh machine with Python 3.11 and make.
#   make demo   set everything up and run the product on its embedded default (SQLite)
#   make test   the whole suite (lint, architecture contracts, tests on SQLite and PostgreSQL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint fuzz stack stack-scale bench clean install

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/octroi demo

lint: $(STAMP)
	$(BIN)/ruff check backend frontend security ml tests bench deploy verifier
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: $(STAMP)
	OCTROI_FUZZ_EXAMPLES=$${OCTROI_FUZZ_EXAMPLES:-500} $(BIN)/python -m pytest -m fuzz tests

stack: $(STAMP)
	$(BIN)/python -m deploy $(STACK_ARGS)

# Audited throughput with 1, 2 and 4 API processes (same as make stack STACK_ARGS="--scale 1,2,4").
stack-scale: $(STAMP)
	$(BIN)/python -m deploy --scale 1,2,4 $(STACK_ARGS)

bench: $(STAMP)
	for script in bench/bench_*.py; do PYTHONPATH=. $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
