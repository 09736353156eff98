"""Every lesson, used the way a learner uses it, in JupyterLab in headless Chromium.

For each notebook in notebooks/ (found by glob): open it, Run All, no cell shows an error;
for its first widget of each kind (Lab, Compare, Sensitivity): move a slider with the keyboard
(or type fewer values), press Train, see the figure change, and check with the kernel itself
that a new run was recorded with the slider's value, and that the diagnosis appeared; on lesson
01, Stop right after Train.  A screenshot of each lesson goes to
test-artifacts/browser/<lesson>.png.
"""
from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_support import (ARTIFACTS, NOTEBOOKS, RUN_TIMEOUT_MS, check_predict_first_question,
                             finished_runs, has_lab_widget, image_source, lesson_notebooks, slug,
                             wait_for_new_run)

LESSONS = lesson_notebooks()
# The one lesson whose comparisons train in worker processes, as a learner's do; the other
# kernels train them in-process (SEQ2SEQ_LAB_WORKERS=0).  A fast-mode run lasts under a second
# while each worker spends seconds importing torch, and the same two workers started in every
# lesson's kernel cost the whole suite about a minute of CPU on 2 cores.  The workers are the
# same code whatever the lesson: tests/test_workers.py tests them, and lesson 04 here (a
# Compare first) drives them from a real page.
WORKERS_LESSON = "04_batch_size_and_epochs"
# Stop pressed right after Train, on this lesson's first Lab: the same Lab class in every
# lesson, so once is enough (its Stop is tested with events in tests/test_widgets.py too).
STOP_LESSON = "01_learning_rate"
WIDGET_ROOT = ".s2s-lab, .s2s-compare, .s2s-sensitivity, .s2s-search"
# What a lesson's page is checked for beyond every lesson's checks, before its widgets are
# exercised (on the same page: another page would Run All the lesson again).
PAGE_CHECKS = {"01_learning_rate": check_predict_first_question}


def test_lessons_were_found():
    assert LESSONS, f"no lesson notebooks found in {NOTEBOOKS}"
    stems = {notebook.stem for notebook in LESSONS}
    assert {WORKERS_LESSON, STOP_LESSON} | set(PAGE_CHECKS) <= stems


