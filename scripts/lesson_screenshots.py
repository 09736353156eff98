"""Screenshots of one lesson as a learner sees it, with its full presets (not the tests' fast mode).

Usage: .venv/bin/python scripts/lesson_screenshots.py 08 [--projector] [--out DIR]
       (default DIR: test-artifacts/lessons)

Copies notebooks/<NN>_*.ipynb into a temporary folder, serves it with JupyterLab, runs all in
headless Debian Chromium at 1280x720 (``--projector``: with ``SEQ2SEQ_LAB_THEME=projector``, as
``make demo`` sets it), presses Train on every Lab and Compare in order and waits for each to
finish, runs again every cell that reads the runs of a widget above it (``.latest``,
``attention_maps``), and saves each widget (``<NN>-widget<i>.png``), the screen at each widget
(``<NN>-screen<i>.png``) and each re-run cell's output (``<NN>-output<i>.png``).
A lesson of six comparisons takes ~3 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from widget_screenshots import lab_page, train_in_browser  # noqa: E402

# Cells that read what a widget above them trained: run again after the training.
READS_RUNS = (".latest", "attention_maps(", ".runs", ".result", "searches_table(")


def main() -> None:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lesson", help="the lesson's number, e.g. 08")
    parser.add_argument("--projector", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "test-artifacts" / "lessons")
    args = parser.parse_args()
    path = next((REPO / "notebooks").glob(f"{args.lesson}_*.ipynb"))
    notebook = nbformat.read(path, as_version=4)
    tag = f"{args.lesson}{'-projector' if args.projector else ''}"
    args.out.mkdir(parents=True, exist_ok=True)
    env = {"SEQ2SEQ_LAB_THEME": "projector"} if args.projector else {}
    with lab_page(notebook, f"lesson{args.lesson}", env=env, viewport=(1280, 720)) as page:
        panel = page.locator(".jp-NotebookPanel:visible")
        widgets = panel.locator(".s2s-lab, .s2s-compare, .s2s-sensitivity, .s2s-search")
        widgets.first.wait_for(timeout=120_000)
        for index in range(widgets.count()):
            widget = widgets.nth(index)
            status = train_in_browser(page, widget)
            widget.screenshot(path=str(args.out / f"{tag}-widget{index + 1}.png"))
            page.screenshot(path=str(args.out / f"{tag}-screen{index + 1}.png"))
            print(f"widget {index + 1}: {status}", flush=True)
        # JupyterLab renders only the cells near the view, so the cells are found and run
        # through its own notebook model, not the page.
        indexes = page.evaluate(
            """(markers) => {
                 const notebook = window.jupyterapp.shell.currentWidget.content;
                 const found = [];
                 notebook.widgets.forEach((cell, i) => {
                   const source = cell.model.sharedModel.getSource();
                   if (cell.model.type === 'code' && markers.some(m => source.includes(m)))
                     found.push(i);
                 });
                 return found;
               }""", list(READS_RUNS))
        for shot, index in enumerate(indexes, 1):
            page.evaluate(
                """async (i) => {
                     const notebook = window.jupyterapp.shell.currentWidget.content;
                     notebook.activeCellIndex = i;
                     await notebook.scrollToItem(i, 'start');
                     await window.jupyterapp.commands.execute('notebook:run-cell');
                   }""", index)
            time.sleep(5)   # the kernel draws (the heatmaps), the browser shows it
            node = page.evaluate_handle(
                "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node", index)
            node.as_element().scroll_into_view_if_needed()
            node.as_element().screenshot(path=str(args.out / f"{tag}-output{shot}.png"))
            print(f"cell {index + 1} run again -> {tag}-output{shot}.png", flush=True)

if __name__ == "__main__":
    main()
