# AVRecords — `make run` starts everything on http://127.0.0.1:8000; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AVRECORDS_HOME ?= $(CURDIR)/var
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/avrecords init
	$(BIN)/avrecords demo
	@echo "网页: http://127.0.0.1:8000/   (Ctrl-C 停止网页服务与后台处理进程)"
	@set -m; $(BIN)/avrecords worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/avrecords serve --port 8000

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test: $(STAMP) lint
	AVRECORDS_HOME=$$(mktemp -d) $(BIN)/avrecords check --fail-level WARNING
	AVRECORDS_HOME=$$(mktemp -d) $(BIN)/avrecords makemigrations --check --dry-run
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache
