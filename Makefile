# logofill: the front door. `make` (or `make help`) lists every target; CI runs `make test`.
#
# Each target a person runs has a `## ` comment on its rule line: `make help` prints them in
# file order and fails when a .PHONY target has none, so the list cannot fall behind.

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

# The debug build: `make test` builds it (test-rust, test-web) and `make run` runs it, so a
# `make run` after `make test` starts at once instead of compiling another profile.
TARGET_DIR    := $(abspath $(or $(CARGO_TARGET_DIR),target))
LOGOFILL_DEBUG := $(TARGET_DIR)/debug/logofill
# Test counts for the one summary line of `make test`, written by test-rust and test-web.
TEST_COUNTS   := $(TARGET_DIR)/make-test
MAKE_STARTED  := $(shell date +%s)

export LOGOFILL_MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server

BENCHES := bench-report bench-replay bench-image bench-worker bench-amplification \
           bench-hostile bench-budget bench-discovery bench-refresh

PHONY := help run test test-rust test-web doc lint fmt-check clippy lint-infra \
         bench $(BENCHES) fuzz fuzz-image fuzz-discover build deploy clean \
         tools-test tools-web tools-build tools-infra tools-checkov tools-fuzz
.PHONY: $(PHONY)

help: ## this list (the default goal)
	@echo "make TARGET   (README.md: what logofill is; docs/: the rest)"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  %-20s %s\n", $$1, $$2 }' \
	  $(firstword $(MAKEFILE_LIST))
	@echo "Variables: PORT=$(PORT) (run), ARCH=$(ARCH) (deploy), FUZZ_SECONDS=$(FUZZ_SECONDS), FUZZ_TARGET=render|svg (fuzz-image)"
	@missing=$$(for t in $(PHONY); do \
	  grep -Eq "^$$t:.*## " $(firstword $(MAKEFILE_LIST)) || echo "$$t"; done); \
	if [ -n "$$missing" ]; then \
	  echo "Makefile: these .PHONY targets have no '## ' line: $$missing" >&2; exit 1; \
	fi

# ---- the two commands -----------------------------------------------------------------------

run: ## the whole loop on http://127.0.0.1:PORT (logofill dev, debug build; no AWS, no Docker)
	@if [ ! -x $(LOGOFILL_DEBUG) ]; then \
	  echo "make run: building the logofill CLI (debug profile, the build make test uses) into $(LOGOFILL_DEBUG)."; \
	  echo "make run: a first build compiles every dependency: about 12 minutes and 11 GB under target/ on 2 cores; later runs start in seconds."; \
	fi
	$(CARGO) build --bin logofill
	$(LOGOFILL_DEBUG) dev --port $(PORT)

test: tools-test fmt-check clippy lint-infra doc test-rust test-web ## install the test tools, then fmt, clippy, infra lint, rustdoc, every Rust and browser test
	@secs=$$(( $$(date +%s) - $(MAKE_STARTED) )); \
	echo "make test: fmt, clippy, infra lint, rustdoc, $$(cat $(TEST_COUNTS)/rust) Rust tests, $$(cat $(TEST_COUNTS)/web) browser tests passed in $$((secs / 60))m $$((secs % 60))s"

# nextest prints "N tests run: N passed, ..."; cargo test one "test result: ok. N passed" per
# test binary (doc tests included). The count goes to $(TEST_COUNTS)/rust for `make test`.
test-rust: ## build every binary, then every Rust test (cargo nextest when installed, else cargo test)
	$(CARGO) build --workspace --bins
	@mkdir -p $(TEST_COUNTS); rm -f $(TEST_COUNTS)/rust
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  echo "$(CARGO) nextest run --workspace --no-fail-fast"; \
	  $(CARGO) nextest run --workspace --no-fail-fast 2>&1 | tee $(TEST_COUNTS)/rust.log; \
	  sed -nE 's/.* tests? run: ([0-9]+) passed.*/\1/p' $(TEST_COUNTS)/rust.log | tail -n 1 \
	    > $(TEST_COUNTS)/rust; \
	else \
	  echo "$(CARGO) test --workspace --no-fail-fast"; \
	  $(CARGO) test --workspace --no-fail-fast 2>&1 | tee $(TEST_COUNTS)/rust.log; \
	  sed -nE 's/^test result: ok\. ([0-9]+) passed.*/\1/p' $(TEST_COUNTS)/rust.log \
	    | awk '{ n += $$1 } END { print n + 0 }' > $(TEST_COUNTS)/rust; \
	fi

