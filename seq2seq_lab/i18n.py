"""English and Korean text for every label and message a learner reads.

Lessons: all (``set_language("ko")`` switches every widget label, message and plot title).

One catalogue, keyed by a short id, so a label is translated once and the widget, the CLI and
the diagnosis all say the same thing.  The language is chosen by :func:`set_language`, or on
first use from the locale (``LANG``/``LC_ALL`` starting with ``ko``), never at import time.
"""
from __future__ import annotations

import os
import string

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


class _PluralFormatter(string.Formatter):
    """``str.format`` plus one spec for English plurals: ``{count:plural=run/runs}`` gives
    "1 run", "0 runs", "2 runs".  A catalogue entry then says the count once and cannot get
    the noun wrong ("1 evaluations" read as a bug to learners); Korean needs no plural."""

    def format_field(self, value, format_spec: str) -> str:
        if format_spec.startswith("plural="):
            singular, plural = format_spec.removeprefix("plural=").split("/")
            return f"{value} {singular if value == 1 else plural}"
        return super().format_field(value, format_spec)


_FORMATTER = _PluralFormatter()


def t(key: str, language: str | None = None, **values) -> str:
    """The text for ``key`` in ``language`` (default: the current one), filled with ``values``."""
    entry = MESSAGES[key]
    text = entry.get(language or get_language()) or entry["en"]
    return _FORMATTER.format(text, **values) if values else text


