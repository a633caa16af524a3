# Two set-up commands: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
# The real interpreter, not a version-manager shell shim in front of it.
PYTHON ?= $(shell python3 -c 'import sys; print(sys.executable)')
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all venv system descriptions zipapps lint typecheck test test-triage-corpus oracle demo bench clean

all: zipapps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q -e '.[test,p2p,ipfs,mcp]'
	touch $@

venv: $(STAMP)

# System packages the end-to-end tests use (idempotent; skips what is present).
system:
	bash scripts/setup-system.sh

zipapps: $(STAMP)
	$(VPY) scripts/build_zipapps.py

# Lint and format are checked, never applied, by the test command.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

# The whole suite, with the differential oracle's full set of 2,400 gh invocations (tests/oracle).
test: venv system zipapps lint typecheck
	ORACLE_FULL=1 $(VPY) -m pytest
	$(MAKE) test-triage-corpus

# The triage corpus cases the default suite leaves out (it runs the fast ones): long, so a target of its own.
test-triage-corpus: venv zipapps
	AUTOHEAL_TRIAGE_CORPUS=rest $(VPY) -m pytest tests/triage/test_triage_corpus.py

# Only the oracle, full set (the default pytest run checks a fixed subset of 240).
oracle: venv zipapps
	ORACLE_FULL=1 $(VPY) -m pytest tests/oracle -q

# fakehub answers from GitHub's published descriptions (npm packages under .tools/octokit).
descriptions:
	bash scripts/setup-octokit.sh

demo: venv zipapps descriptions
	$(VPY) scripts/demo.py

bench: venv system zipapps
	$(VPY) scripts/bench.py

clean:
	rm -rf $(VENV) bin/*.pyz build dist *.egg-info
