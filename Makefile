# Two commands do all set-up (README.md): `make lab` and `make test`.
# Both create .venv and install into it once; the stamp file makes the second run instant.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FIRST_LESSON := notebooks/00_parameters_vs_hyperparameters.ipynb
# Browser tests (tests/browser/: every lesson in JupyterLab, and the app mode, in headless
# Debian Chromium driven by Playwright).  `make test BROWSER=0` skips them explicitly.
BROWSER ?= 1
# `make demo LESSON=01`: a lesson as a classroom app (Voila, no code, projector mode).
LESSON  ?= 01
# Python writes the bytecode of a module it imports the first time (into __pycache__), unless
# PYTHONDONTWRITEBYTECODE is set, as on these machines; then every process recompiles all it
# imports.  Not set for anything make starts, so the install and each first import compile once.
unexport PYTHONDONTWRITEBYTECODE
# Jupyter refuses to start as root ("Running as root is not recommended") unless told
# --allow-root; containers and CI machines run as root, so `make lab` says so and passes it.
ifeq ($(shell id -u),0)
AS_ROOT := --allow-root
endif

.PHONY: install lab test test-fast bench clean demo system-deps

$(STAMP): pyproject.toml Makefile scripts/jupyter_overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: on these machines 2.13.0 is a local CPU build; an unpinned torch
	# would pull several GB of CUDA packages.  pyproject's range then installs nothing more.
	# uv comes with it and installs the rest: pip took 97 s for it where uv takes 22 s
	# (measured on this machine, 2026-11-30).  Neither byte-compiles while installing
	# (--no-compile; uv's default): pip compiles one file at a time, 34 s for torch alone.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile torch==2.13.0 uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[lab,test]'
	# Compiled what a lesson imports must be: with PYTHONDONTWRITEBYTECODE set, as on these
	# machines, an uncompiled torch costs every process that imports it 10 s more.  One import
	# of it writes the bytecode of the modules a kernel loads (the rest is compiled as make's
	# processes first import it: see `unexport` above): 2,900 of site-packages' 11,000 files.
	# compileall of them all took 50 s on 2 cores; these two imports, one per core, 16 s.
	$(BIN)/python -c 'import torch._dynamo, seq2seq_lab' & torch=$$!; \
	$(BIN)/python -c 'import matplotlib.pyplot, ipykernel.kernelapp, jupyterlab.labapp' && \
	wait $$torch
	# Stop JupyterLab's news and update pop-ups from covering lessons and screenshots.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyter_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP)

lab: install
ifdef AS_ROOT
	@echo "note: running as root (a container?), so JupyterLab starts with --allow-root"
endif
	$(BIN)/jupyter lab $(AS_ROOT) $(FIRST_LESSON)

# The Debian packages the tests use, apt-get installed when missing (as root, as in CI), in one
# apt-get run: chromium and a Hangul font for the browser tests, postgresql for the class-wide
# search tests (they start a throw-away server of their own).
system-deps:
ifneq ($(BROWSER),0)
	scripts/ensure_system_packages.sh
else
	scripts/ensure_system_packages.sh --no-browser
endif

# Every test: library units, lesson claims, lessons in a browser, and every notebook under
# nbval in fast mode, in one pytest session.  Two test processes (pytest-xdist), a whole file
# each at a time (--dist loadfile): a lesson's claims share their trained runs within its file
# (functools.cache, module fixtures), and many tests train one run on one thread, so the second
# core would otherwise wait.  Two, not one per core: each process's comparisons start their own
# worker per core.  The notebooks run in the kernel tests/jupyter/kernels/seq2seq-lab-fast (on
# JUPYTER_PATH): it sets SEQ2SEQ_LAB_FAST=1 for the kernel alone, so lesson tests in the same
# process still train full-size presets.
# The Python packages (pip, mostly from local disk) and the Debian packages (apt-get, from the
# network) install side by side: on a clean CI machine they are its two slowest steps.
test:
	$(MAKE) --no-print-directory -j2 install system-deps
	SEQ2SEQ_LAB_BROWSER=$(BROWSER) JUPYTER_PATH=$(CURDIR)/tests/jupyter \
		$(BIN)/python -m pytest -p no:cacheprovider --durations=15 -n 2 --dist loadfile \
		--nbval-lax --nbval-kernel-name=seq2seq-lab-fast --nbval-cell-timeout=300 \
		tests notebooks

demo: install
	$(BIN)/python scripts/demo.py $(LESSON)

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
