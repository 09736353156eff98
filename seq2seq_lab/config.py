"""Every hyperparameter of a run in one validated object, under Amazon SageMaker seq2seq names.

Lessons: all; 00 shows :func:`describe`, 01-09 move these fields with sliders.

The table below is the single place where a default, its allowed range or choices, SageMaker's
default and a one-line explanation (English and Korean) are written.  Sliders (``widgets/lab.py``),
CLI flags (``cli.py``), history records and plot legends all read this metadata, so a name is
spelled the same everywhere and a default is stated once.

Our defaults differ from SageMaker's where SageMaker's suit translation on a GPU cluster rather
than a toy task on a 2-core laptop; each such field says why in ``why``.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .i18n import get_language, t

TRAINING = "training"
ARCHITECTURE = "architecture"


class ConfigError(ValueError):
    """A hyperparameter value that cannot be used; names the field and what is allowed.

    The message is rendered in the current language when the error is made; ``field`` lets a
    widget put the message beside the right control.
    """

    def __init__(self, key: str, field_name: str | None = None, **values):
        self.key, self.field, self.values = key, field_name, values
        super().__init__(t(key, **values))

    def message(self, language: str | None = None) -> str:
        return t(self.key, language, **self.values)


def hp(default, *, kind: str, en: str, ko: str, sagemaker: Any = "same", low=None, high=None,
       choices: tuple | None = None, log: bool = False, why: str = "", allow_none: bool = False,
       widget_values: tuple | None = None):
    """A config field with its metadata.

    ``sagemaker="same"`` means SageMaker's default equals ours; ``log`` asks widgets for a
    log-scaled slider; ``widget_values`` are the "nice" slider stops (1e-4, 3e-4, 1e-3, ...).
    """
    meta = dict(kind=kind, en=en, ko=ko, sagemaker=default if sagemaker == "same" else sagemaker,
                low=low, high=high, choices=choices, log=log, why=why, allow_none=allow_none,
                widget_values=widget_values)
    return field(default=default, metadata=meta)


_LOG_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
_WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


@dataclass(frozen=True)
class Seq2SeqConfig:
    """All hyperparameters of one training run (validated when built; immutable).

    Build it from keywords, :meth:`from_dict`, :meth:`from_file` or the CLI; change it with
    :meth:`replace`.  ``Seq2SeqConfig.fields()`` lists the metadata of every field.
    """

    # ---- training hyperparameters --------------------------------------------------------
    learning_rate: float = hp(
        3e-3, kind=TRAINING, low=1e-7, high=10.0, log=True, widget_values=_LOG_RATES, sagemaker=3e-4,
        why="a 64-unit model on short sequences learns ~10x faster at 3e-3 than at 3e-4 and "
            "still trains stably with Adam; 3e-4 suits SageMaker's 1024-unit LSTMs",
        en="Step size of each parameter update; too small crawls, too large diverges.",
        ko="매 업데이트의 보폭; 너무 작으면 느리고 너무 크면 발산합니다.")
    batch_size: int = hp(
        64, kind=TRAINING, low=1, high=4096,
        en="Examples per update; bigger batches give smoother but fewer steps per epoch.",
        ko="한 번의 업데이트에 쓰는 예제 수; 클수록 매끄럽지만 에폭당 스텝이 줄어듭니다.")
    optimizer_type: str = hp(
        "adam", kind=TRAINING, choices=("adam", "sgd", "rmsprop"),
        en="Update rule: adam adapts each weight's step, sgd uses the raw gradient.",
        ko="업데이트 규칙: adam은 가중치마다 보폭을 조절하고 sgd는 기울기를 그대로 씁니다.")
    momentum: float = hp(
        0.0, kind=TRAINING, low=0.0, high=0.999, sagemaker=None,
        why="SageMaker leaves it unset; 0 is plain SGD, the starting point of lesson 05",
        en="Momentum for sgd and rmsprop: how much of the last step carries over.",
        ko="sgd와 rmsprop의 모멘텀: 직전 스텝을 얼마나 이어 갈지.")
    weight_decay: float = hp(
        0.0, kind=TRAINING, low=0.0, high=1.0, widget_values=_WEIGHT_DECAYS,
        en="L2 penalty pulling weights towards zero; a regulariser against overfitting.",
        ko="가중치를 0 쪽으로 당기는 L2 벌점; 과적합을 막는 정규화입니다.")
    clip_gradient: float = hp(
        1.0, kind=TRAINING, low=-1.0, high=100.0,
        en="Rescale gradients whose norm exceeds this; a negative value disables clipping.",
        ko="기울기 노름이 이 값을 넘으면 줄입니다; 음수면 자르지 않습니다.")
    label_smoothing: float = hp(
        0.0, kind=TRAINING, low=0.0, high=0.5,
        en="Spread this much target probability over all tokens, against overconfidence.",
        ko="정답 확률의 이만큼을 모든 토큰에 나눠 과신을 막습니다.")
    max_num_epochs: int = hp(
        5, kind=TRAINING, low=1, high=10000, sagemaker=None,
        why="SageMaker trains until early stopping; a lesson needs a run that ends in seconds",
        en="Upper limit on passes over the training data.",
        ko="학습 데이터를 몇 번까지 반복할지의 상한.")
    min_num_epochs: int = hp(
        0, kind=TRAINING, low=0, high=10000,
        en="Early stopping never ends a run before this many epochs.",
        ko="조기 종료는 이 에폭 수 전에는 학습을 멈추지 않습니다.")
    max_num_batches: int | None = hp(
        None, kind=TRAINING, low=1, high=10_000_000, allow_none=True,
        en="Upper limit on updates (batches); none means only max_num_epochs limits the run.",
        ko="업데이트(배치) 수의 상한; none이면 max_num_epochs만 적용됩니다.")
    checkpoint_frequency_num_batches: int = hp(
        16, kind=TRAINING, low=1, high=1_000_000, sagemaker=1000,
        why="evaluating twice in each of our 32-batch epochs draws a validation curve with "
            "enough points to see overfitting begin",
        en="Evaluate on the validation set every this many batches.",
        ko="이 배치 수마다 검증 데이터로 평가합니다.")
    early_stopping_patience: int = hp(
        0, kind=TRAINING, low=0, high=1000, sagemaker=3,
        why="SageMaker calls it checkpoint_threshold (3); ours is off so that lessons can show "
            "overfitting happen, and lesson 06 turns it on",
        en="Stop after this many evaluations without improvement; 0 turns early stopping off.",
        ko="이만큼 평가해도 나아지지 않으면 멈춥니다; 0이면 조기 종료를 끕니다.")
    optimized_metric: str = hp(
        "perplexity", kind=TRAINING, choices=("perplexity", "accuracy", "bleu"),
        en="Validation metric that picks the best step and drives early stopping.",
        ko="최고 시점 선택과 조기 종료의 기준이 되는 검증 지표.")
    lr_scheduler_type: str = hp(
        "none", kind=TRAINING,
        choices=("none", "step", "exponential", "cosine", "one_cycle", "plateau_reduce"),
        sagemaker="plateau_reduce",
        why="a constant rate keeps lessons 01 and 03-07 about one thing; lesson 02 compares "
            "schedules",
        en="How the learning rate changes during training (see schedules.py).",
        ko="학습 중 학습률을 바꾸는 방식 (schedules.py 참고).")
    lr_step_size: int = hp(
        100, kind=TRAINING, low=1, high=1_000_000, sagemaker=None,
        en="Batches between decays for the step and exponential schedules.",
        ko="step과 exponential 스케줄에서 감쇠 사이의 배치 수.")
    lr_decay_factor: float = hp(
        0.5, kind=TRAINING, low=0.01, high=1.0, sagemaker=None,
        en="Learning-rate multiplier per lr_step_size batches (step, exponential).",
        ko="lr_step_size 배치마다 학습률에 곱하는 값 (step, exponential).")
    lr_min_ratio: float = hp(
        0.01, kind=TRAINING, low=0.0, high=1.0, sagemaker=None,
        en="Final learning rate of cosine and one_cycle, as a fraction of learning_rate.",
        ko="cosine과 one_cycle의 마지막 학습률 (learning_rate에 대한 비율).")
    lr_warmup_steps: int = hp(
        0, kind=TRAINING, low=0, high=1_000_000, sagemaker=None,
        en="Batches over which the rate ramps up linearly from 0 before any schedule.",
        ko="스케줄 전에 학습률을 0에서 선형으로 올리는 배치 수.")
    plateau_reduce_lr_factor: float = hp(
        0.5, kind=TRAINING, low=0.01, high=1.0,
        en="plateau_reduce: multiply the rate by this when validation stops improving.",
        ko="plateau_reduce: 검증 성능이 멈추면 학습률에 이 값을 곱합니다.")
    plateau_reduce_lr_threshold: int = hp(
        3, kind=TRAINING, low=1, high=1000,
        en="plateau_reduce: evaluations without improvement before the rate is cut.",
        ko="plateau_reduce: 학습률을 줄이기 전 개선 없이 지나는 평가 횟수.")

    # ---- architectural hyperparameters ---------------------------------------------------
    rnn_cell_type: str = hp(
        "gru", kind=ARCHITECTURE, choices=("rnn", "gru", "lstm"), sagemaker="lstm",
        why="GRU has 3/4 of an LSTM's weights and is the baseline of lesson 07; rnn (vanilla) "
            "is ours, for teaching, SageMaker has only lstm and gru",
        en="Recurrent cell: rnn (vanilla, tanh), gru (2 gates) or lstm (3 gates + cell).",
        ko="순환 셀: rnn (기본 tanh), gru (게이트 2개), lstm (게이트 3개 + 셀 상태).")
    rnn_num_hidden: int = hp(
        64, kind=ARCHITECTURE, low=1, high=4096, sagemaker=1024,
        why="64 units learn our toy tasks in seconds on 2 CPU cores; 1024 is for real "
            "translation on GPUs",
        en="Units in each recurrent layer: the model's memory width.",
        ko="각 순환층의 유닛 수: 모델 기억의 폭.")
    num_layers_encoder: int = hp(
        1, kind=ARCHITECTURE, low=1, high=8,
        en="Stacked recurrent layers reading the source.",
        ko="입력을 읽는 순환층의 개수.")
    num_layers_decoder: int = hp(
        1, kind=ARCHITECTURE, low=1, high=8,
        en="Stacked recurrent layers writing the target.",
        ko="출력을 쓰는 순환층의 개수.")
    num_embed_source: int = hp(
        32, kind=ARCHITECTURE, low=1, high=4096, sagemaker=512,
        why="our vocabularies have 10-40 tokens, not 30,000 words",
        en="Size of each source token's embedding vector.",
        ko="입력 토큰 임베딩 벡터의 크기.")
    num_embed_target: int = hp(
        32, kind=ARCHITECTURE, low=1, high=4096, sagemaker=512,
        why="our vocabularies have 10-40 tokens, not 30,000 words",
        en="Size of each target token's embedding vector.",
        ko="출력 토큰 임베딩 벡터의 크기.")
    embed_dropout_source: float = hp(
        0.0, kind=ARCHITECTURE, low=0.0, high=0.9,
        en="Dropout on source embeddings during training.",
        ko="학습 중 입력 임베딩에 적용하는 드롭아웃.")
    embed_dropout_target: float = hp(
        0.0, kind=ARCHITECTURE, low=0.0, high=0.9,
        en="Dropout on target embeddings during training.",
        ko="학습 중 출력 임베딩에 적용하는 드롭아웃.")
    rnn_decoder_hidden_dropout: float = hp(
        0.0, kind=ARCHITECTURE, low=0.0, high=0.9,
        en="Dropout on the decoder's hidden state before the output layer.",
        ko="출력층 앞 디코더 은닉 상태에 적용하는 드롭아웃.")
    rnn_attention_type: str = hp(
        "mlp", kind=ARCHITECTURE, choices=("none", "dot", "bilinear", "mlp", "fixed"),
        en="How the decoder looks back at the source: none, dot, bilinear, mlp or fixed (uniform).",
        ko="디코더가 입력을 돌아보는 방식: none, dot, bilinear, mlp, fixed (균등).")
    rnn_decoder_state_init: str = hp(
        "last", kind=ARCHITECTURE, choices=("last", "avg", "zero"),
        en="Decoder's first state: from the encoder's last state, its average, or zeros.",
        ko="디코더의 첫 상태: 인코더의 마지막 상태, 평균, 또는 0.")
    rnn_residual_connections: bool = hp(
        False, kind=ARCHITECTURE,
        en="Add each layer's input to its output from the second layer up (deep stacks).",
        ko="두 번째 층부터 각 층의 입력을 출력에 더합니다 (깊은 층 쌓기).")
    weight_init_type: str = hp(
        "xavier", kind=ARCHITECTURE, choices=("xavier", "uniform"),
        en="Initial weights: xavier scales by layer size, uniform draws from +-weight_init_scale.",
        ko="초기 가중치: xavier는 층 크기에 맞추고 uniform은 +-weight_init_scale에서 뽑습니다.")
    weight_init_scale: float = hp(
        2.34, kind=ARCHITECTURE, low=1e-4, high=10.0,
        en="Scale of the initial weights (xavier magnitude, or the uniform bound).",
        ko="초기 가중치의 크기 (xavier 배율, 또는 uniform 경계).")
    lstm_forget_bias: float = hp(
        0.0, kind=ARCHITECTURE, low=0.0, high=5.0, sagemaker=None,
        why="ours, not SageMaker's: every bias starts at 0 here, the forget gate's too, so a "
            "new LSTM forgets half its cell at each step; Gers et al. 2000 and Jozefowicz et "
            "al. 2015 start it at 1 so that the cell remembers by default (lesson 07)",
        en="LSTM only: the forget gate's starting bias; 1 makes the cell keep its memory at first.",
        ko="LSTM 전용: 망각 게이트의 초기 편향; 1이면 셀이 처음부터 기억을 유지합니다.")
    max_seq_len_source: int = hp(
        100, kind=ARCHITECTURE, low=1, high=10000,
        en="Longer source sequences are cut to this many tokens.",
        ko="이보다 긴 입력 시퀀스는 이 길이로 자릅니다.")
    max_seq_len_target: int = hp(
        100, kind=ARCHITECTURE, low=1, high=10000,
        en="Longer target sequences are cut to this many tokens.",
        ko="이보다 긴 출력 시퀀스는 이 길이로 자릅니다.")

    # ---- construction and validation -------------------------------------------------------
    def __new__(cls, *args, **kwargs):
        # The generated ``__init__`` would reject a misspelled keyword with a bare TypeError
        # ("unexpected keyword argument") before any of our checks ran; ``__new__`` sees the
        # same keywords first, so ``Seq2SeqConfig(learning_rte=0.1)`` says what ``from_dict``
        # and the CLI say.  Positional arguments are left to ``__init__`` as before.
        known = {f.name for f in dataclasses.fields(cls)}
        for name in kwargs:
            if name not in known:
                raise ConfigError("unknown_field", name, name=name, hint=_suggest(name, known))
        return super().__new__(cls)

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check(f, getattr(self, f.name)))
        if self.min_num_epochs > self.max_num_epochs:
            raise ConfigError("min_above_max_epochs", "min_num_epochs",
                              low=self.min_num_epochs, high=self.max_num_epochs)

    @classmethod
    def fields(cls) -> dict[str, dict]:
        """Metadata of every field, in declaration order: ``{name: {default, kind, ...}}``."""
        return {f.name: dict(f.metadata, default=f.default, type=_base_type(f))
                for f in dataclasses.fields(cls)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Seq2SeqConfig":
        """Build from a dict; an unknown key is an error that suggests the nearest name."""
        known = {f.name for f in dataclasses.fields(cls)}
        for name in values:
            if name not in known:
                raise ConfigError("unknown_field", name, name=name, hint=_suggest(name, known))
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> "Seq2SeqConfig":
        """Build from a YAML or JSON file of ``name: value`` lines."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                values = json.loads(text)
            else:
                import yaml  # YAML is a superset of JSON, so either parses here
                values = yaml.safe_load(text) or {}
        except (OSError, ValueError) as error:
            raise ConfigError("bad_file", None, path=str(path), reason=str(error)) from None
        if not isinstance(values, dict):
            raise ConfigError("bad_file", None, path=str(path), reason="expected name: value pairs")
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        """Every field and its value, for provenance (saved with each History)."""
        return dataclasses.asdict(self)

    def to_file(self, path: str | Path) -> None:
        """Write YAML (or JSON for a ``.json`` path) that :meth:`from_file` reads back."""
        path = Path(path)
        if path.suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        else:
            import yaml
            path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")

    def replace(self, **changes) -> "Seq2SeqConfig":
        """A copy with some fields changed (validated, unknown names rejected)."""
        return self.from_dict({**self.to_dict(), **changes})

    def diff(self, other: "Seq2SeqConfig | None" = None) -> dict[str, Any]:
        """Fields whose values differ from ``other`` (default: the defaults), for legends."""
        other = other or Seq2SeqConfig()
        return {k: v for k, v in self.to_dict().items() if getattr(other, k) != v}

    def label(self, other: "Seq2SeqConfig | None" = None) -> str:
        """``"learning_rate=0.1, rnn_cell_type=lstm"``: what differs, as a legend label."""
        changed = self.diff(other)
        return ", ".join(f"{k}={format_value(v)}" for k, v in changed.items()) or "defaults"


