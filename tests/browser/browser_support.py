"""Helpers for the browser tests: paths, the JupyterLab server handle, a notebook page."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Another folder of lessons can be tried with SEQ2SEQ_LAB_BROWSER_NOTEBOOKS (developing the tests).
NOTEBOOKS = Path(os.environ.get("SEQ2SEQ_LAB_BROWSER_NOTEBOOKS", REPO / "notebooks"))
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("SEQ2SEQ_LAB_CHROMIUM", "/usr/bin/chromium")
# The flags the project launches Chromium with (no sandbox: CI runs as root in a container).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
INSTALL_HINT = (
    "install it with `make test` (it runs scripts/ensure_chromium.sh, which apt-get installs "
    "Debian's `chromium` as root) or `sudo apt-get install chromium`; Playwright comes with "
    "`pip install -e '.[test]'` and must NOT download a browser (`playwright install` is not "
    "used). To skip the browser tests say so explicitly: `make test BROWSER=0` "
    "(SEQ2SEQ_LAB_BROWSER=0)."
)


def browser_tests_skipped() -> bool:
    return os.environ.get("SEQ2SEQ_LAB_BROWSER", "1").lower() in ("0", "false", "no")


def lesson_notebooks() -> list[Path]:
    """Every lesson, found by glob so that lessons added later are covered."""
    return sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(ready, what: str, process: subprocess.Popen, log: Path,
                     timeout: float) -> None:
    """Poll ``ready()`` until it is true; fail with the server's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log: {log}\n"
                               + log.read_text()[-3000:])
        if ready():
            return
        time.sleep(0.25)
    raise RuntimeError(f"server not {what} after {timeout} s; log: {log}\n"
                       + log.read_text()[-3000:])


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
    _wait_for_server(answers, "ready", process, log, timeout)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """For servers whose every page does work (Voila runs the notebook per request)."""
    def listens() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False
    _wait_for_server(listens, "listening", process, log, timeout)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def server_environment() -> dict:
    env = dict(os.environ)
    env["SEQ2SEQ_LAB_FAST"] = "1"
    env["LC_ALL"] = "C.UTF-8"    # widgets speak English (i18n reads the locale); tests match it
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class LabServer:
    """A running JupyterLab: its base URL, token and the root it serves (a copy)."""

    def __init__(self, url: str, token: str, root: Path, process: subprocess.Popen):
        self.url, self.token, self.root, self.process = url, token, root, process

    def api(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, data=data,
            headers={"Authorization": f"token {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def shut_down_all_sessions(self) -> None:
        """Kernels of finished lessons only eat the 2 shared cores: shut them down."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


# ---------------------------------------------------------------- one notebook in JupyterLab

# JavaScript run in the page; `jupyterapp` exists thanks to --LabApp.expose_app_in_browser.
_JS_KERNEL_IDLE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
                 && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

_JS_CELL_PROBLEMS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const problems = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    if (cell.model.executionCount === null) problems.push(`cell ${index}: not executed`);
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') {
        problems.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
        continue;
      }
      let text = output.text || (output.data && output.data['text/plain']) || '';
      if (Array.isArray(text)) text = text.join('');
      if (/Traceback|Error displaying widget|Exception in thread/.test(text))
        problems.push(`cell ${index}: ${output.output_type}: ${text.slice(0, 400)}`);
    }
  });
  // What the learner sees: widget views that failed to render show their error in the DOM.
  panel.node.querySelectorAll('.jp-OutputArea-output').forEach((node) => {
    const text = node.textContent || '';
    if (/Traceback|Error displaying widget|Model not found|Failed to load model/.test(text))
      problems.push(`rendered output: ${text.slice(0, 400)}`);
  });
  return [...new Set(problems)];
}"""

_JS_EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    const c = msg.content;
    if (msg.header.msg_type === 'stream') out += c.text;
    else if (msg.header.msg_type === 'execute_result') out += c.data['text/plain'];
    else if (msg.header.msg_type === 'error') out += `KERNEL ERROR ${c.ename}: ${c.evalue}`;
  };
  await future.done;
  return out;
}"""


# Every document in JupyterLab's main area closed at once, without the "unsaved changes" dialog
# (Run All leaves a notebook changed).  False where the tab has no JupyterLab yet.
_JS_CLOSE_NOTEBOOKS = """() => {
  const app = window.jupyterapp;
  if (!app) return false;
  for (const widget of Array.from(app.shell.widgets('main'))) {
    if (widget.context && widget.context.model) widget.context.model.dirty = false;
    widget.dispose();
  }
  return true;
}"""

_JS_OPEN = """async (path) => {
  await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
}"""


class LabPage:
    """A notebook open in JupyterLab, with the few actions a learner performs."""

    def __init__(self, page, server: LabServer, notebook: str):
        self.page, self.server, self.notebook = page, server, notebook
        self.panel = page.locator(".jp-NotebookPanel:visible")
        self.console: list[str] = []
        # The tab serves one notebook after another: this notebook's listeners go in close().
        self._listeners = [
            ("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}")),
            ("pageerror", lambda error: self.console.append(f"pageerror: {error}"))]
        for event, handler in self._listeners:
            page.on(event, handler)

    def open(self, timeout_ms: int = 60_000) -> None:
        """Open the notebook with a kernel of its own; the notebooks and kernels before it
        are closed first.  JupyterLab loads once per tab: later notebooks open in the running
        app (its Open command), which spares Chromium a boot of the whole app per lesson."""
        self.page.set_viewport_size(VIEWPORT)
        in_place = self.page.evaluate(_JS_CLOSE_NOTEBOOKS)
        self.server.shut_down_all_sessions()
        if in_place:
            self.page.evaluate(_JS_OPEN, self.notebook)
        else:
            self.page.goto(f"{self.server.url}/lab/tree/{self.notebook}"
                           f"?reset&token={self.server.token}")
        self.panel.first.wait_for(timeout=timeout_ms)
        self.wait_kernel_idle(timeout_ms)

    def close(self) -> None:
        """Close the notebook (kept unsaved, as a learner's Run All leaves it) and stop
        listening to the tab, which stays open for the next notebook."""
        for event, handler in self._listeners:
            self.page.remove_listener(event, handler)
        if not self.page.is_closed():
            self.page.evaluate(_JS_CLOSE_NOTEBOOKS)

    def wait_kernel_idle(self, timeout_ms: int = 60_000) -> None:
        self.page.wait_for_function(_JS_KERNEL_IDLE, timeout=timeout_ms, polling=200)

    def run_all(self, timeout_ms: int = 300_000) -> None:
        """Run > Run All Cells; returns once every cell has executed and the kernel is idle."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            """() => {
              const panel = window.jupyterapp.shell.currentWidget;
              return panel.content.widgets.every(
                (c) => c.model.type !== 'code' || c.model.executionCount !== null);
            }""", timeout=timeout_ms, polling=250)
        self.wait_kernel_idle(timeout_ms)

    def cell_problems(self) -> list[str]:
        return self.page.evaluate(_JS_CELL_PROBLEMS)

    def execute(self, code: str) -> str:
        """Run ``code`` in the notebook's kernel (not in a cell) and return what it printed."""
        return self.page.evaluate(_JS_EXECUTE, code)

    def kernel_status(self) -> str:
        return self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status")

    def visible_toasts(self) -> list[str]:
        return self.page.locator(".Toastify__toast:visible").all_inner_texts()

    def screenshot(self, name: str, widget=None) -> Path:
        """The window as the learner sees it, scrolled to ``widget`` when given."""
        if widget is not None:
            widget.scroll_into_view_if_needed()
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def save_console(self, name: str) -> None:
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(self.console) + "\n")


