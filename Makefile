# The two commands of the README. Each sets up .venv from requirements.lock on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/numerpilot: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

## demo: numerpilot's main job on the built-in local tournament (no credentials, no network)
DEMO_DIR ?= demo-project
demo: $(BIN)/numerpilot
	mkdir -p $(DEMO_DIR)
	$(BIN)/numerpilot --project $(DEMO_DIR) demo

## test: formatting, lint, types and the whole test suite (what CI runs)
test: $(BIN)/numerpilot lint
	$(BIN)/pytest -q

lint: $(BIN)/numerpilot
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
