"""Reading and judging a learner's answer: typed numbers, tolerances, bilingual texts.

Lessons: every lesson with a ``Question`` (``widgets/question.py``, which shows what these
functions decide); pure functions, no widgets, so each rule is tested on its own.

The rules, each with its reason:

- a number is written as Python writes it (``0.5``, ``-3``, ``1e-3``); a comma, a ``%`` or
  anything else gets its own message instead of a guess (see :func:`parse_number`);
- a tolerance is a number (absolute) or a string ending in ``%`` (relative to the answer), so
  that ``tolerance=0.05`` and ``tolerance="10%"`` read as what they mean;
- the boundary of a tolerance counts, whatever float rounding does to it.
"""
from __future__ import annotations

import math
import re
import unicodedata

from .config import format_value
from .i18n import LANGUAGES, t

# A plain decimal number, optionally with an exponent: what Python and every slider of the
# lessons write.  ``float()`` alone would also take "1_000", "nan" and "infinity".
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cleaned(text: str) -> str:
    """``text`` without surrounding spaces, full-width digits as ASCII (a Korean input method
    may type them) and the typographic minus as "-" (copied from a lesson's prose)."""
    return unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")


def parse_number(text: str) -> tuple[float | None, str]:
    """The number a learner typed, or None and the i18n key of what is wrong with it.

    Accepted: ``0.5``, ``-3``, ``.5``, ``1e-3``, with spaces around, full-width digits and the
    typographic minus (copied from a lesson's prose).  Refused, each with its own message:
    nothing typed; a comma (``0,5`` is 0.5 in much of Europe but ``1,000`` is a thousand in
    Korea and the US: guessing would mark a right answer wrong, so the message asks for the
    notation Python uses); a ``%`` (95% is 95 or 0.95 depending on the question); anything else.
    """
    plain = cleaned(text)
    if not plain:
        return None, "question_empty"
    if "," in plain:
        return None, "question_comma"
    if plain.endswith("%"):
        return None, "question_percent"
    if not _NUMBER.fullmatch(plain):
        return None, "question_not_number"
    value = float(plain)
    if not math.isfinite(value):       # "1e999" overflows to infinity
        return None, "question_not_finite"
    return value, ""


def parse_tolerance(tolerance) -> tuple[float, bool]:
    """``tolerance`` as (amount, relative): a number is absolute, ``"10%"`` is relative."""
    relative = isinstance(tolerance, str)
    amount = tolerance
    if relative:
        amount, problem = parse_number(tolerance.strip().removesuffix("%"))
        if problem or not tolerance.strip().endswith("%"):
            amount = None
        else:
            amount /= 100
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not amount >= 0:
        raise ValueError(t("question_bad_tolerance", value=tolerance))
    return float(amount), relative


def within(value: float, answer: float, amount: float, relative: bool) -> bool:
    """True when ``value`` is within the tolerance of ``answer``; the boundary counts, even
    when float rounding puts it a hair outside (|0.9 - 0.95| is 0.04999... but |1.0 - 0.95|
    is 0.05000000000000004)."""
    allowed = amount * abs(answer) if relative else amount
    gap = abs(value - answer)
    return gap <= allowed or math.isclose(gap, allowed, rel_tol=1e-9, abs_tol=1e-12)


def localized(text, language: str) -> str:
    """A plain string as it is, or the ``language`` entry of an ``{"en": ..., "ko": ...}``
    dict (English when that language is missing)."""
    if isinstance(text, dict):
        if not text or not set(text) <= set(LANGUAGES):
            raise ValueError(t("question_bad_text", value=text))
        return str(text.get(language) or text.get("en") or next(iter(text.values())))
    return format_value(text)


def choice_index(choices: list, answer, language: str) -> int:
    """The index of ``answer`` among ``choices``: the choice itself (a dict choice also
    matches any of its texts) first, then, for a whole number, an index."""
    for index, choice in enumerate(choices):
        if _same(choice, answer) or (isinstance(choice, dict) and answer in choice.values()):
            return index
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(choices):
        return answer
    raise ValueError(t("question_bad_answer", language, value=answer, last=len(choices) - 1))


def _same(choice, answer) -> bool:
    try:
        return bool(choice == answer)
    except Exception:  # noqa: BLE001 - an odd object (an array) simply does not match
        return False


__all__ = ["choice_index", "cleaned", "localized", "parse_number", "parse_tolerance", "within"]
