"""The lesson's language switch: pressing 한국어 makes the widgets built after it Korean."""
import pytest

from seq2seq_lab import Lab, Question, get_language, language_switch
from seq2seq_lab.i18n import t

pytestmark = pytest.mark.usefixtures("no_thread_exceptions")


def test_the_switch_starts_at_the_current_language_and_sets_it():
    switch = language_switch()
    assert switch.buttons.value == "en" and "English" in switch.note.value
    switch.buttons.value = "ko"
    assert get_language() == "ko"
    assert switch.note.value == f"<small>{t('language_note', 'ko')}</small>"
    switch.buttons.value = "en"
    assert get_language() == "en"


def test_widgets_built_after_the_switch_speak_korean():
    switch = language_switch()
    before = Lab(params=["learning_rate"])
    switch.buttons.value = "ko"
    after = Lab(params=["learning_rate"])
    question = Question({"en": "Which?", "ko": "어느 것?"}, choices=["a", "b"], answer=0)
    assert after.pin_button.description == t("lab_pin", "ko") != t("lab_pin", "en")
    assert before.pin_button.description == t("lab_pin", "en")   # built before: unchanged
    assert "어느 것?" in question.prompt_box.value


def test_both_languages_are_offered_by_name():
    labels = [label for label, _ in language_switch().buttons.options]
    assert labels == ["English", "한국어"]
