"""Classroom app mode (`make demo LESSON=01`): a lesson served by Voila, trained once.

Runs scripts/demo.py exactly as the Makefile does (plus a free port, a token and no browser
window), opens the app in Chromium, and checks what the class sees: no code, no test-only
cells, no errors, projector-sized figure, nothing requested from outside 127.0.0.1 (it must
work offline, so nothing may hang on a CDN), and one run with Train.
"""
from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time

import pytest

from browser_support import (ARTIFACTS, REPO, finished_runs, free_port, has_lab_widget,
                             image_source, lesson_notebooks, server_environment, stop_process,
                             wait_for_new_run, wait_for_port)

WIDGET_LESSONS = [notebook for notebook in lesson_notebooks() if has_lab_widget(notebook)]
PROJECTOR = {"width": 1280, "height": 720}
TEST_ONLY_TAG = "test-only"   # scripts/demo.py removes these cells from the app


@pytest.fixture
def demo_app(artifacts, browser_context):
    if not WIDGET_LESSONS:
        pytest.skip("no lesson with a Lab widget yet")
    notebook = WIDGET_LESSONS[0]
    port, token = free_port(), secrets.token_hex(24)
    log = artifacts / "voila-demo.log"
    command = [sys.executable, str(REPO / "scripts" / "demo.py"), str(notebook),
               "--no-browser", f"--port={port}", f"--Voila.token={token}",
               "--Voila.port_retries=0"]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   env=server_environment(), cwd=REPO)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_port(port, process, log)
            yield notebook, url, token
        finally:
            stop_process(process)


def test_demo_app_trains_once(demo_app, browser_context):
    notebook, url, token = demo_app
    page = browser_context.new_page()
    page.set_viewport_size(PROJECTOR)
    requests, failed, console = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    try:
        started = time.monotonic()
        # "load" fires once every cell ran and every resource arrived: a request hanging on a
        # CDN would make this time out.
        page.goto(f"{url}/?token={token}", wait_until="load", timeout=120_000)
        widget = page.locator(".s2s-lab, .s2s-compare").first
        widget.wait_for(timeout=60_000)
        ready_s = time.monotonic() - started

        outside = [u for u in requests
                   if not u.startswith((url, "data:", "blob:", "ws://127.0.0.1"))]
        assert not outside, f"the app asks the internet (breaks offline): {outside}"
        assert not failed, f"requests failed: {failed}"

        page_text = page.locator("body").inner_text()
        assert not re.search(r"Traceback|Error displaying widget", page_text), page_text
        assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0, \
            "code cells are visible in app mode"
        cells = json.loads(notebook.read_text())["cells"]
        shown = [c for c in cells if TEST_ONLY_TAG not in c.get("metadata", {}).get("tags", [])]
        assert page.locator("[cell-index]").count() == len(shown), (
            f"app shows {page.locator('[cell-index]').count()} cells, expected {len(shown)} "
            f"of {len(cells)} (cells tagged {TEST_ONLY_TAG!r} are removed)")

        status = widget.locator(".s2s-status").first
        runs_before = finished_runs(status.inner_text())
        figure_before = image_source(widget)
        widget.locator(".s2s-train").first.click()
        wait_for_new_run(page, status, runs_before, 120_000)
        assert image_source(widget) != figure_before, "the figure did not change after Train"
        diagnosis = widget.locator(".s2s-diagnosis").first
        page.wait_for_function("(el) => (el.innerText || '').trim().length > 0",
                               arg=diagnosis.element_handle(), timeout=30_000)

        # Projector mode: the figure is drawn for a wall (wider than the laptop look).
        width, shown_width = widget.locator(".s2s-figure img, img.s2s-figure").first.evaluate(
            "(img) => [img.naturalWidth, img.clientWidth]")
        widget.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"demo-{notebook.stem}.png"))
        # The whole widget, however tall (Voila scrolls inside a container, so a taller
        # window is the way to see all of it at once).
        height = widget.bounding_box()["height"]
        page.set_viewport_size({"width": PROJECTOR["width"], "height": int(height) + 200})
        widget.screenshot(path=str(ARTIFACTS / f"demo-{notebook.stem}-widget.png"))
        page.set_viewport_size(PROJECTOR)
        (ARTIFACTS / "demo-requests.log").write_text(
            f"ready after {ready_s:.1f} s, figure {width} px wide shown {shown_width} px wide, "
            f"widget {height:.0f} px tall "
            f"(screen {PROJECTOR['height']})\n" + "\n".join(requests) + "\n")
        assert width >= 900, f"figure only {width} px wide in projector mode"
        # Shown at most at its own size: a browser scaling a PNG up blurs its text.
        assert shown_width <= width, f"figure {width} px wide stretched to {shown_width} px"
        # The whole widget (controls to diagnosis) fits the projector's 720 px.
        assert height <= PROJECTOR["height"], f"widget {height:.0f} px tall on a 720 px screen"
    finally:
        (ARTIFACTS / "demo-console.log").write_text("\n".join(console) + "\n")
        page.close()
