"""Screenshots of the Lab widget in JupyterLab (headless Debian Chromium), for docs/screenshots/.

Usage: .venv/bin/python scripts/widget_screenshots.py [OUT_DIR]   (default: docs/screenshots)

Builds a scratch notebook in a temporary folder (never in notebooks/), serves it with JupyterLab,
clicks Train in the browser the way a learner does, and saves the widget as it looks after a
good run, a diverging run, an overfitting run, in projector mode (also as a whole 1280x720
screen), in Korean, and a Compare.
Takes ~2 minutes on 2 cores.
"""
from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CELLS = [
    "from seq2seq_lab import Lab, Compare, set_language",
    'good = Lab(preset="default", params=["learning_rate", "rnn_num_hidden"])\ngood',
    'over = Lab(preset="diagnose_overfitting", params=["rnn_num_hidden", "weight_decay",'
    ' "rnn_decoder_hidden_dropout"])\nover',
    'big = Lab(preset="default", params=["learning_rate"], theme="projector")\nbig',
    'set_language("ko")\nko = Lab(preset="default", params=["learning_rate", "rnn_cell_type"])\n'
    'set_language("en")\nko',
    'many = Compare(preset="default", param="learning_rate", values=[1e-4, 1e-3, 1e-2, 0.1])\nmany',
]
JS_EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.evalue;
  };
  await future.done;
  return out;
}"""
JS_IDLE = """() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def lab_page(cells, name: str = "shots", env: dict | None = None,
             viewport: tuple[int, int] = (1280, 1000)):
    """A scratch notebook of ``cells`` (code strings, or a whole notebook to copy) in a
    temporary folder (never in notebooks/), served by JupyterLab (``env`` added to its
    environment) and run to the end in headless Debian Chromium; yields the Playwright page."""
    import os

    import nbformat
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix=f"s2s-{name}-"))
    if isinstance(cells, nbformat.NotebookNode):
        notebook = cells
    else:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / f"{name}.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=None"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root,
        env={**os.environ, **(env or {})})
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(root / "profile"), executable_path="/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-gpu"],
                viewport={"width": viewport[0], "height": viewport[1]})
            page = context.new_page()
            page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={token}")
            page.wait_for_function(JS_IDLE, timeout=120_000, polling=200)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            time.sleep(3)
            page.wait_for_function(JS_IDLE, timeout=300_000, polling=200)
            yield page
            context.close()
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(root, ignore_errors=True)


def train_in_browser(page, widget, before: str = "") -> str:
    """Run ``before`` in the kernel, press the widget's Train, wait until its status says the
    run finished; returns the status."""
    widget.scroll_into_view_if_needed()
    if before:
        print(page.evaluate(JS_EXECUTE, before), end="")
    status = widget.locator(".s2s-status")
    previous = status.inner_text()
    widget.locator(".s2s-train").click()
    page.wait_for_function(
        # A Lab's or Compare's "run 3 finished", a Search's "done: 12 trials ..." ("완료:").
        "([el, before]) => el.innerText !== before && "
        "/(run \\d+ finished|실행 \\d+ 완료|^done:|^완료:)/.test(el.innerText)",
        arg=[status.element_handle(), previous], timeout=300_000, polling=250)
    time.sleep(1.0)  # the final frame and diagnosis
    return status.inner_text()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with lab_page(CELLS) as page:
        panel = page.locator(".jp-NotebookPanel:visible")
        roots = panel.locator(".s2s-lab, .s2s-compare, .s2s-sensitivity")
        roots.nth(4).wait_for(timeout=120_000)

        def run(index: int, name: str, before: str = "") -> None:
            widget = roots.nth(index)
            status = train_in_browser(page, widget, before)
            widget.screenshot(path=str(out / f"{name}.png"))
            print(name, "->", status)

        run(0, "lab-good")
        run(0, "lab-diverged", "good.controls['learning_rate'].value = 1.0")
        run(1, "lab-overfitting")
        run(2, "lab-projector", "big.controls['learning_rate'].value = 0.1")
        # The whole projector widget must fit a 1280x720 projector: shoot the screen as a
        # class would see it, with the widget scrolled to the top.
        page.set_viewport_size({"width": 1280, "height": 720})
        roots.nth(2).evaluate("el => el.scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        page.screenshot(path=str(out / "lab-projector-1280x720.png"))
        box = roots.nth(2).bounding_box()
        print("lab-projector widget:", round(box["width"]), "x", round(box["height"]), "px;",
              "figure shown", page.evaluate(
                  "el => [el.clientWidth, el.naturalWidth]",
                  roots.nth(2).locator(".s2s-figure img, img.s2s-figure").first.element_handle()))
        page.set_viewport_size({"width": 1280, "height": 1000})
        run(3, "lab-korean")
        run(4, "compare")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
