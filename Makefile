PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The freqtrade releases freqfleet supports (TESTED_FREQTRADE in compat/versions.py).
COMPAT_RELEASES ?= 2026.6 2026.7 2026.8 2026.9

.PHONY: setup demo test test-fast test-compat print-oldest-release bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/freqfleet demo $(ARGS)

# The suite spread over 4 workers, a test file per worker at a time (its module fixtures,
# such as a shared fleet, stay in one process); the longest files start first, by their time
# in tests/durations.json (tests/kit/scheduling.py; `ARGS=--record-durations` rewrites it).
# The longest ones mostly wait for candles: at 3 workers the 2 cores were a third idle.
# WORKERS=0: serial.
WORKERS ?= 4
XDIST := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadfile)

test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(XDIST) $(ARGS)

# Fast suite + real-process fleet test against each release, a virtualenv per release
# cached in .venv-compat/<release>/; one release: make test-compat COMPAT_RELEASES=2026.6
test-compat:
	PYTHON=$(PYTHON) scripts/test-compat.sh $(COMPAT_RELEASES)

print-oldest-release:
	@echo $(firstword $(COMPAT_RELEASES))

# Every benchmark; ARGS=--quick for short variants, ARGS=--full to add the long ones.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-compat build dist src/*.egg-info .pytest_cache
