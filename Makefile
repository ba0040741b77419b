# Tact — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# Debian's chromium for the browser test (never `playwright install`); not fatal here:
	# without it the browser test skips with a reason (and fails under CI=true).
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || true
	touch $(STAMP)

install: $(STAMP)

## Start the gateway on its embedded defaults (SMTP on 127.0.0.1:10025,
## SQLite and a Maildir upstream under ./var/).
run: $(STAMP)
	$(BIN)/tact serve

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/pytest -q -rs

bench: $(STAMP)
	$(BIN)/python bench/policy_eval.py
	$(BIN)/python bench/quoting.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var .pytest_cache
