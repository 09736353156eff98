"""The Question widget, driven without a browser: checking, bad input, languages, themes, and
the prediction shown beside the Lab run that tests it (real tiny runs, as in test_widgets.py).
"""
from __future__ import annotations

import re
import threading
import time

import pytest

from seq2seq_lab import Lab, Question, set_language
from seq2seq_lab import answers
from seq2seq_lab.answers import parse_number, parse_tolerance, within

SMALL = {"max_num_epochs": 4, "checkpoint_frequency_num_batches": 4}
TASK = {"train_size": 320, "val_size": 100, "test_size": 10}
LONG = {"max_num_epochs": 200, "checkpoint_frequency_num_batches": 1000}
RATES = [1e-4, 3e-3, 0.1, 1.0]


@pytest.fixture(autouse=True)
def no_thread_exceptions(monkeypatch):
    """Fail a test if any thread raised: every fault must become a message in the widget."""
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args))
    monkeypatch.delenv("SEQ2SEQ_LAB_THEME", raising=False)
    yield
    assert not seen, f"exception escaped a thread: {seen[0].exc_value!r}"


@pytest.fixture
def made(tmp_path):
    """Questions and Labs built by a test, closed afterwards (Labs run threads)."""
    widgets = []

    def keep(widget):
        widgets.append(widget)
        return widget

    def lab(**kwargs):
        kwargs.setdefault("config", SMALL)
        kwargs.setdefault("task_options", TASK)
        kwargs.setdefault("export_dir", str(tmp_path / "runs"))
        return keep(Lab(params=["learning_rate"], **kwargs))

    keep.lab = lab
    yield keep
    for widget in widgets:
        widget.close()


def rate_question(**kwargs):
    return Question("Which learning rate reaches 95%?", choices=RATES, answer=3e-3,
                    explanation="Small steps crawl; big steps overshoot.", **kwargs)


def answer(question, value):
    """What a learner does: type or choose, then click Check."""
    question.input.value = value
    question.check_button.click()


