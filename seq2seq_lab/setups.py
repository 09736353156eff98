"""A Lab's set-up as a short text to share, a JSON file to keep, or code to run elsewhere.

Lessons: any (a teacher pastes a set-up into a slide or a chat; a learner exports a run as the
few lines of code that reproduce it outside the widget).

A :class:`Setup` is what a learner needs to rebuild a Lab: the task and its options, the
hyperparameters that differ from the defaults, the seed, which controls are shown (and which of
them are locked) and the figure's panels.  It travels in two forms:

- ``setup.to_text()``: ``s2s1.`` + base64url of zlib-compressed canonical JSON + ``.`` + a
  CRC32 of that JSON.  Short enough for a slide: the defaults with ``learning_rate=0.01,
  rnn_cell_type="lstm"`` are these 96 characters:
  s2s1.eNqrVkrOz0vLTFeyqlbKSU0sysvMS48vSixJVbIy0DMw1FEqysuLT07NyYkvqSwACirlFJfkKtXWAgAs4BOZ.TzrHTw
  Spaces and line breaks that a chat inserts are ignored.
- ``setup.to_json()`` / ``save()``: the same content, readable, with a format name and version.

Reading either is safe on text from anyone: it is parsed as JSON and checked field by field,
never unpickled or evaluated, its decompressed size is capped (a "zip bomb" stops at the cap),
and a file it names (a ``pairs`` task's ``path``) is kept as text, never opened here.  Every
problem is a :class:`SetupError` that says, in English or Korean, what is wrong.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import difflib
import json
import math
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .config import ConfigError, Seq2SeqConfig
from .data import PAIRS, TASK_OPTION_FIELDS, task_names, task_option_value
from .i18n import t

FORMAT_NAME = "seq2seq_lab.setup"   # the JSON file's "format": what makes it a set-up
FORMAT_VERSION = 1                  # bump when the meaning of a key changes; add a migration
TEXT_PREFIX = "s2s"                 # a share text starts "s2s<version>."
# A set-up is a few hundred bytes of JSON; 64 KiB leaves room for long paths and panel options
# while a crafted text that inflates to gigabytes stops here.
MAX_JSON_BYTES = 64 * 1024
MAX_TEXT_CHARS = 4 * MAX_JSON_BYTES  # base64 of compressed JSON is never longer than this
# The pairs task (a learner's own data file, ``make_task("pairs", path=..., tokens=...)``) has
# text options besides the numeric ones of ``data.TASK_OPTION_FIELDS``.
PAIRS_TASK = PAIRS   # the one name, data.PAIRS
TEXT_TASK_OPTIONS = ("path", "tokens")
PAIRS_LIMIT_OPTIONS = ("max_seq_len_source", "max_seq_len_target")  # whole numbers >= 1
KEYS = ("task", "task_options", "config", "seed", "params", "locked", "panels")
MAX_SEED = 2 ** 63 - 1  # torch.manual_seed's largest signed value

# Readers of older formats: ``_MIGRATIONS[n]`` turns a version-n dict into a version n+1 dict.
# Version 1 is the first, so this is empty; when version 2 changes a key, add ``{1: _v1_to_v2}``
# and every version-1 text and file keeps loading.  A version with no way forward gets a
# message that names it instead of a misleading "unknown key".
_MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

# Characters that chats and slide tools insert or substitute when they wrap a long word:
# whitespace is dropped by ``str.split``; these zero-width ones and the soft hyphen are not.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# At most 6 ASCII digits: a tampered "s2s" + 5000 nines must be a damaged text, not int()'s
# 4300-digit error (and \d alone would take other scripts' digits).
_TEXT = re.compile(rf"({TEXT_PREFIX})([0-9]{{1,6}})\.(.*)", re.IGNORECASE | re.DOTALL)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_CHECKSUM_CHARS = 6  # base64url of CRC32's 4 bytes


class SetupError(ValueError):
    """A set-up that cannot be read or used; says what is wrong and, where it can, what to do.

    Like :class:`~seq2seq_lab.config.ConfigError`: rendered in the current language when made,
    and again in any language by :meth:`message` (a nested config or task error too).
    """

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return t(self.key, language, **{k: _render(v, language) for k, v in self.values.items()})


class _Text:
    """A catalogue message rendered only when the error is shown, so that a reason nested in a
    SetupError follows ``message(language)`` rather than the language at the time of raising."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values

    def message(self, language: str | None = None) -> str:
        return t(self.key, language, **{k: _render(v, language) for k, v in self.values.items()})


