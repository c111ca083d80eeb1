# Two commands matter: `make reproduce` and `make test`; both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.synface-setup
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup reproduce test lint clean-results

setup: $(STAMP)

$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# DVC runs each stage through Snakemake, records what it made in dvc.lock (so `dvc status` is
# clean after), then the tuning study (dev split) that chose the embedded protocol.
reproduce: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro
	$(BIN)/snakemake --cores $(CORES) tuning

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-results:
	rm -rf results/tables results/figures results/metrics
