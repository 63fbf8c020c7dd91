# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv (Python 3.11+) and installs everything from pyproject.toml; `make test`
# (and `make synth`) also install the pinned CDK CLI from package-lock.json with npm ci:
# the CDK needs Node.js 20 or newer. `make demo` needs no Node.js.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

# Bytecode goes to one folder of build/, never beside the sources: each module is compiled
# once, when a process first imports it, even where the shell says never to write it (pip
# installs with --no-compile: compiling all of site-packages up front, 1 GB of it never
# imported, took most of a venv's set-up).
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
unexport PYTHONDONTWRITEBYTECODE
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
# The one lock of the Lambda functions' dependencies: the asset is built from it, and every
# test environment installs the same versions (pip's -c).
LOCK := functions/requirements.txt
# The Lambda asset (cdk/asset.py): the deployer and the locked wheels for Python 3.13 arm64,
# with their bytecode compiled by a Python 3.13 (LAMBDA_PYTHON), zipped reproducibly; the
# stack deploys this file. Downloading happens here, never in synth.
ASSET := build/lambda.zip
ASSET_INPUTS := $(LOCK) cdk/asset.py $(shell find functions/deployer -name '*.py' -o -name '*.json')
# The same lock and code laid out as the asset, for the Python 3.13 of this machine.
LAMBDA_TREE := build/lambda-py313
# checkov (the infra tier's second scan of the template) pins its own older boto3: it gets a
# venv of its own, from pyproject.toml's dependency group "checkov".
CHECKOV_STAMP := .venv-checkov/.installed
# LocalStack's Step Functions engine, the second interpreter (make interpreters): Python 3.13
LOCALSTACK_VENV := .venv-localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
RECORDINGS := build/interpreters
# the SageMaker Python SDKs, v2 and v3, each in a venv of its own (make clients)
SDK_STAMPS := .venv-sdk-v2/.installed .venv-sdk-v3/.installed

.PHONY: demo test setup pytest lambda-asset lambda-runtime interpreters clients lint typecheck unit e2e infra synth bench docs clean

$(STAMP): pyproject.toml setup.py $(LOCK)
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smdeploy needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	{ $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet --no-compile -e '.[dev,infra]' -c $(LOCK); } || \
	  { echo "smdeploy: pip could not install the dependencies (above): it needs network access to PyPI once; run make setup where PyPI is reachable"; exit 1; }
	touch $(STAMP)

$(ASSET): $(STAMP) $(ASSET_INPUTS)
	$(BIN)/python -m cdk.asset

lambda-asset: $(ASSET)

$(CHECKOV_STAMP): pyproject.toml
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --upgrade pip
	.venv-checkov/bin/python -m pip install --quiet --no-compile --group checkov
	touch $@

