"""Pictures of the figure panels (``seq2seq_lab/panels.py``) drawn from real runs, for
docs/screenshots/: every panel beyond loss and accuracy, in the notebook and projector themes,
in English and Korean (``panels-<theme>-<language>.png``).

Usage: .venv/bin/python scripts/panel_screenshots.py [OUT_DIR] [--widgets]
(default: docs/screenshots)

The runs are small versions of what lessons train (reverse task, 640 examples): ~1 minute on
2 cores.  ``--widgets`` also shoots Labs with several panels in JupyterLab (headless Chromium,
as ``widget_screenshots.py`` does), trained by clicking Train: ``lab-panels-*.png``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from seq2seq_lab import lr_find, train
from seq2seq_lab.compare import compare
from seq2seq_lab.config import Seq2SeqConfig
from seq2seq_lab.panels import (THEMES, RunView, draw_attention, draw_bands, draw_gradient_norm,
                                draw_grid, draw_learning_rate, draw_range_test)
from seq2seq_lab.plots import to_png
from seq2seq_lab.training import total_steps
from seq2seq_lab.widgets.live import build_task

REPO = Path(__file__).resolve().parents[1]
TASK = {"train_size": 640, "val_size": 200, "test_size": 10}
BASE = Seq2SeqConfig(max_num_epochs=6, checkpoint_frequency_num_batches=10)


def runs():
    task = build_task("reverse", TASK)
    cosine = BASE.replace(lr_scheduler_type="one_cycle")
    planned = total_steps(cosine, task)
    return {
        "schedule": (train(cosine, task=task, seed=0), planned),
        "clipped": train(BASE.replace(learning_rate=0.02, clip_gradient=0.5), task=task, seed=0),
        "attention": train(BASE.replace(learning_rate=1e-2), task=task, seed=0),
        "range": lr_find(BASE, task=task, num=100, seed=0),
        "grid": compare(BASE, vary={"learning_rate": [1e-3, 3e-3, 1e-2],
                                    "batch_size": [32, 64]}, task="reverse",
                        task_options=TASK, workers=0),
        "bands": compare(BASE, vary={"learning_rate": [1e-3, 1e-2]}, seeds=[0, 1, 2],
                         task="reverse", task_options=TASK, workers=0),
    }


def picture(made, theme: str, language: str) -> bytes:
    look = THEMES[theme]
    # Two rows of three, each panel about the size it has in a Lab with three in a row.
    figure = Figure(figsize=(look.width, look.height * 1.9), dpi=look.dpi)
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 3)
    figure.subplots_adjust(left=0.1, right=0.985, top=0.92, bottom=0.09, wspace=0.5, hspace=0.6)
    history, planned = made["schedule"]
    draw_learning_rate(axes[0, 0], [RunView(history, "one_cycle", "#0072B2", "current", planned)],
                       theme=theme, language=language)
    draw_gradient_norm(axes[0, 1], [made["clipped"]], theme=theme, language=language)
    draw_attention(axes[0, 2], [RunView(made["attention"], "#1", "#0072B2", "current")],
                   theme=theme, language=language)
    draw_range_test(axes[1, 0], made["range"], theme=theme, language=language)
    grid = made["grid"][:-1]                         # the last run not finished yet: a blank cell
    draw_grid(axes[1, 1], grid, x="learning_rate", y="batch_size", theme=theme, language=language)
    draw_bands(axes[1, 2], made["bands"], theme=theme, language=language)
    return to_png(figure, dpi=look.dpi)


FOUR = '["loss", "accuracy", "gradient_norm", "attention"]'
WIDGET_CELLS = [
    "from seq2seq_lab import Lab, set_language",
    f'four = Lab(preset="default", params=["learning_rate"], panels={FOUR})\nfour',
    'three = Lab(preset="default", params=["learning_rate"], theme="projector",\n'
    '            panels=["loss", "gradient_norm", "attention"])\nthree',
    f'big = Lab(preset="default", params=["learning_rate"], theme="projector", panels={FOUR})\nbig',
    'set_language("ko")\nko = Lab(preset="default", params=["learning_rate"],\n'
    '         panels=["loss", "learning_rate", "gradient_norm", "attention"])\nset_language("en")\nko',
    'grid = Lab(preset="default", params=["learning_rate", "batch_size"], config={"max_num_epochs": 2},\n'
    '           panels=["loss", ("grid", {"x": "learning_rate", "y": "batch_size"}), "bands"])\ngrid',
]


def widgets(out: Path) -> None:
    """Labs with several panels in JupyterLab, each shot after a run (the grid after four)."""
    import time

    from widget_screenshots import lab_page, train_in_browser

    with lab_page(WIDGET_CELLS, "panels") as page:
        roots = page.locator(".jp-NotebookPanel:visible").locator(".s2s-lab")
        roots.nth(4).wait_for(timeout=120_000)

        def train(index: int, before: str = "") -> None:
            train_in_browser(page, roots.nth(index), before)

        def shoot(index: int, name: str) -> None:
            roots.nth(index).screenshot(path=str(out / f"{name}.png"))
            print("wrote", out / f"{name}.png")

        train(0)
        train(0, "four.controls['learning_rate'].value = 0.03")
        shoot(0, "lab-panels-4")
        train(1)
        shoot(1, "lab-panels-projector-3")
        page.set_viewport_size({"width": 1280, "height": 720})
        roots.nth(1).evaluate("el => el.scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        page.screenshot(path=str(out / "lab-panels-projector-3-1280x720.png"))
        page.set_viewport_size({"width": 1280, "height": 1000})
        train(2)
        shoot(2, "lab-panels-projector-4")
        train(3)
        shoot(3, "lab-panels-korean")
        for rate, size in ((1e-3, 64), (1e-2, 64), (1e-3, 32), (1e-2, 32)):
            train(4, f"grid.controls['learning_rate'].value = {rate}\n"
                     f"grid.controls['batch_size'].value = {size}")
        shoot(4, "lab-panels-grid")


def main(out: Path, with_widgets: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    made = runs()
    for theme in THEMES:
        for language in ("en", "ko"):
            path = out / f"panels-{theme}-{language}.png"
            path.write_bytes(picture(made, theme, language))
            print("wrote", path)
    if with_widgets:
        widgets(out)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--widgets"]
    main(Path(arguments[0]) if arguments else REPO / "docs" / "screenshots",
         "--widgets" in sys.argv[1:])
