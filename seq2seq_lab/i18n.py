"""English and Korean text for every label and message a learner reads.

Lessons: all (``set_language("ko")`` switches every widget label, message and plot title).

One catalogue, keyed by a short id, so a label is translated once and the widget, the CLI and
the diagnosis all say the same thing.  The language is chosen by :func:`set_language`, or on
first use from the locale (``LANG``/``LC_ALL`` starting with ``ko``), never at import time.
"""
from __future__ import annotations

import os

LANGUAGES = ("en", "ko")
_state: dict[str, str] = {}


def set_language(language: str) -> None:
    """Switch every label and message to ``"en"`` or ``"ko"``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    _state["language"] = language


def get_language() -> str:
    """The current language; the first call reads the locale."""
    if "language" not in _state:
        locale = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
        _state["language"] = "ko" if locale.lower().startswith("ko") else "en"
    return _state["language"]


def t(key: str, language: str | None = None, **values) -> str:
    """The text for ``key`` in ``language`` (default: the current one), filled with ``values``."""
    entry = MESSAGES[key]
    text = entry.get(language or get_language()) or entry["en"]
    return text.format(**values) if values else text


MESSAGES: dict[str, dict[str, str]] = {
    # --- configuration errors -----------------------------------------------------------
    "unknown_field": {
        "en": "unknown hyperparameter '{name}'{hint}",
        "ko": "알 수 없는 하이퍼파라미터 '{name}'{hint}",
    },
    "did_you_mean": {"en": ": did you mean {suggestion}?", "ko": ": 혹시 {suggestion}인가요?"},
    "out_of_range": {
        "en": "{name} must be between {low} and {high}, got {value}",
        "ko": "{name} 값은 {low}에서 {high} 사이여야 합니다 (받은 값: {value})",
    },
    "bad_choice": {
        "en": "{name} must be one of {choices}, got {value!r}",
        "ko": "{name} 값은 {choices} 중 하나여야 합니다 (받은 값: {value!r})",
    },
    "bad_type": {
        "en": "{name} must be {expected}, got {value!r}",
        "ko": "{name} 값은 {expected}이어야 합니다 (받은 값: {value!r})",
    },
    "type_int": {"en": "a whole number", "ko": "정수"},
    "type_float": {"en": "a number", "ko": "숫자"},
    "type_bool": {"en": "true or false", "ko": "true 또는 false"},
    "type_str": {"en": "text", "ko": "문자열"},
    "min_above_max_epochs": {
        "en": "min_num_epochs ({low}) cannot be larger than max_num_epochs ({high})",
        "ko": "min_num_epochs ({low})는 max_num_epochs ({high})보다 클 수 없습니다",
    },
    "bad_file": {
        "en": "cannot read a configuration from {path}: {reason}",
        "ko": "{path}에서 설정을 읽을 수 없습니다: {reason}",
    },
    # --- tasks ---------------------------------------------------------------------------
    "unknown_task": {
        "en": "unknown task '{name}'{hint}; tasks: {choices}",
        "ko": "알 수 없는 과제 '{name}'{hint}; 가능한 과제: {choices}",
    },
    "task_too_small": {
        "en": "task '{name}' with seq_len={seq_len} has only {available} distinct examples, "
        "but {wanted} were asked for (train_size + val_size + test_size): "
        "use a larger seq_len or smaller sizes",
        "ko": "seq_len={seq_len}인 '{name}' 과제에는 서로 다른 예제가 {available}개뿐인데 "
        "{wanted}개(train_size + val_size + test_size)를 요청했습니다: "
        "seq_len을 늘리거나 크기를 줄이세요",
    },
    "bad_task_option": {
        "en": "task option {name} must be {rule}, got {value!r}",
        "ko": "과제 옵션 {name} 값은 {rule}이어야 합니다 (받은 값: {value!r})",
    },
    # --- table headings ------------------------------------------------------------------
    "col_name": {"en": "name", "ko": "이름"},
    "col_kind": {"en": "kind", "ko": "종류"},
    "col_ours": {"en": "ours", "ko": "기본값"},
    "col_sagemaker": {"en": "SageMaker", "ko": "SageMaker"},
    "col_range": {"en": "allowed", "ko": "허용 범위"},
    "col_help": {"en": "what it does", "ko": "설명"},
    "kind_training": {"en": "training", "ko": "학습"},
    "kind_architecture": {"en": "architecture", "ko": "구조"},
    "none": {"en": "none", "ko": "없음"},
    # --- plots ---------------------------------------------------------------------------
    "axis_step": {"en": "training step (batch)", "ko": "학습 스텝 (배치)"},
    "axis_loss": {"en": "loss (cross-entropy)", "ko": "손실 (교차 엔트로피)"},
    "axis_accuracy": {"en": "validation token accuracy", "ko": "검증 토큰 정확도"},
    "legend_train": {"en": "training loss", "ko": "학습 손실"},
    "legend_val": {"en": "validation loss", "ko": "검증 손실"},
    "legend_best": {"en": "best validation", "ko": "최고 검증 성능"},
    "legend_diverged": {"en": "diverged", "ko": "발산"},
}