# The snippet in headless Chromium, and the whole loop against `logofill dev` (debug build).
test-web: tools-web ## the page snippet and the whole loop in headless Chromium (node --test web/test/)
	$(CARGO) build --bin logofill
	@mkdir -p $(TEST_COUNTS); rm -f $(TEST_COUNTS)/web
	cd web && LOGOFILL_BIN=$(LOGOFILL_DEBUG) node --test test/ 2>&1 | tee $(TEST_COUNTS)/web.log
	@sed -nE 's/^# pass ([0-9]+)$$/\1/p' $(TEST_COUNTS)/web.log | tail -n 1 > $(TEST_COUNTS)/web

doc: ## rustdoc of every workspace crate, warnings as errors
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

lint: fmt-check clippy ## format check and clippy only

fmt-check: ## cargo fmt --check on the whole workspace (changes nothing)
	$(CARGO) fmt --all -- --check

clippy: ## clippy on every target, warnings as errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Every check runs locally: `sam validate --lint` translates the SAM template and runs
# cfn-lint in-process; neither it nor checkov (--skip-download) calls AWS or any other host.
# Skipped checkov checks are listed, with a reason each, in the resources' Metadata.
lint-infra: tools-infra tools-checkov ## cfn-lint, sam validate --lint and checkov on infra/template.yaml (offline)
	$(INFRA_OFFLINE) $(VENV_INFRA)/bin/cfn-lint $(TEMPLATE)
	$(INFRA_OFFLINE) $(VENV_INFRA)/bin/sam validate --lint --region us-east-1 --template-file $(TEMPLATE)
	$(VENV_CHECKOV)/bin/checkov --skip-download --quiet --compact --framework cloudformation \
	  -f $(TEMPLATE)

# ---- benchmarks (numbers, not pass/fail; docs/benchmarks.md) --------------------------------

bench: $(BENCHES) ## every benchmark below, in this order

bench-report: tools-test ## one report through the handler (criterion), then 10,000 reports through the release Lambda binary
	$(CARGO) bench -p logofill-report --bench report
	$(CARGO) build --release --bin logofill-report
	$(CARGO) bench -p logofill-tests --bench report_burst

# `logofill replay move` against a bare SDK receive/send/delete loop, same moto_server.
bench-replay: tools-test ## logofill replay move against a bare SDK loop on moto_server
	$(CARGO) build --release --bin logofill
	$(CARGO) bench -p logofill-tests --bench replay_move

# logofill vs sharp (libvips) on a generated corpus; needs /usr/bin/time and Pillow.
bench-image: | $(VENV)/bin/python ## logofill against sharp (libvips) on a generated corpus, then the pipeline micro-benchmarks
	@command -v /usr/bin/time >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq time >/dev/null; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'pillow==11.3.0'
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash crates/logofill-image/bench/run.sh
	$(CARGO) bench -p logofill-image --bench pipeline
	$(CARGO) bench -p logofill-render --bench overhead

bench-worker: tools-test ## records/s and peak RSS of the release worker on a batch of large logos
	$(CARGO) build --release --bin logofill-worker
	$(CARGO) bench -p logofill-tests --bench worker_batch

bench-amplification: ## 100,000 simulated page views against the dev stack: reports, fetches, time to logo
	$(CARGO) bench -p logofill-dev --bench amplification

# Hostile input classes through the release CLI; peak memory of the whole process tree from a
# cgroup v1 memory controller (needs root; falls back to /usr/bin/time's max RSS of one process).
bench-hostile: ## hostile inputs through the release CLI: verdict, time and peak memory each
	bash crates/logofill-image/bench/hostile/run.sh

# The release worker in a 128 MiB, then a 256 MiB memory cgroup on a batch of worst-case inputs
# (needs root).
bench-budget: tools-test ## the release worker in 128 and 256 MiB memory cgroups on worst-case inputs (root)
	$(CARGO) build --release --bin logofill-worker
	$(CARGO) bench -p logofill-tests --bench budget_batch

# The labelled discovery corpus through the worker service: share picked right, every miss
# with its cause, time and renders per company; then the homepage scan on hostile pages.
bench-discovery: ## the labelled discovery corpus through the worker, then the homepage scan on hostile pages
	$(CARGO) bench -p logofill-tests --bench discovery_corpus
	$(CARGO) bench -p logofill-discover --bench homepage_scan

# The refresh index at its worst case (10,000 sets all due) through run_due with the real S3
# store and SQS queue on moto_server, then extrapolated to a million companies.
bench-refresh: $(VENV)/.moto-$(MOTO_VERSION) ## the scheduled refresh over 10,000 due sets on moto: requests, latency, time, RSS; priced at 1,000,000
	$(CARGO) bench -p logofill-tests --bench refresh_index

