"""Classroom app mode: serve one lesson with Voila, without code cells, in projector mode.

    make demo LESSON=01          # what a teacher types; opens the browser on 127.0.0.1
    python scripts/demo.py 01 --no-browser --port=8866   # extra arguments go to voila

- Only 127.0.0.1 (the teacher's own machine drives the projector); everything is served
  locally, so it works offline (tests/browser/test_browser_demo.py checks that the page asks nothing
  of the internet).
- Code cells are hidden (Voila's ``strip_sources``); cells tagged ``test-only`` (checks for
  nbval and the tests, not for learners) are removed before the app runs.
- A page closed or reloaded ends its kernel, and so the kernel's compare workers (Voila's
  unload beacon, and kernel culling for pages that never sent it: ``CULL_IDLE_SECONDS``).
- ``SEQ2SEQ_LAB_THEME=projector`` tells every ``Lab`` in the lesson to draw large figures and
  fonts for a wall (seq2seq_lab/widgets/lab.py reads it when a Lab is built without a theme).
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TEST_ONLY_TAG = "test-only"
OFFLINE_TEMPLATE = "seq2seq-offline"
# Every page load starts a kernel, and a kernel whose lesson built a Compare also holds its
# worker processes (~330 MB each, see seq2seq_lab/parallel/pool.py): a classroom reloading
# pages ran out of memory.  Voila's page asks the server to end its kernel when it unloads (a
# beacon), but a beacon is lost when a tab crashes or a laptop sleeps, so the server also
# culls: every CULL_INTERVAL seconds it ends the kernels that no page is connected to
# (cull_connected=False leaves open pages alone, however long a learner reads) and that have
# been quiet for CULL_IDLE_SECONDS.  The workers end with their kernel: they read their stdin
# until the kernel's end closes it.
CULL_IDLE_SECONDS = 120
CULL_INTERVAL = 30
# The Lab draws its figure large in projector mode; this makes the words around it (prose,
# slider labels, buttons, status, diagnosis) readable from the back of a classroom too.
PROJECTOR_CSS = """
  <style>
    :root {
      --jp-content-font-size1: 20px;
      --jp-ui-font-size1: 18px;
      --jp-widgets-font-size: 18px;
      --jp-widgets-inline-height: 36px;
    }
  </style>
"""


def install_offline_template() -> str:
    """Voila's ``lab`` template without its two Font Awesome <link>s to cdn.jsdelivr.net, and
    with larger text for a projector (``PROJECTOR_CSS``).

    They are render-blocking stylesheets in <head>: on a classroom network that drops traffic
    to the internet the page waits for them to time out.  Voila's own bundle already carries
    Font Awesome 5, so nothing is lost.  Derived from the installed template at every start, so
    a Voila upgrade cannot leave a stale copy behind; fails loudly if the links moved.
    """
    templates = Path(sys.prefix) / "share" / "jupyter" / "voila" / "templates"
    original = (templates / "lab" / "index.html.j2").read_text()
    cdn_link = re.compile(r'^\s*<link[^>]+cdn\.jsdelivr\.net[^>]*>\s*\n', re.MULTILINE)
    offline, removed = cdn_link.subn("", original)
    end_of_css = "{%- endblock notebook_css -%}"
    if (removed == 0 or "https://" in offline.split("{%- block body_header")[0]
            or offline.count(end_of_css) != 1):
        raise SystemExit(f"Voila's lab template changed: update {__file__}")
    offline = offline.replace(end_of_css, PROJECTOR_CSS + end_of_css)
    target = templates / OFFLINE_TEMPLATE
    target.mkdir(parents=True, exist_ok=True)
    (target / "conf.json").write_text(json.dumps({"base_template": "lab"}) + "\n")
    (target / "index.html.j2").write_text(offline)
    return OFFLINE_TEMPLATE


def find_lesson(lesson: str) -> Path:
    """``01`` (or ``1``, or a file name) -> notebooks/01_....ipynb."""
    as_path = Path(lesson)
    if as_path.suffix == ".ipynb" and as_path.exists():
        return as_path.resolve()
    prefix = lesson.zfill(2) if lesson.isdigit() else lesson
    matches = sorted(NOTEBOOKS.glob(f"{prefix}*.ipynb"))
    if len(matches) != 1:
        known = ", ".join(path.stem for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")))
        raise SystemExit(f"LESSON={lesson!r} matches {len(matches)} notebooks; "
                         f"lessons: {known or 'none'}")
    return matches[0]


def voila_command(notebook: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(notebook),
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--theme=light",
        f"--template={install_offline_template()}",
        # Remove test-only cells before the app runs them (Voila applies nbconvert's
        # preprocessors to its copy of the notebook before executing it).
        "--TagRemovePreprocessor.enabled=True",
        f"--TagRemovePreprocessor.remove_cell_tags={TEST_ONLY_TAG}",
        *_unless_given([f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
                        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
                        "--MappingKernelManager.cull_connected=False"], extra),
        *extra,
    ]


def _unless_given(defaults: list[str], extra: list[str]) -> list[str]:
    """``defaults`` without the options that ``extra`` sets itself: traitlets refuses an option
    given twice ("only accepts one value"), and the extra flag is the one meant."""
    given = {flag.split("=", 1)[0] for flag in extra}
    return [flag for flag in defaults if flag.split("=", 1)[0] not in given]


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if argv else 2)
    notebook = find_lesson(argv[0])
    os.environ.setdefault("SEQ2SEQ_LAB_THEME", "projector")
    command = voila_command(notebook, argv[1:])
    print("serving", notebook.relative_to(REPO) if notebook.is_relative_to(REPO) else notebook,
          "as an app (projector mode); stop with Ctrl-C", flush=True)
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main(sys.argv[1:])