$(LOCALSTACK_STAMP): pyproject.toml
	$(LAMBDA_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --no-compile --group localstack
	touch $@

.venv-sdk-%/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-sdk-$*
	.venv-sdk-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-sdk-$*/bin/python -m pip install --quiet --no-compile --group sdk-$*
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "the CDK needs Node.js 20 or newer (npm): install it, then run make again"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error || \
	  { echo "smdeploy: npm ci could not install the CDK CLI (above): it needs network access to the npm registry once; run make setup where it is reachable"; exit 1; }
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/smdeploy demo

# Two at a time, each one's output printed whole when it ends: ruff and mypy beside the main
# tier, then the Lambda-runtime tier beside it, then the infrastructure tier (the main tier
# leaves part of the two cores idle: it waits on processes it starts, and on its last,
# longest files).
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck pytest lambda-runtime infra interpreters clients

# Every environment the tiers need, made side by side (pip and npm mostly wait on files and
# the network), then the Lambda asset and its Python 3.13 tree.
LAMBDA_SETUP := $(if $(strip $(LAMBDA_PYTHON)),$(LAMBDA_VENV)/.installed)
setup:
	$(MAKE) --no-print-directory -j4 --output-sync=target $(STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) $(SDK_STAMPS) $(LAMBDA_SETUP) $(if $(LAMBDA_SETUP),$(LOCALSTACK_STAMP))
	$(MAKE) --no-print-directory -j2 --output-sync=target $(ASSET) $(if $(LAMBDA_SETUP),$(LAMBDA_TREE).built)

# Three worker processes (pytest-xdist) on two cores, each test file kept in one: module
# fixtures stay shared. A third worker fills the time the others spend waiting: on the
# processes and servers the end-to-end tests start, and in the race tests' real jitter
# (measured on a clean clone: the main tier in 315 s with three, 331 s with two). The
# infrastructure tests are a tier of their own (make infra): every worker imports every test
# module it collects, and importing the CDK starts its Node.js kernel and loads the CDK's
# libraries into it, 6 CPU-seconds in each process.
pytest: $(STAMP) $(ASSET)
	$(BIN)/python -m pytest -q -n 3 --dist loadfile --ignore=tests/infra

$(LAMBDA_VENV)/.installed: pyproject.toml setup.py $(LOCK)
	$(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --no-compile -e '.[dev]' -c $(LOCK)
	touch $@

$(LAMBDA_TREE).built: $(LAMBDA_VENV)/.installed $(ASSET_INPUTS)
	$(LAMBDA_VENV)/bin/python -m cdk.asset --host --out $(LAMBDA_TREE)
	touch $@

# The domain and handler tiers on Python 3.13, importing the handlers and their dependencies
# from a tree laid out like the asset (first on PYTHONPATH), not from the venv; two worker
# processes, as the main tier; Hypothesis's "runtime" profile (tests/conftest.py): the main
# tier explores the inputs, this one shows the same code runs on Lambda's Python.
lambda-runtime:
ifeq ($(strip $(LAMBDA_PYTHON)),)
	@echo "lambda-runtime: no Python 3.13 on this machine; the Lambda-runtime tier is skipped"
else
	$(MAKE) --no-print-directory $(LAMBDA_TREE).built
	PYTHONPATH=$(LAMBDA_TREE) SMDEPLOY_LAMBDA_TREE=$(LAMBDA_TREE) HYPOTHESIS_PROFILE=runtime \
		$(LAMBDA_VENV)/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile \
		-o pythonpath=. tests/unit tests/functional
endif

# The deployer's state machine on a second interpreter (issue 21): the scenario matrix runs on
# moto's, with the real handlers, and is recorded (tests/interpreters/record.py, which fails on
# a scenario that does not end as it must); LocalStack's engine then replays each recording and
# must send the same payloads, enter the same states and end the same way
# (tests/interpreters/test_localstack.py). Needs Python 3.13, as the Lambda-runtime tier.
interpreters:
ifeq ($(strip $(LAMBDA_PYTHON)),)
	@echo "interpreters: no Python 3.13 on this machine; LocalStack's engine is not run"
else
	$(MAKE) --no-print-directory $(STAMP) $(LOCALSTACK_STAMP)
	$(BIN)/python tests/interpreters/record.py $(RECORDINGS)
	SMDEPLOY_RECORDINGS=$(RECORDINGS) $(LOCALSTACK_VENV)/bin/python -m pytest -q -p no:cacheprovider \
		--noconftest -o pythonpath=tests/interpreters tests/interpreters/test_localstack.py
endif

# The clients people use, each driving smdeploy emulator through a documented flow (register,
# approve, watch, describe, invoke, delete) from its own venv: the SageMaker Python SDK v2 and
# v3 (sagemaker-core). The AWS CLI's and boto3's flows are in the main tier (tests/e2e).
clients: $(STAMP) $(SDK_STAMPS)
	for sdk in v2 v3; do \
	  SMDEPLOY=$(CURDIR)/$(BIN)/smdeploy SAGEMAKER_SUPPRESS_V2_WARNING=1 .venv-sdk-$$sdk/bin/python \
	    -m pytest -q -p no:cacheprovider --noconftest -W ignore::DeprecationWarning \
	    -o pythonpath=tests/clients \
	    tests/clients/test_sdk_$$sdk.py || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

infra: $(STAMP) $(NODE_STAMP) $(ASSET) $(CHECKOV_STAMP)
	$(BIN)/python -m pytest -q tests/infra

# The stack's CloudFormation template in cdk.out/, offline (configuration: cdk.json context;
# add CDK_ARGS='-c key=value ...' to override it), after building the Lambda asset.
synth: $(STAMP) $(NODE_STAMP) $(ASSET)
	npx cdk synth --quiet $(CDK_ARGS)
	@echo "CloudFormation template(s) written: $$(ls cdk.out/*.template.json)"

# Prints the tables; writes the costs and cold-start tables into docs/internals/costs.md too.
# The cold starts are measured on the asset with Python 3.13 (bench/coldstart.py).
bench: $(STAMP) $(ASSET) $(if $(LAMBDA_SETUP),$(LAMBDA_TREE).built)
	$(BIN)/python -m bench --write-docs

# The generated pages of docs/: the CLI reference (from --help) and the state machine's
# diagram (from statemachine/deployer.asl.json). A unit test fails when they are stale.
docs: $(STAMP)
	$(BIN)/python -m smdeploy.docs

clean:
	rm -rf $(VENV) $(LAMBDA_VENV) .venv-checkov $(LOCALSTACK_VENV) .venv-sdk-v2 .venv-sdk-v3 node_modules cdk.out build .pytest_cache .mypy_cache .ruff_cache .hypothesis
