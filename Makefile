# hfc-outcomes. `make help` lists the targets. Two commands set up everything on a fresh machine:
#   make run    create .venv, install the locked stack, run the whole pipeline on the synthetic county
#   make test   create .venv, install the locked stack, run the tests
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
export HFC_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(HFC_DATA_DIR)/dagster
# sqlfluff compiles the dbt project without building anything
SQLFLUFF_ENV := HFC_WAREHOUSE_BUILD_PATH=:memory: HFC_PSEUDONYMISED_DIR=$(HFC_DATA_DIR)/pseudonymised

.PHONY: help install browser run test test-heavy test-quick test-spark ui dashboard docs lint fix bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --python $(BIN)/python --quiet
	@touch $@

install: $(VENV)/.installed ## create .venv and install the locked stack (uv.lock)

# The browser tests drive Debian's chromium through Playwright (Playwright's own browser download does not work here)
CHROMIUM ?= /usr/bin/chromium
browser: ## install Debian's chromium for the browser tests, if it is not there (apt-get, as root or through sudo)
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

run: install ## build the synthetic county (if data/landing is empty) and run every asset into warehouse/outcomes.duckdb
	$(BIN)/hfc demo

test: install browser ## run the test suite (unit, assets, dbt, end to end) but the heavy operations tests
	$(BIN)/pytest -n 2 -m "not heavy" --durations=25

test-heavy: install ## the operations tests that run the pipeline several times: crash loop, faults, purge, key rotation
	$(BIN)/pytest -n 2 -m heavy

test-quick: install ## the quick loop: everything but tests marked slow
	$(BIN)/pytest -m "not slow and not heavy"

# Issue 22: the same dbt project (and linkage) on Apache Spark. A venv of its own, with the optional `spark` extra,
# so make test stays lean. sqlglotc (dagster-dbt's compiled sqlglot) is left out there: Splink's Spark dialect
# subclasses sqlglot's, which a mypyc-compiled sqlglot refuses. Spark needs Java 17 or later.
SPARK_VENV := .venv-spark
$(SPARK_VENV)/.installed: pyproject.toml uv.lock $(VENV)/.installed
	@test -x $(SPARK_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(BIN)/python $(SPARK_VENV)
	@UV_PROJECT_ENVIRONMENT=$(SPARK_VENV) $(BIN)/uv sync --frozen --extra spark --no-install-package sqlglotc \
	  --python $(SPARK_VENV)/bin/python --quiet
	@touch $@

test-spark: $(SPARK_VENV)/.installed ## the dbt models on Spark (local pyspark, .venv-spark) compared with DuckDB's
	@command -v java >/dev/null || { echo "make test-spark needs Java 17 or later (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(SPARK_VENV)/bin/pytest -p no:xdist tests/spark

ui: install ## Dagster's UI on http://127.0.0.1:3000 (assets, runs, checks, partitions)
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

dashboard: install ## the commissioner dashboards on http://127.0.0.1:8501 (after make run; HFC_DASHBOARD_PORT to change)
	$(BIN)/hfc dashboard

docs: install ## the dbt docs (the data dictionary) as one offline page in data/reports/dbt_docs (after make run)
	$(BIN)/hfc docs

lint: install ## ruff and sqlfluff, read-only
	$(BIN)/ruff check pipelines tests dashboards
	$(BIN)/ruff format --check pipelines tests dashboards
	$(SQLFLUFF_ENV) $(BIN)/sqlfluff lint dbt_project/models

fix: install ## apply ruff's and sqlfluff's fixes
	$(BIN)/ruff check --fix pipelines tests dashboards
	$(BIN)/ruff format pipelines tests dashboards
	$(SQLFLUFF_ENV) $(BIN)/sqlfluff fix dbt_project/models

bench: install ## the benchmarks (de-identification, linkage, the dbt build); results go to docs/benchmarks.md
	$(BIN)/hfc bench deid
	$(BIN)/hfc bench link
	$(BIN)/hfc bench dbt --write

clean: ## remove the virtual environment and built artefacts (not data/)
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
