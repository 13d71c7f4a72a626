# The README's two quickstart commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= reports/demo

.PHONY: demo test test-prereqs test-future lint typecheck pytest bench bench-org bench-html bench-startup screenshot lambda-package clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iam-auditor demo --output-dir $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check auditor testkit tests benchmarks deploy docs scripts
	$(BIN)/ruff format --check auditor testkit tests benchmarks deploy docs scripts

typecheck: $(STAMP)
	$(BIN)/mypy

# System packages pip cannot install: Chromium and a font for the HTML report's browser
# tests. Does nothing when they are there; see the script for what it does when not.
test-prereqs:
	bash scripts/test-prereqs.sh

pytest: $(STAMP) test-prereqs
	$(BIN)/pytest -n 2

test: lint typecheck pytest

# The whole suite again with the system clock a year ahead, so that a test that only passes
# near the day it was written (a frozen date read back on the real clock, a literal expiry
# date) fails now instead of on some later day on every machine. libfaketime is preloaded
# into every process of the run (pytest, its xdist workers, the CLIs the tests start); it
# shifts the wall clock only, not the monotonic one (FAKETIME_DONT_FAKE_MONOTONIC: faked,
# Python's timed lock waits hang). scripts/faketime/ works around the rest of libfaketime
# 0.9.10: its sitecustomize.py (on PYTHONPATH) fixes time.sleep, its chromium keeps the
# browser on the real clock; both say why. Its timed waits call getenv(), so a test that adds
# an environment variable while another thread waits can crash a worker: tests/conftest.py
# keeps the variables every test sets in place for the whole session. check_clock.py stops
# the run if the clock is not really shifted, so a library that failed to load cannot pass
# for a year-ahead run.
FUTURE_DAYS ?= 365
FAKETIME_DIR := $(CURDIR)/scripts/faketime
FUTURE_ENV := FAKETIME=+$(FUTURE_DAYS)d FAKETIME_DONT_FAKE_MONOTONIC=1 \
	LD_PRELOAD='/usr/$$LIB/faketime/libfaketime.so.1' PYTHONPATH='$(FAKETIME_DIR)' \
	IAM_AUDITOR_CHROMIUM='$(FAKETIME_DIR)/chromium'

test-future: $(STAMP)
	bash scripts/test-prereqs.sh --faketime
	test -x $(FAKETIME_DIR)/chromium
	env $(FUTURE_ENV) $(BIN)/python $(FAKETIME_DIR)/check_clock.py "$$(date +%s)" $$(($(FUTURE_DAYS) - 1))
	env $(FUTURE_ENV) $(BIN)/pytest -n 2

bench: $(STAMP)
	$(BIN)/python -m benchmarks.scale

# 200 member accounts of 20 users, 1/8/32 workers, at 0 and 50 ms added latency (about 15 min).
bench-org: $(STAMP)
	$(BIN)/python -m benchmarks.org

# A 5,000-user account's report.html opened in headless Chromium: time to interactive.
bench-html: $(STAMP)
	$(BIN)/python -m benchmarks.html_interactive

# How fast `iam-auditor --version` and `checks` answer, and that they import no AWS SDK,
# pandas or Jinja.
bench-startup: $(STAMP)
	$(BIN)/python -m benchmarks.startup

# The README's pictures (headless Chromium): docs/demo-report.png, the demo report, and
# docs/attack-paths.png, the Attack paths section of the report tests' sample account.
screenshot: $(STAMP)
	$(BIN)/python docs/screenshot.py
	$(BIN)/python docs/screenshot.py --attack-paths

# The AWS Lambda deployment zip (build/lambda/iam-auditor-lambda.zip) that
# deploy/template.yaml deploys; prints its zipped and unzipped sizes.
lambda-package: $(STAMP)
	$(BIN)/python deploy/package.py --out build/lambda

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(DEMO_DIR)
