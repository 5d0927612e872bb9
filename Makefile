# Everything the project needs is installed from pyproject.toml into .venv by these targets.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov gets a virtualenv of its own: its bc-python-hcl2 dependency ships a module named `hcl2`
# that would overwrite python-hcl2's in the main environment.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_VERSION ?= >=3.2,<4
ARGS ?=

.PHONY: test run chaos bench lint fmt clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov$(CHECKOV_VERSION)'
	touch $(CHECKOV_STAMP)

## test: install everything into .venv and run the whole test suite (Python, Terraform, checkov)
test: $(STAMP) $(CHECKOV_STAMP)
	CHECKOV_BIN=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest $(PYTEST_ARGS)

## run: the whole pipeline on this machine (embedded AWS, local model); ARGS="--jobs 2000" etc.
run: $(STAMP)
	$(PY) -m bedrock_jobs_local.run $(ARGS)

## chaos: 5,000 jobs under model, AWS, crash and duplicate faults, then invariants; ARGS="--jobs 300" etc.
chaos: $(STAMP)
	$(PY) -m bedrock_jobs_local.chaos $(ARGS)

## bench: benchmarks, printing ratios measured side by side
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check functions local cli tests bench scripts
	$(PY) -m ruff format --check functions local cli tests bench scripts

fmt: $(STAMP)
	$(PY) -m ruff format functions local cli tests bench scripts
	$(PY) -m ruff check --fix functions local cli tests bench scripts

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build dist *.egg-info .pytest_cache .terraform-offline