def test_news_and_update_popups_are_off(lab_server):
    """scripts/jupyter_overrides.json, installed by `make install`, is in effect: the server
    serves the notification settings with news and update checks off by default."""
    plugin = "@jupyterlab/apputils-extension:notification"
    response = lab_server.api("GET", f"/lab/api/settings/{plugin}")
    defaults = {key: spec.get("default")
                for key, spec in response["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", defaults
    assert defaults["checkForUpdates"] is False, defaults


@pytest.mark.parametrize("notebook", LESSONS, ids=[n.stem for n in LESSONS])
def test_lesson_in_jupyterlab(notebook, open_lab_page):
    name = slug(notebook)
    lab = open_lab_page(f"notebooks/{notebook.name}")
    try:
        if notebook.stem != WORKERS_LESSON:
            lab.execute("import os; os.environ['SEQ2SEQ_LAB_WORKERS'] = '0'")
        lab.run_all()
        problems = lab.cell_problems()
        assert not problems, f"{notebook.name} shows errors after Run All:\n" + "\n".join(problems)
        if notebook.stem in PAGE_CHECKS:
            PAGE_CHECKS[notebook.stem](lab)

        widgets = lab.panel.locator(WIDGET_ROOT)
        if not has_lab_widget(notebook):
            assert not lab.visible_toasts(), f"pop-ups cover the lesson: {lab.visible_toasts()}"
            lab.screenshot(name)
            return
        assert widgets.count() >= 1, f"{notebook.name} builds a Lab but none is displayed"
        # The first widget of each kind (Lab, Compare), each as a learner uses it.  The others
        # are the same two classes on other presets, built without error by Run All above;
        # training all of them (seven in lesson 08) would add minutes to every `make test`.
        picked, kinds = [], set()
        for index in range(widgets.count()):
            classes = widgets.nth(index).get_attribute("class") or ""
            kind = next((k for k in ("lab", "sensitivity", "search") if f"s2s-{k}" in classes),
                        "compare")
            if kind not in kinds:
                kinds.add(kind)
                picked.append(index)
        for index in picked:
            widget = widgets.nth(index)
            widget.scroll_into_view_if_needed()
            exercise = (start_small_search if "s2s-search" in (widget.get_attribute("class") or "")
                        else exercise_widget)
            exercise(lab, widget, f"{notebook.name} widget {index + 1}")
            problems = lab.cell_problems()
            assert not problems, (f"{notebook.name} shows errors after training:\n"
                                  + "\n".join(problems))
            assert not lab.visible_toasts(), f"pop-ups cover the lesson: {lab.visible_toasts()}"
            if index == 0:
                lab.screenshot(name, widget)
            widget.screenshot(path=str(ARTIFACTS / f"{name}-widget{index + 1}.png"))
        # Bad input where a text field allows it (a Lab's text_params, Compare's values box).
        for index in range(widgets.count()):
            widget = widgets.nth(index)
            if widget.locator(".widget-text input").count():
                type_bad_value(lab, widget, notebook.name)
                lab.screenshot(f"{name}-bad-input", widget)
                break
    finally:
        lab.save_console(name)


def exercise_widget(lab, widget, lesson: str) -> None:
    """Move a control, Train, watch the figure change, Stop; then ask the kernel."""
    page = lab.page
    status = widget.locator(".s2s-status").first
    runs_before = finished_runs(status.inner_text())
    record_before = kernel_record(lab)
    assert runs_before in [entry[0] for entry in record_before], (
        f"{lesson}: status says {runs_before} runs, the kernel's widgets: {record_before}")

    if widget.locator(".widget-slider .noUi-handle").count():
        parameter, shown, new_runs = move_first_slider(page, widget)
    elif "s2s-sensitivity" in (widget.get_attribute("class") or ""):
        parameter, shown, new_runs = type_one_change(lab, widget)
    else:   # Compare: the values to train side by side are typed in a text box
        parameter, shown, new_runs = type_fewer_values(lab, widget)

    # Train, and (a Lab) Stop once the figure moved.  A fast-mode run lasts a few seconds and the
    # status lags it, so this Stop often lands after the end: check_stop() tests Stop on its own.
    train_at = time.monotonic()
    press_train_and_see_the_figure_change(page, widget, lab)
    # A Lab run is stopped; a Compare is left to finish (a few seconds in fast mode): Stop
    # may come before one of its runs has started (its worker still importing torch on a busy
    # machine), and such a run is left out.  Stopping a Compare is tested with events in
    # tests/test_widgets.py.
    stop_at, status_at_stop = time.monotonic(), ""
    if new_runs == 1:
        widget.locator(".s2s-stop").first.click()
        status_at_stop = status.inner_text()

    # The kernel finished (or stopped) the run and says so in the status line ...
    wait_for_new_run(page, status, runs_before, RUN_TIMEOUT_MS)
    final_status = status.inner_text()
    print(f"{lesson}: Stop {stop_at - train_at:.1f} s after Train; at Stop: "
          f"{status_at_stop!r}; then {final_status!r}")
    assert finished_runs(final_status) == runs_before + new_runs, final_status
    # ... and its own record agrees, with the value the learner chose.
    before = {i: entry[0] for i, entry in enumerate(record_before)}
    after = kernel_record(lab, parameter)
    grown = [(count - before.get(i, 0), value) for i, (count, value, _) in enumerate(after)
             if count > before.get(i, 0)]
    assert len(grown) == 1 and grown[0][0] == new_runs, (
        f"{lesson}: the kernel should have recorded {new_runs} new run(s) in one widget: "
        f"{record_before} -> {after}")
    assert_same_value(grown[0][1], shown, parameter, lesson)

    diagnosis = widget.locator(".s2s-diagnosis").first
    page.wait_for_function("(el) => (el.innerText || '').trim().length > 0",
                           arg=diagnosis.element_handle(), timeout=30_000)
    lab.wait_kernel_idle()
    assert lab.kernel_status() == "idle"
    if new_runs == 1 and lesson.startswith(STOP_LESSON):
        check_stop(lab, widget, lesson)


def start_small_search(lab, widget, lesson: str) -> None:
    """Search: the budget slider to its smallest (the keyboard's Home), Start, the figure
    changes, the search ends; the kernel's widget then holds one more search, of trials that
    fit that budget."""
    page = lab.page
    handle = widget.locator(".s2s-param-budget .noUi-handle").first
    if handle.get_attribute("aria-valuenow") != handle.get_attribute("aria-valuemin"):
        before = handle.get_attribute("aria-valuenow")
        handle.focus()
        handle.press("Home")
        page.wait_for_function(
            "([el, before]) => el.getAttribute('aria-valuenow') !== before",
            arg=[handle.element_handle(), before], timeout=10_000)
    budget = round(float(handle.get_attribute("aria-valuenow")))
    searches_before = kernel_searches(lab)
    press_train_and_see_the_figure_change(page, widget, lab)
    status = widget.locator(".s2s-status").first
    page.wait_for_function("(el) => (el.innerText || '').startsWith('done:')",
                           arg=status.element_handle(), timeout=RUN_TIMEOUT_MS)
    lab.wait_kernel_idle()
    after = kernel_searches(lab)
    assert len(after) == len(searches_before), (searches_before, after)
    grown = [(a, b) for a, b in zip(after, searches_before) if a != b]
    assert len(grown) == 1 and grown[0][0][0] == grown[0][1][0] + 1, (
        f"{lesson}: one widget should have finished one more search: "
        f"{searches_before} -> {after}")
    trials = grown[0][0][1]
    # A diverged or pruned trial costs fewer batches and leaves room for one more.
    assert 1 <= trials <= budget + 1, f"{lesson}: {trials} trials for a budget of {budget}"
    print(f"{lesson}: a search of budget {budget}: {status.inner_text()!r}")


_KERNEL_SEARCHES = """
import gc as _gc, json as _json
print(_json.dumps([[o.finished_count, len(o.result.trials) if o.result else 0]
                   for o in _gc.get_objects() if type(o).__name__ == 'Search'
                   and not isinstance(o, type) and hasattr(o, 'finished_count')]))
"""


def kernel_searches(lab) -> list:
    """``[[finished searches, trials of the last one], ...]``, one entry per Search widget."""
    out = lab.execute(_KERNEL_SEARCHES)
    assert "KERNEL ERROR" not in out, out
    return json.loads(out.strip().splitlines()[-1])


def press_train_and_see_the_figure_change(page, widget, lab=None) -> None:
    """Press Train (a Search's Start) and wait until the widget shows a new figure.

    If no new figure comes, the failure says what the page and (given ``lab``) the kernel
    were doing: a screenshot, the status line, the button's state, the kernel's threads."""
    figure_before = image_source(widget)
    widget.locator(".s2s-train").first.click()
    try:
        page.wait_for_function(
            """([root, before]) => {
                 const img = root.querySelector('.s2s-figure img, img.s2s-figure');
                 return img && img.getAttribute('src') !== before;
               }""",
            arg=[widget.element_handle(), figure_before], timeout=RUN_TIMEOUT_MS)
    except PlaywrightTimeout as error:
        raise AssertionError(f"no new figure after Train: {figure_state(page, widget, lab)}") from error


# The kernel's threads, and where each of the widgets' own threads is (the last few frames).
_KERNEL_THREADS = """
import sys as _sys, threading as _threading, traceback as _traceback
_frames = _sys._current_frames()
for _thread in _threading.enumerate():
    print(_thread.name)
    if _thread.name.startswith('seq2seq') and _thread.ident in _frames:
        print(''.join(_traceback.format_stack(_frames[_thread.ident])[-4:]))
"""


def figure_state(page, widget, lab) -> str:
    """What a learner and the kernel would see of a widget whose figure did not change."""
    path = ARTIFACTS / f"no-new-figure-{int(time.time())}.png"
    page.screenshot(path=str(path))
    train = widget.locator(".s2s-train").first
    facts = [f"screenshot {path}",
             f"status {widget.locator('.s2s-status').first.inner_text()!r}",
             f"Train disabled: {train.is_disabled()}"]
    if lab is not None:
        status = lab.kernel_status()
        facts.append(f"kernel {status}")
        if status == "idle":   # a busy kernel would not answer until it is idle again
            facts += [f"kernel threads:\n{lab.execute(_KERNEL_THREADS).strip()}",
                      f"widgets {kernel_record(lab)}"]
    return "; ".join(facts)


def check_stop(lab, widget, lesson: str) -> None:
    """A Lab run stopped right after Train ends "stopped by you", in the status line and in
    the kernel's record.  (A new slider value, so the run is not replayed from the cache.)"""
    page = lab.page
    status = widget.locator(".s2s-status").first
    runs_before = finished_runs(status.inner_text())
    parameter, _, _ = move_first_slider(page, widget)
    widget.locator(".s2s-train").first.click()
    widget.locator(".s2s-stop").first.click()
    wait_for_new_run(page, status, runs_before, RUN_TIMEOUT_MS)
    final_status = status.inner_text()
    print(f"{lesson}: Stop right after Train: {final_status!r}")
    assert "stopped by you" in final_status, f"{lesson}: Stop had no effect: {final_status!r}"
    assert any(count == runs_before + 1 and stopped
               for count, _, stopped in kernel_record(lab, parameter)), (
        f"{lesson}: the kernel did not record a stopped run: {kernel_record(lab, parameter)}")
    lab.wait_kernel_idle()


def move_first_slider(page, widget) -> tuple[str, str, int]:
    """One keyboard step on the first slider (ArrowRight, or ArrowLeft at the end of its range);
    returns the parameter, the value its readout shows, and the runs one Train makes (1)."""
    handle = widget.locator(".widget-slider .noUi-handle").first
    parameter = slider_parameter(handle)
    value_before = handle.get_attribute("aria-valuenow")
    at_max = value_before == handle.get_attribute("aria-valuemax")
    handle.focus()
    handle.press("ArrowLeft" if at_max else "ArrowRight")
    page.wait_for_function(
        "([el, before]) => el.getAttribute('aria-valuenow') !== before",
        arg=[handle.element_handle(), value_before], timeout=10_000)
    readout = handle.locator("xpath=ancestor::*[contains(@class,'widget-slider')][1]") \
                    .locator(".widget-readout").first
    # A slider of stops (learning_rate, weight_decay) ignores a typed readout, so its readout
    # must not take typing at all (controls.STOPS_CSS): a learner once typed 0.3 there and
    # trained at the old rate.
    stops, editable = readout.evaluate(
        "(el) => [!!el.closest('.s2s-stops'), el.isContentEditable && "
        "getComputedStyle(el).pointerEvents !== 'none']")
    if stops:
        assert not editable, f"{parameter}: its readout still looks typeable"
    return parameter, readout.inner_text(), 1


def type_fewer_values(lab, widget) -> tuple[str, str, int]:
    """Compare: keep the first two of its values (typed, as a learner would); returns the
    parameter, the last value typed (the last run recorded), and the runs one Train makes."""
    field = widget.locator(".widget-text input").first
    parameter = slider_parameter(field)
    values = [v for v in re.split(r"[,;\s]+", field.input_value().strip()) if v][:2]
    assert values, f"the {parameter} values box is empty"
    field.fill(", ".join(values))
    field.press("Enter")
    wait_for_kernel_text(lab, ", ".join(values))   # before Train reads it
    return parameter, values[-1], len(values)


def type_one_change(lab, widget) -> tuple[str, str, int]:
    """Sensitivity: keep only the first value of its first field, and one seed (typed, as a
    learner would): the defaults and that change, 2 runs."""
    field = widget.locator(".s2s-param-sensitivity input").first
    seeds = widget.locator(".s2s-param-seeds input").first
    first = field.input_value().split(";")[0]
    name, values = (part.strip() for part in first.split("=", 1))
    value = re.split(r"[,\s]+", values)[0]
    field.fill(f"{name}={value}")
    field.press("Enter")
    seeds.fill("0")
    seeds.press("Enter")
    wait_for_kernel_text(lab, f"{name}={value}")
    wait_for_kernel_text(lab, "0")
    return name, value, 2


def type_bad_value(lab, widget, lesson: str) -> None:
    """Type nonsense where a text field allows it: the widget says what is wrong, in words,
    and the kernel stays alive (no traceback, no new run)."""
    page = lab.page
    field = widget.locator(".widget-text input").first
    parameter = slider_parameter(field)
    runs_before = kernel_run_count(lab)
    message = widget.locator(".s2s-message").first
    field.fill("not-a-number")
    field.press("Enter")
    # The click must not overtake the typed value: Train read the old, valid values and
    # trained them, and no message came (lesson 08, 1 run in 5).  Wait for the kernel to
    # hold the new value, an event, before pressing Train.
    wait_for_kernel_text(lab, "not-a-number")
    widget.locator(".s2s-train").first.click()
    page.wait_for_function("(el) => (el.innerText || '').trim().length > 0",
                           arg=message.element_handle(), timeout=30_000)
    text = message.inner_text()
    # A Sensitivity box holds "name=value; ...": its message shows that form.
    expected = "name=value" if parameter == "sensitivity" else parameter
    assert expected in text, f"{lesson}: the message does not name {expected}: {text!r}"
    assert "Traceback" not in text, text
    lab.wait_kernel_idle()
    assert lab.execute("print(6 * 7)").strip() == "42", "the kernel died after a bad value"
    assert kernel_run_count(lab) == runs_before, f"{lesson}: a bad value started a run"
    problems = lab.cell_problems()
    assert not problems, f"{lesson} shows errors after a bad value:\n" + "\n".join(problems)


_KERNEL_TEXT = """
import gc as _gc
print(any(type(o).__name__ == 'Text' and getattr(o, 'value', None) == {value!r}
          for o in _gc.get_objects()))
"""


def wait_for_kernel_text(lab, value: str, tries: int = 300) -> None:
    """Until a text box in the kernel holds ``value`` (the browser's Enter has arrived)."""
    for _ in range(tries):
        if lab.execute(_KERNEL_TEXT.format(value=value)).strip().endswith("True"):
            return
        lab.page.wait_for_timeout(100)
    raise AssertionError(f"the kernel never received the typed value {value!r}")


def slider_parameter(handle) -> str:
    """The hyperparameter a slider sets, from its ``s2s-param-<name>`` class."""
    classes = handle.evaluate(
        """(el) => {
             const box = el.closest('[class*="s2s-param-"]');
             return box ? box.className : '';
           }""")
    match = re.search(r"s2s-param-(\w+)", classes)
    assert match, f"slider without an s2s-param-<name> class: {classes!r}"
    return match.group(1)


# What the kernel recorded, read in the kernel (not in a cell) from the widget objects the
# lesson created: each Lab/Compare counts its finished runs (``finished_count``) and keeps them
# in ``runs`` (Histories carrying their config).
_KERNEL_RECORD = """
import gc as _gc, json as _json
_labs = [o for o in _gc.get_objects()
         if type(o).__name__ in ('Lab', 'Compare', 'Sensitivity', 'Search')
         and not isinstance(o, type) and hasattr(o, 'finished_count')]
print(_json.dumps([[l.finished_count,
                    # a task option (Compare over seq_len) is in task_options, not the config
                    repr(getattr(l.runs[-1].config, {parameter!r},
                                 l.runs[-1].task_options.get({parameter!r}))) if l.runs else None,
                    bool(l.runs and l.runs[-1].stopped_by_user)]
                   for l in _labs]))
del _labs
"""


def kernel_record(lab, parameter: str = "learning_rate") -> list:
    """``[[finished runs, repr(parameter of the last run), last run stopped by the user], ...]``,
    one entry per widget."""
    out = lab.execute(_KERNEL_RECORD.format(parameter=parameter))
    assert "KERNEL ERROR" not in out, out
    return json.loads(out.strip().splitlines()[-1])


def kernel_run_count(lab) -> int:
    return sum(entry[0] for entry in kernel_record(lab))


def assert_same_value(recorded: str, readout: str, parameter: str, lesson: str) -> None:
    """The kernel's value matches the readout the learner saw (numbers compared numerically)."""
    try:
        kernel_value, shown = float(recorded), float(readout.replace("\u2212", "-"))
    except ValueError:
        assert recorded.strip("'\"") == readout.strip(), (
            f"{lesson}: {parameter} shows {readout!r}, kernel trained with {recorded}")
        return
    assert abs(kernel_value - shown) <= 0.051 * max(abs(shown), 1e-12) + 1e-12, (
        f"{lesson}: {parameter} shows {readout!r}, kernel trained with {recorded}")
