# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv (Python 3.11+) and installs everything from pyproject.toml; `make test`
# (and `make synth`) also install the pinned CDK CLI from package-lock.json with npm ci:
# the CDK needs Node.js 20 or newer. `make demo` needs no Node.js.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

export PYTHONDONTWRITEBYTECODE := 1
# boto3 inside the emulator never needs real credentials or a real region.
export AWS_DEFAULT_REGION ?= us-east-1
# The CDK CLI and jsii, offline and quiet: no version check, no telemetry, no Node banner.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)

# The Lambda runtime is Python 3.13: the domain and handler tiers run on it too when this
# machine has one (on PATH, or installed by pyenv).
LAMBDA_PYTHON ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
LAMBDA_VENV := .venv-py313

.PHONY: demo test pytest lambda-runtime lint typecheck unit e2e infra synth bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smdeploy needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,infra]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "the CDK needs Node.js 20 or newer (npm): install it, then run make again"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/smdeploy demo

test: lint typecheck pytest lambda-runtime

pytest: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -q

$(LAMBDA_VENV)/.installed: pyproject.toml
	$(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAMBDA_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

lambda-runtime:
ifeq ($(strip $(LAMBDA_PYTHON)),)
	@echo "lambda-runtime: no Python 3.13 on this machine; the Lambda-runtime tier is skipped"
else
	$(MAKE) --no-print-directory $(LAMBDA_VENV)/.installed
	$(LAMBDA_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/unit tests/functional
endif

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

infra: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -q tests/infra

# The stack's CloudFormation template in cdk.out/, offline (configuration: cdk.json context;
# add CDK_ARGS='-c key=value ...' to override it).
synth: $(STAMP) $(NODE_STAMP)
	npx cdk synth --quiet $(CDK_ARGS)
	@echo "CloudFormation template(s) written: $$(ls cdk.out/*.template.json)"

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(LAMBDA_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis
