# Two commands matter: `make reproduce` and `make test`; both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# GPU=1: torch from PyTorch's CUDA wheel index instead of the CPU build, at the lock's version
GPU ?= 0
TORCH_CUDA_INDEX ?= https://download.pytorch.org/whl/cu126
STAMP := $(VENV)/.synface-setup-$(if $(filter 1,$(GPU)),cuda,cpu)

.PHONY: setup reproduce test test-fast lint plots clean-results

setup: $(STAMP)

$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
ifeq ($(GPU),1)
	$(BIN)/python -m pip uninstall --quiet --yes torch
	$(BIN)/python -m pip install --quiet --index-url $(TORCH_CUDA_INDEX) --extra-index-url https://pypi.org/simple \
		--constraint requirements.lock torch
endif
	@rm -f $(VENV)/.synface-setup*
	@touch $@

# DVC runs each stage through Snakemake (datasets, models, metrics, the paper targets, the tuning
# study on the dev split, the report) and records what it made in dvc.lock, so `dvc status` is clean after.
reproduce: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# `dvc plots show` offline: vega, vega-lite and vega-embed inline in the page (workflow/plots/)
plots: setup
	$(BIN)/dvc plots show --html-template workflow/plots/offline.html -o dvc_plots

# The inner loop: every test but the end-to-end ones (marked slow: the smoke DAG, the paper-scale
# walk-through, SLURM), which make test still runs.
test-fast: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-results:
	rm -rf results/tables results/figures results/metrics
