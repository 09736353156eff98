"""The Question widget as a learner uses it, in JupyterLab in headless Chromium.

Lesson 01's "predict first" question: choose, Check, read the feedback, answer again; the
prediction then appears in the Lab beside the run that tests it.  A small notebook written into
the server's root asks a numeric question in each language on the projector theme: typed
nonsense is explained in the widget, and a 1280x720 screenshot shows what a class would see.
Screenshots go to test-artifacts/browser/question-*.png.
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browser_support import ARTIFACTS

RUN_TIMEOUT_MS = 120_000
PROJECTOR = {"width": 1280, "height": 720}


def choose(question, label: str) -> None:
    question.locator(".widget-radio-box label").filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()


def kernel_has(question, text: str, language: str = "en") -> None:
    """Wait until the kernel has the answer just chosen or typed: the widget then prompts
    for a Check naming it (or, for an emptied field, clears its feedback).  An event from the
    kernel, not a wait: a Check sent before the new answer arrives would judge the old one."""
    feedback = question.locator(".s2s-question-feedback").first
    if not text:
        expect(feedback).to_have_text("", timeout=30_000)
        return
    prompt = f"You chose {text}: press Check" if language == "en" else f"{text} 선택"
    expect(feedback).to_contain_text(prompt, timeout=30_000)


def check(question, expected: str) -> None:
    """Press Check and wait for the feedback the kernel sends back."""
    question.locator(".s2s-question-check").first.click()
    # The kernel answers; on 2 shared cores busy with a training run that can take seconds.
    expect(question.locator(".s2s-question-feedback").first).to_contain_text(expected,
                                                                             timeout=30_000)


def test_lesson_01_predict_first_question(open_lab_page):
    lab = open_lab_page("notebooks/01_learning_rate.ipynb")
    try:
        lab.run_all()
        assert not lab.cell_problems(), lab.cell_problems()
        question = lab.panel.locator(".s2s-question").first
        question.scroll_into_view_if_needed()
        expect(question.locator(".s2s-question-prompt")).to_contain_text("95% validation accuracy")

        check(question, "Choose one of the answers first")
        choose(question, "0.1")
        kernel_has(question, "0.1")
        check(question, "Not quite.")
        expect(question.locator(".s2s-question-feedback")).to_contain_text("You answered 0.1.",
                                                                           timeout=30_000)
        choose(question, "0.003")
        kernel_has(question, "0.003")
        check(question, "Right!")
        expect(question.locator(".s2s-question-feedback")).to_contain_text("Only 0.003.",
                                                                           timeout=30_000)
        lab.screenshot("question-lesson01", question)
        question.screenshot(path=str(ARTIFACTS / "question-lesson01-widget.png"))

        # The Lab below shows the prediction, then names the run that tests it.
        widget = lab.panel.locator(".s2s-lab").first
        prediction = widget.locator(".s2s-prediction").first
        expect(prediction).to_contain_text("Your prediction: 0.003. Press Train to test it.",
                                           timeout=30_000)
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
    finally:
        lab.save_console("question-lesson01")


NUMERIC = {
    "en": {"comma": "has a comma", "nonsense": "is not a number", "empty": "Type a number first",
           "wrong": "That is too low.", "right": "Right!", "tested": "tested by run 1.",
           "finished": "run 1 finished"},
    "ko": {"comma": "쉼표가 있습니다", "nonsense": "숫자가 아닙니다", "empty": "먼저 숫자를 입력",
           "wrong": "너무 작습니다.", "right": "정답입니다!", "tested": "실행 1에서 확인합니다.",
           "finished": "실행 1 완료"},
}


def numeric_notebook(language: str) -> dict:
    cells = [
        "from seq2seq_lab import Lab, Question, set_language\n"
        f"set_language({language!r})",
        "guess = Question(\n"
        '    {"en": "After training at `learning_rate=0.003`, what validation accuracy will '
        'the model reach (0 to 1)?",\n'
        '     "ko": "`learning_rate=0.003`으로 학습하면 검증 정확도는 얼마가 될까요 (0에서 1)?"},\n'
        "    answer=0.97, tolerance=0.03, theme=\"projector\",\n"
        '    explanation={"en": "About 0.97: this rate learns the reversal in a few hundred '
        'steps.",\n'
        '                 "ko": "약 0.97입니다: 이 학습률은 수백 스텝 안에 뒤집기를 배웁니다."})\n'
        "guess",
        'Question({"en": "Which learning rate diverges?", "ko": "어느 학습률이 발산할까요?"},\n'
        '         choices=[0.0001, 0.003, 1], answer=1, theme="projector")',
        'lab = Lab(preset="default", params=["learning_rate"], theme="projector")\n'
        "guess.tie(lab)\n"
        "lab",
    ]
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}",
                       "metadata": {}, "outputs": [], "source": source}
                      for i, source in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_numeric_question_on_the_projector(language, lab_server, open_lab_page):
    name = f"question_numeric_{language}.ipynb"
    (lab_server.root / name).write_text(json.dumps(numeric_notebook(language), ensure_ascii=False),
                                                encoding="utf-8")
    words = NUMERIC[language]
    lab = open_lab_page(name)
    try:
        lab.page.set_viewport_size(PROJECTOR)
        lab.run_all()
        assert not lab.cell_problems(), lab.cell_problems()
        question = lab.panel.locator(".s2s-question").first
        assert "s2s-projector" in question.get_attribute("class")
        field = question.locator(".widget-text input").first
        for text, expected in (("0,95", words["comma"]), ("abc", words["nonsense"]),
                               ("1e", words["nonsense"]), ("", words["empty"]),
                               ("0.5", words["wrong"])):
            field.fill(text)
            kernel_has(question, text, language)
            check(question, expected)
        lab.screenshot(f"question-projector-{language}-wrong", question)
        field.fill("0.95")
        kernel_has(question, "0.95", language)
        check(question, words["right"])
        assert field.input_value() == "0.95"          # the widget keeps what was typed
        lab.screenshot(f"question-projector-{language}-right", question)
        choices = lab.panel.locator(".s2s-question").nth(1)
        choose(choices, "1")
        kernel_has(choices, "1", language)
        check(choices, words["right"])
        lab.screenshot(f"question-projector-{language}-choices", choices)

        widget = lab.panel.locator(".s2s-lab").first
        widget.locator(".s2s-train").first.click()
        prediction = widget.locator(".s2s-prediction").first
        expect(prediction).to_contain_text(words["tested"], timeout=RUN_TIMEOUT_MS)
        widget.locator(".s2s-stop").first.click()
        expect(widget.locator(".s2s-status").first).to_contain_text(words["finished"],
                                                                    timeout=RUN_TIMEOUT_MS)
        lab.wait_kernel_idle()
        lab.screenshot(f"question-projector-{language}-lab", prediction)
        answers = json.loads(lab.execute(
            "import json; print(json.dumps([a.value for a in guess.attempts]))"))
        assert answers == [0.5, 0.95], answers        # nonsense was never an attempt
        assert not lab.cell_problems(), lab.cell_problems()
    finally:
        lab.save_console(f"question-projector-{language}")
