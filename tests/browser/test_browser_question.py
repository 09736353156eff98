"""The Question widget as a learner uses it, in JupyterLab in headless Chromium.

Lesson 01's "predict first" question is checked on lesson 01's own page, by
test_browser_lessons.py (``check_predict_first_question`` in browser_support.py).  Here a small
notebook written into the server's root asks a numeric and a choice question in each language on the projector theme:
typed nonsense is explained in the widget, and 1280x720 screenshots show what a class would see.
Screenshots go to test-artifacts/browser/question-*.png.
"""
from __future__ import annotations

import json

from playwright.sync_api import expect

from browser_support import RUN_TIMEOUT_MS, check, choose, kernel_has

PROJECTOR = {"width": 1280, "height": 720}


NUMERIC = {
    "en": {"comma": "has a comma", "nonsense": "is not a number", "empty": "Type a number first",
           "wrong": "That is too low.", "right": "Right!", "tested": "tested by run 1.",
           "finished": "run 1 finished"},
    "ko": {"comma": "쉼표가 있습니다", "nonsense": "숫자가 아닙니다", "empty": "먼저 숫자를 입력",
           "wrong": "너무 작습니다.", "right": "정답입니다!", "tested": "실행 1에서 확인합니다.",
           "finished": "실행 1 완료"},
}


def numeric_notebook() -> dict:
    """Both languages on one page (each widget is given its language; one kernel, one Run
    All): a numeric and a choice question in English, the same two in Korean, and a Korean
    projector Lab tied to the Korean numeric question."""
    cells = ["from seq2seq_lab import Lab, Question"]
    for language in LANGUAGES:
        cells += [
            f"guess_{language} = Question(\n"
            '    {"en": "After training at `learning_rate=0.003`, what validation accuracy will '
            'the model reach (0 to 1)?",\n'
            '     "ko": "`learning_rate=0.003`으로 학습하면 검증 정확도는 얼마가 될까요 (0에서 1)?"},\n'
            f"    answer=0.97, tolerance=0.03, theme=\"projector\", language={language!r},\n"
            '    explanation={"en": "About 0.97: this rate learns the reversal in a few hundred '
            'steps.",\n'
            '                 "ko": "약 0.97입니다: 이 학습률은 수백 스텝 안에 뒤집기를 배웁니다."})\n'
            f"guess_{language}",
            'Question({"en": "Which learning rate diverges?", "ko": "어느 학습률이 발산할까요?"},\n'
            f'         choices=[0.0001, 0.003, 1], answer=1, theme="projector", '
            f'language={language!r})',
        ]
    cells.append('lab = Lab(preset="default", params=["learning_rate"], theme="projector", '
                 'language="ko")\n'
                 "guess_ko.tie(lab)\n"
                 "lab")
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}",
                       "metadata": {}, "outputs": [], "source": source}
                      for i, source in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


LANGUAGES = ("en", "ko")


def test_numeric_and_choice_questions_on_the_projector(lab_server, open_lab_page):
    """Both languages on one page: a page and a kernel per language cost half a minute more
    of the suite's two cores and test nothing the shared page does not."""
    name = "question_numeric.ipynb"
    (lab_server.root / name).write_text(json.dumps(numeric_notebook(), ensure_ascii=False),
                                        encoding="utf-8")
    lab = open_lab_page(name)
    try:
        lab.page.set_viewport_size(PROJECTOR)
        lab.run_all()
        assert not lab.cell_problems(), lab.cell_problems()
        questions = lab.panel.locator(".s2s-question")
        for index, language in enumerate(LANGUAGES):
            words = NUMERIC[language]
            question = questions.nth(2 * index)
            question.scroll_into_view_if_needed()
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
            choices = questions.nth(2 * index + 1)
            choose(choices, "1")
            kernel_has(choices, "1", language)
            check(choices, words["right"])
            lab.screenshot(f"question-projector-{language}-choices", choices)
            answers = json.loads(lab.execute(
                f"import json; print(json.dumps([a.value for a in guess_{language}.attempts]))"))
            assert answers == [0.5, 0.95], answers        # nonsense was never an attempt

        # The Korean Lab names the run that tests the Korean prediction.
        words = NUMERIC["ko"]
        widget = lab.panel.locator(".s2s-lab").first
        widget.scroll_into_view_if_needed()
        widget.locator(".s2s-train").first.click()
        prediction = widget.locator(".s2s-prediction").first
        expect(prediction).to_contain_text(words["tested"], timeout=RUN_TIMEOUT_MS)
        widget.locator(".s2s-stop").first.click()
        expect(widget.locator(".s2s-status").first).to_contain_text(words["finished"],
                                                                    timeout=RUN_TIMEOUT_MS)
        lab.wait_kernel_idle()
        lab.screenshot("question-projector-ko-lab", prediction)
        assert not lab.cell_problems(), lab.cell_problems()
    finally:
        lab.save_console("question-projector")