def wait_for_steps(lab, steps: int, other_than=None, timeout: float = 60):
    """The History in progress once it has ``steps`` steps (an event, not a duration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = lab.current
        if current is not None and current is not other_than and current.steps >= steps:
            return current
        time.sleep(0.01)
    raise AssertionError(f"no run reached {steps} steps in {timeout} s")


def tie_text(lab, question) -> str:
    assert lab.drawer.flush(30)
    return question.tie_box.value


# ---- multiple choice ------------------------------------------------------------------------
def test_multiple_choice_wrong_then_right_keeps_every_attempt(made):
    question = made(rate_question())
    assert question.labels == ["0.0001", "0.003", "0.1", "1"]
    assert question.input.value is None          # nothing chosen for the learner
    answer(question, 2)
    assert question.correct is False and question.answered_value == 0.1
    assert "Not quite." in question.message and "You answered 0.1." in question.message
    assert "Small steps crawl" in question.feedback.value   # the explanation comes with it
    answer(question, 1)
    assert question.correct is True and question.answered_value == 3e-3
    assert "Right!" in question.feedback.value and "The answer is 0.003." in question.message
    assert [a.correct for a in question.attempts] == [False, True]
    assert question.input.value == 1              # the widget keeps what was chosen


def test_a_new_choice_after_a_check_replaces_the_old_verdict(made):
    """A verdict on screen belongs to the answer it judged: once the learner picks another
    (and the kernel hears of it), the widget asks for a new Check instead."""
    question = made(rate_question())
    question.input.value = 2
    assert "You chose 0.1: press Check" in question.message   # before any check, too
    answer(question, 2)
    assert "Not quite." in question.feedback.value
    question.input.value = 1
    assert "Not quite." not in question.feedback.value
    assert "You chose 0.003: press Check" in question.message
    assert question.attempts[-1].value == 0.1            # nothing judged until Check
    question.input.value = 2                             # back to the checked answer
    assert "Not quite." in question.feedback.value
    question.input.value = 1
    question.check_button.click()
    assert question.correct is True and "Right!" in question.feedback.value


def test_answer_may_be_the_choice_its_index_or_any_text_of_a_bilingual_choice(made):
    by_index = made(Question("Which?", choices=["copy", "reverse"], answer=1))
    assert by_index.answer == "reverse"
    by_value = made(Question("Which?", choices=[2, 1, 0], answer=0))
    assert by_value.answer_index == 2             # a choice equal to the answer wins
    both = [{"en": "small", "ko": "작게"}, {"en": "large", "ko": "크게"}]
    assert made(Question("Which?", choices=both, answer="크게")).answer_index == 1
    assert made(Question("Which?", choices=both, answer=both[0])).answer_index == 0


def test_choosing_nothing_is_a_message_not_an_attempt(made):
    question = made(rate_question())
    question.check_button.click()
    assert question.attempts == [] and question.correct is None
    assert "Choose one of the answers first" in question.feedback.value


# ---- numbers --------------------------------------------------------------------------------
def test_numeric_absolute_tolerance_counts_its_boundary(made):
    question = made(Question("Accuracy after 160 steps (0 to 1)?", answer=0.95, tolerance=0.05))
    expected = {"0.9": True, "1.0": True, " 0.93 ": True, "0.89": False, "1.01": False}
    for text, correct in expected.items():
        answer(question, text)
        assert question.correct is correct, text
    assert question.answered_value == 1.01
    assert "That is too high." in question.message
    answer(question, "0.5")
    assert "That is too low." in question.message
    answer(question, "0.96")
    assert "The answer is 0.95 (within 0.05 counts)." in question.message


def test_numeric_relative_tolerance(made):
    question = made(Question("Steps to 95%?", answer=120, tolerance="10%"))
    for text, correct in {"108": True, "132": True, "107.9": False, "132.5": False}.items():
        answer(question, text)
        assert question.correct is correct, text
    answer(question, "120")
    assert "120 (within 10% counts)" in question.message


def test_numeric_without_tolerance_wants_the_number_itself(made):
    question = made(Question("0.1 + 0.2?", answer=0.3))
    answer(question, "0.30000000000000004")    # float rounding is not a wrong answer
    assert question.correct is True
    answer(question, "0.31")
    assert question.correct is False


@pytest.mark.parametrize("text, says", [
    ("", "Type a number first"),
    ("   ", "Type a number first"),
    ("abc", "“abc” is not a number"),
    ("1e", "“1e” is not a number"),
    ("nan", "“nan” is not a number"),
    ("1_000", "“1_000” is not a number"),
    ("0,5", "“0,5” has a comma"),
    ("1,000", "“1,000” has a comma"),
    ("95%", "without “%”"),
    ("1e999", "too large"),
])
def test_bad_input_is_explained_in_the_widget(made, text, says):
    question = made(Question("Accuracy (0 to 1)?", answer=0.95, tolerance=0.05))
    answer(question, "0.5")
    answer(question, text)
    assert says in question.message
    assert says in question.feedback.value
    assert "s2s-invalid" in question.input._dom_classes
    # The bad input is not an attempt: the last real answer stands, and is kept.
    assert [a.value for a in question.attempts] == [0.5] and question.correct is False
    assert question.input.value == text
    answer(question, "0.95")
    assert question.correct is True and "s2s-invalid" not in question.input._dom_classes


def test_numbers_as_learners_type_them():
    assert parse_number("1e-3") == (0.001, "")
    assert parse_number(".5") == (0.5, "")
    assert parse_number("+2") == (2.0, "")
    assert parse_number("\u22120.5") == (-0.5, "")          # the typographic minus
    assert parse_number("０.５") == (0.5, "")                # full-width digits (a Korean IME)
    assert parse_number("1.5.2") == (None, "question_not_number")


def test_tolerance_api():
    assert parse_tolerance(0.05) == (0.05, False)
    assert parse_tolerance(2) == (2.0, False)
    assert parse_tolerance("10%") == (pytest.approx(0.1), True)
    assert within(0.9, 0.95, 0.05, False) and not within(0.89, 0.95, 0.05, False)
    assert within(-110, -100, 0.1, True) and not within(-111, -100, 0.1, True)
    for bad in (-1, "10", "ten%", None, True, float("nan")):
        with pytest.raises(ValueError, match="tolerance must be"):
            parse_tolerance(bad)


def test_author_mistakes_raise_when_the_question_is_built():
    with pytest.raises(ValueError, match="neither one of the choices"):
        Question("Which?", choices=["a", "b"], answer="c")
    with pytest.raises(ValueError, match="neither one of the choices"):
        Question("Which?", choices=["a", "b"], answer=2)
    with pytest.raises(ValueError, match="choices is empty"):
        Question("Which?", choices=[], answer=0)
    with pytest.raises(ValueError, match="tolerance is for questions without choices"):
        Question("Which?", choices=[1, 2], answer=1, tolerance=0.5)
    with pytest.raises(ValueError, match="needs a number"):
        Question("How much?", answer="0.5")
    with pytest.raises(ValueError, match="relative tolerance"):
        Question("How much?", answer=0, tolerance="5%")
    with pytest.raises(ValueError, match="a text must be"):
        Question({"english": "Which?"}, answer=1)
    with pytest.raises(ValueError, match="theme must be one of"):
        Question("How much?", answer=1, theme="beamer")


def test_a_fault_while_checking_is_a_message(made, monkeypatch):
    question = made(Question("How much?", answer=1.0, tolerance=0.1))

    def broken(*args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(answers, "within", broken)
    answer(question, "1")
    assert "ZeroDivisionError" in question.message and "boom" in question.feedback.value


# ---- language and looks ---------------------------------------------------------------------
def test_korean_labels_texts_and_messages(made):
    set_language("ko")
    question = made(Question({"en": "Which rate?", "ko": "어느 학습률?"},
                             choices=[{"en": "small", "ko": "작게"}, {"en": "large", "ko": "크게"}],
                             answer=0, explanation={"en": "Because.", "ko": "보폭 때문입니다."}))
    assert "어느 학습률?" in question.prompt_box.value
    assert question.input.options == (("작게", 0), ("크게", 1))
    assert question.check_button.description == "확인" and "내 예측" in question.input_label.value
    question.check_button.click()
    assert "먼저 답을 하나 고른" in question.message
    answer(question, 1)
    assert question.message == "아쉽지만 정답이 아닙니다. 내 답: 크게. 보폭 때문입니다."
    answer(question, 0)
    assert "정답입니다!" in question.feedback.value and "정답은 작게입니다." in question.message
    number = made(Question("몇?", answer=3))
    assert number.input.placeholder == "숫자를 입력하세요"
    answer(number, "0,5")
    assert "쉼표" in number.message
    english = made(Question({"en": "Which?", "ko": "어느?"}, answer=1, language="en"))
    assert "Which?" in english.prompt_box.value and english.check_button.description == "Check"


def test_plain_text_prompts_show_code_and_bold_and_escape_html(made):
    question = made(Question("Is `learning_rate` **too** <big>?", choices=["yes", "no"], answer=0))
    value = question.prompt_box.value
    assert re.search(r"<code[^>]*>learning_rate</code>", value) and "<b>too</b>" in value
    assert "&lt;big&gt;" in value and "<big>" not in value


def test_projector_theme_is_larger(made, monkeypatch):
    normal = made(rate_question())
    big = made(rate_question(theme="projector"))
    assert "s2s-projector" in big.widget._dom_classes
    assert "s2s-projector" not in normal.widget._dom_classes
    assert big.check_button.style.font_size == "19px" and normal.check_button.style.font_size == ""
    assert "font-size: 21px" in big._style.value and normal._style.value == ""
    assert "1.35em" in big.prompt_box.value and "1.35em" not in normal.prompt_box.value
    monkeypatch.setenv("SEQ2SEQ_LAB_THEME", "projector")   # a classroom app makes every widget big
    assert "s2s-projector" in made(rate_question()).widget._dom_classes


# ---- tied to a Lab ----------------------------------------------------------------------------
def test_prediction_is_shown_beside_the_run_that_tests_it(made):
    lab = made.lab()
    question = made(rate_question())
    answer(question, 2)                        # answered before the Lab's cell ran
    question.tie(lab)
    assert lab.question is question
    children = list(lab.widget.children)
    status_row = next(i for i, c in enumerate(children) if lab.status in getattr(c, "children", ()))
    assert children[status_row + 1] is question.tie_box   # right under "run N finished"
    assert "Your prediction: 0.1. Press Train to test it." in tie_text(lab, question)

    lab.train()
    assert lab.wait(60) and len(lab.runs) == 1
    assert "run 1 finished" in lab.status.value
    assert "Your prediction: 0.1, tested by run 1." in tie_text(lab, question)
    assert "✗" in question.tie_box.value

    answer(question, 1)                         # a new prediction waits for the next run
    assert "Your prediction: 0.003. Press Train" in tie_text(lab, question)
    lab.train()                                 # same settings: replayed from the cache
    assert lab.wait(60) and len(lab.runs) == 2
    assert "(replayed" in lab.status.value
    assert "Your prediction: 0.003, tested by run 2." in tie_text(lab, question)
    assert "✓" in question.tie_box.value

    lab.controls["learning_rate"].value = 0.01
    lab.train()                                 # no new prediction: run 3 tests nothing new
    assert lab.wait(60) and len(lab.runs) == 3
    assert "tested by run 2." in tie_text(lab, question)


def test_an_answer_checked_during_a_run_waits_for_the_next_run(made):
    lab = made.lab(config=LONG)
    question = made(Question("Steps to 95%?", answer=120, tolerance="10%"))
    question.tie(lab)
    assert tie_text(lab, question) == ""          # nothing answered, nothing shown
    lab.train()
    first = wait_for_steps(lab, 2)
    answer(question, "100")
    lab.stop()
    assert lab.wait(30) and len(lab.runs) == 1
    assert "Your prediction: 100. Press Train to test it." in tie_text(lab, question)
    lab.controls["learning_rate"].value = 0.01
    lab.train()
    wait_for_steps(lab, 1, other_than=first)
    lab.stop()
    assert lab.wait(30) and len(lab.runs) == 2
    assert "Your prediction: 100, tested by run 2." in tie_text(lab, question)


def test_a_tied_question_takes_the_labs_theme_unless_given_one(made):
    lab = made.lab(theme="projector")
    inherits = made(rate_question())
    inherits.tie(lab)
    assert inherits.theme == "projector" and "s2s-projector" in inherits.widget._dom_classes
    answer(inherits, 1)
    assert "font-size:1.25em" in tie_text(lab, inherits)
    keeps = made(rate_question(theme="notebook"))
    keeps.tie(lab)                               # replaces the first question in this Lab
    assert keeps.theme == "notebook" and lab.question is keeps
    assert inherits.tie_box not in lab.widget.children and keeps.tie_box in lab.widget.children


def test_untie_takes_the_prediction_out_of_the_lab(made):
    lab = made.lab()
    question = made(rate_question())
    question.tie(lab)
    question.untie()
    assert lab.question is None and question.tie_box not in lab.widget.children
    answer(question, 1)
    lab.train()
    assert lab.wait(60) and question.tie_box.value == ""


def test_korean_prediction_line(made):
    set_language("ko")
    lab = made.lab()
    question = made(rate_question())
    answer(question, 1)
    question.tie(lab)
    lab.train()
    assert lab.wait(60)
    assert "내 예측: 0.003, 실행 1에서 확인합니다." in tie_text(lab, question)
