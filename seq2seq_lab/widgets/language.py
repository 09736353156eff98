"""The lesson's language switch: English or Korean for every widget built after it.

Lessons: all (the first cell of each lesson shows it).

``set_language`` already switches every label, message and figure title, but a learner would
have to know it exists; the switch puts the choice where the lesson starts.  Widgets read the
language when they are built, so the switch sits above them, and says that widgets already
on the page keep theirs until their cells run again.
"""
from __future__ import annotations

import ipywidgets as widgets

from ..i18n import LANGUAGES, get_language, set_language, t

NAMES = {"en": "English", "ko": "한국어"}


class LanguageSwitch(widgets.VBox):
    """Two buttons, English and 한국어; pressing one calls ``set_language``."""

    def __init__(self) -> None:
        self.buttons = widgets.ToggleButtons(
            options=[(NAMES[language], language) for language in LANGUAGES],
            value=get_language(), description="Language / 언어",
            style={"description_width": "initial"})
        self.buttons.add_class("s2s-language")
        self.note = widgets.HTML()
        self.buttons.observe(self._chosen, names="value")
        super().__init__([self.buttons, self.note])
        self._show(self.buttons.value)

    def _chosen(self, change) -> None:
        set_language(change["new"])
        self._show(change["new"])

    def _show(self, language: str) -> None:
        self.note.value = f"<small>{t('language_note', language)}</small>"


def language_switch() -> LanguageSwitch:
    """The switch a lesson shows in its first cell."""
    return LanguageSwitch()
