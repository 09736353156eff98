# Two commands do all set-up (README.md): `make lab` and `make test`.
# Both create .venv and install into it once; the stamp file makes the second run instant.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FIRST_LESSON := notebooks/00_parameters_vs_hyperparameters.ipynb

.PHONY: install lab test test-fast bench clean

$(STAMP): pyproject.toml Makefile scripts/jupyter_overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: on these machines 2.13.0 is a local CPU build; an unpinned torch
	# would pull several GB of CUDA packages.  pyproject's range then installs nothing more.
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[lab,test]'
	# Stop JupyterLab's news and update pop-ups from covering lessons and screenshots.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyter_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab $(FIRST_LESSON)

# Every test: library units, lesson claims, notebooks under nbval (fast mode).
test: install
	$(BIN)/python -m pytest -p no:cacheprovider tests
	SEQ2SEQ_LAB_FAST=1 $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax \
		--nbval-current-env --nbval-cell-timeout=300 notebooks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
