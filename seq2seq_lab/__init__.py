"""seq2seq_lab: learn the hyperparameters of recurrent seq2seq networks by moving sliders.

Module map (one idea each; a lesson's curve is one call into one of these):

- ``config``: ``Seq2SeqConfig``, every hyperparameter under its SageMaker name; ``describe()``
- ``data``: ``make_task``, offline generated tasks, vocabularies, padded batches
- ``models`` / ``attention``: the encoder-decoder and its attention scorers
- ``schedules``: ``learning_rate_at``, pure functions of the step
- ``training``: ``train``, the only training loop, returning a ``History`` (``history``);
  ``evaluation``: validation scores and the attention probe
- ``presets``: the named settings each lesson and its tests share
- ``plots``: draws Histories on matplotlib Axes
- ``lr_finder`` (``lr_find``), ``compare`` (+ ``parallel``: worker processes), ``diagnose``:
  the range test, side-by-side runs (one ``train`` each, spread over the CPU's cores), and
  plain-language verdicts on curves
- ``panels``: one pure drawing function per figure panel (loss, accuracy, gradient norm,
  attention, ...); ``gradients``, ``seed_bands``, ``attention_maps``: the figures lessons 06-08
  draw after training (gradient flow and ``clip_suggestion``, seed bands, attention heatmaps
  side by side)
- ``widgets/``: the live ``Lab`` (``lab``) and ``Compare`` (``compare``) widgets, built on
  ``controls``, ``panel``, ``live``, ``figure`` and ``exports``; ``Question`` (``question``):
  a checked "predict first" question, tied to a Lab; ``language_switch`` (``language``):
  English or Korean, in a lesson's first cell; ``Sensitivity`` (``sensitivity``): each
  hyperparameter changed alone, over seeds, live
- ``sensitivity``: one hyperparameter at a time against the defaults' seed band
- ``setups``: ``Setup``, a Lab's set-up as a short share text or a JSON file, and
  ``run_code``, a run as the few lines of Python that reproduce it
- ``search``: ``search``, hyperparameter search on Optuna (grid, random, quasi-random, TPE,
  Hyperband) under a budget of training batches; its study at a URL (SQLite, or PostgreSQL for
  a class)
- ``cli``: ``seq2seq-lab train`` / ``describe`` / ``search``
- ``cpu_kernels``: the same CPU kernels (AVX2) with or without AVX-512, so a seed gives the
  curves a lesson describes
"""
# First, before anything runs torch: the same CPU kernels on every machine (cpu_kernels.py).
from . import cpu_kernels as _cpu_kernels
_cpu_kernels.pin()

from .config import ConfigError, Seq2SeqConfig, describe
from .data import Task, make_task, task_names
from .history import History
from .i18n import get_language, set_language
from .models import build_model, count_parameters
from .presets import preset, preset_names
from .schedules import learning_rate_at
from .evaluation import evaluate
from .training import train
from .compare import compare
from .diagnose import Diagnosis, diagnose
from .lr_finder import LRFinderResult, lr_find
from .setups import Setup, SetupError, run_code
from .search import SearchError, search   # optuna is imported only when a search runs

__all__ = [
    "ConfigError", "Seq2SeqConfig", "describe", "Task", "make_task", "task_names", "History",
    "get_language", "set_language", "build_model", "count_parameters", "preset",
    "preset_names", "learning_rate_at", "evaluate", "train",
]
__all__ += ["Lab", "Compare", "Question", "Sensitivity", "Search", "language_switch"]
__all__ += ["compare", "diagnose", "Diagnosis", "lr_find", "LRFinderResult"]
__all__ += ["Setup", "SetupError", "run_code"]
__all__ += ["search", "SearchError"]
__version__ = "0.1.0"


def __getattr__(name):
    # The widgets need ipywidgets (the ``lab`` extra): imported on first use, so the CLI and
    # plain ``train()`` work without it.
    if name == "Lab":
        from .widgets.lab import Lab
        return Lab
    if name == "Compare":
        from .widgets.compare import Compare
        return Compare
    if name == "Sensitivity":
        from .widgets.sensitivity import Sensitivity
        return Sensitivity
    if name == "language_switch":
        from .widgets.language import language_switch
        return language_switch
    if name == "Question":
        from .widgets.question import Question
        return Question
    if name == "Search":
        from .widgets.search import Search
        return Search
    raise AttributeError(f"module 'seq2seq_lab' has no attribute {name!r}")
