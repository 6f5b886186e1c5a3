# torchrl_lit: `make demo` and `make test` are all the set-up there is (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_VENV := .venv-bench
export NO_MKDOCS_2_WARNING := 1
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: help demo test test-slow test-sync test-clean test-nbs test-py test-docs docs serve-docs bench audit fidelity outputs clean

help:
	@echo "make demo | test | test-slow | docs | serve-docs | bench | audit | fidelity | outputs NB=nbs/xx.ipynb | clean"

# The pinned environment: CPU PyTorch and every tool, from constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev,distributed]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/torchrl-lit demo

# All checks, in order; the first failure stops the run.
test: test-sync test-clean test-nbs test-py test-docs
	@echo "make test: all checks passed"

test-sync: $(STAMP)
	@echo "== 1/5 package in sync with the notebooks (nbdev-export)"
	$(BIN)/python tools/check_tree.py --paths torchrl_lit -- $(BIN)/nbdev-export

test-clean: $(STAMP)
	@echo "== 2/5 notebooks clean (nbdev-clean)"
	$(BIN)/python tools/check_tree.py --paths nbs tutorials -- $(BIN)/nbdev-clean
	$(BIN)/python tools/check_tree.py --paths nbs tutorials -- $(BIN)/nbdev-clean --fname tutorials
	$(BIN)/python tools/lint_nbs.py nbs tutorials

test-nbs: $(STAMP)
	@echo "== 3/5 every notebook executes (nbdev-test, #| slow cells skipped)"
	$(BIN)/python tools/run_nbdev_test.py nbs tutorials

test-py: $(STAMP)
	@echo "== 4/5 pytest tests/"
	$(BIN)/pytest tests -q

test-docs: $(STAMP)
	@echo "== 5/5 documentation site (README.md in sync with nbs/index.ipynb) in headless Chromium"
	$(BIN)/python tools/check_tree.py --paths README.md --why "README.md is stale (it is generated from nbs/index.ipynb)" \
	    -- $(BIN)/python tools/build_docs.py
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory chromium
	$(BIN)/python tools/check_site.py

test-slow: $(STAMP)
	$(BIN)/python tools/run_nbdev_test.py --flags slow nbs tutorials

chromium:
	@if [ "$$(id -u)" != 0 ]; then echo "Install Debian's chromium (apt-get install chromium) for the site check"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

docs: $(STAMP)
	$(BIN)/python tools/build_docs.py

serve-docs: docs
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _docs 8000

# Store a notebook's outputs (plots, printed TensorDicts) for readers and the site, then clean it.
outputs: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make outputs NB=nbs/10_data.memmap.ipynb"; exit 1; }
	$(BIN)/nbdev-test $(NB) --save
	$(BIN)/nbdev-clean --fname $(NB)

# Peers (torchrl, tensordict) need torch 2.14.x: they get a venv of their own.
$(BENCH_VENV)/.installed: pyproject.toml
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q torch==2.14.1 torchrl==0.14.1 "tensordict>=0.14,<0.15" \
	    gymnasium==1.4.0 "numpy>=1.24" tqdm cloudpickle matplotlib fastcore \
	    stable-baselines3==2.9.2 dm_control==1.0.50 mujoco==3.17.0 ray==2.60.0 pytest
	$(BENCH_VENV)/bin/python -m pip install -q --no-deps -e .
	@touch $@

# Each benchmark's table is kept in benchmarks/results/ (the source of every figure we quote).
bench: $(BENCH_VENV)/.installed
	@mkdir -p benchmarks/results
	@for f in benchmarks/bench_*.py; do echo "== $$f"; \
	    $(BENCH_VENV)/bin/python $$f | tee benchmarks/results/$$(basename $$f .py).txt; done

# Bad inputs a user will give the library, sorted into clear errors, confusing errors and silent acceptance.
audit: $(STAMP)
	$(BIN)/python tools/audit_bad_inputs.py --out benchmarks/results/audit_bad_inputs.txt

# API fidelity on a held-out set: the peers' own checks run unchanged against torchrl_lit and against the peers.
fidelity: $(STAMP) $(BENCH_VENV)/.installed
	$(BIN)/python tools/heldout_fidelity.py

clean:
	rm -rf _proc _proc_pages _docs _docs_src _docs_src.yml build dist *.egg-info
