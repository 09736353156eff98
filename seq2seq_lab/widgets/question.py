"""``Question``: a checked "predict first" question or exercise, multiple choice or numeric.

Lessons: 01 (predict which learning rate reaches 95% before training it), and any lesson that
asks the learner to commit to a guess before a run shows the answer.

Predicting before looking is what makes a curve surprising, and a surprise is what is
remembered; so the learner answers, presses Check, reads why, and may answer again.  Tied to a
``Lab`` (``question.tie(lab)``) the last checked answer appears under the Lab's status line as
"Your prediction: ..." beside the next run it trains, so guess and evidence sit side by side.

Answers a learner types are read by ``answers.py`` (``parse_number``), strictly and with a
message for every way it can go wrong, shown in the widget (``s2s-question-feedback``), never
as a traceback.  Mistakes of the *author* (an answer that is not among the choices, a negative
tolerance) raise ``ValueError`` when the Question is built, so a lesson cannot ship broken.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass

import ipywidgets as widgets

from .. import answers
from ..answers import choice_index, cleaned, localized, parse_number, parse_tolerance
from ..i18n import get_language, t
from ..presets import theme_override
from .figure import theme_named

_RIGHT, _WRONG = "#009E73", "#D55E00"     # the diagnosis's colours for good and bad
# Radio and text styles have no font size in ipywidgets 8.1: a rule scoped to projector
# Questions enlarges them (as panel.py does for the Lab's sliders).
_PROJECTOR_CSS = ("<style>.s2s-question.s2s-projector .widget-radio-box label {font-size: 21px; "
                  "line-height: 1.5; height: auto} .s2s-question.s2s-projector .widget-text input "
                  "{font-size: 21px; height: auto} .s2s-question.s2s-projector .widget-radio-box "
                  "input {width: 20px; height: 20px; vertical-align: -3px}</style>")


def _markup(text: str) -> str:
    """Escape ``text`` for HTML, then show `code` and **bold** as a lesson's Markdown does."""
    escaped = html.escape(text)
    # JupyterLab sets <code> to a fixed 13px: on a projector it would shrink inside big text.
    escaped = re.sub(r"`([^`]+)`", r'<code style="font-size:0.9em">\1</code>', escaped)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)


@dataclass(frozen=True)
class Attempt:
    """One checked answer: what the learner gave (a choice or a number), as shown, and if right."""

    value: object
    text: str
    correct: bool


