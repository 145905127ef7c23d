# logofill: the front door. CI runs `make test` and nothing else.
#
#   make run     the whole system on this machine, embedded defaults (no AWS, no Docker)
#   make test    install what the tests need, then format check, clippy, all tests
#   make bench   benchmarks (numbers, not pass/fail)
#   make build   Lambda zip artifacts (cargo-lambda + zig, x86_64)
#   make deploy  sam build + sam deploy to your AWS account (README: "Deploy to AWS")
#   make lint    format check and clippy only
#   make lint-infra  cfn-lint, sam validate --lint and checkov on infra/template.yaml (offline)
#   make fuzz    the image pipeline's fuzz targets, render then svg (FUZZ_SECONDS each, default
#                600; FUZZ_TARGET=render or svg for one), then discovery's (make fuzz-discover)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO  ?= cargo
PYTHON ?= python3
VENV   := .venv
MOTO_VERSION        := 5.2.5
CARGO_LAMBDA_VERSION := 1.9.2
CARGO_FUZZ_VERSION   := 0.13.2
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?=
# Infrastructure checks. aws-sam-cli pins a compatible cfn-lint range; the two are installed
# together so pip picks one set. checkov pins its own boto3, so it gets a venv of its own.
VENV_INFRA   := .venv-infra
VENV_CHECKOV := .venv-checkov
SAM_CLI_VERSION  := 1.170.0
CFN_LINT_VERSION := 1.58.0
CHECKOV_VERSION  := 3.3.30
TEMPLATE := infra/template.yaml
# Lint and validate need no AWS account: a fixed region, no telemetry, no credentials read.
INFRA_OFFLINE := SAM_CLI_TELEMETRY=0 AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
PORT ?= 8080

export LOGOFILL_MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server

.PHONY: help run test test-rust test-web lint lint-infra fmt-check clippy build deploy \
        bench bench-report bench-replay bench-image bench-worker bench-amplification \
        bench-hostile bench-budget bench-discovery fuzz fuzz-image fuzz-discover tools-fuzz \
        tools-test tools-web tools-build tools-infra tools-checkov clean

help:
	@echo "make run | test | bench | build | deploy | lint | lint-infra | fuzz | clean"
	@echo "  bench-report bench-replay bench-image bench-worker bench-amplification bench-hostile bench-budget bench-discovery"
	@echo "  fuzz-image (FUZZ_TARGET=render|svg) fuzz-discover; FUZZ_SECONDS=600 each"