MESSAGES: dict[str, dict[str, str]] = {
    # --- cpu_kernels.py ------------------------------------------------------------------
    "cpu_kernels_too_late": {
        "en": "torch ran before seq2seq_lab was imported, so it uses its AVX-512 kernels: runs "
              "can differ slightly from the lessons' curves. Import seq2seq_lab before torch "
              "(or restart the kernel and do) to see the same curves as the lessons",
        "ko": "seq2seq_lab을 불러오기 전에 torch가 실행되어 AVX-512 커널을 씁니다: 실행 결과가 "
              "수업의 곡선과 조금 다를 수 있습니다. torch보다 seq2seq_lab을 먼저 불러오면 "
              "(또는 커널을 다시 시작하고 그렇게 하면) 수업과 같은 곡선을 봅니다"},
    # --- a learner's own data file (pairs.py) --------------------------------------------
    # Every pairs_* problem follows pairs_where or pairs_where_line, so it names the file and
    # the line to fix.
    "pairs_where": {"en": "{path}: ", "ko": "{path}: "},
    "pairs_no_path": {"en": "no data file chosen: type its path, or press Upload",
                      "ko": "데이터 파일을 고르지 않았습니다: 경로를 입력하거나 올리기를 누르세요"},
    "pairs_too_many_cells": {
        "en": "its {rows:,} rows padded to the longest row would take {megabytes} MB of "
              "memory, over the {limit} MB a lesson's kernel can give: use fewer rows, or "
              "lower max_seq_len_source / max_seq_len_target to refuse the longest ones",
        "ko": "{rows:,}개의 줄을 가장 긴 줄 길이로 맞추면 메모리가 {megabytes} MB 필요해, 수업 "
              "커널이 쓸 수 있는 {limit} MB를 넘습니다: 줄 수를 줄이거나 max_seq_len_source / "
              "max_seq_len_target를 낮춰 가장 긴 줄을 거르세요"},
    "pairs_where_line": {"en": "{path}, line {line}: ", "ko": "{path}, {line}번째 줄: "},
    "pairs_not_found": {
        "en": "no such file: check its name and folder (a relative path starts from the folder "
        "the notebook or command runs in)",
        "ko": "파일이 없습니다: 이름과 폴더를 확인하세요 (상대 경로는 노트북이나 명령을 실행한 "
        "폴더에서 시작합니다)",
    },
    "pairs_unreadable": {"en": "cannot be read: {reason}", "ko": "읽을 수 없습니다: {reason}"},
    "pairs_is_directory": {
        "en": "this is a folder, not a file: give the path of a .tsv or .csv file",
        "ko": "파일이 아니라 폴더입니다: .tsv 또는 .csv 파일의 경로를 주세요",
    },
    "pairs_too_big": {
        "en": "the file is {size}, more than the {limit} this lab reads: use a sample of its rows",
        "ko": "파일 크기가 {size}(으)로, 이 실습이 읽는 {limit}보다 큽니다: 일부 행만 골라 쓰세요",
    },
    "pairs_empty": {
        "en": "no source/target rows (blank lines and the header do not count): write one pair "
        "a line",
        "ko": "입력/출력 행이 없습니다 (빈 줄과 헤더는 세지 않습니다): 한 줄에 한 쌍씩 쓰세요",
    },
    "pairs_binary": {
        "en": "this is not a text file (it holds NUL bytes): save the pairs as UTF-8 text, "
        "TSV or CSV",
        "ko": "텍스트 파일이 아닙니다 (NUL 바이트가 있습니다): 쌍들을 UTF-8 텍스트(TSV 또는 CSV)로 "
        "저장하세요",
    },
    "pairs_not_utf8": {
        "en": "this line is not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8)",
        "ko": "이 줄은 UTF-8 텍스트가 아닙니다: 파일을 UTF-8로 저장하세요 (Excel: CSV UTF-8)",
    },
    "pairs_bad_csv": {
        "en": "this CSV row cannot be read: {reason}",
        "ko": "이 CSV 행을 읽을 수 없습니다: {reason}",
    },
    "pairs_one_column": {
        "en": "only one column: every line needs a source and a target{hint}",
        "ko": "열이 하나뿐입니다: 모든 줄에 입력과 출력이 있어야 합니다{hint}",
    },
    "pairs_too_many_columns": {
        "en": "{count} columns, but a line has exactly two, source and target{hint}",
        "ko": "열이 {count}개입니다. 한 줄에는 입력과 출력, 정확히 두 열만 있어야 합니다{hint}",
    },
    "pairs_hint_tsv": {
        "en": " (separated by one TAB; a side may not contain a TAB)",
        "ko": " (TAB 하나로 구분하며, 각 칸 안에는 TAB을 쓸 수 없습니다)",
    },
    "pairs_hint_csv": {
        "en": " (separated by a comma; put a side that contains a comma in double quotes)",
        "ko": " (쉼표로 구분하며, 쉼표가 들어간 칸은 큰따옴표로 감싸세요)",
    },
    "pairs_side_source": {"en": "source", "ko": "입력(source)"},
    "pairs_side_target": {"en": "target", "ko": "출력(target)"},
    "pairs_empty_side": {"en": "the {side} side is empty", "ko": "{side} 칸이 비어 있습니다"},
    "pairs_too_long": {
        "en": "the {side} side has {count} tokens, more than {field} = {limit}: shorten it or "
        "raise {field}",
        "ko": "{side} 칸의 토큰이 {count}개로 {field} = {limit}보다 많습니다: 줄이거나 "
        "{field}를 늘리세요",
    },
    "pairs_too_few_rows": {
        "en": "only {rows:plural=distinct row/distinct rows}: at least {need} are needed, one to "
        "train on and one to validate on",
        "ko": "서로 다른 행이 {rows}개뿐입니다: 학습용 하나와 검증용 하나, 최소 {need}개가 "
        "필요합니다",
    },
    "pairs_sizes_exceed": {
        "en": "{wanted} rows were asked for (train_size + val_size + test_size), but the file "
        "has {available:plural=distinct row/distinct rows}: ask for fewer",
        "ko": "{wanted}개 행(train_size + val_size + test_size)을 요청했지만 파일에는 서로 다른 "
        "행이 {available}개뿐입니다: 더 적게 요청하세요",
    },
    # --- shareable set-ups and export as code (setups.py) --------------------------------
    # Read from text anyone may paste: each message says what is wrong and what to do next.
    "setup_not_setup": {
        "en": "this is not a seq2seq_lab set-up: a shared set-up is one line starting with "
        "{prefix}, or a JSON file whose \"format\" is \"{format}\"",
        "ko": "seq2seq_lab 설정이 아닙니다: 공유된 설정은 {prefix}(으)로 시작하는 한 줄이거나 "
        "\"format\"이 \"{format}\"인 JSON 파일입니다",
    },
    "setup_newer": {
        "en": "this set-up was made by a newer seq2seq_lab (set-up format {version}); this "
        "seq2seq_lab {package} reads format {current}: update seq2seq_lab "
        "(pip install -U seq2seq-lab) and load it again",
        "ko": "이 설정은 더 새로운 seq2seq_lab에서 만들었습니다 (설정 형식 {version}); 지금의 "
        "seq2seq_lab {package}은(는) 형식 {current}을(를) 읽습니다: seq2seq_lab을 업데이트한 뒤 "
        "(pip install -U seq2seq-lab) 다시 불러오세요",
    },
    "setup_older": {
        "en": "this set-up uses format {version}, older than this seq2seq_lab {package} can read "
        "(formats {oldest} to {current}): ask for it to be shared again from a current Lab",
        "ko": "이 설정은 형식 {version}을(를) 씁니다. 지금의 seq2seq_lab {package}이(가) 읽을 수 "
        "있는 형식({oldest}-{current})보다 오래되었습니다: 최신 Lab에서 다시 공유해 달라고 하세요",
    },
    "setup_truncated": {
        "en": "this set-up text is cut short: copy all of it again, from its start to its "
        "last character",
        "ko": "이 설정 텍스트가 중간에 잘렸습니다: 처음부터 마지막 글자까지 전부 다시 복사하세요",
    },
    "setup_damaged": {
        "en": "this set-up is damaged (some characters were changed or lost when it was "
        "copied): copy all of it again",
        "ko": "이 설정이 손상되었습니다 (복사하면서 글자가 바뀌거나 빠졌습니다): 전부 다시 "
        "복사하세요",
    },
    "setup_changed": {
        "en": "this set-up was changed after it was made (its checksum does not match): copy "
        "it again from where it was shared, or make a new one in a Lab",
        "ko": "이 설정은 만들어진 뒤에 바뀌었습니다 (체크섬이 맞지 않습니다): 공유된 곳에서 다시 "
        "복사하거나 Lab에서 새로 만드세요",
    },
    "setup_too_large": {
        "en": "this set-up is larger than {limit} KiB, far more than any Lab's set-up: it is "
        "not read",
        "ko": "이 설정은 {limit} KiB보다 커서 어떤 Lab 설정보다도 훨씬 큽니다: 읽지 않습니다",
    },
    "setup_bad_json": {
        "en": "this set-up file is not valid JSON (line {line}, column {column})",
        "ko": "이 설정 파일은 올바른 JSON이 아닙니다 ({line}번째 줄, {column}번째 칸)",
    },
    "setup_duplicate_key": {
        "en": "the set-up names '{name}' twice: keep one",
        "ko": "설정에 '{name}'이(가) 두 번 있습니다: 하나만 남기세요",
    },
    "setup_unknown_key": {
        "en": "unknown key '{name}' in the set-up{hint}; keys: {choices}",
        "ko": "설정에 알 수 없는 키 '{name}'이(가) 있습니다{hint}; 가능한 키: {choices}",
    },
    "setup_bad_type": {
        "en": "{name} in the set-up must be {expected}, got {value!r}",
        "ko": "설정의 {name} 값은 {expected}이어야 합니다 (받은 값: {value!r})",
    },
    "setup_type_object": {"en": "an object of name: value pairs",
                          "ko": "이름: 값 쌍의 객체"},
    "setup_type_config": {"en": "a Seq2SeqConfig", "ko": "Seq2SeqConfig"},
    "setup_type_seed": {"en": "a whole number from 0 up", "ko": "0 이상의 정수"},
    "setup_type_names": {"en": "a list of names", "ko": "이름의 목록"},
    "setup_type_panels": {"en": "a list of panel names or [name, options] pairs",
                          "ko": "패널 이름 또는 [이름, 옵션] 쌍의 목록"},
    "setup_bad_config": {
        "en": "the set-up's hyperparameters cannot be used: {reason}",
        "ko": "설정의 하이퍼파라미터를 쓸 수 없습니다: {reason}",
    },
    "setup_number_too_large": {"en": "a number in it is far too large",
                               "ko": "너무 큰 숫자가 들어 있습니다"},
    "setup_bad_task": {
        "en": "the set-up's task cannot be used: {reason}",
        "ko": "설정의 과제를 쓸 수 없습니다: {reason}",
    },
    "setup_bad_task_option": {
        "en": "the set-up's task options cannot be used: {reason}",
        "ko": "설정의 과제 옵션을 쓸 수 없습니다: {reason}",
    },
    "setup_unknown_task_option": {
        "en": "unknown task option '{name}'{hint}; options: {choices}",
        "ko": "알 수 없는 과제 옵션 '{name}'{hint}; 가능한 옵션: {choices}",
    },
    "setup_option_not_for_pairs": {
        "en": "task option {name} is not for the pairs task: a file's rows have their own "
              "lengths (max_seq_len_source and max_seq_len_target limit them)",
        "ko": "과제 옵션 {name}은(는) pairs 과제에 쓰지 않습니다: 파일의 각 줄은 제 길이가 "
              "있습니다 (max_seq_len_source, max_seq_len_target로 제한합니다)"},
    "setup_option_pairs_only": {
        "en": "task option {name} belongs to the pairs task (a learner's own data file), not "
        "to {task}",
        "ko": "과제 옵션 {name}은(는) {task}가 아니라 pairs 과제(학습자의 데이터 파일)의 "
        "옵션입니다",
    },
    "setup_option_not_text": {
        "en": "task option {name} must be text, got {value!r}",
        "ko": "과제 옵션 {name} 값은 문자열이어야 합니다 (받은 값: {value!r})",
    },
    "setup_unknown_param": {
        "en": "params names '{name}', which is neither a hyperparameter nor a task option{hint}",
        "ko": "params의 '{name}'은(는) 하이퍼파라미터도 과제 옵션도 아닙니다{hint}",
    },
    "setup_locked_not_shown": {
        "en": "locked names {names}, which params does not show: a locked control must be in "
        "params too",
        "ko": "locked의 {names}은(는) params에 없습니다: 잠근 컨트롤은 params에도 있어야 합니다",
    },
    "setup_bad_panel": {
        "en": "the set-up's panels cannot be used: {reason}",
        "ko": "설정의 패널을 쓸 수 없습니다: {reason}",
    },
    "setup_exists": {
        "en": "{path} exists already and a set-up never overwrites a file: choose another name, "
        "or give a folder to save into",
        "ko": "{path}이(가) 이미 있고, 설정은 파일을 덮어쓰지 않습니다: 다른 이름을 고르거나 "
        "저장할 폴더를 주세요",
    },
    "setup_cannot_read": {
        "en": "cannot read a set-up from {path}: {reason}",
        "ko": "{path}에서 설정을 읽을 수 없습니다: {reason}",
    },
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
    "config_is_a_preset": {
        "en": "a preset is more than a config: it also names its task ({task}) and the task's "
              "options. Pass them apart: preset({name!r}).config, task={task!r}, "
              "task_options=preset({name!r}).task_options; or, to train it: "
              "train(**preset({name!r}).train_kwargs(), seed=0)",
        "ko": "프리셋은 설정(config)만이 아니라 과제({task})와 그 옵션도 정합니다. 따로 넘기세요: "
              "preset({name!r}).config, task={task!r}, "
              "task_options=preset({name!r}).task_options; 학습만 하려면: "
              "train(**preset({name!r}).train_kwargs(), seed=0)"},
    "config_wrong_kind": {
        "en": "a config is a Seq2SeqConfig, a dict of hyperparameters or None, not {kind}",
        "ko": "설정(config)은 Seq2SeqConfig, 하이퍼파라미터 dict 또는 None이어야 합니다 ({kind}은(는) 안 됩니다)"},
    # --- tasks ---------------------------------------------------------------------------
    "unknown_task": {
        "en": "unknown task '{name}'{hint}; tasks: {choices}",
        "ko": "알 수 없는 과제 '{name}'{hint}; 가능한 과제: {choices}",
    },
    "task_too_small": {
        "en": "task '{name}' with seq_len={seq_len} has only "
        "{available:plural=distinct example/distinct examples}, "
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
    # --- figure panels (panels.py) --------------------------------------------------------
    "axis_learning_rate": {"en": "learning rate", "ko": "학습률"},
    "legend_planned": {"en": "planned", "ko": "계획"},
    "legend_used": {"en": "used", "ko": "실제"},
    # The key as a title line above the panel: a legend inside it covered a schedule's line.
    "learning_rate_key": {"en": "dashed: plan · solid: used", "ko": "점선: 계획 · 실선: 실제"},
    "axis_gradient_norm": {"en": "gradient norm (before clipping)", "ko": "기울기 노름 (자르기 전)"},
    "legend_no_clipping": {"en": "no clipping (clip_gradient <= 0)",
                           "ko": "자르지 않음 (clip_gradient <= 0)"},
    "legend_clipped": {"en": "{percent:.0f}% of batches clipped", "ko": "배치의 {percent:.0f}% 잘림"},
    "legend_clipped_range": {"en": "{low:.0f}-{high:.0f}% of batches clipped",
                             "ko": "배치의 {low:.0f}-{high:.0f}% 잘림"},
    "axis_source_position": {"en": "source position t", "ko": "입력 위치 t"},
    "axis_gradient_flow": {"en": "|dL/dh_t| (log scale)", "ko": "|dL/dh_t| (로그 눈금)"},
    "axis_gradient_flow_relative": {"en": "|dL/dh_t| / that of the last position",
                                    "ko": "|dL/dh_t| / 마지막 위치의 값"},
    "gradient_flow_at_init": {"en": "at initialisation", "ko": "초기화 직후"},
    "gradient_flow_after": {"en": "after {steps} steps", "ko": "{steps} 스텝 학습 후"},
    "gradient_flow_empty": {"en": "No gradient measured yet.", "ko": "아직 측정한 기울기가 없습니다."},
    "axis_attention_source": {"en": "source tokens", "ko": "입력 토큰"},
    "axis_attention_output": {"en": "output tokens", "ko": "출력 토큰"},
    "attention_none": {"en": "No attention to show: this model has\nrnn_attention_type = none, "
                             "so its decoder\nnever looks back at the source.",
                       "ko": "보여 줄 어텐션이 없습니다: 이 모델은\nrnn_attention_type = none이라 "
                             "디코더가\n입력을 돌아보지 않습니다."},
    "attention_waiting": {"en": "The attention appears\nat the first evaluation.",
                          "ko": "어텐션은 첫 평가 때\n나타납니다."},
    "attention_caption": {"en": "{label}, step {step}", "ko": "{label}, {step} 스텝"},
    "clip_suggestion_no_norms": {
        "en": "this run recorded no finite gradient norm: train it for a few steps first",
        "ko": "이 실행에는 유한한 기울기 노름이 기록되지 않았습니다: 먼저 몇 스텝 학습하세요"},
    "legend_weights": {"en": "{count:,} weights", "ko": "가중치 {count:,}개"},
    # A finished run's cost beside its weights: compute is part of every comparison.
    "legend_cost": {"en": "{seconds:.1f} s, {rate:.0f} steps/s",
                    "ko": "{seconds:.1f}초, 초당 {rate:.0f}스텝"},
    "attention_map_none": {"en": "no attention:\nthe decoder never\nlooks back",
                           "ko": "어텐션 없음:\n디코더가 입력을\n돌아보지 않음"},
    "attention_map_accuracy": {"en": "validation accuracy {accuracy:.0%}",
                               "ko": "검증 정확도 {accuracy:.0%}"},
    "no_runs_to_draw": {"en": "*No finished run to draw yet: press **Train** above, then run this cell again.*",
                        "ko": "*아직 그릴 실행이 없습니다: 위에서 **학습**을 누른 뒤 이 셀을 다시 실행하세요.*"},
    "axis_range_rate": {"en": "learning rate (log)", "ko": "학습률 (로그)"},
    "legend_range_raw": {"en": "loss per batch", "ko": "배치별 손실"},
    "legend_range_smoothed": {"en": "smoothed", "ko": "평활"},
    "legend_suggestion": {"en": "suggestion: {rate}", "ko": "추천: {rate}"},
    "range_test_key": {"en": "dashed: the suggestion", "ko": "점선: 추천"},
    "range_test_missing": {"en": "No range test yet:\nlr_find(config) gives one.",
                           "ko": "아직 범위 테스트가 없습니다:\nlr_find(config)로 만드세요."},
    "grid_best_val_loss": {"en": "best validation loss", "ko": "최저 검증 손실"},
    "grid_final_val_loss": {"en": "final validation loss", "ko": "마지막 검증 손실"},
    "grid_best_val_accuracy": {"en": "best validation accuracy", "ko": "최고 검증 정확도"},
    "grid_best_val_exact": {"en": "best exact-match rate", "ko": "최고 완전 일치율"},
    "grid_empty": {"en": "Cells fill in\nas runs finish.", "ko": "실행이 끝나는 대로\n칸이 채워집니다."},
    "axis_val_loss": {"en": "validation loss", "ko": "검증 손실"},
    "axis_val_accuracy": {"en": "validation token accuracy", "ko": "검증 토큰 정확도"},
    "axis_val_exact": {"en": "validation exact match", "ko": "검증 완전 일치율"},
    "axis_train_loss": {"en": "training loss (smoothed)", "ko": "학습 손실 (평활)"},
    "bands_title": {"en": "mean of seeds, band: min-max", "ko": "시드 평균, 띠: 최소-최대"},
    "legend_band": {"en": "{label} ({count:plural=seed/seeds})", "ko": "{label} (시드 {count}개)"},
    "panel_unknown": {"en": "unknown panel '{name}'; panels: {choices}",
                      "ko": "알 수 없는 패널 '{name}'; 가능한 패널: {choices}"},
    # --- diagnose/: the verdict under the figure: a message citing the evidence, then a next
    # step; a run in progress or stopped is introduced by a prefix and never claims an ending.
    "diagnose_prefix_running": {"en": "So far ({where}): ", "ko": "지금까지 ({where}): "},
    "diagnose_prefix_stopped": {"en": "Stopped by you at {where}; the part it ran shows: ",
                                "ko": "{where}에서 직접 멈췄습니다; 실행된 부분을 보면: "},
    "diagnose_where_of": {"en": "step {steps} of {planned}", "ko": "{planned} 스텝 중 {steps} 스텝"},
    "diagnose_where": {"en": "step {steps}", "ko": "{steps} 스텝"},
    "diagnose_pending": {
        "en": "Too little evidence yet: {steps:plural=batch/batches} and "
        "{evaluations:plural=evaluation/evaluations} so far.",
        "ko": "아직 판단할 근거가 부족합니다: 지금까지 배치 {steps}개, 평가 {evaluations}번.",
    },
    "diagnose_next_pending": {
        "en": "Wait for at least two evaluations of the validation set.",
        "ko": "검증 평가가 최소 두 번 끝날 때까지 기다리세요.",
    },
    "diagnose_diverged": {
        "en": "The run diverged at step {step}: the training loss rose to {peak} from {start} "
        "at the start, worse than guessing, so training stopped.",
        "ko": "{step} 스텝에서 발산했습니다: 학습 손실이 처음 {start}에서 {peak}까지 올라 "
        "무작위 추측보다 나빠졌기 때문에 학습을 멈췄습니다.",
    },
    "diagnose_ended_above_start": {
        "en": "Diverged: the training loss ended at {end}, far above the {start} it started "
        "from (it peaked at {peak}), worse than guessing.",
        "ko": "발산했습니다: 학습 손실이 처음 {start}보다 훨씬 높은 {end}에서 끝났습니다 "
        "(최고 {peak}); 무작위 추측보다 나쁩니다.",
    },
    "diagnose_rising": {
        "en": "The training loss is above where it started: {recent} now, {start} at the start "
        "(peak {peak} at step {peak_step}). If it keeps rising the run will be stopped as diverged.",
        "ko": "학습 손실이 처음보다 높습니다: 지금 {recent}, 처음 {start} ({peak_step} 스텝에서 "
        "최고 {peak}). 계속 오르면 발산으로 학습이 멈춥니다.",
    },
    "diagnose_rising_stopped": {
        "en": "The training loss ended above where it started: {recent} at the end, {start} at "
        "the start (peak {peak} at step {peak_step}).",
        "ko": "학습 손실이 처음보다 높은 곳에서 끝났습니다: 마지막 {recent}, 처음 {start} "
        "({peak_step} 스텝에서 최고 {peak}).",
    },
    "diagnose_not_learning": {
        "en": "Not learning: in {steps:plural=step/steps} the training loss has not moved "
        "({start} -> {end}) and neither has the validation loss ({first} -> {last}); the steps "
        "are too small to change the model, so the learning rate, not the model, is the limit.",
        "ko": "학습이 되지 않습니다: {steps} 스텝 동안 학습 손실이 그대로이고 ({start} -> {end}) "
        "검증 손실도 그대로입니다 ({first} -> {last}); 보폭이 너무 작아 모델이 바뀌지 않으므로 "
        "모델이 아니라 학습률이 한계입니다.",
    },
    "diagnose_too_slow": {
        "en": "Learning too slowly: in {steps:plural=step/steps} the training loss fell only "
        "{progress}% (from {start} to {end}) and is still falling at the same pace, so the rate, "
        "not the model, is the limit.",
        "ko": "학습이 너무 느립니다: {steps} 스텝 동안 학습 손실이 {progress}%만 줄었고 "
        "({start}에서 {end}(으)로) 같은 속도로 계속 줄고 있으므로 모델이 아니라 학습률이 한계입니다.",
    },
    "diagnose_small_rate": {
        "en": "Learning too slowly: in {steps:plural=step/steps} the training loss fell only "
        "{progress}% (from {start} to {end}). {optimizer} at {lr} takes tiny steps: it moves "
        "each weight by the rate times its gradient, and needs rates near 1 here, so the rate, "
        "not the model, is the limit.",
        "ko": "학습이 너무 느립니다: {steps} 스텝 동안 학습 손실이 {progress}%만 줄었습니다 "
        "({start}에서 {end}(으)로). {lr}의 {optimizer}는 보폭이 아주 작습니다: 가중치마다 학습률에 "
        "기울기를 곱한 만큼만 움직이므로 여기서는 1 가까운 학습률이 필요합니다. 모델이 아니라 "
        "학습률이 한계입니다.",
    },
    "diagnose_still_learning": {
        "en": "Still learning when the run ended: the training loss fell {second}% in the second "
        "half alone (from {middle} to {end}) and validation accuracy reached {accuracy}%; the "
        "curve had not levelled off, so the run was too short for this rate, not the model too weak.",
        "ko": "학습이 끝날 때도 아직 배우는 중이었습니다: 후반부에만 학습 손실이 {second}% 줄었고 "
        "({middle}에서 {end}(으)로) 검증 정확도는 {accuracy}%입니다; 곡선이 아직 평평해지지 않았으므로 "
        "모델이 약한 것이 아니라 이 학습률에 비해 학습이 짧았습니다.",
    },
    "diagnose_learning": {
        "en": "Still learning: the training loss fell from {start} to {end} and is still falling "
        "({late}% in the last quarter); validation accuracy {accuracy}%.",
        "ko": "아직 배우는 중입니다: 학습 손실이 {start}에서 {end}(으)로 줄었고 계속 줄고 있습니다 "
        "(마지막 4분의 1 동안 {late}%); 검증 정확도 {accuracy}%.",
    },
    "diagnose_early": {
        "en": "The training loss fell from {start} to {end} and validation accuracy is "
        "{accuracy}%; too early to tell where it will level off.",
        "ko": "학습 손실이 {start}에서 {end}(으)로 줄었고 검증 정확도는 {accuracy}%입니다; 어디서 "
        "평평해질지 말하기에는 아직 이릅니다.",
    },
    "diagnose_stalled": {
        "en": "Stalled: the training loss went flat at {end} (from {start}; it changed {late}% in "
        "the last quarter, peaking at {peak} on the way) with only {accuracy}% validation "
        "accuracy. It is not bouncing, it is stuck: at {lr} each step is too large to settle "
        "into a better solution.",
        "ko": "정체되었습니다: 학습 손실이 {end}에서 평평해졌고 (처음 {start}; 마지막 4분의 1 동안 "
        "{late}% 변화, 도중에 최고 {peak}) 검증 정확도는 {accuracy}%뿐입니다. 튀는 것이 아니라 "
        "멈춰 있습니다: {lr}에서는 한 걸음이 너무 커서 더 나은 해에 자리 잡지 못합니다.",
    },
    "diagnose_stalled_rising": {
        "en": "Stalled: the training loss stopped improving and rose again, {late_rise}% in the "
        "last quarter, to end at {end} (from {start}, peaking at {peak} on the way), with only "
        "{accuracy}% validation accuracy. At {lr} each step is too large to settle into a "
        "better solution.",
        "ko": "정체되었습니다: 학습 손실이 더 나아지지 않고 마지막 4분의 1 동안 {late_rise}% 다시 "
        "올라 {end}에서 끝났으며 (처음 {start}, 도중에 최고 {peak}) 검증 정확도는 {accuracy}%뿐"
        "입니다. {lr}에서는 한 걸음이 너무 커서 더 나은 해에 자리 잡지 못합니다.",
    },
    "diagnose_oscillating": {
        "en": "Oscillating: the training loss stopped falling (it ended at {end}), and the "
        "validation loss went up in {rises} of its last {changes:plural=evaluation/evaluations}, "
        "by up to {bounce}%, bouncing instead of settling; validation accuracy is only {accuracy}%.",
        "ko": "진동하고 있습니다: 학습 손실이 더 줄지 않았고 ({end}에서 끝남) 검증 손실은 최근 "
        "{changes}번의 평가 중 {rises}번, 최대 {bounce}% 올라가며 자리를 잡지 못하고 튀었습니다; "
        "검증 정확도는 {accuracy}%뿐입니다.",
    },
    "diagnose_unstable": {
        "en": "Unstable: at step {spike_step} the training loss jumped to {spike_peak}, "
        "{ratio}x its level just before ({level}), then came back to {end}; validation accuracy "
        "is {accuracy}%, but steps this large can knock a trained model off course.",
        "ko": "불안정합니다: {spike_step} 스텝에서 학습 손실이 직전 수준({level})의 {ratio}배인 "
        "{spike_peak}까지 튀었다가 {end}(으)로 돌아왔습니다; 검증 정확도는 {accuracy}%이지만 이렇게 "
        "큰 걸음은 학습된 모델을 흐트러뜨릴 수 있습니다.",
    },
    "diagnose_overfitting": {
        "en": "Overfitting: the validation loss has risen for {since:plural=evaluation/evaluations} since step "
        "{best_step} (from {best} to {last}) while the training loss kept falling ({train_best} "
        "to {train_last}): the model is memorising the training set.",
        "ko": "과적합입니다: 검증 손실이 {best_step} 스텝 이후 {since}번의 평가 동안 올랐지만 "
        "({best}에서 {last}(으)로) 학습 손실은 계속 줄었습니다 ({train_best}에서 {train_last}(으)로): "
        "모델이 학습 데이터를 외우고 있습니다.",
    },
    "diagnose_underfitting": {
        "en": "Underfitting: the training loss has levelled off at {end} (from {start}) and the "
        "validation loss is about the same ({last}), with only {accuracy}% validation accuracy: "
        "the model is too weak to learn the task.",
        "ko": "과소적합입니다: 학습 손실이 {end}에서 (처음 {start}) 더 줄지 않고 검증 손실도 비슷하며 "
        "({last}) 검증 정확도는 {accuracy}%뿐입니다: 모델이 과제를 배우기에 너무 약합니다.",
    },
    "diagnose_good": {
        "en": "Training went well: {accuracy}% validation token accuracy, with the best "
        "validation loss {best} at step {best_step} and no sign of overfitting.",
        "ko": "학습이 잘 되었습니다: 검증 토큰 정확도 {accuracy}%, {best_step} 스텝에서 최고 "
        "검증 손실 {best}, 과적합의 징후는 없습니다.",
    },
    "diagnose_good_so_far": {
        "en": "Learning well: {accuracy}% validation token accuracy, best validation loss {best} "
        "at step {best_step}, no sign of overfitting yet.",
        "ko": "잘 배우고 있습니다: 검증 토큰 정확도 {accuracy}%, {best_step} 스텝에서 최고 검증 "
        "손실 {best}, 아직 과적합의 징후는 없습니다.",
    },
    "diagnose_next_diverged": {
        "en": "Try a learning rate 10x smaller ({smaller} instead of {lr}).",
        "ko": "학습률을 10배 줄여 보세요 ({lr} 대신 {smaller}).",
    },
    "diagnose_next_rising": {
        "en": "Watch the next steps; if it diverges, try a learning rate 10x smaller ({smaller}).",
        "ko": "다음 스텝들을 지켜보세요; 발산하면 학습률을 10배 줄여 보세요 ({smaller}).",
    },
    "diagnose_next_not_learning": {
        "en": "Try a learning rate at least 100x larger ({much_larger} instead of {lr}): one "
        "decade will not move a loss that did not move at all.",
        "ko": "학습률을 최소 100배 키워 보세요 ({lr} 대신 {much_larger}): 전혀 움직이지 않은 "
        "손실은 10배로는 부족합니다.",
    },
    "diagnose_next_too_slow": {
        "en": "Try a learning rate 10x larger ({larger} instead of {lr}), or train for more epochs.",
        "ko": "학습률을 10배 키우거나 ({lr} 대신 {larger}) 더 많은 에폭 동안 학습해 보세요.",
    },
    "diagnose_next_still_learning": {
        "en": "Train for more epochs (max_num_epochs={epochs}), or try a larger learning rate "
        "({larger} instead of {lr}).",
        "ko": "더 많은 에폭 동안 학습하거나 (max_num_epochs={epochs}) 더 큰 학습률을 써 보세요 "
        "({lr} 대신 {larger}).",
    },
    "diagnose_next_still_learning_top": {
        "en": "Train for more epochs (max_num_epochs={epochs}): {lr} is already near the top of "
        "the range where {optimizer} learns this task steadily.",
        "ko": "더 많은 에폭 동안 학습하세요 (max_num_epochs={epochs}): {lr}은 이미 {optimizer}가 "
        "이 과제를 안정적으로 배우는 범위의 위쪽 끝에 가깝습니다.",
    },
    "diagnose_next_learning": {
        "en": "Let it run: the curve has not levelled off yet.",
        "ko": "계속 두세요: 곡선이 아직 평평해지지 않았습니다.",
    },
    "diagnose_next_learning_stopped": {
        "en": "Run it to the end to see where the curve levels off.",
        "ko": "곡선이 어디서 평평해지는지 보려면 끝까지 학습하세요.",
    },
    "diagnose_next_stalled": {
        "en": "Try a learning rate 10x smaller ({smaller} instead of {lr}).",
        "ko": "학습률을 10배 줄여 보세요 ({lr} 대신 {smaller}).",
    },
    "diagnose_next_oscillating": {
        "en": "The steps overshoot: try a learning rate 10x smaller ({smaller} instead of {lr}), "
        "or a schedule that lowers it (lr_scheduler_type=cosine).",
        "ko": "보폭이 너무 커서 지나칩니다: 학습률을 10배 줄이거나 ({lr} 대신 {smaller}) 학습률을 "
        "낮춰 가는 스케줄(lr_scheduler_type=cosine)을 써 보세요.",
    },
    "diagnose_next_unstable": {
        "en": "Make the late steps smaller: a schedule that lowers the rate "
        "(lr_scheduler_type=cosine), or a smaller rate ({smaller} instead of {lr}).",
        "ko": "후반의 걸음을 줄이세요: 학습률을 낮춰 가는 스케줄(lr_scheduler_type=cosine)이나 "
        "더 작은 학습률({lr} 대신 {smaller})을 써 보세요.",
    },
    "diagnose_next_overfitting": {
        "en": "The best model was at step {best_step}. Try {remedies}.",
        "ko": "가장 좋은 모델은 {best_step} 스텝에 있었습니다. 다음을 써 보세요: {remedies}.",
    },
    "diagnose_next_underfitting": {
        "en": "Give the model more capacity: {capacity}.",
        "ko": "모델의 용량을 늘려 보세요: {capacity}.",
    },
    # The parts of the two pieces of advice above: only what the run does not use already.
    "advice_or": {"en": " or ", "ko": " 또는 "},
    "advice_early_stopping": {"en": "early stopping (early_stopping_patience=3)",
                              "ko": "조기 종료(early_stopping_patience=3)"},
    "advice_more_data": {"en": "more training data", "ko": "더 많은 학습 데이터"},
    "advice_dropout": {"en": "dropout (embed_dropout_target=0.3)",
                       "ko": "드롭아웃(embed_dropout_target=0.3)"},
    "advice_more_dropout": {"en": "more dropout", "ko": "더 강한 드롭아웃"},
    "advice_l2": {"en": "L2 (weight_decay=0.001)", "ko": "L2(weight_decay=0.001)"},
    "advice_smaller_model": {"en": "a smaller model", "ko": "더 작은 모델"},
    "advice_wider": {"en": "rnn_num_hidden={bigger} instead of {hidden}",
                     "ko": "rnn_num_hidden을 {hidden} 대신 {bigger}(으)로"},
    "advice_attention": {"en": "attention (rnn_attention_type=mlp)",
                         "ko": "어텐션(rnn_attention_type=mlp)"},
    "advice_deeper": {"en": "another layer (num_layers_encoder={layers})",
                      "ko": "층 하나 더(num_layers_encoder={layers})"},
    "diagnose_next_underfitting_model_able": {
        "en": "The same model reached {able_accuracy}% on this figure with {changed}, so it is "
        "not too weak: try those settings.",
        "ko": "이 그림에서 같은 모델이 {changed} 설정으로 {able_accuracy}%에 도달했으므로 모델이 "
        "약한 것이 아닙니다: 그 설정을 써 보세요.",
    },
    "diagnose_next_underfitting_smaller_able": {
        "en": "A model no bigger ({weights} weights) reached {able_accuracy}% on this figure "
        "with {changed}, so this one is not too weak: try those settings.",
        "ko": "이 그림에서 더 크지 않은 모델(가중치 {weights}개)이 {changed} 설정으로 "
        "{able_accuracy}%에 도달했으므로 이 모델이 약한 것이 아닙니다: 그 설정을 써 보세요.",
    },
    "diagnose_next_good": {
        "en": "Nothing to fix: try a harder task, or see how few steps still reach this.",
        "ko": "고칠 것이 없습니다: 더 어려운 과제를 해 보거나, 몇 스텝까지 줄여도 되는지 보세요.",
    },
    "diagnose_next_good_so_far": {
        "en": "Nothing to fix so far: let it finish.",
        "ko": "지금까지는 고칠 것이 없습니다: 끝까지 지켜보세요.",
    },
    # Advice from the other runs on the same figure (ghosts in the Lab, members in Compare).
    "diagnose_next_seen_good": {
        "en": "{good} learned on this figure ({good_accuracy}% validation accuracy): try {good} "
        "instead of {lr}.",
        "ko": "이 그림에서 {good}은 잘 배웠습니다 (검증 정확도 {good_accuracy}%): {lr} 대신 {good}을 "
        "써 보세요.",
    },
    "diagnose_next_larger_blocked": {
        "en": "{failed} {outcome} on this figure, so {lr} is near the top of the good range: "
        "train for more epochs instead (max_num_epochs={epochs}).",
        "ko": "이 그림에서 {failed}은 {outcome}, {lr}은 좋은 범위의 위쪽 끝에 가깝습니다: 대신 더 "
        "많은 에폭 동안 학습하세요 (max_num_epochs={epochs}).",
    },
    "diagnose_next_smaller_past_failed": {
        "en": "{failed} {outcome} on this figure too: try {suggest} instead of {lr}.",
        "ko": "이 그림에서 {failed}도 {outcome}: {lr} 대신 {suggest}을 써 보세요.",
    },
    "diagnose_next_between": {
        "en": "{failed} {outcome} on this figure: try a rate in between, {suggest} instead of {lr}.",
        "ko": "이 그림에서 {failed}은 {outcome}: 그 사이의 학습률, {lr} 대신 {suggest}을 써 보세요.",
    },
    "diagnose_outcome_diverged": {"en": "diverged", "ko": "발산했으므로"},
    "diagnose_outcome_stalled": {"en": "stalled", "ko": "정체되었으므로"},
    "diagnose_outcome_oscillating": {"en": "oscillated", "ko": "진동했으므로"},
    "diagnose_outcome_unstable": {"en": "was unstable", "ko": "불안정했으므로"},
    "diagnose_outcome_too_slow": {"en": "was too slow", "ko": "너무 느렸으므로"},
    "diagnose_outcome_not_learning": {"en": "did not learn", "ko": "배우지 못했으므로"},
    # Several seeds of one setting (diagnose_seeds).
    "diagnose_seeds_agree": {
        "en": "All {count} seeds agree ({low}-{high}% validation accuracy). Seed {seed}: ",
        "ko": "시드 {count}개가 모두 같은 판정입니다 (검증 정확도 {low}-{high}%). 시드 {seed}: ",
    },
    "diagnose_seeds_mixed": {
        "en": "The {count} seeds disagree ({verdicts}): validation accuracy ranges from {low}% to "
        "{high}%, a seed-to-seed spread as large as the difference being judged, so one seed's "
        "verdict is noise here.",
        "ko": "시드 {count}개의 판정이 엇갈립니다 ({verdicts}): 검증 정확도가 {low}%에서 {high}%까지로, "
        "시드 사이의 차이가 판단하려는 차이만큼 크므로 시드 하나의 판정은 잡음입니다.",
    },
    "diagnose_next_seeds_mixed": {
        "en": "Judge this setting by all its seeds. {advice}",
        "ko": "이 설정은 모든 시드를 함께 보고 판단하세요. {advice}",
    },
    "diagnose_kind_pending": {"en": "too early", "ko": "판단 전"},
    "diagnose_kind_diverged": {"en": "diverged", "ko": "발산"},
    "diagnose_kind_not_learning": {"en": "not learning", "ko": "학습 안 됨"},
    "diagnose_kind_too_slow": {"en": "too slow", "ko": "너무 느림"},
    "diagnose_kind_learning": {"en": "still learning", "ko": "학습 중"},
    "diagnose_kind_stalled": {"en": "stalled", "ko": "정체"},
    "diagnose_kind_oscillating": {"en": "oscillating", "ko": "진동"},
    "diagnose_kind_unstable": {"en": "unstable", "ko": "불안정"},
    "diagnose_kind_overfitting": {"en": "overfitting", "ko": "과적합"},
    "diagnose_kind_underfitting": {"en": "underfitting", "ko": "과소적합"},
    "diagnose_kind_good": {"en": "good", "ko": "좋음"},
    # --- live widgets (widgets/) -------------
    "legend_train_smoothed": {"en": "training loss (smoothed)", "ko": "학습 손실 (평활)"},
    "lab_press_train": {"en": "Press Train to start a run", "ko": "학습 버튼을 눌러 시작하세요"},
    "lab_tag_current": {"en": " (latest)", "ko": " (최근)"},
    "lab_tag_pinned": {"en": " (pinned)", "ko": " (고정)"},
    "lab_base_label": {"en": "base settings", "ko": "기본 설정"},
    "lab_train": {"en": "Train", "ko": "학습"},
    "lab_train_help": {"en": "Train a model with the settings above (stops a run in progress)",
                       "ko": "위 설정으로 모델을 학습합니다 (진행 중인 학습은 멈춥니다)"},
    "lab_stop": {"en": "Stop", "ko": "정지"},
    "lab_stop_help": {"en": "Stop the run now; what it drew stays",
                      "ko": "학습을 지금 멈춥니다; 그린 곡선은 남습니다"},
    "language_note": {
        "en": "Widgets built from here on speak English. Widgets already on the page keep "
              "their language until their cell runs again (Run ▸ Run Selected Cell and All "
              "Below).",
        "ko": "이제부터 만드는 위젯은 한국어로 표시됩니다. 이미 화면에 있는 위젯은 그 셀을 다시 "
              "실행할 때까지 원래 언어를 유지합니다(Run ▸ Run Selected Cell and All Below)."},
    "axis_best_val_loss": {"en": "best validation loss (lower is better)",
                           "ko": "최저 검증 손실 (낮을수록 좋음)"},
    "sensitivity_title": {"en": "one hyperparameter changed at a time (dot: mean, bar: seeds)",
                          "ko": "한 번에 하이퍼파라미터 하나만 바꿈 (점: 평균, 막대: 시드 범위)"},
    "sensitivity_empty": {"en": "Rows fill in\nas runs finish.",
                          "ko": "실행이 끝나는 대로\n줄이 채워집니다."},
    "sensitivity_key": {"en": "grey strip: the defaults' seed range, line: their mean · vermillion: "
                               "beyond that range · ★ SageMaker: most influential",
                        "ko": "회색 띠: 기본값의 시드 범위, 선: 평균 · 주황: 그 범위 밖 · "
                              "★ SageMaker: 영향이 가장 큼"},
    "sensitivity_bad": {
        "en": "could not read {part!r}: write name=value, value; name=value, e.g. "
              "learning_rate=0.0003, 0.03; batch_size=16, 128",
        "ko": "{part!r}을(를) 읽을 수 없습니다: 이름=값, 값; 이름=값 처럼 쓰세요. 예: "
              "learning_rate=0.0003, 0.03; batch_size=16, 128"},
    "sensitivity_cost": {"en": "{seeds:plural=seed/seeds}, {weights:,} weights, {seconds:.1f} s a run",
                         "ko": "시드 {seeds}개, 가중치 {weights:,}개, 실행당 {seconds:.1f}초"},
    "sensitivity_none": {"en": "none", "ko": "없음"},
    "sensitivity_verdict": {
        "en": "Beyond the defaults' range over {seeds} seeds (furthest first): {beyond}. "
              "Within it, no more than chance: {within}.",
        "ko": "시드 {seeds}개에서 기본값의 범위를 벗어난 것 (먼 순서): {beyond}. "
              "범위 안(우연 이상이 아님): {within}."},
    "sensitivity_values": {"en": "one at a time", "ko": "하나씩 바꿀 값"},
    "sensitivity_seeds": {"en": "seeds", "ko": "시드"},
    "axis_weight_value": {"en": "weight value", "ko": "가중치 값"},
    "axis_weight_count": {"en": "how many weights (log scale)", "ko": "가중치 개수 (로그 눈금)"},
    "legend_weights_start": {"en": "before training", "ko": "학습 전"},
    "legend_weights_at": {"en": "at step {step}", "ko": "{step}스텝"},
    "col_setting": {"en": "setting", "ko": "설정"},
    "col_parameters": {"en": "parameters", "ko": "파라미터"},
    "col_factor": {"en": "x the row above", "ko": "윗줄 대비 배수"},
    "lab_pin": {"en": "Pin last run", "ko": "마지막 실행 고정"},
    "lab_pin_help": {"en": "Keep the last finished run on the figure",
                     "ko": "마지막으로 끝난 실행을 그림에 계속 남깁니다"},
    "lab_clear": {"en": "Clear earlier runs", "ko": "이전 실행 지우기"},
    "lab_clear_help": {"en": "Take earlier runs off the figure (pinned runs stay until a second "
                             "click); they stay in the CSV",
                       "ko": "이전 실행을 그림에서 지웁니다 (고정한 실행은 한 번 더 누르면 "
                             "지워집니다); CSV에는 남습니다"},
    "lab_export_png": {"en": "Save PNG", "ko": "PNG 저장"},
    "lab_export_png_help": {"en": "Save the figure as a PNG file", "ko": "그림을 PNG 파일로 저장합니다"},
    "lab_export_csv": {"en": "Save CSV", "ko": "CSV 저장"},
    "lab_export_csv_help": {"en": "Save every run, one row per training step, as a CSV file",
                            "ko": "모든 실행을 학습 스텝마다 한 줄씩 CSV 파일로 저장합니다"},
    "lab_starting": {"en": "starting…", "ko": "시작하는 중…"},
    "lab_ready": {"en": "Ready: no runs yet", "ko": "준비됨: 아직 실행 없음"},
    "lab_progress": {"en": "training #{number}: step {step}/{total}, epoch {epoch:.1f} of "
                           "{epochs}, {seconds:.1f} s",
                     "ko": "학습 중 #{number}: 스텝 {step}/{total}, 에폭 {epoch:.1f}/{epochs}, "
                           "{seconds:.1f}초"},
    "lab_finished": {"en": "run {number} finished: {steps:plural=step/steps}, {seconds:.1f} s",
                     "ko": "실행 {number} 완료: {steps} 스텝, {seconds:.1f}초"},
    "lab_end_stopped": {"en": ", stopped by you", "ko": ", 직접 정지함"},
    "lab_end_diverged": {"en": ", diverged at step {step}", "ko": ", {step} 스텝에서 발산"},
    "lab_end_early": {"en": ", ended by early stopping", "ko": ", 조기 종료됨"},
    "lab_end_cached": {"en": " (replayed: same settings and seed as an earlier run)",
                       "ko": " (재생: 앞선 실행과 같은 설정과 시드)"},
    "lab_end_error": {"en": ", ended by an error", "ko": ", 오류로 끝남"},
    "lab_cannot_train": {"en": "Cannot train: {reason}.", "ko": "학습할 수 없습니다: {reason}."},
    "lab_bad_config": {"en": "These settings cannot be used, so the defaults are shown: {reason}.",
                       "ko": "이 설정은 쓸 수 없어 기본값을 보여 줍니다: {reason}."},
    "lab_no_preset": {"en": "There is no preset '{name}' (presets: {choices}); the defaults are "
                            "used.",
                      "ko": "'{name}' 프리셋이 없습니다 (프리셋: {choices}); 기본값을 씁니다."},
    "lab_bad_task": {"en": "The task cannot be built: {reason}.",
                     "ko": "과제를 만들 수 없습니다: {reason}."},
    "lab_training_error": {
        "en": "Training stopped because of an error ({kind}: {reason}). Earlier runs are kept; "
              "try other settings.",
        "ko": "오류 때문에 학습이 멈췄습니다 ({kind}: {reason}). 이전 실행은 남아 있습니다; "
              "다른 설정을 시도해 보세요."},
    "lab_drawing_error": {"en": "The figure could not be drawn ({kind}: {reason}).",
                          "ko": "그림을 그릴 수 없습니다 ({kind}: {reason})."},
    "lab_widget_error": {"en": "Something went wrong ({kind}: {reason}). Earlier runs are kept.",
                         "ko": "문제가 생겼습니다 ({kind}: {reason}). 이전 실행은 남아 있습니다."},
    "lab_nothing_to_pin": {"en": "No finished run to pin yet.", "ko": "고정할 끝난 실행이 아직 없습니다."},
    "lab_pinned": {"en": "Run {number} is pinned: it stays on the figure.",
                   "ko": "실행 {number}을(를) 고정했습니다: 그림에 계속 남습니다."},
    "lab_cleared": {"en": "Took {count:plural=run/runs} off the figure; the CSV still has every run.",
                    "ko": "실행 {count}개를 그림에서 지웠습니다; CSV에는 남아 있습니다."},
    "lab_nothing_to_export": {"en": "Nothing to save yet: train a run first.",
                              "ko": "아직 저장할 것이 없습니다: 먼저 학습하세요."},
    "lab_saved": {"en": "Saved", "ko": "저장됨:"},
    "lab_download": {"en": "download", "ko": "내려받기"},
    # --- the Lab's data-file row (widgets/data_file.py) and its share / code buttons -------
    "data_file_placeholder": {"en": "my_pairs.tsv (source TAB target, one pair a line)",
                              "ko": "my_pairs.tsv (한 줄에 원문 TAB 정답 한 쌍)"},
    "data_file_help": {"en": "Your own pairs file: TSV (source TAB target) or CSV, one pair a "
                             "line. It is read and checked when you press Train.",
                       "ko": "직접 만든 쌍 파일: TSV(원문 TAB 정답) 또는 CSV, 한 줄에 한 쌍. "
                             "학습 버튼을 누를 때 읽고 검사합니다."},
    "data_tokens_help": {"en": "How each side is cut into tokens: char (every character) or "
                               "word (split at spaces); word/char: source words, target "
                               "characters.",
                         "ko": "각 쪽을 토큰으로 나누는 방법: char(글자마다) 또는 word(공백마다); "
                               "word/char: 원문은 단어, 정답은 글자."},
    "data_upload": {"en": "Upload", "ko": "올리기"},
    "data_upload_help": {"en": "Upload a .tsv or .csv file; it is saved under data/ beside the "
                               "exports and never over an existing file.",
                         "ko": ".tsv 또는 .csv 파일을 올립니다. 내보내기 폴더의 data/ 아래에 "
                               "저장되며 기존 파일을 덮어쓰지 않습니다."},
    "data_uploaded": {"en": "Uploaded and saved as {path}. Press Train to read and check it.",
                      "ko": "{path}(으)로 올려 저장했습니다. 학습을 누르면 읽고 검사합니다."},
    "data_upload_too_big": {"en": "{name} is {size}, over the {limit} a lesson can use: it was "
                                  "not saved. Use a part of it.",
                            "ko": "{name}은(는) {size}(으)로, 수업에서 쓸 수 있는 {limit}를 "
                                  "넘습니다. 저장하지 않았습니다. 일부만 사용하세요."},
    "lab_share": {"en": "Share", "ko": "공유"},
    "lab_share_help": {"en": "A short text with these settings: paste it into a slide or chat; "
                             "Lab.from_share(text) opens the same Lab.",
                       "ko": "이 설정을 담은 짧은 텍스트: 슬라이드나 채팅에 붙여 넣으세요. "
                             "Lab.from_share(text)로 같은 Lab을 엽니다."},
    "lab_shared": {"en": "This set-up as text (Lab.from_share(text) opens it; the data file "
                         "itself is not in it):",
                   "ko": "이 설정의 텍스트 (Lab.from_share(text)로 엽니다. 데이터 파일 자체는 "
                         "들어 있지 않습니다):"},
    "lab_code": {"en": "Code", "ko": "코드"},
    "lab_code_help": {"en": "The few lines that train the latest run again outside the widget.",
                      "ko": "최근 실행을 위젯 밖에서 다시 학습하는 몇 줄의 코드."},
    "lab_code_intro": {"en": "These lines train run {number} again, outside the widget, with the "
                             "same result:",
                       "ko": "다음 코드는 실행 {number}을(를) 위젯 밖에서 같은 결과로 다시 "
                             "학습합니다:"},
    "lab_code_settings": {"en": "No run yet: these lines train the settings now on the controls:",
                          "ko": "아직 실행이 없습니다. 다음 코드는 지금 컨트롤의 설정으로 "
                                "학습합니다:"},
    "lab_locked_unknown": {"en": "locked names '{name}', which is not among the controls "
                                 "shown (params)",
                           "ko": "locked의 '{name}'은(는) 보이는 컨트롤(params)에 없습니다"},
    "data_named_by_share": {"en": "This set-up trains on your own file {path}. It is not opened "
                                  "until you press Train: check the path, or upload your copy.",
                            "ko": "이 설정은 직접 만든 파일 {path}(으)로 학습합니다. 학습을 "
                                  "누르기 전에는 열지 않습니다. 경로를 확인하거나 파일을 "
                                  "올리세요."},
    "lab_bad_share": {"en": "This set-up cannot be opened: {reason}",
                      "ko": "이 설정을 열 수 없습니다: {reason}"},
    "compare_values": {"en": "{name} values", "ko": "{name} 값들"},
    "compare_seed_help": {"en": "Seeds: the same setting from other random starts (weights, "
                                "batch order, dropout); what differs between them is chance.",
                          "ko": "시드: 같은 설정을 다른 무작위 시작(가중치, 배치 순서, 드롭아웃)에서 "
                                "학습합니다; 그 사이의 차이는 우연입니다."},
    "compare_bad_seed": {"en": "a seed must be a whole number from 0 up, got {value!r}",
                         "ko": "시드는 0 이상의 정수여야 합니다 (받은 값: {value!r})"},
    "compare_values_help": {"en": "Values to train side by side, separated by commas",
                            "ko": "나란히 학습할 값들 (쉼표로 구분)"},
    "compare_no_values": {"en": "Type at least one value for {name}, separated by commas, "
                                "e.g. {example}",
                          "ko": "{name} 값을 하나 이상 쉼표로 구분해 입력하세요. 예: {example}"},
    "compare_too_many": {"en": "At most {limit} values at once, got {count}",
                         "ko": "한 번에 최대 {limit}개 값까지 가능합니다 (입력: {count}개)"},
    "lab_stopped_before_start": {"en": "Stopped before the first step: nothing was recorded.",
                              "ko": "첫 스텝 전에 멈췄습니다: 기록된 것이 없습니다."},
    "compare_progress": {"en": "{done} of {count:plural=setting/settings} finished; run {number} "
                               "({label}): step {step}/{total}, {member_seconds:.1f} s; "
                               "{seconds:.1f} s in all",
                         "ko": "설정 {count}개 중 {done}개 완료; 실행 {number} ({label}): 스텝 "
                               "{step}/{total}, {member_seconds:.1f}초; 모두 {seconds:.1f}초"},
    "compare_finished_one": {"en": "run {last} finished: {steps:plural=step/steps}, {seconds:.1f} s",
                             "ko": "실행 {last} 완료: {steps} 스텝, {seconds:.1f}초"},
    "compare_finished": {"en": "run {last} finished: {count:plural=setting/settings} trained together "
                               "(runs {first}-{last}), {steps:plural=step/steps}, {seconds:.1f} s",
                         "ko": "실행 {last} 완료: 설정 {count}개를 함께 학습 (실행 {first}-{last}), "
                               "{steps} 스텝, {seconds:.1f}초"},
    # --- checked questions (widgets/question.py) ------------------------------------------
    "question_your_prediction": {"en": "Your prediction:", "ko": "내 예측:"},
    "question_enter_number": {"en": "enter a number", "ko": "숫자를 입력하세요"},
    # Shown when the learner picks another answer after a check: the old verdict is for the
    # old answer (and a Check pressed faster than the new choice reached the kernel judged it).
    "question_changed": {"en": "You chose {answer}: press Check to see whether it is right.",
                         "ko": "{answer} 선택: 맞는지 보려면 확인을 누르세요."},
    "question_check": {"en": "Check", "ko": "확인"},
    "question_check_help": {"en": "Check your answer (you may answer again)",
                            "ko": "답을 확인합니다 (다시 답할 수 있습니다)"},
    "question_right": {"en": "Right!", "ko": "정답입니다!"},
    "question_wrong": {"en": "Not quite.", "ko": "아쉽지만 정답이 아닙니다."},
    "question_right_detail": {"en": "The answer is {answer}.", "ko": "정답은 {answer}입니다."},
    "question_within": {"en": "{answer} (within {tolerance} counts)",
                        "ko": "{answer} (±{tolerance} 이내)"},
    "question_you_answered": {"en": "You answered {answer}.", "ko": "내 답: {answer}."},
    "question_too_high": {"en": "That is too high.", "ko": "너무 큽니다."},
    "question_too_low": {"en": "That is too low.", "ko": "너무 작습니다."},
    "question_choose_first": {"en": "Choose one of the answers first, then press Check.",
                              "ko": "먼저 답을 하나 고른 뒤 확인을 누르세요."},
    "question_empty": {"en": "Type a number first, e.g. 0.5, then press Check.",
                       "ko": "먼저 숫자를 입력한 뒤 확인을 누르세요. 예: 0.5"},
    "question_comma": {"en": "\u201c{text}\u201d has a comma: write decimals with a point and "
                             "no thousands separators, as Python does (0.5, not 0,5; 1000, not "
                             "1,000).",
                       "ko": "\u201c{text}\u201d에 쉼표가 있습니다: 파이썬처럼 소수점은 점(.)으로 "
                             "쓰고 천 단위 쉼표는 빼세요 (0,5가 아니라 0.5, 1,000이 아니라 1000)."},
    "question_percent": {"en": "Type the number without \u201c%\u201d, in the unit the question "
                               "asks for (95% is 95 as a percentage, 0.95 as a fraction).",
                         "ko": "\u201c%\u201d 없이 질문이 묻는 단위로 숫자만 입력하세요 (95%는 "
                               "백분율로 95, 비율로 0.95)."},
    "question_not_number": {"en": "\u201c{text}\u201d is not a number: type digits with a "
                                  "point for decimals, e.g. 0.5, 95 or 1e-3.",
                            "ko": "\u201c{text}\u201d은(는) 숫자가 아닙니다: 0.5, 95, 1e-3처럼 "
                                  "입력하세요."},
    "question_not_finite": {"en": "\u201c{text}\u201d is too large to be a useful answer: "
                                  "type an ordinary number.",
                            "ko": "\u201c{text}\u201d은(는) 너무 커서 답이 될 수 없습니다: "
                                  "보통의 숫자를 입력하세요."},
    "question_prediction_pending": {"en": "Your prediction: {answer}. Press Train to test it.",
                                    "ko": "내 예측: {answer}. 학습을 눌러 확인해 보세요."},
    "question_prediction_tested": {"en": "Your prediction: {answer}, tested by run {number}.",
                                   "ko": "내 예측: {answer}, 실행 {number}에서 확인합니다."},
    # The author's mistakes, raised when a Question is built (the lesson cannot ship them).
    "question_bad_answer": {"en": "answer {value!r} is neither one of the choices nor the index "
                                  "of one (0 to {last})",
                            "ko": "answer {value!r}은(는) 보기 중 하나도, 보기의 번호(0부터 "
                                  "{last})도 아닙니다"},
    "question_no_choices": {"en": "choices is empty: give at least one, or None for a numeric "
                                  "question",
                            "ko": "choices가 비어 있습니다: 보기를 하나 이상 주거나, 숫자 질문이면 "
                                  "None으로 두세요"},
    "question_bad_numeric_answer": {"en": "a question without choices needs a number as its "
                                          "answer, got {value!r}",
                                    "ko": "보기가 없는 질문의 answer는 숫자여야 합니다 "
                                          "(받은 값: {value!r})"},
    "question_bad_tolerance": {"en": "tolerance must be a number >= 0 (absolute) or a "
                                     "percentage such as \"10%\" (relative), got {value!r}",
                               "ko": "tolerance는 0 이상의 숫자(절대 오차)이거나 \"10%\" 같은 "
                                     "백분율(상대 오차)이어야 합니다 (받은 값: {value!r})"},
    "question_tolerance_with_choices": {"en": "tolerance is for questions without choices, "
                                              "where a number is typed",
                                        "ko": "tolerance는 보기 없이 숫자를 입력하는 질문에만 "
                                              "쓸 수 있습니다"},
    "question_relative_zero": {"en": "a relative tolerance (\"10%\") of an answer of 0 allows "
                                     "only 0 itself: give an absolute one (e.g. 0.01)",
                               "ko": "answer가 0이면 상대 오차(\"10%\")는 0만 허용합니다: "
                                     "절대 오차(예: 0.01)를 주세요"},
    "question_bad_text": {"en": "a text must be a string or a dict with \"en\" and/or \"ko\" "
                                "entries, got {value!r}",
                          "ko": "텍스트는 문자열이거나 \"en\"/\"ko\" 항목을 가진 dict여야 합니다 "
                                "(받은 값: {value!r})"},
    # --- the Search widget and its figure (widgets/search.py, search_plots.py) -----------
    "search_axis_trial": {"en": "trial", "ko": "시도"},
    "search_axis_batches": {"en": "batches trained", "ko": "학습한 배치"},
    "search_empty": {"en": "Trials appear here\nas they finish.", "ko": "시도가 끝나면\n여기에 나타납니다."},
    "search_edge_low": {"en": "best at the low edge: search lower too",
                        "ko": "최고가 범위의 아래 끝: 더 낮게도 찾아보세요"},
    "search_edge_high": {"en": "best at the high edge: search higher too",
                         "ko": "최고가 범위의 위 끝: 더 높게도 찾아보세요"},
    "search_isolation_title": {"en": "best trial for each {name} (bar), every trial (dots)",
                               "ko": "{name} 값마다 최고 시도(막대), 모든 시도(점)"},
    "search_counts": {"en": "{complete} complete, {pruned} pruned, {diverged} diverged",
                      "ko": "완료 {complete} · 조기 중단 {pruned} · 발산 {diverged}"},
    "search_no_best": {"en": "no complete trial yet", "ko": "아직 완료된 시도 없음"},
    "search_axis_score": {"en": "best val. loss", "ko": "최저 검증 손실"},
    "search_key": {"en": "● complete  ○ pruned  ✖ diverged", "ko": "● 완료  ○ 조기 중단  ✖ 발산"},
    "search_best_head": {"en": "best: trial {number}, validation loss {value:.3f}",
                         "ko": "최고: 시도 {number}, 검증 손실 {value:.3f}"},
    "search_start": {"en": "Start", "ko": "시작"},
    "search_start_help": {"en": "Run trials until the budget is spent (a study that exists "
                                "is continued)",
                          "ko": "예산을 다 쓸 때까지 시도를 실행합니다 (있는 스터디는 이어서 "
                                "진행합니다)"},
    "search_refresh": {"en": "Refresh", "ko": "새로 고침"},
    "search_refresh_help": {"en": "Read the study again: trials other machines finished appear",
                            "ko": "스터디를 다시 읽습니다: 다른 컴퓨터가 끝낸 시도가 나타납니다"},
    "search_strategy": {"en": "strategy", "ko": "전략"},
    "search_budget": {"en": "budget (trials)", "ko": "예산 (시도 수)"},
    "search_space": {"en": "space", "ko": "탐색 공간"},
    "search_storage": {"en": "storage", "ko": "저장소"},
    "search_study": {"en": "study", "ko": "스터디"},
    "search_budget_note": {"en": "{trials:plural=trial/trials} x {batches} batches = {total} batches",
                           "ko": "시도 {trials}개 x 배치 {batches} = 배치 {total}"},
    "search_bad_space": {
        "en": "the space '{part}' is not name=low:high or name=a, b, c (e.g. "
              "learning_rate=0.001:1; rnn_cell_type=rnn, gru, lstm)",
        "ko": "탐색 공간 '{part}'을(를) 읽을 수 없습니다: 이름=낮음:높음 또는 이름=a, b, c 로 "
              "쓰세요 (예: learning_rate=0.001:1; rnn_cell_type=rnn, gru, lstm)"},
    "search_cannot_start": {"en": "Cannot search: {reason}", "ko": "탐색할 수 없습니다: {reason}"},
    "search_ready": {"en": "Ready: press Start", "ko": "준비됨: 시작을 누르세요"},
    "search_opening": {"en": "opening the study…", "ko": "스터디를 여는 중…"},
    "search_running": {"en": "trial {number} running ({done} of {budget} batches spent, "
                             "{seconds:.1f} s)",
                       "ko": "시도 {number} 실행 중 (배치 {budget}개 중 {done}개 사용, "
                             "{seconds:.1f}초)"},
    "search_done": {"en": "done: {trials:plural=trial/trials} here in {seconds:.1f} s; the study "
                          "'{study}' holds {total}",
                    "ko": "완료: 이 컴퓨터에서 시도 {trials}개, {seconds:.1f}초; 스터디 "
                          "'{study}'에는 {total}개"},
    "search_stopped": {"en": "stopped after {trials:plural=trial/trials} ({seconds:.1f} s)",
                       "ko": "시도 {trials}개 후 정지 ({seconds:.1f}초)"},
    "search_refreshed": {"en": "study '{study}' read again: {total:plural=trial/trials}",
                         "ko": "스터디 '{study}'를 다시 읽었습니다: 시도 {total}개"},
    "search_no_study_yet": {"en": "no study yet: press Start", "ko": "아직 스터디가 없습니다: 시작을 누르세요"},
    "search_others_finished": {"en": "the study '{study}' now holds {total:plural=trial/trials}, "
                                     "other machines' among them",
                               "ko": "스터디 '{study}'에 이제 시도 {total}개가 있습니다 (다른 "
                                     "컴퓨터의 시도 포함)"},
    # --- hyperparameter search (search.py) -----------------------------------------------
    # A storage URL is always shown with its password masked (postgresql://user:***@host/db).
    "search_empty_space": {"en": "the search space is empty: name at least one hyperparameter",
                           "ko": "탐색 공간이 비어 있습니다: 하이퍼파라미터를 하나 이상 주세요"},
    "search_set_by_search": {
        "en": "{name} is set by the search itself (every trial trains trial_batches batches): "
              "give trial_batches, or fix it in base, instead of searching it",
        "ko": "{name}은(는) 탐색이 직접 정합니다 (모든 시도는 trial_batches 배치를 학습합니다): "
              "탐색하지 말고 trial_batches를 주거나 base에서 고정하세요"},
    "search_no_values": {"en": "{name}: the list of values is empty",
                         "ko": "{name}: 값 목록이 비어 있습니다"},
    "search_bad_spec": {
        "en": "{name}: give a (low, high) range, a list of values, or nothing for its default "
              "range; got {value!r}",
        "ko": "{name}: (low, high) 범위나 값 목록을 주거나, 기본 범위를 쓰려면 비워 두세요 "
              "(받은 값: {value!r})"},
    "search_empty_range": {
        "en": "{name}: the range {low} .. {high} is empty: its low end must be below its high end",
        "ko": "{name}: 범위 {low} .. {high}가 비어 있습니다: 아래 끝이 위 끝보다 작아야 합니다"},
    "search_inverted_range": {
        "en": "{name}: the range {low} .. {high} is inverted: give the lower value first",
        "ko": "{name}: 범위 {low} .. {high}가 거꾸로입니다: 작은 값을 먼저 주세요"},
    "search_bad_bound": {"en": "search space: {reason}", "ko": "탐색 공간: {reason}"},
    "search_unknown_strategy": {
        "en": "unknown search strategy '{name}'{hint}; strategies: {choices}",
        "ko": "알 수 없는 탐색 전략 '{name}'{hint}; 가능한 전략: {choices}"},
    "search_bad_budget": {
        "en": "budget must be a whole number of training batches above 0, got {value!r}",
        "ko": "budget은 0보다 큰 학습 배치 수(정수)여야 합니다 (받은 값: {value!r})"},
    "search_budget_too_small": {
        "en": "a budget of {budget} batches cannot pay for one trial of {trial_batches} "
              "batches: raise the budget or lower trial_batches",
        "ko": "budget {budget} 배치로는 {trial_batches} 배치짜리 시도 하나도 할 수 없습니다: "
              "budget을 늘리거나 trial_batches를 줄이세요"},
    "search_bad_trial_batches": {
        "en": "trial_batches must be a whole number of batches above 0, got {value!r}",
        "ko": "trial_batches는 0보다 큰 배치 수(정수)여야 합니다 (받은 값: {value!r})"},
    "search_bad_url": {
        "en": "'{url}' is not a storage this search can use: give a file name, "
              "sqlite:///file.db or postgresql://user:password@host:port/database",
        "ko": "'{url}'은(는) 쓸 수 있는 저장소가 아닙니다: 파일 이름, sqlite:///file.db 또는 "
              "postgresql://user:password@host:port/database를 주세요"},
    "search_unreachable": {
        "en": "cannot reach the database at {url} ({reason}): is the server running, and are "
              "its host and port right?",
        "ko": "{url}의 데이터베이스에 연결할 수 없습니다 ({reason}): 서버가 켜져 있고 호스트와 "
              "포트가 맞는지 확인하세요"},
    "search_wrong_password": {
        "en": "the database at {url} refused user '{user}': wrong password, or no such user",
        "ko": "{url}의 데이터베이스가 사용자 '{user}'를 거부했습니다: 비밀번호가 틀렸거나 그런 "
              "사용자가 없습니다"},
    "search_no_database": {
        "en": "the server at {url} has no database '{database}': create it first "
              "(createdb {database})",
        "ko": "{url}의 서버에 데이터베이스 '{database}'가 없습니다: 먼저 만드세요 "
              "(createdb {database})"},
    "search_storage_failed": {"en": "cannot use the storage {url}: {reason}",
                              "ko": "저장소 {url}을(를) 쓸 수 없습니다: {reason}"},
    "search_no_study": {"en": "no study '{study}' in {url}; studies there: {names}",
                        "ko": "{url}에 스터디 '{study}'가 없습니다; 있는 스터디: {names}"},
    "search_which_study": {"en": "which study? Give its name; studies in {url}: {names}",
                           "ko": "어느 스터디인가요? 이름을 주세요; {url}에 있는 스터디: {names}"},
    "search_foreign_study": {
        "en": "study '{study}' in {url} was not made by seq2seq-lab search: choose another name",
        "ko": "{url}의 스터디 '{study}'는 seq2seq-lab search가 만든 것이 아닙니다: 다른 이름을 "
              "고르세요"},
    "search_study_differs": {
        "en": "study '{study}' was created with {name} = {stored}, not {given}: leave {name} "
              "out to join it, or choose another study name",
        "ko": "스터디 '{study}'는 {name} = {stored}(으)로 만들어졌습니다 ({given} 아님): 참여하려면 "
              "{name}을(를) 빼고, 아니면 다른 스터디 이름을 고르세요"},
    "search_summary": {
        "en": "study '{study}' ({strategy}): {trials:plural=trial/trials} ({states})",
        "ko": "스터디 '{study}' ({strategy}): 시도 {trials}개 ({states})"},
}