def format_value(value) -> str:
    """Short, exact-enough text for a value in a legend (0.001 -> '0.001', 3e-05 -> '3e-05')."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# ---- field checking -----------------------------------------------------------------------
def _base_type(f: dataclasses.Field) -> type:
    annotation = str(f.type)
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if annotation.startswith(name):
            return kind
    raise TypeError(f"unsupported field type {f.type}")


def _check(f: dataclasses.Field, value):
    """Coerce ``value`` to the field's type and check its range or choices."""
    meta, name, kind = f.metadata, f.name, _base_type(f)
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null") and kind is not str):
        if meta["allow_none"]:
            return None
        raise ConfigError("bad_type", name, name=name, expected=t(f"type_{kind.__name__}"), value=value)
    value = _coerce(name, kind, value)
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ConfigError("bad_choice", name, name=name, choices=", ".join(meta["choices"]), value=value)
    low, high = meta["low"], meta["high"]
    if low is not None and not (low <= value <= high):
        raise ConfigError("out_of_range", name, name=name, low=format_value(low),
                          high=format_value(high), value=format_value(value))
    return value


def _coerce(name: str, kind: type, value):
    """Accept what a slider, a YAML file or a CLI string naturally gives; reject the rest."""
    error = ConfigError("bad_type", name, name=name, expected=t(f"type_{kind.__name__}"), value=value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise error
    if kind is str:
        if isinstance(value, str):
            return value.strip().lower()
        raise error
    if isinstance(value, bool):  # True is an int in Python, but never a sensible learning rate
        raise error
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise error from None
    if not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise error
    value = float(value) if kind is float else value
    if kind is int:
        number = float(value)
        if not math.isfinite(number) or number != int(number):
            raise error
        return int(number)
    if not math.isfinite(value):
        raise error
    # Keyboard-stepped sliders send 1.9999999999999998 for 2.0: keep 12 significant digits.
    return float(f"{value:.12g}")


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
    return t("did_you_mean", suggestion=close[0]) if close else ""


# ---- the table for notebooks and the CLI ----------------------------------------------------
class HyperparameterTable(list):
    """Rows of :func:`describe`; prints as text, shows as HTML in a notebook."""

    columns = ("name", "kind", "ours", "sagemaker", "allowed", "help")

    def __str__(self) -> str:
        heads = [t("col_name"), t("col_kind"), t("col_ours"), t("col_sagemaker"), t("col_range")]
        rows = [[r["name"], r["kind"], r["ours"], r["sagemaker"], r["allowed"]] for r in self]
        widths = [max(len(str(x)) for x in col) for col in zip(heads, *rows)]
        lines = ["  ".join(str(x).ljust(w) for x, w in zip(heads, widths))]
        lines.append("  ".join("-" * w for w in widths))
        for row, record in zip(rows, self):
            lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
            lines.append("    " + record["help"])
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html
        heads = [t("col_name"), t("col_kind"), t("col_ours"), t("col_sagemaker"), t("col_range"),
                 t("col_help")]
        out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in heads), "</tr></thead><tbody>"]
        for r in self:
            mark = "" if r["ours"] == r["sagemaker"] else ' style="font-weight:bold"'
            out.append(f"<tr><td><code>{r['name']}</code></td><td>{html.escape(r['kind'])}</td>"
                       f"<td{mark}>{html.escape(r['ours'])}</td><td>{html.escape(r['sagemaker'])}</td>"
                       f"<td>{html.escape(r['allowed'])}</td><td style='text-align:left'>"
                       f"{html.escape(r['help'])}</td></tr>")
        out.append("</tbody></table>")
        return "".join(out)


