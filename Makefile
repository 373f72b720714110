# otelpy — `make` lists the targets. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := nghttp2-client curl nodejs npm
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: system-deps
system-deps: ## install the Debian packages the tests use (needs root or sudo)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if command -v node >/dev/null && command -v npm >/dev/null; then missing=$$(echo $$missing | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' '); fi; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: setup
setup: system-deps $(STAMP) ## create .venv and install otelpy with its test dependencies

.PHONY: run
run: $(STAMP) ## run otelpy on the embedded default config (OTLP in on 4317/4318 -> batch -> debug)
	$(BIN)/otelpy

.PHONY: test
test: setup ## set up everything, then run lint, type checks, doc checks, unit and integration tests
	$(BIN)/ruff check otelpy receivers processors exporters connectors extensions tests benchmarks
	$(MAKE) --no-print-directory typecheck
	$(BIN)/python -m otelpy.docs --check
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

.PHONY: typecheck
typecheck: $(STAMP) ## mypy --strict on otelpy/ (settings in pyproject.toml)
	$(BIN)/mypy

.PHONY: unit
unit: $(STAMP) ## unit tests only (no subprocesses, no Node)
	$(BIN)/python -m pytest -q -m 'not integration' $(PYTEST_ARGS)

.PHONY: schema
schema: $(STAMP) ## regenerate config-examples/otelpy.schema.json and the README config tables
	$(BIN)/otelpy schema > config-examples/otelpy.schema.json
	$(BIN)/python -m otelpy.docs

.PHONY: bench
bench: setup ## run the OTLP passthrough benchmark against rotel
	$(BIN)/python benchmarks/otlp_passthrough/run.py

.PHONY: clean
clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
