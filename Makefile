# LiftOS Causal — the two commands of the README, and the checks CI runs.
#   make demo   run the main job on the embedded default (no Docker needed)
#   make demo-live   the same, then the sandbox's clock runs: new days, restatements, refits, drift
#   make test   lint, type-check and run the test suite
# Both install everything they need first (uv, then the locked workspace into .venv).

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK_INPUTS := pyproject.toml uv.lock $(wildcard shared/*/pyproject.toml) $(wildcard services/*/pyproject.toml)

.PHONY: demo demo-live up test lint typecheck pytest slow bench clean install

install: $(STAMP)

$(STAMP): $(LOCK_INPUTS)
	@$(PYTHON) -m uv --version 2>/dev/null | grep -q "$(UV_VERSION)" || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(PYTHON) -m uv sync --frozen --python $(PYTHON)
	@touch $@

demo: install
	$(BIN)/liftos demo

demo-live: install
	$(BIN)/liftos demo --live --scenario drift

up: install
	$(BIN)/liftos up

test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy shared/liftos/src shared/sandbox/src shared/devstack/src services/ingestor/src services/normalizer/src services/enricher/src services/causal-engine/src

pytest: install
	$(BIN)/pytest

slow: install
	$(BIN)/pytest -m slow

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .liftos .mypy_cache .ruff_cache .pytest_cache
