# otelpy — `make` lists the targets. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := gcc nghttp2-client curl nodejs npm prometheus victoria-metrics influxdb prometheus-pushgateway prometheus-alertmanager redis-server postgresql bsdutils nginx
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

# Python packages come from requirements.lock only: exact versions with hashes, resolved by
# uv for every platform (`make lock`). uv itself is bootstrapped with pip from the same lock.
LOCK := requirements.lock
UV := $(BIN)/uv
UV_VERSION := $(shell sed -n 's/^uv==\([^ ;]*\).*/\1/p' $(LOCK))
export UV_PYTHON_DOWNLOADS := never
NODE_DIR := tests/integration/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed

$(UV): $(LOCK)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@if ! $(UV) --version 2>/dev/null | grep -qx "uv $(UV_VERSION)"; then \
	  awk '/^uv==/{on=1} on&&/^[^ ]/&&!/^uv==/{on=0} on' $(LOCK) > $(VENV)/uv-bootstrap.txt; \
	  echo "$(BIN)/python -m pip install --require-hashes uv==$(UV_VERSION)"; \
	  $(BIN)/python -m pip install -q --no-deps --require-hashes -r $(VENV)/uv-bootstrap.txt; \
	fi
	touch $(UV)

$(STAMP): $(UV) $(LOCK) pyproject.toml setup.py $(wildcard otelpy/native/*.c otelpy/native/*.h)
	$(UV) pip sync -q --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

.PHONY: setup
setup: system-deps $(STAMP) $(NODE_STAMP) ## install exactly the lock files: Debian packages, .venv, Node packages

.PHONY: lock
lock: $(UV) ## re-resolve requirements.lock after a pyproject.toml change (keeps current pins)
	$(UV) pip compile -q pyproject.toml --extra test --universal --python-version 3.11 \
	  --generate-hashes --no-header -o $(LOCK) $(LOCK_ARGS)

.PHONY: upgrade
upgrade: ## re-resolve requirements.lock to the newest releases (then run make test)
	$(MAKE) --no-print-directory lock LOCK_ARGS=--upgrade

LATEST := .venv-latest
.PHONY: test-latest
test-latest: $(UV) ## newest releases in a scratch venv ($(LATEST)): lint, types, unit tests
	rm -rf $(LATEST)
	$(UV) venv -q --python $(PY) $(LATEST)
	$(UV) pip install -q --refresh --python $(LATEST)/bin/python -e '.[test]'
	$(UV) pip freeze --python $(LATEST)/bin/python | grep -iE '^(protobuf|grpcio|mypy|pydantic|ruff|opentelemetry-proto)=='
	$(LATEST)/bin/ruff check otelpy receivers processors exporters connectors extensions tests benchmarks
	$(LATEST)/bin/mypy
	$(LATEST)/bin/python -m pytest -q -m 'not integration' $(PYTEST_ARGS)

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

FUZZ_SCALE ?= 20
.PHONY: fuzz
fuzz: $(STAMP) ## random property fuzzing, $(FUZZ_SCALE)x the CI budgets (benchmarks/fuzz/README.md)
	HYPOTHESIS_PROFILE=fuzz OTELPY_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/python -m pytest -q tests/fuzz tests/pdata $(PYTEST_ARGS)

.PHONY: schema
schema: $(STAMP) ## regenerate config-examples/otelpy.schema.json and the README config tables
	$(BIN)/otelpy schema > config-examples/otelpy.schema.json
	$(BIN)/python -m otelpy.docs

.PHONY: bench
bench: setup ## run the OTLP passthrough benchmark against rotel
	$(BIN)/python benchmarks/otlp_passthrough/run.py

.PHONY: clean
clean: ## remove the virtualenv and caches
	rm -rf $(VENV) $(LATEST) .pytest_cache .ruff_cache .mypy_cache