def describe(language: str | None = None, kind: str | None = None) -> HyperparameterTable:
    """The hyperparameter table: name, kind, our default, SageMaker's, allowed values, help.

    Where ours differs from SageMaker's, ``help`` ends with why.  ``kind`` filters to
    ``"training"`` or ``"architecture"`` hyperparameters.
    """
    language = language or get_language()
    rows = HyperparameterTable()
    for name, meta in Seq2SeqConfig.fields().items():
        if kind and meta["kind"] != kind:
            continue
        if meta["choices"]:
            allowed = " | ".join(meta["choices"])
        elif meta["low"] is not None:
            allowed = f"{format_value(meta['low'])} .. {format_value(meta['high'])}"
        else:
            allowed = "true | false"
        if meta["allow_none"]:
            allowed += " | none"
        ours = _show(meta["default"], language)
        sagemaker = _show(meta["sagemaker"], language)
        help_text = meta[language]
        if meta["why"] and ours != sagemaker:
            help_text += f" ({'why' if language == 'en' else '이유'}: {meta['why']})"
        rows.append(dict(name=name, kind=t(f"kind_{meta['kind']}", language), ours=ours,
                         sagemaker=sagemaker, allowed=allowed, help=help_text))
    return rows


def _show(value, language: str) -> str:
    if value is None:
        return t("none", language)
    if isinstance(value, bool):
        return str(value).lower()
    return format_value(value)
