# logofill: the front door. CI runs `make test` and nothing else.
#
#   make run     the whole system on this machine, embedded defaults (no AWS, no Docker)
#   make test    install what the tests need, then format check, clippy, all tests
#   make bench   benchmarks (numbers, not pass/fail)
#   make build   Lambda zip artifacts (cargo-lambda + zig, x86_64)
#   make lint    format check and clippy only

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO  ?= cargo
PYTHON ?= python3
VENV   := .venv
MOTO_VERSION        := 5.2.5
CARGO_LAMBDA_VERSION := 1.9.2
PORT ?= 8080

export LOGOFILL_MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server

.PHONY: help run test lint fmt-check clippy build bench bench-report bench-replay tools-test tools-build clean

help:
	@echo "make run | test | bench | build | lint | clean"

## ---- tools (installed on demand, pinned, into ignored folders) -----------------------

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# S3/SQS wire-protocol server for the integration tests.
$(VENV)/.moto-$(MOTO_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

tools-test: $(VENV)/.moto-$(MOTO_VERSION)

# cargo-lambda and zig for the Lambda artifacts.
$(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==$(CARGO_LAMBDA_VERSION)'
	touch $@

tools-build: $(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION)

## ---- the two commands ------------------------------------------------------------------

run:
	$(CARGO) run --release --bin logofill -- dev --port $(PORT)

test: tools-test fmt-check clippy
	$(CARGO) build --workspace --bins
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --no-fail-fast; \
	fi

## ---- the rest --------------------------------------------------------------------------

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build: tools-build
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --x86-64 \
	  --bin logofill-report --output-format zip
	@ls -l target/lambda/*/bootstrap target/lambda/*/bootstrap.zip

bench: bench-report bench-replay

bench-report: tools-test
	$(CARGO) bench -p logofill-report --bench report
	$(CARGO) build --release --bin logofill-report
	$(CARGO) bench -p logofill-tests --bench report_burst

# `logofill replay move` against a bare SDK receive/send/delete loop, same moto_server.
bench-replay: tools-test
	$(CARGO) build --release --bin logofill
	$(CARGO) bench -p logofill-tests --bench replay_move

clean:
	$(CARGO) clean
	rm -rf $(VENV)