# ---- fuzzing (docs/testing.md) --------------------------------------------------------------

fuzz: fuzz-image fuzz-discover ## every fuzz target, FUZZ_SECONDS (600) each

# libFuzzer (crates/*/fuzz/run.sh): cargo-fuzz from crates.io, the stable toolchain with
# RUSTC_BOOTSTRAP=1, a target dir of its own. A slow input (-timeout) or an oversized allocation
# counts as a crash; a crash is written to the target's fuzz/artifacts/ and fails the run.
# The image pipeline: `render` (bytes -> variants, every format) and `svg` (SVG documents).
fuzz-image: tools-fuzz ## the image pipeline's targets, render then svg (FUZZ_TARGET=render or svg for one)
	bash crates/logofill-image/fuzz/run.sh $(FUZZ_TARGET) $(FUZZ_SECONDS)

# Homepage and manifest discovery on arbitrary bytes.
fuzz-discover: tools-fuzz ## discovery's homepage and manifest scans on arbitrary bytes
	bash crates/logofill-discover/fuzz/run.sh $(FUZZ_SECONDS)

# ---- building and deploying (infra/README.md) -----------------------------------------------

build: tools-build ## the three Lambda zips (cargo lambda, release, x86_64) under target/lambda/
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --x86-64 \
	  --bin logofill-report --bin logofill-worker --bin logofill-refresh --output-format zip
	@ls -l $(TARGET_DIR)/lambda/logofill-{report,worker,refresh}/bootstrap.zip

# First deploy: `sam deploy --guided` asks for the stack name, region and parameters and
# saves the answers to infra/samconfig.toml (ignored by git); later deploys reuse them.
# sam build runs `cargo lambda build` (rust-cargolambda, a SAM beta feature), so cargo-lambda
# from $(VENV) goes on PATH. ARCH picks the build target and must match the stack's
# Architecture parameter (a binary of the other architecture would not start).
ARCH ?= x86_64
deploy: tools-build tools-infra ## sam build + sam deploy to your AWS account (guided the first time; ARCH=x86_64|arm64)
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

clean: ## cargo clean, and remove the tool folders (.venv*, infra/.aws-sam)
	$(CARGO) clean
	rm -rf $(VENV) $(VENV_INFRA) $(VENV_CHECKOV) infra/.aws-sam

# ---- tools (installed on demand, pinned, into ignored folders) ------------------------------

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# S3/SQS wire-protocol server for the integration tests.
$(VENV)/.moto-$(MOTO_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

tools-test: $(VENV)/.moto-$(MOTO_VERSION) tools-web ## install moto_server into .venv/, and what tools-web installs

# The page snippet's tests: npm packages pinned by web/package-lock.json, and Debian's
# Chromium (no browser can be downloaded by playwright here).
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

tools-web: web/node_modules/.installed ## install the snippet tests' npm packages, and Debian's chromium when missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# cargo-lambda and zig for the Lambda artifacts.
$(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION): | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==$(CARGO_LAMBDA_VERSION)'
	touch $@

tools-build: $(VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION) ## install cargo-lambda (with zig) into .venv/

$(VENV_INFRA)/bin/python:
	$(PYTHON) -m venv $(VENV_INFRA)

# AWS SAM CLI (sam build / deploy / validate) and cfn-lint.
$(VENV_INFRA)/.sam-$(SAM_CLI_VERSION)-cfn-lint-$(CFN_LINT_VERSION): | $(VENV_INFRA)/bin/python
	$(VENV_INFRA)/bin/pip install --quiet --disable-pip-version-check \
	  'aws-sam-cli==$(SAM_CLI_VERSION)' 'cfn-lint==$(CFN_LINT_VERSION)'
	touch $@

tools-infra: $(VENV_INFRA)/.sam-$(SAM_CLI_VERSION)-cfn-lint-$(CFN_LINT_VERSION) ## install the AWS SAM CLI and cfn-lint into .venv-infra/

$(VENV_CHECKOV)/bin/python:
	$(PYTHON) -m venv $(VENV_CHECKOV)

$(VENV_CHECKOV)/.checkov-$(CHECKOV_VERSION): | $(VENV_CHECKOV)/bin/python
	$(VENV_CHECKOV)/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

tools-checkov: $(VENV_CHECKOV)/.checkov-$(CHECKOV_VERSION) ## install checkov into .venv-checkov/

tools-fuzz: ## install the pinned cargo-fuzz with cargo install, when missing
	@cargo fuzz --version 2>/dev/null | grep -q ' $(CARGO_FUZZ_VERSION)' || \
	  $(CARGO) install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION)
