"""The lesson tests' runs: a preset's settings over seeds, each trained once per test process.

A lesson states several claims about the same runs, and two claims often share a setting
(lesson 07's LSTM at forget bias 0 is its cells comparison's LSTM; lesson 08's 32-number
embedding is its attention comparison's mlp run).  Training is deterministic for a config,
task, task options and seed, so a setting trained once stands for every claim that names it.
"""
from seq2seq_lab import compare, preset
from seq2seq_lab.data import TASK_OPTION_FIELDS

SEEDS = (0, 1, 2)
_trained: dict = {}   # (config, task, task options, seed) -> History


def lesson_runs(name: str, param: str, values, seeds=SEEDS, **overrides) -> dict:
    """{(value, seed): History} of preset ``name`` (with ``overrides``) at each value of
    ``param``, a config field or a task option (``seq_len``, ...), over ``seeds``.

    Settings not trained yet train together in one ``compare``, which spreads them over the
    worker processes.
    """
    chosen = preset(name, fast=False)
    base = chosen.config.replace(**overrides)

    def key(value, seed):
        if param in TASK_OPTION_FIELDS:
            config, options = base, {**chosen.task_options, param: value}
        else:
            config, options = base.replace(**{param: value}), chosen.task_options
        return config, chosen.task, tuple(sorted(options.items())), seed

    missing = [v for v in values if any(key(v, seed) not in _trained for seed in seeds)]
    if missing:
        for history in compare(base, vary={param: missing}, task=chosen.task,
                               task_options=chosen.task_options, seeds=list(seeds)):
            value = (history.task_options[param] if param in TASK_OPTION_FIELDS
                     else getattr(history.config, param))
            _trained[key(value, history.seed)] = history
    return {(value, seed): _trained[key(value, seed)] for value in values for seed in seeds}