class Question:
    """A question checked in the widget; see the module docstring.

    :param prompt: the question (text, or ``{"en": ..., "ko": ...}``); `code` and **bold** work
    :param choices: the options of a multiple-choice question (texts, numbers or en/ko dicts);
        None for a numeric question, where the learner types a number
    :param answer: the right choice itself, or its index when no choice equals it (with number
        choices, ``answer=1`` means the choice 1 if there is one); for a numeric question, the
        number
    :param explanation: why, shown after every Check (text or en/ko dict)
    :param tolerance: numeric questions only: a number is an absolute tolerance (``0.05``: right
        when within 0.05 of the answer), a string ending in ``%`` a relative one (``"10%"``:
        right when within 10% of the answer); 0 (the default) asks for the exact number
    :param theme: ``"notebook"`` or ``"projector"``; None: notebook, or the Lab's once tied
    :param language: ``"en"`` or ``"ko"`` (default: ``set_language`` or the locale)
    """

    ROOT_CLASS = "s2s-question"

    def __init__(self, prompt, choices=None, *, answer, explanation="", tolerance=0,
                 theme: str | None = None, language: str | None = None):
        self.language = language or get_language()
        self.prompt = localized(prompt, self.language)
        self.explanation = localized(explanation, self.language) if explanation else ""
        self.choices = None if choices is None else list(choices)
        if self.choices is not None:
            if not self.choices:
                raise ValueError(t("question_no_choices", self.language))
            if tolerance:
                raise ValueError(t("question_tolerance_with_choices", self.language))
            self.labels = [localized(choice, self.language) for choice in self.choices]
            self.answer_index = choice_index(self.choices, answer, self.language)
            self.answer = self.choices[self.answer_index]
        else:
            if isinstance(answer, bool) or not isinstance(answer, (int, float)):
                raise ValueError(t("question_bad_numeric_answer", self.language, value=answer))
            self.answer = float(answer)
            self.tolerance, self.relative = parse_tolerance(tolerance)
            if self.relative and self.answer == 0:
                raise ValueError(t("question_relative_zero", self.language))
        self.attempts: list[Attempt] = []
        self._message = ""
        self._lock = threading.Lock()   # checks (kernel thread) vs runs claiming (training thread)
        self._pending = False           # a checked answer no run has tested yet
        self._tested_by: int | None = None
        self._last_run = 0              # the newest run number a tied Lab announced
        self._lab = None
        self._theme_given = (theme_override() or theme) is not None
        self._build(theme_named(theme_override() or theme or "notebook").name)

    # ---- the widget ------------------------------------------------------------------------
    def _build(self, theme: str) -> None:
        self.prompt_box = widgets.HTML(_markup(self.prompt))
        self.prompt_box.add_class("s2s-question-prompt")
        if self.choices is not None:
            # No option selected at first: a pre-selected one would be a hint, and an answer
            # the learner never chose.
            self.input = widgets.RadioButtons(options=list(zip(self.labels, range(len(self.labels)))),
                                              value=None, layout=widgets.Layout(width="auto"))
        else:
            self.input = widgets.Text(placeholder=t("question_enter_number", self.language),
                                      layout=widgets.Layout(width="16em"))
        self.input.add_class("s2s-question-input")
        self.input.observe(self._answer_changed, names="value")
        self.input_label = widgets.HTML(html.escape(t("question_your_prediction", self.language)))
        self.check_button = widgets.Button(description=t("question_check", self.language),
                                           tooltip=t("question_check_help", self.language),
                                           button_style="primary",
                                           layout=widgets.Layout(width="auto", margin="6px 0",
                                                                 align_self="flex-start"))
        self.check_button.add_class("s2s-question-check")
        self.check_button.on_click(lambda _button: self._guarded_check())
        self.feedback = widgets.HTML("")
        self.feedback.add_class("s2s-question-feedback")
        self.tie_box = widgets.HTML("")   # shown inside a tied Lab, under its status line
        self.tie_box.add_class("s2s-prediction")
        self._style = widgets.HTML("")
        self.widget = widgets.VBox([self._style, self.prompt_box, self.input_label, self.input,
                                    self.check_button, self.feedback],
                                   layout=widgets.Layout(padding="4px 0"))
        self.widget.add_class(self.ROOT_CLASS)
        self._apply_theme(theme)

    def _apply_theme(self, theme: str) -> None:
        """Fonts for a laptop, or ~2x for a projector read from the back of a room."""
        self.theme = theme
        projector = theme == "projector"
        self._text_size = "1.35em" if projector else "1em"
        self._style.value = _PROJECTOR_CSS if projector else ""
        (self.widget.add_class if projector else self.widget.remove_class)("s2s-projector")
        self.check_button.style.font_size = "19px" if projector else ""
        self.check_button.style.font_weight = "bold" if projector else ""
        self.check_button.layout.height = "40px" if projector else ""
        self.prompt_box.value = self._sized(f"<b>{_markup(self.prompt)}</b>", 1.1)
        self.input_label.value = self._sized(html.escape(t("question_your_prediction", self.language)))
        self._show_feedback()

    def _sized(self, markup: str, scale: float = 1.0) -> str:
        return (f'<div style="font-size:calc({self._text_size} * {scale});line-height:1.45;'
                f'white-space:normal">{markup}</div>')

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---- checking --------------------------------------------------------------------------
    def check(self) -> bool | None:
        """Check the answer in the widget: True or False, or None when there is none to
        check (the reason is in ``question.message``).  Earlier attempts are kept."""
        if self.choices is not None:
            if self.input.value is None:
                return self._refuse(t("question_choose_first", self.language))
            index = self.input.value
            attempt = Attempt(self.choices[index], self.labels[index], index == self.answer_index)
        else:
            value, problem = parse_number(self.input.value)
            if problem:
                return self._refuse(t(problem, self.language, text=self.input.value.strip()))
            correct = answers.within(value, self.answer, self.tolerance, self.relative)
            attempt = Attempt(value, cleaned(self.input.value), correct)
        with self._lock:
            self.attempts.append(attempt)
            self._pending = True
        self._show_feedback()
        self._redraw_lab()
        return attempt.correct

    @property
    def answered_value(self):
        """The last checked answer (the choice itself, or the number); None before any."""
        return self.attempts[-1].value if self.attempts else None

    @property
    def correct(self) -> bool | None:
        """Whether the last checked answer was right; None before any."""
        return self.attempts[-1].correct if self.attempts else None

    @property
    def message(self) -> str:
        """The feedback as plain text (right or wrong, why, or what is wrong with the input)."""
        return self._message

    def _answer_changed(self, change) -> None:
        """A new choice or a new number: any verdict on screen was for another answer, so it
        gives way to "You chose X: press Check" (back at the checked answer, its verdict
        returns).  Why it matters: ipywidgets holds back a value update while the kernel has
        not answered the previous one, so on a busy kernel a quick Check can arrive before the
        new answer and be judged on the old one; the learner then sees this prompt instead of
        a verdict on an answer they no longer give."""
        new = change["new"]
        if self.choices is not None:
            text = "" if new is None else self.labels[new]
        else:
            text = cleaned(new) if new.strip() else ""
        self.input.remove_class("s2s-invalid")
        if self.attempts and self.attempts[-1].text == text:
            self._show_feedback()
        elif not text:
            self._message, self.feedback.value = "", ""
        else:
            self._message = t("question_changed", self.language, answer=text)
            self.feedback.value = self._sized(html.escape(self._message))

    def _refuse(self, text: str) -> None:
        self._message = text
        self.feedback.value = self._sized(f'<span style="color:{_WRONG}">{html.escape(text)}</span>')
        self.input.add_class("s2s-invalid")
        return None

    def _show_feedback(self) -> None:
        self.input.remove_class("s2s-invalid")
        if not self.attempts:
            self._message, self.feedback.value = "", ""
            return
        attempt = self.attempts[-1]
        verdict = t("question_right" if attempt.correct else "question_wrong", self.language)
        if attempt.correct:
            detail = t("question_right_detail", self.language, answer=self._answer_text())
        else:
            detail = t("question_you_answered", self.language, answer=attempt.text)
            if self.choices is None:
                side = "question_too_high" if attempt.value > self.answer else "question_too_low"
                detail += " " + t(side, self.language)
        color = _RIGHT if attempt.correct else _WRONG
        self._message = " ".join(part for part in (verdict, detail, self.explanation) if part)
        explanation = (f'<div style="margin-top:4px">{_markup(self.explanation)}</div>'
                       if self.explanation else "")
        self.feedback.value = self._sized(
            f'<div style="border-left:4px solid {color};padding:2px 10px">'
            f'<b style="color:{color}">{html.escape(verdict)}</b> {html.escape(detail)}'
            f"{explanation}</div>")

    def _answer_text(self) -> str:
        if self.choices is not None:
            return self.labels[self.answer_index]
        answer = f"{self.answer:.10g}"
        if not self.tolerance:
            return answer
        spread = f"{self.tolerance * 100:g}%" if self.relative else f"{self.tolerance:g}"
        return t("question_within", self.language, answer=answer, tolerance=spread)

    def _guarded_check(self) -> None:
        """Check from a click: any fault becomes a message in the widget, never a traceback."""
        try:
            self.check()
        except Exception as error:  # noqa: BLE001 - the notebook never shows a traceback
            self._refuse(t("lab_widget_error", self.language, kind=type(error).__name__,
                           reason=str(error)[:300]))

    # ---- tied to a Lab -----------------------------------------------------------------------
    def tie(self, lab) -> None:
        """Show the last checked answer in ``lab`` (a ``Lab`` or ``Compare``) as "Your
        prediction", beside the next run it trains after each Check.  Unless this Question
        was given a theme, it takes the Lab's (a projector Lab gets a projector Question)."""
        if self._lab is not None:
            self.untie()
        previous = getattr(lab, "question", None)
        if previous is not None and previous is not self:
            previous.untie()
        self._lab = lab
        lab.question = self
        with self._lock:
            self._last_run = lab.finished_count   # run numbers are the Lab's own
        if not self._theme_given:
            self._apply_theme(lab.figure.theme.name)
        # Under the row that holds the status line ("run 2 finished ..."): the prediction
        # reads as a note on the run it names.
        children = list(lab.widget.children)
        after = next((i + 1 for i, child in enumerate(children)
                      if lab.status in getattr(child, "children", ())), len(children))
        children.insert(after, self.tie_box)
        lab.widget.children = tuple(children)
        self._redraw_lab()

    def untie(self) -> None:
        """Take the prediction out of the tied Lab."""
        lab, self._lab = self._lab, None
        if lab is None:
            return
        if getattr(lab, "question", None) is self:
            lab.question = None
        lab.widget.children = tuple(c for c in lab.widget.children if c is not self.tie_box)
        self.tie_box.value = ""

    def run_started(self, number: int) -> None:
        """Called by the tied Lab (training thread) when run ``number`` starts or, replayed
        from its cache, finishes: a prediction checked since the last run is tested by it."""
        with self._lock:
            # A run is announced at its start and again at its end (a replay has only the
            # end): an answer checked *during* a run waits for the next one.
            if number <= self._last_run:
                return
            self._last_run = number
            if self._pending:
                self._pending, self._tested_by = False, number

    def render_tie(self) -> None:
        """Write the prediction line; called by the tied Lab's drawer thread, which alone
        writes the Lab's status area."""
        with self._lock:
            attempt = self.attempts[-1] if self.attempts else None
            pending, number = self._pending, self._tested_by
        if attempt is None or (not pending and number is None):
            value = ""
        else:
            mark = f' <span style="color:{_RIGHT if attempt.correct else _WRONG}">' \
                   f'{"✓" if attempt.correct else "✗"}</span>'
            text = (t("question_prediction_pending", self.language, answer=attempt.text)
                    if pending else
                    t("question_prediction_tested", self.language, answer=attempt.text,
                      number=number))
            size = "1.25em" if self._lab.figure.theme.name == "projector" else "1em"
            value = (f'<div style="font-size:{size};border-left:4px solid #CC79A7;'
                     f'padding:2px 8px;margin:2px 0">{html.escape(text)}{mark}</div>')
        if self.tie_box.value != value:
            self.tie_box.value = value

    def _redraw_lab(self) -> None:
        if self._lab is not None:
            self._lab.drawer.request(final=True)

    def close(self) -> None:
        """Untie and close the widgets (for tests and long sessions)."""
        self.untie()
        for child in (*self.widget.children, self.tie_box, self.widget):
            child.close()


__all__ = ["Attempt", "Question"]