## ---- tools (installed on demand, pinned, into ignored folders) -----------------------

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# S3/SQS wire-protocol server for the integration tests.
$(VENV)/.moto-$(MOTO_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

tools-test: $(VENV)/.moto-$(MOTO_VERSION) tools-web

# The page snippet's tests: npm packages pinned by web/package-lock.json, and Debian's
# Chromium (no browser can be downloaded by playwright here).
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

tools-web: web/node_modules/.installed
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# cargo-lambda and zig for the Lambda artifacts.
$(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==$(CARGO_LAMBDA_VERSION)'
	touch $@

tools-build: $(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION)

$(VENV_INFRA)/bin/python:
	$(PYTHON) -m venv $(VENV_INFRA)

# AWS SAM CLI (sam build / deploy / validate) and cfn-lint.
$(VENV_INFRA)/.sam-$(SAM_CLI_VERSION)-cfn-lint-$(CFN_LINT_VERSION): | $(VENV_INFRA)/bin/python
	$(VENV_INFRA)/bin/pip install --quiet --disable-pip-version-check \
	  'aws-sam-cli==$(SAM_CLI_VERSION)' 'cfn-lint==$(CFN_LINT_VERSION)'
	touch $@

tools-infra: $(VENV_INFRA)/.sam-$(SAM_CLI_VERSION)-cfn-lint-$(CFN_LINT_VERSION)

$(VENV_CHECKOV)/bin/python:
	$(PYTHON) -m venv $(VENV_CHECKOV)

$(VENV_CHECKOV)/.checkov-$(CHECKOV_VERSION): | $(VENV_CHECKOV)/bin/python
	$(VENV_CHECKOV)/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

tools-checkov: $(VENV_CHECKOV)/.checkov-$(CHECKOV_VERSION)

## ---- the two commands ------------------------------------------------------------------

# The `local` profile: optimised code without the release profile's fat LTO, so the first
# `make run` builds in minutes rather than a quarter of an hour on a small machine.
run:
	$(CARGO) run --profile local --bin logofill -- dev --port $(PORT)

test: tools-test fmt-check clippy lint-infra test-rust test-web

test-rust:
	$(CARGO) build --workspace --bins
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --no-fail-fast; \
	fi

# The snippet in headless Chromium, and the whole loop against `logofill dev` (debug build).
test-web: tools-web
	$(CARGO) build --bin logofill
	cd web && LOGOFILL_BIN=$(CURDIR)/target/debug/logofill node --test test/

## ---- the rest --------------------------------------------------------------------------

lint: fmt-check clippy

# Every check runs locally: `sam validate --lint` translates the SAM template and runs
# cfn-lint in-process; neither it nor checkov (--skip-download) calls AWS or any other host.
# Skipped checkov checks are listed, with a reason each, in the resources' Metadata.
lint-infra: tools-infra tools-checkov
	$(INFRA_OFFLINE) $(VENV_INFRA)/bin/cfn-lint $(TEMPLATE)
	$(INFRA_OFFLINE) $(VENV_INFRA)/bin/sam validate --lint --region us-east-1 --template-file $(TEMPLATE)
	$(VENV_CHECKOV)/bin/checkov --skip-download --quiet --compact --framework cloudformation \
	  -f $(TEMPLATE)

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build: tools-build
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --x86-64 \
	  --bin logofill-report --bin logofill-worker --output-format zip
	@ls -l $${CARGO_TARGET_DIR:-target}/lambda/logofill-{report,worker}/bootstrap.zip

# First deploy: `sam deploy --guided` asks for the stack name, region and parameters and
# saves the answers to infra/samconfig.toml (ignored by git); later deploys reuse them.
# sam build runs `cargo lambda build` (rust-cargolambda, a SAM beta feature), so cargo-lambda
# from $(VENV) goes on PATH. ARCH picks the build target and must match the stack's
# Architecture parameter (a binary of the other architecture would not start).
ARCH ?= x86_64
deploy: tools-build tools-infra
	@if [ -f infra/samconfig.toml ] && ! grep -Eq 'Architecture=(\\?")?$(ARCH)' infra/samconfig.toml; then \
	  echo "infra/samconfig.toml deploys another Architecture than ARCH=$(ARCH): make them agree" >&2; \
	  exit 2; \
	fi
	cd infra && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CURDIR)/$(VENV_INFRA)/bin/sam build \
	  --beta-features --parameter-overrides Architecture=$(ARCH)
	cd infra && if [ -f samconfig.toml ]; then \
	  $(CURDIR)/$(VENV_INFRA)/bin/sam deploy; \
	else \
	  $(CURDIR)/$(VENV_INFRA)/bin/sam deploy --guided --capabilities CAPABILITY_IAM \
	    --parameter-overrides Architecture=$(ARCH); \
	fi

bench: bench-report bench-replay bench-image bench-worker bench-amplification bench-hostile \
       bench-budget bench-discovery

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
	rm -rf $(VENV) $(VENV_INFRA) $(VENV_CHECKOV) infra/.aws-sam

# logofill vs sharp (libvips) on a generated corpus; needs /usr/bin/time and Pillow.
bench-image: | $(VENV)/bin/python
	@command -v /usr/bin/time >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq time >/dev/null; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'pillow==11.3.0'
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash crates/logofill-image/bench/run.sh
	$(CARGO) bench -p logofill-image --bench pipeline
	$(CARGO) bench -p logofill-render --bench overhead

bench-worker: tools-test
	$(CARGO) build --release --bin logofill-worker
	$(CARGO) bench -p logofill-tests --bench worker_batch

bench-amplification:
	$(CARGO) bench -p logofill-dev --bench amplification

# The labelled discovery corpus through the worker service: share picked right, every miss
# with its cause, time and renders per company; then the homepage scan on hostile pages.
bench-discovery:
	$(CARGO) bench -p logofill-tests --bench discovery_corpus
	$(CARGO) bench -p logofill-discover --bench homepage_scan

# Hostile input classes through the release CLI; peak memory of the whole process tree from a
# cgroup v1 memory controller (needs root; falls back to /usr/bin/time's max RSS of one process).
bench-hostile:
	bash crates/logofill-image/bench/hostile/run.sh

# The release worker in a 128 MiB, then a 256 MiB memory cgroup on a batch of worst-case inputs
# (needs root).
bench-budget: tools-test
	$(CARGO) build --release --bin logofill-worker
	$(CARGO) bench -p logofill-tests --bench budget_batch

# libFuzzer (crates/*/fuzz/run.sh): cargo-fuzz from crates.io, the stable toolchain with
# RUSTC_BOOTSTRAP=1, a target dir of its own. A slow input (-timeout) or an oversized allocation
# counts as a crash; a crash is written to the target's fuzz/artifacts/ and fails the run.
tools-fuzz:
	@cargo fuzz --version 2>/dev/null | grep -q ' $(CARGO_FUZZ_VERSION)' || \
	  $(CARGO) install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION)

fuzz: fuzz-image fuzz-discover

# The image pipeline: `render` (bytes -> variants, every format) and `svg` (SVG documents).
fuzz-image: tools-fuzz
	bash crates/logofill-image/fuzz/run.sh $(FUZZ_TARGET) $(FUZZ_SECONDS)

# Homepage and manifest discovery on arbitrary bytes.
fuzz-discover: tools-fuzz
	bash crates/logofill-discover/fuzz/run.sh $(FUZZ_SECONDS)