def slug(notebook: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", notebook.stem)


def has_lab_widget(notebook: Path) -> bool:
    """A lesson shows a training widget (Lab, Compare, Sensitivity or Search) when one of its
    code cells builds one."""
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in cells if c["cell_type"] == "code")
    return bool(re.search(r"\b(Lab|Compare|Sensitivity|Search)\(", code))


# "run N finished": a Compare's progress line also names a run ("0 of 2 settings finished;
# run 1 (...): step 13/16"), which is the run in progress, not a finished count.
_JS_NEW_RUN = r"""([el, before]) => {
     const match = /\brun (\d+) finished/.exec(el.innerText || '');
     return match && Number(match[1]) > before;
   }"""


def wait_for_new_run(page, status, runs_before: int, timeout_ms: int) -> None:
    """Wait until the status line reports more finished runs than ``runs_before``: the
    kernel's own count, not the slider readout."""
    page.wait_for_function(_JS_NEW_RUN, arg=[status.element_handle(), runs_before],
                           timeout=timeout_ms)


def finished_runs(status_text: str) -> int:
    """The kernel's finished-run count the status line reports ("run 2 finished: ...")."""
    match = re.search(r"\brun (\d+) finished", status_text)
    return int(match.group(1)) if match else 0


def image_source(widget) -> str:
    return widget.locator(".s2s-figure img, img.s2s-figure").first.get_attribute("src") or ""


