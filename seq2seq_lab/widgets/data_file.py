"""The Lab's data-file row: the learner's own pairs file, by path or by upload.

Feature: ``Lab(task="pairs", task_options={"path": ...})`` (``widgets/lab.py``) shows this row;
the file is read and checked by ``pairs.py`` when Train is pressed, and a problem with it is a
message in the widget naming the line to fix.

An upload arrives as bytes in the kernel (ipywidgets' ``FileUpload``).  It is written under
``<export_dir>/data/`` and never over an existing file (the learner may have edited one there),
so the path field then names a real file that the exported code and a shared set-up can name
too.  A file over ``pairs.MAX_FILE_BYTES`` is refused before it is written.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import ipywidgets as widgets

from ..i18n import t
from ..pairs import MAX_FILE_BYTES, TOKEN_KINDS, megabytes

_TOKEN_CHOICES = tuple(dict.fromkeys(
    [*TOKEN_KINDS, *(f"{s}/{g}" for s in TOKEN_KINDS for g in TOKEN_KINDS if s != g)]))


class DataFileRow:
    """A path field, a tokens choice and an upload button; ``options()`` gives the task options
    they set.  ``say(text, error)`` is the widget's message function."""

    def __init__(self, path: str, tokens: str, folder: str | Path, language: str, say,
                 width: str = "initial"):
        self.folder, self.language, self.say = Path(folder) / "data", language, say
        self.path = widgets.Text(value=str(path or ""), description="path",
                                 placeholder=t("data_file_placeholder", language),
                                 tooltip=t("data_file_help", language), continuous_update=False,
                                 style={"description_width": width},
                                 layout=widgets.Layout(width="520px"))
        self.path.add_class("s2s-param-path")
        choices = _TOKEN_CHOICES if tokens in _TOKEN_CHOICES else (*_TOKEN_CHOICES, tokens)
        self.tokens = widgets.Dropdown(options=choices, value=tokens, description="tokens",
                                       tooltip=t("data_tokens_help", language),
                                       style={"description_width": width},
                                       layout=widgets.Layout(width="auto"))
        self.tokens.add_class("s2s-param-tokens")
        self.upload = widgets.FileUpload(accept=".tsv,.csv,.txt", multiple=False,
                                         description=t("data_upload", language),
                                         tooltip=t("data_upload_help", language))
        self.upload.add_class("s2s-upload")
        self.upload.observe(self._uploaded, names="value")
        self.widget = widgets.HBox([self.path, self.tokens, self.upload],
                                   layout=widgets.Layout(flex_flow="row wrap",
                                                         align_items="center"))
        self.controls = {"path": self.path, "tokens": self.tokens}

    def options(self) -> dict:
        return {"path": self.path.value.strip(), "tokens": self.tokens.value}

    def _uploaded(self, change) -> None:
        files = change.get("new") or ()
        if not files:
            return
        upload = files[0]
        try:
            self.path.value = str(self.save(upload["name"], bytes(upload["content"])))
        except (ValueError, OSError) as error:   # too big; a folder not writable, a full disk
            self.say(str(error), True)
            return
        finally:
            # Forget the bytes: the widget would otherwise keep (and resend) the whole file.
            self.upload.value = ()
        self.say(t("data_uploaded", self.language, path=self.path.value), False)

    def save(self, name: str, data: bytes) -> Path:
        """Write an upload under ``data/``; the same bytes again reuse their file, other bytes
        under a name already taken get ``-2``, ``-3`` ... (nothing is overwritten)."""
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(t("data_upload_too_big", self.language, name=name,
                               size=megabytes(len(data)), limit=megabytes(MAX_FILE_BYTES)))
        # Only the file's own name, in safe characters: an upload's name must not climb out of
        # the folder ("../../x").
        name = Path(name).name
        stem, suffix = _safe(Path(name).stem) or "data", _safe(Path(name).suffix) or ".tsv"
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(data).digest()
        path, number = self.folder / f"{stem}{suffix}", 2
        while True:
            try:
                # "x": created here or not at all.  Never over a file, even one written between
                # a check and the write, and never through a link (a dangling one included).
                with open(path, "xb") as file:
                    file.write(data)
                return path
            except FileExistsError:
                if (not path.is_symlink() and path.is_file()
                        and path.stat().st_size == len(data)
                        and hashlib.sha256(path.read_bytes()).digest() == digest):
                    return path
            path, number = self.folder / f"{stem}-{number}{suffix}", number + 1


def _safe(text: str) -> str:
    """``text`` in letters, digits, ``_``, ``.`` and ``-``; empty if nothing but dots is left."""
    cleaned = re.sub(r"[^\w.-]+", "_", text)
    return cleaned if cleaned.strip("._") else ""
