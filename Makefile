# microintern — `make run` (the platform on its local twin) and `make test` (everything).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-deps
SEED ?= 0
STAGE ?= dev
PORT ?= 8000
export AWS_DEFAULT_REGION ?= us-east-1
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test deps chromium screens lint typecheck validate package unit integration e2e browser bench reconcile clean

run: $(STAMP)  ## the platform locally on its embedded twin (Ctrl-C stops everything)
	PORT=$(PORT) $(BIN)/python -m local.twin --port $(PORT) --seed $(SEED)

test: $(STAMP) chromium $(AXE) lint typecheck validate  ## lint, types, template, state machines, every test layer
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -p no:cacheprovider

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

deps: $(STAMP)

$(AXE): tests/browser/package.json tests/browser/package-lock.json  ## axe-core for the accessibility check
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm >/dev/null; }
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

chromium:  ## Debian's Chromium for the browser tests (Playwright cannot download its own here)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)  ## style, and the layering contracts (pyproject.toml: [tool.importlinter])
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy chalicelib app.py local infrastructure

package: $(STAMP)  ## merged template (sam.json, expanded.json) + deployment.zip in build/package
	$(BIN)/python -m infrastructure.package --stage $(STAGE) --out build/package

validate: package  ## the IAM policy files, the packaged template (as SAM and expanded), the state machines
	$(BIN)/python -m infrastructure.policies --check
	$(BIN)/cfn-lint build/package/sam.json build/package/expanded.json
	$(BIN)/statelint statemachines/*.asl.json

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit
integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration
e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e
browser: $(STAMP) chromium $(AXE)
	$(BIN)/python -m pytest -q tests/browser

screens: $(STAMP) chromium  ## docs/screens/: every page at 1280 and 390 px (PNG) and its index
	$(BIN)/python -m tests.browser.screens

bench: $(STAMP)  ## print the benchmarks' figures (about 75 minutes: the chaos run is 1,000 engagements)
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.matching
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.cost
	$(BIN)/python -m bench.chaos --engagements 1000 --seed 16 --app-workers 2 --concurrency 20

reconcile: $(STAMP)  ## the local twin's ledgers against the Stripe sandbox (with `make run` going)
	PORT=$(PORT) POWERTOOLS_LOG_LEVEL=ERROR $(BIN)/python -m local.attach chalicelib.services.reconcile_repairs

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