# ---------------------------------------------------------------- the Question widget
# (Playwright's ``expect`` is imported where used: this module is imported, and the browser
# tests skipped or failed with a clear message, on a machine without Playwright.)
QUESTION_TIMEOUT_MS = 30_000
RUN_TIMEOUT_MS = 120_000     # a fast-mode run takes seconds; generous for 2 shared cores

def choose(question, label: str) -> None:
    question.locator(".widget-radio-box label").filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()


def kernel_has(question, text: str, language: str = "en") -> None:
    """Wait until the kernel has the answer just chosen or typed: the widget then prompts
    for a Check naming it (or, for an emptied field, clears its feedback).  An event from the
    kernel, not a wait: a Check sent before the new answer arrives would judge the old one."""
    from playwright.sync_api import expect
    feedback = question.locator(".s2s-question-feedback").first
    if not text:
        expect(feedback).to_have_text("", timeout=QUESTION_TIMEOUT_MS)
        return
    prompt = f"You chose {text}: press Check" if language == "en" else f"{text} 선택"
    expect(feedback).to_contain_text(prompt, timeout=QUESTION_TIMEOUT_MS)


def check(question, expected: str) -> None:
    """Press Check and wait for the feedback the kernel sends back."""
    from playwright.sync_api import expect
    question.locator(".s2s-question-check").first.click()
    # The kernel answers; on 2 shared cores busy with a training run that can take seconds.
    expect(question.locator(".s2s-question-feedback").first).to_contain_text(expected,
                                                                             timeout=QUESTION_TIMEOUT_MS)


def check_predict_first_question(lab) -> None:
    """Lesson 01's "predict first" question, on its page after Run All: choose, Check, read the
    feedback, answer again; the Lab below then names the run that tests the prediction (its
    first run), and the kernel kept both answers in order."""
    from playwright.sync_api import expect
    question = lab.panel.locator(".s2s-question").first
    question.scroll_into_view_if_needed()
    expect(question.locator(".s2s-question-prompt")).to_contain_text("95% validation accuracy")

    check(question, "Choose one of the answers first")
    choose(question, "0.1")
    kernel_has(question, "0.1")
    check(question, "Not quite.")
    expect(question.locator(".s2s-question-feedback")).to_contain_text("You answered 0.1.",
                                                                       timeout=QUESTION_TIMEOUT_MS)
    choose(question, "0.003")
    kernel_has(question, "0.003")
    check(question, "Right!")
    expect(question.locator(".s2s-question-feedback")).to_contain_text("Only 0.003.",
                                                                       timeout=QUESTION_TIMEOUT_MS)
    lab.screenshot("question-lesson01", question)
    question.screenshot(path=str(ARTIFACTS / "question-lesson01-widget.png"))

    # The Lab below shows the prediction, then names the run that tests it.
    widget = lab.panel.locator(".s2s-lab").first
    prediction = widget.locator(".s2s-prediction").first
    expect(prediction).to_contain_text("Your prediction: 0.003. Press Train to test it.",
                                       timeout=QUESTION_TIMEOUT_MS)
    widget.locator(".s2s-train").first.click()
    expect(prediction).to_contain_text("Your prediction: 0.003, tested by run 1.",
                                       timeout=RUN_TIMEOUT_MS)
    expect(widget.locator(".s2s-status").first).to_contain_text(
        "run 1 finished", timeout=RUN_TIMEOUT_MS)
    lab.screenshot("question-lesson01-lab", prediction)

    # The kernel kept both answers, in order: what the widget said is what it recorded.
    record = json.loads(lab.execute(
        "import json; print(json.dumps([[a.text, a.correct] for a in prediction.attempts]))"))
    assert record == [["0.1", False], ["0.003", True]], record
    lab.wait_kernel_idle()
    assert not lab.cell_problems(), lab.cell_problems()
