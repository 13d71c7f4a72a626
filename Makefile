# The README's two quickstart commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= reports/demo

.PHONY: demo test lint typecheck pytest bench bench-org bench-html screenshot lambda-package clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iam-auditor demo --output-dir $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check auditor tests benchmarks deploy docs
	$(BIN)/ruff format --check auditor tests benchmarks deploy docs

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.scale

# 200 member accounts of 20 users, 1/8/32 workers, at 0 and 50 ms added latency (about 15 min).
bench-org: $(STAMP)
	$(BIN)/python -m benchmarks.org

# A 5,000-user account's report.html opened in headless Chromium: time to interactive.
bench-html: $(STAMP)
	$(BIN)/python -m benchmarks.html_interactive

# docs/demo-report.png, the README's picture of the demo report (headless Chromium).
screenshot: $(STAMP)
	$(BIN)/python docs/screenshot.py

# The AWS Lambda deployment zip (build/lambda/iam-auditor-lambda.zip) that
# deploy/template.yaml deploys; prints its zipped and unzipped sizes.
lambda-package: $(STAMP)
	$(BIN)/python deploy/package.py --out build/lambda

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(DEMO_DIR)
