# Two commands on a fresh machine with python3 (3.11+) and make:
#   make run   - install into .venv, watch the default case and open the adviser's
#                workspace in the browser (intake serve --watch; the link is printed).
#                The case lives in your data folder (e.g. ~/.local/share/intake/cases/
#                default, printed at start), never in this checkout; ./inbox links to it
#   make test  - install with the test extras and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint reliability bench clean locale

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake serve --watch

# Test files run in parallel (pytest-xdist), each file on one worker so that a
# module's shared fixture is built once; `pytest -q` alone runs them one by one.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadfile

# The full reliability suite (hundreds of kills, long fuzzing): minutes, not CI.
# Single tests run for minutes here (400 fuzzed screenshots through OCR), so the
# per-test limit is 60 minutes instead of make test's 5 (the crash test at every
# write point passed 30 minutes on a machine at a load of 12).
reliability: $(STAMP)
	INTAKE_RELIABILITY=full $(BIN)/pytest -q --timeout 3600 tests/reliability \
		tests/core/test_core_input.py::test_many_files_in_nested_folders

# After changing any text a reader sees: add new message ids to the .po files
# (translate the empty ones) and compile the .mo files (docs/i18n.md).
locale: $(STAMP)
	$(BIN)/python -m intake.catalogues

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info

# Benchmarks (not tests: CI runs none). Writes docs/PERFORMANCE.md; about half an
# hour; installs exiftool (the reference of figure 2) with apt-get if missing.
bench: $(STAMP)
	$(BIN)/python bench/run.py