def _render(value, language):
    return value.message(language) if isinstance(value, (ConfigError, SetupError, _Text)) else value


class _NonFinite:
    """What JSON's ``NaN`` / ``Infinity`` become: no check accepts it, and it shows as written."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Setup:
    """What a Lab shows and trains, as plain JSON-able values; validated when built.

    :param task: a task name (``task_names()``, or ``"pairs"``: a learner's own data file)
    :param task_options: make_task options (``seq_len``, ``train_size``, ...; ``path`` and
        ``tokens`` for ``pairs``, kept as text)
    :param config: hyperparameters that differ from ``Seq2SeqConfig()``; a value equal to the
        default is dropped, so equal set-ups compare equal and share the same text
    :param seed: the run's seed
    :param params: controls shown, by name: config fields or task options
    :param locked: controls shown but not changeable; a subset of ``params``
    :param panels: the figure's panels: names, or ``(name, options)`` pairs; empty: the
        Lab's default
    """

    task: str = "reverse"
    task_options: dict = field(default_factory=dict, hash=False)
    config: dict = field(default_factory=dict, hash=False)
    seed: int = 0
    params: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    panels: tuple = field(default=(), hash=False)

    def __post_init__(self):
        # Every Setup is valid and canonical, however it was made: loading is only parsing
        # plus this, so a pasted text cannot build anything a constructor call could not.
        task = _check_task(self.task)
        values = dict(task=task, task_options=_check_task_options(self.task_options, task),
                      config=_check_config(self.config), seed=_check_seed(self.seed))
        values["params"] = _check_params(self.params)
        values["locked"] = _check_locked(self.locked, values["params"], task)
        values["panels"] = _check_panels(self.panels)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        if len(self._canonical_json()) > MAX_JSON_BYTES:
            raise SetupError("setup_too_large", limit=MAX_JSON_BYTES // 1024)

    # ---- building ---------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Seq2SeqConfig, task: str = "reverse",
                    task_options: dict | None = None, seed: int = 0, params=(), locked=(),
                    panels=()) -> "Setup":
        """The set-up of a Lab that trains ``config`` (only its changes are kept)."""
        if not isinstance(config, Seq2SeqConfig):
            raise SetupError("setup_bad_type", name="config", expected=_Text("setup_type_config"),
                             value=config)
        return cls(task=task, task_options=dict(task_options or {}), config=config.diff(),
                   seed=seed, params=params, locked=locked, panels=panels)

    def seq2seq_config(self) -> Seq2SeqConfig:
        """The full config: the defaults with this set-up's changes."""
        return Seq2SeqConfig.from_dict(self.config)

    def code(self) -> str:
        """Python that trains this set-up's run outside the widget (see :func:`run_code`)."""
        return run_code(self.seq2seq_config(), self.task, self.task_options, self.seed)

    # ---- the short share text ---------------------------------------------------------------
    def to_text(self) -> str:
        """``s2s1.<base64url of zlib(JSON)>.<CRC32>``: one line to paste into a slide or chat."""
        data = self._canonical_json()
        payload = _b64encode(zlib.compress(data, 9))
        checksum = _b64encode(zlib.crc32(data).to_bytes(4, "big"))
        return f"{TEXT_PREFIX}{FORMAT_VERSION}.{payload}.{checksum}"

    @classmethod
    def from_text(cls, text: str) -> "Setup":
        """Read a share text (spaces, line breaks and quotes around it are ignored).

        The JSON of :meth:`to_json` is accepted too, so one paste box takes either.
        """
        if not isinstance(text, str):
            raise SetupError("setup_not_setup", prefix=f"{TEXT_PREFIX}{FORMAT_VERSION}.",
                             format=FORMAT_NAME)
        compact = "".join(text.translate(_INVISIBLE).split()).strip("`'\"<>\u201c\u201d")
        if compact.startswith("{"):
            return cls.from_json(text)
        match = _TEXT.fullmatch(compact[:MAX_TEXT_CHARS + 32])
        if not match:
            raise SetupError("setup_not_setup", prefix=f"{TEXT_PREFIX}{FORMAT_VERSION}.",
                             format=FORMAT_NAME)
        if len(compact) > MAX_TEXT_CHARS:
            raise SetupError("setup_too_large", limit=MAX_JSON_BYTES // 1024)
        version = int(match.group(2))
        _check_version(version)  # before decoding: a future version may encode differently
        payload, _, checksum = match.group(3).partition(".")
        if not _BASE64URL.fullmatch(payload) or not _BASE64URL.fullmatch(checksum):
            raise SetupError("setup_damaged")
        if not checksum or len(checksum) < _CHECKSUM_CHARS or len(payload) % 4 == 1:
            raise SetupError("setup_truncated")
        if len(checksum) > _CHECKSUM_CHARS:
            raise SetupError("setup_damaged")
        data = _inflate(_b64decode(payload))
        if zlib.crc32(data).to_bytes(4, "big") != _b64decode(checksum):
            raise SetupError("setup_changed")
        values = _parse_json(data)
        if not isinstance(values, dict):
            raise SetupError("setup_bad_type", name="set-up", expected=_Text("setup_type_object"),
                             value=type(values).__name__)
        return cls._from_values(_migrate(values, version))

    # ---- the JSON file ----------------------------------------------------------------------
    def to_json(self) -> str:
        """Readable JSON with every key, a format name and a version: what :meth:`save` writes."""
        values = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **self._values()}
        return json.dumps(values, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> "Setup":
        """Read :meth:`to_json`'s JSON (keys left out take their defaults)."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if len(data) > MAX_JSON_BYTES:
            raise SetupError("setup_too_large", limit=MAX_JSON_BYTES // 1024)
        values = _parse_json(data, not_json_is_not_setup=True)
        if not isinstance(values, dict) or values.get("format") != FORMAT_NAME:
            raise SetupError("setup_not_setup", prefix=f"{TEXT_PREFIX}{FORMAT_VERSION}.",
                             format=FORMAT_NAME)
        version = values.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise SetupError("setup_bad_type", name="version", expected=_Text("type_int"),
                             value=version)
        _check_version(version)
        values = {k: v for k, v in values.items() if k not in ("format", "version")}
        return cls._from_values(_migrate(values, version))

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` and return where it went; never overwrites.

        A folder (an existing one, or a path ending in ``/``) gets a new
        ``setup-YYYYmmdd-HHMMSS.json`` in it, numbered ``-2``, ``-3`` ... as exports are; an
        existing file is an error, so a learner's or teacher's file is never replaced.
        """
        from .widgets.exports import unique_path  # no ipywidgets: config, history, stdlib

        # Path("runs/") drops the slash that says "a folder", so look at the text given.
        folder = isinstance(path, str) and path.endswith(tuple(filter(None, ("/", os.sep,
                                                                          os.altsep))))
        path = Path(path)
        folder = folder or path.is_dir()
        text = self.to_json()
        for _ in range(100):  # another save may take the same unique name between check and write
            target = unique_path(path, "setup", ".json") if folder else path
            if not folder:
                target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(target, "x", encoding="utf-8") as file:  # "x": fails if it exists
                    file.write(text)
                return target
            except FileExistsError:
                if not folder:
                    raise SetupError("setup_exists", path=str(target)) from None
        raise SetupError("setup_exists", path=str(path))

    @classmethod
    def load(cls, path: str | Path) -> "Setup":
        """Read a set-up file: :meth:`save`'s JSON, or a share text saved as a file."""
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_JSON_BYTES * 4 + 1)
        except OSError as error:
            raise SetupError("setup_cannot_read", path=str(path),
                             reason=error.strerror or type(error).__name__) from None
        if len(data) > MAX_JSON_BYTES * 4:
            raise SetupError("setup_too_large", limit=MAX_JSON_BYTES // 1024)
        if data.lstrip()[:1] == b"{":
            return cls.from_json(data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SetupError("setup_not_setup", prefix=f"{TEXT_PREFIX}{FORMAT_VERSION}.",
                             format=FORMAT_NAME) from None
        return cls.from_text(text)

    # ---- the canonical form -----------------------------------------------------------------
    def _values(self) -> dict[str, Any]:
        return {"task": self.task, "task_options": dict(self.task_options),
                "config": dict(self.config), "seed": self.seed, "params": list(self.params),
                "locked": list(self.locked),
                "panels": [p if isinstance(p, str) else list(p) for p in self.panels]}

    def _canonical_json(self) -> bytes:
        # Defaults left out and keys sorted: one set-up, one text, as short as it can be.
        compact = {k: v for k, v in self._values().items() if v != _default(k)}
        return json.dumps(compact, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")

    @classmethod
    def _from_values(cls, values: dict) -> "Setup":
        for key in values:
            if key not in KEYS:
                raise SetupError("setup_unknown_key", name=key, hint=_hint(key, KEYS),
                                 choices=", ".join(KEYS))
        return cls(**{key: values[key] for key in KEYS if key in values})


def _default(key: str):
    f = next(f for f in dataclasses.fields(Setup) if f.name == key)
    value = f.default_factory() if f.default is dataclasses.MISSING else f.default
    return list(value) if isinstance(value, tuple) else value


# ---- decoding ------------------------------------------------------------------------------
def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SetupError("setup_damaged") from None
    # The last character carries unused bits: a changed one may decode to the same bytes.
    # Only the text to_text writes is accepted, so that every changed character is noticed.
    if _b64encode(data) != text:
        raise SetupError("setup_damaged")
    return data


def _inflate(data: bytes) -> bytes:
    """zlib-decompress at most MAX_JSON_BYTES: a crafted bomb stops at the cap, unexpanded."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise SetupError("setup_damaged") from None
    if len(out) > MAX_JSON_BYTES:
        raise SetupError("setup_too_large", limit=MAX_JSON_BYTES // 1024)
    if not inflater.eof:
        raise SetupError("setup_truncated")
    if inflater.unused_data:
        raise SetupError("setup_damaged")
    return out


def _parse_json(data: bytes, not_json_is_not_setup: bool = False):
    def pairs(items):
        seen = {}
        for key, value in items:
            if key in seen:
                raise SetupError("setup_duplicate_key", name=key)
            seen[key] = value
        return seen

    try:
        text = data.decode("utf-8-sig")
        return json.loads(text, object_pairs_hook=pairs, parse_constant=_NonFinite)
    except SetupError:
        raise
    except UnicodeDecodeError:
        raise SetupError("setup_damaged") from None
    except json.JSONDecodeError as error:
        if not_json_is_not_setup:
            raise SetupError("setup_bad_json", line=error.lineno, column=error.colno) from None
        raise SetupError("setup_damaged") from None
    except (RecursionError, ValueError):  # nesting thousands deep; an int of 5000 digits
        raise SetupError("setup_damaged") from None


def _check_version(version: int) -> None:
    from . import __version__

    if version > FORMAT_VERSION:
        raise SetupError("setup_newer", version=version, current=FORMAT_VERSION,
                         package=__version__)
    if version < FORMAT_VERSION and not _readable_from(version):
        raise SetupError("setup_older", version=version, current=FORMAT_VERSION,
                         oldest=_oldest_readable(), package=__version__)


def _readable_from(version: int) -> bool:
    return all(v in _MIGRATIONS for v in range(version, FORMAT_VERSION))


def _oldest_readable() -> int:
    version = FORMAT_VERSION
    while version - 1 in _MIGRATIONS:
        version -= 1
    return version


def _migrate(values: dict, version: int) -> dict:
    while version < FORMAT_VERSION:
        values = _MIGRATIONS[version](values)
        version += 1
    return values


# ---- checking each key -----------------------------------------------------------------------
def known_tasks() -> tuple[str, ...]:
    """Task names a set-up may name: the generated tasks and ``pairs``."""
    return task_names()    # data.task_names() lists pairs with the generated tasks


def _hint(name, known) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.5)
    return _Text("did_you_mean", suggestion=close[0]) if close else ""


def _bad_type(name: str, expected: str, value) -> SetupError:
    return SetupError("setup_bad_type", name=name, expected=_Text(expected), value=value)


def _check_task(task) -> str:
    if not isinstance(task, str):
        raise _bad_type("task", "type_str", task)
    names = known_tasks()
    if task not in names:
        close = difflib.get_close_matches(task, names, n=1)
        reason = _Text("unknown_task", name=task, choices=", ".join(names),
                       hint=_Text("did_you_mean", suggestion=close[0]) if close else "")
        raise SetupError("setup_bad_task", reason=reason)
    return task


def _check_task_options(options, task: str) -> dict:
    if not isinstance(options, dict):
        raise _bad_type("task_options", "setup_type_object", options)
    checked = {}
    for name, value in options.items():
        if name in TEXT_TASK_OPTIONS or name in PAIRS_LIMIT_OPTIONS:
            if task != PAIRS_TASK:
                raise SetupError("setup_bad_task_option", reason=_Text(
                    "setup_option_pairs_only", name=name, task=task))
            if name in PAIRS_LIMIT_OPTIONS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise SetupError("setup_bad_task_option", reason=_Text(
                        "bad_task_option", name=name, rule=">= 1", value=value))
            elif not _is_text(value):
                raise SetupError("setup_bad_task_option", reason=_Text(
                    "setup_option_not_text", name=name, value=value))
            checked[name] = value  # a path stays text: nothing here opens or checks the file
        elif name == "seq_len" and task == PAIRS_TASK:
            # A file's rows have their own lengths (max_seq_len_* limit them): make_task
            # refuses seq_len for pairs, so a share must not carry one.
            raise SetupError("setup_bad_task_option", reason=_Text(
                "setup_option_not_for_pairs", name=name))
        elif name == "seed":
            # The data seed (which examples, which split): a whole number, as make_task takes.
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
                raise SetupError("setup_bad_task_option", reason=_Text(
                    "bad_task_option", name=name, rule=f"0 .. {MAX_SEED}", value=value))
            checked[name] = value
        elif name in TASK_OPTION_FIELDS:
            # A number from JSON, checked by make_task's own rule; "8" is a wrong JSON type
            # here even though a text box may send it.
            meta = TASK_OPTION_FIELDS[name]
            rule = f"{meta['low']} .. {meta['high']}" if meta["high"] is not None \
                else f">= {meta['low']}"   # as data.task_option_value words it
            reason = _Text("bad_task_option", name=name, rule=rule, value=value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SetupError("setup_bad_task_option", reason=reason)
            try:
                checked[name] = task_option_value(name, value)
            except (ValueError, OverflowError):
                raise SetupError("setup_bad_task_option", reason=reason) from None
        else:
            known = [*TASK_OPTION_FIELDS,
                     *(TEXT_TASK_OPTIONS + PAIRS_LIMIT_OPTIONS if task == PAIRS_TASK else ())]
            raise SetupError("setup_bad_task_option", reason=_Text(
                "setup_unknown_task_option", name=name, hint=_hint(name, known),
                choices=", ".join(known)))
    return checked


def _check_config(config) -> dict:
    if not isinstance(config, dict):
        raise _bad_type("config", "setup_type_object", config)
    try:
        return Seq2SeqConfig.from_dict(config).diff()
    except ConfigError as error:
        raise SetupError("setup_bad_config", reason=error) from None
    except OverflowError:  # an integer of hundreds of digits given for a float field
        raise SetupError("setup_bad_config", reason=_Text("setup_number_too_large")) from None
    except TypeError as error:  # e.g. a key that is not text, from a Python caller
        raise _bad_type("config", "setup_type_object", config) from error


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise _bad_type("seed", "setup_type_seed", seed)
    return seed


def _names(value, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) \
            or not all(isinstance(name, str) for name in value):
        raise _bad_type(key, "setup_type_names", value)
    return tuple(dict.fromkeys(value))  # keeps order, drops repeats (as the Lab does)


def _check_params(params) -> tuple[str, ...]:
    params = _names(params, "params")
    known = [*Seq2SeqConfig.fields(), *TASK_OPTION_FIELDS]
    for name in params:
        if name not in known:
            raise SetupError("setup_unknown_param", name=name, hint=_hint(name, known))
    return params


def _check_locked(locked, params: tuple[str, ...], task: str = "") -> tuple[str, ...]:
    locked = _names(locked, "locked")
    # A pairs Lab always shows its data-file row; a teacher may lock its path and tokens.
    row = TEXT_TASK_OPTIONS if task == PAIRS_TASK else ()
    missing = [name for name in locked if name not in params and name not in row]
    if missing:
        raise SetupError("setup_locked_not_shown", names=", ".join(missing))
    return locked


def _check_panels(panels) -> tuple:
    if isinstance(panels, str) or not isinstance(panels, (list, tuple)):
        raise _bad_type("panels", "setup_type_panels", panels)
    checked = []
    for spec in panels:
        if isinstance(spec, str):
            name, options = spec, None
        elif (isinstance(spec, (list, tuple)) and len(spec) == 2 and isinstance(spec[0], str)
              and isinstance(spec[1], dict) and _json_able(spec[1])):
            name, options = spec[0], json.loads(json.dumps(spec[1]))  # a copy, tuples as lists
        else:
            raise _bad_type("panels", "setup_type_panels", spec)
        known = _panel_names()
        if known is not None and name not in known:
            raise SetupError("setup_bad_panel", reason=_Text(
                "panel_unknown", name=name, choices=", ".join(known)))
        checked.append(name if options is None else (name, options))
    return tuple(checked)


def _panel_names() -> tuple[str, ...] | None:
    # The Lab's figure owns the panel list; imported here only when a set-up has panels
    # (matplotlib, no ipywidgets).  None: that module is unavailable, the Lab checks instead.
    try:
        from .widgets.figure import LIVE_PANELS
    except ImportError:
        return None
    return tuple(LIVE_PANELS)


def _is_text(value) -> bool:
    # A path from os.fsdecode may hold lone surrogates (undecodable bytes): not UTF-8 text,
    # so it could be neither shared nor saved.
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_able(value, depth: int = 0) -> bool:
    if depth > 20:
        return False
    if isinstance(value, str):
        return _is_text(value)
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_json_able(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_able(v, depth + 1) for k, v in value.items())
    return False


# ---- export as code --------------------------------------------------------------------------
def run_code(config: Seq2SeqConfig, task: str = "reverse", task_options: dict | None = None,
             seed: int = 0) -> str:
    """The few lines of Python that train this run outside the widget, e.g.::

        from seq2seq_lab import Seq2SeqConfig, train

        config = Seq2SeqConfig(learning_rate=0.01, rnn_cell_type="lstm")
        history = train(config, task="reverse", task_options={"seq_len": 8}, seed=0)

    Only the fields that differ from the defaults are written; values are Python literals
    whose ``repr`` reads back exactly (0.1 stays 0.1).  The arguments are checked as a Setup's.
    """
    setup = Setup.from_config(config, task=task, task_options=task_options, seed=seed)
    fields = [f"{name}={_literal(value)}" for name, value in setup.config.items()]
    arguments = ["config", f"task={_literal(setup.task)}"]
    if setup.task_options:
        items = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in setup.task_options.items())
        arguments.append(f"task_options={{{items}}}")
    arguments.append(f"seed={setup.seed}")
    return (f"from seq2seq_lab import Seq2SeqConfig, train\n\n"
            f"{_call('config = Seq2SeqConfig', fields)}\n"
            f"{_call('history = train', arguments)}\n")


def _call(head: str, arguments: list[str], width: int = 88) -> str:
    """``head(a, b)`` on one line, or one argument a line when that would be wider than
    ``width``: the lines are read on a slide and pasted into a cell."""
    line = f"{head}({', '.join(arguments)})"
    if len(line) <= width:
        return line
    return f"{head}(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"


def _literal(value) -> str:
    """``repr``, with text in double quotes as the lessons write it (``"lstm"``)."""
    text = repr(value)
    if isinstance(value, str) and text.startswith("'") and '"' not in value:
        # repr chose single quotes, so the text has no "'" either: only the quotes change.
        text = f'"{text[1:-1]}"'
    return text
