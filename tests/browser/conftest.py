"""Browser tests: lessons driven the way a learner drives them, in JupyterLab and Voila.

One JupyterLab server per test session (127.0.0.1, a free port, a random token), started on
a *copy* of ``notebooks/`` so that JupyterLab's autosave never writes outputs into the
repository; one headless Debian Chromium driven by Playwright (Python).  Lessons run in fast
mode (``SEQ2SEQ_LAB_FAST=1`` in the server's environment, read by ``seq2seq_lab.presets``).

Skipping is explicit: ``SEQ2SEQ_LAB_BROWSER=0`` (what ``make test BROWSER=0`` sets).  Otherwise
a missing Chromium or Playwright is a failure whose message says how to install it.

Screenshots, the server logs and the browser console go to ``test-artifacts/browser/``.
The recipe (server flags, settings overrides, waiting on the kernel's status) is written out in
browser_support.py.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import (ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, INSTALL_HINT, NOTEBOOKS,
                             VIEWPORT, LabPage, LabServer, browser_tests_skipped, free_port,
                             server_environment, stop_process, wait_for_http)


def pytest_collection_modifyitems(config, items):
    if not browser_tests_skipped():
        return
    skip = pytest.mark.skip(reason="browser tests switched off (SEQ2SEQ_LAB_BROWSER=0, "
                                   "make test BROWSER=0)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


# ---------------------------------------------------------------- session-wide resources


def pytest_configure(config):
    """Empty the artifacts once per pytest session, in the process that starts the xdist
    workers: a session fixture runs once in every worker, and one worker's emptying wiped the
    other's screenshots (a failed lesson left none to look at)."""
    if not hasattr(config, "workerinput"):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Emptied when the session starts (``pytest_configure``), so what is there describes
    this run only."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory, artifacts):
    """A persistent context of Debian's Chromium with a fresh user-data-dir."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: {INSTALL_HINT}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the Python package `playwright` is missing: {INSTALL_HINT}",
                    pytrace=False)
    user_data = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport=VIEWPORT)
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, artifacts, browser_context):
    """JupyterLab on 127.0.0.1, a free port and a random token, serving a copy of notebooks/."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(NOTEBOOKS, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    state = tmp_path_factory.mktemp("lab-state")
    port, token = free_port(), secrets.token_hex(24)
    overrides = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"
    if not overrides.exists():
        pytest.fail(f"{overrides} is missing: news and update pop-ups would cover the lessons. "
                    "`make install` copies scripts/jupyter_overrides.json there.", pytrace=False)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        # Keep the tests' tabs and settings away from the engineer's own ~/.jupyter.
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        f"--LabApp.user_settings_dir={state / 'user-settings'}",
    ]
    env = server_environment()
    env["JUPYTER_RUNTIME_DIR"] = str(state / "runtime")
    log = artifacts / "jupyterlab.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   env=env, cwd=root)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/api/status?token={token}", process, log)
            yield LabServer(url, token, root, process)
        finally:
            stop_process(process)


@pytest.fixture(scope="session")
def lab_tab(browser_context):
    """One tab for every notebook of the session: JupyterLab boots in it once (see
    LabPage.open)."""
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture
def open_lab_page(lab_tab, lab_server):
    """``open_lab_page("notebooks/01_x.ipynb")`` opens it in the session's JupyterLab tab;
    closed, with its kernel, afterwards."""
    opened = []

    def _open(notebook: str) -> LabPage:
        lab_page = LabPage(lab_tab, lab_server, notebook)
        opened.append(lab_page)
        lab_page.open()
        return lab_page

    yield _open
    for lab_page in opened:
        lab_page.close()
    lab_server.shut_down_all_sessions()
