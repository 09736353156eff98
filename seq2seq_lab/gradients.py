"""How far the training signal reaches back in time: ``gradient_flow(model, task)`` measures
the size of the loss's gradient with respect to the encoder's hidden state at every source
position, |dL/dh_t| against t.

Lessons: 07 (vanishing gradients made visible, RNN vs GRU vs LSTM); 08 (``clip_suggestion``:
a ``clip_gradient`` read off the gradient norms a run recorded).

Why it matters: on ``recall`` the answer sits at the first positions, so whatever the model
learns about them must travel back from the loss through every later step.  Each step
multiplies the gradient by the recurrence's Jacobian; where those products shrink (Bengio et
al. 1994, Hochreiter 1991), the early positions receive almost no signal and the model
cannot learn to keep them.  Gates (GRU, LSTM) can hold that product near 1 once trained,
which is what Hochreiter and Schmidhuber 1997 built the LSTM's cell for.

How: the library's own encoder layers are stepped one position at a time (the same layers
and weights ``Seq2Seq.forward`` runs over the whole sequence at once), each step's hidden
state ``h_t`` is kept with ``retain_grad``, and one backward pass of the teacher-forced loss
fills their gradients: everything that ``h_t`` influences (later steps, the layers above,
the decoder's initial state, the attention) passes its share back into it.  The model is in
eval mode (no dropout) and its parameter gradients are cleared afterwards, so measuring
during a run changes nothing in that run.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import torch

from .compare import compare
from .config import Seq2SeqConfig
from .i18n import t
from .data import PAD_ID, Task
from .models import Seq2Seq, build_model, sequence_loss
from .presets import preset
from .training import CPU, as_config, resolve_task, total_steps, train, training_threads


def gradient_flow(model: Seq2Seq, task: Task, examples: int = 64,
                  split: str = "validation") -> list[float]:
    """Mean |dL/dh_t| (L2 norm over the units, mean over examples) of the encoder's top
    layer at each source position t = 0 .. S-1, for the first ``examples`` sequences of the
    split's longest length (so every position is a real token in every example).

    :return: S numbers, one per source position
    """
    data = task.splits[split]
    longest = int(data.source_lengths.max())
    rows = (data.source_lengths == longest).nonzero().squeeze(1)[:examples]
    source = data.source[rows, :longest]                                     # B x S
    target_time = int(data.target_lengths[rows].max())
    target_in, target_out = data.target_in[rows, :target_time], data.target_out[rows, :target_time]
    device = next(model.parameters()).device
    source, target_in, target_out = source.to(device), target_in.to(device), target_out.to(device)
    lengths = torch.full((len(rows),), longest, device=device)

    was_training = model.training
    model.eval()
    try:
        states = []
        # cuDNN's RNN refuses a backward pass in eval mode, and train mode would switch
        # dropout on: so on a GPU the measurement runs PyTorch's own RNN kernels instead.
        with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
            encoder = model.encoder
            x = encoder.embedding(source)                                    # B x S x E
            for i, layer in enumerate(encoder.layers):
                state, outputs, top = None, [], i == len(encoder.layers) - 1
                for t in range(longest):
                    _, state = layer(x[:, t:t + 1], state)                   # 1 x B x H (h, c)
                    h = state[0] if isinstance(state, tuple) else state
                    if top:
                        h.retain_grad()   # the total gradient reaching h_t, from every path
                        states.append(h)
                    outputs.append(h.transpose(0, 1))                        # B x 1 x H
                output = torch.cat(outputs, 1)                               # B x S x H
                x = output + x if encoder.residual and i > 0 else output
            final = x[:, -1]                                                 # every row full length
            source_mask = source != PAD_ID
            initial = model.decoder.initial_state(x, final, source_mask)
            logits, _, _ = model.decoder(target_in, initial, x, source_mask)
            sequence_loss(logits, target_out).backward()
        return [float(h.grad[0].norm(dim=-1).mean()) for h in states]
    finally:
        model.zero_grad(set_to_none=True)
        if was_training:
            model.train()


def initial_gradient_flow(config: Seq2SeqConfig, task: Task, seed: int = 0,
                          examples: int = 64) -> list[float]:
    """:func:`gradient_flow` of the untrained model of ``train(config, task, seed)``."""
    # The very weights train() draws for this seed: it seeds, then builds the model first.
    with training_threads(CPU), torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build_model(config, len(task.source_vocab), len(task.target_vocab))
        return gradient_flow(model, task, examples)


def gradient_flow_during(config: Seq2SeqConfig | dict | None = None, task: Task | str = "recall",
                         seed: int = 0, at_steps=(0, 100, 400), task_options: dict | None = None,
                         examples: int = 64) -> dict[int, list[float]]:
    """:func:`gradient_flow` of one run at initialisation (step 0) and after each of
    ``at_steps`` training steps; the run is ``train(config, task, seed)``, stopped once the
    last step is measured (its config unchanged, so its schedule is the full run's).

    :return: {step: [|dL/dh_t| for each source position]}
    """
    config, task = as_config(config), resolve_task(task, task_options)
    steps = sorted(set(at_steps))
    planned = total_steps(config, task)
    if steps and (steps[0] < 0 or steps[-1] > planned):
        raise ValueError(f"at_steps must lie between 0 and the run's {planned} steps "
                         f"(max_num_epochs x batches per epoch), got {steps}")
    flows: dict[int, list[float]] = {}
    if 0 in steps:
        flows[0] = initial_gradient_flow(config, task, seed, examples)
    later = [step for step in steps if step > 0]
    if later:
        done = threading.Event()

        class Recorder:
            def on_batch_end(self, history):
                if history.steps in later and history.steps not in flows:
                    flows[history.steps] = gradient_flow(history.model, task, examples)
                    if history.steps == later[-1]:
                        done.set()

        train(config, task=task, seed=seed, callbacks=[Recorder()], stop_event=done, device="cpu")
    return flows


def gradient_flows(histories, examples: int = 64) -> list[tuple[str, dict[int, list[float]]]]:
    """:func:`gradient_flow` of finished runs (``train`` or ``compare`` Histories, which hold
    their trained model): at initialisation (the weights the run started from, rebuilt from
    its config and seed) and at its end.

    :return: ``[(label, {0: flow at initialisation, steps: flow after the run}), ...]``
    """
    flows = []
    for history in histories:
        task = resolve_task(history.task, history.task_options)
        measured = {0: initial_gradient_flow(history.config, task, history.seed, examples)}
        if history.model is not None and history.steps:
            with training_threads(CPU):
                measured[history.steps] = gradient_flow(history.model, task, examples)
        flows.append((history.label, measured))
    return flows


def gradient_flow_compare(name: str, param: str, values, seed: int = 0,
                          fast: bool | None = None,
                          examples: int = 64) -> list[tuple[str, dict[int, list[float]]]]:
    """Train preset ``name`` once per value of ``param`` (``compare``: side by side on the
    worker processes) and return :func:`gradient_flows` of the runs, labelled
    ``"param=value"``, in the order of ``values``.

    Why not :func:`gradient_flow_during`: that trains one run after another in this process;
    here the runs share the cores, so a lesson cell waits about as long as one ``Compare``.
    """
    chosen = preset(name, fast=fast)
    histories = compare(chosen.config, vary={param: list(values)}, task=chosen.task,
                        seed=seed, task_options=chosen.task_options)
    return gradient_flows(histories, examples)


def gradient_flow_figure(flows: list[tuple[str, dict[int, list[float]]]], *,
                         theme: str = "notebook", language: str | None = None):
    """One panel per moment measured (at initialisation, after the run), each with one line
    per run (``panels.draw_gradient_flow``), drawn on an Agg figure and returned as an
    ``IPython.display.Image`` (no pyplot, as everywhere in the library)."""
    from IPython.display import Image
    from matplotlib.figure import Figure

    from .i18n import t
    from .panels import RUN_COLORS, draw_gradient_flow, look_for
    from .plots import to_png

    look = look_for(theme, language)
    steps = sorted({step for _, measured in flows for step in measured})
    colors = {label: RUN_COLORS[i % len(RUN_COLORS)] for i, (label, _) in enumerate(flows)}
    figure = Figure(figsize=(look.theme.width, look.theme.height * 1.15), dpi=look.theme.dpi,
                    layout="constrained")
    axes = []
    for i, step in enumerate(steps):
        ax = figure.add_subplot(1, len(steps), i + 1)
        axes.append(ax)
        title = t("gradient_flow_at_init", look.language) if step == 0 else \
            t("gradient_flow_after", look.language, steps=step)
        draw_gradient_flow(ax, {label: measured[step] for label, measured in flows
                                if step in measured},
                           title=title, colors=colors, theme=look, language=look.language)
    if axes:   # one y scale for every moment, so a line's drop reads the same in each panel
        low = min(ax.get_ylim()[0] for ax in axes)
        high = max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(low, high)
    return Image(to_png(figure, dpi=look.theme.dpi))


def clip_suggestion(history, percentile: float = 90.0) -> float:
    """A ``clip_gradient`` for this setting: the ``percentile``-th percentile of the gradient
    norms the run recorded before clipping (``history.grad_norm``).

    Why the 90th: the Deep Learning Tuning Playbook (Godbole et al. 2023) suggests clipping
    near the 90th percentile of the norms seen in a run, so the usual steps pass untouched and
    only the rare large ones are cut.  Read it from a run trained *without* clipping (or with a
    threshold far above its norms): a clipped run's norms are measured before clipping too,
    but its path, and so its norms, already depend on the threshold.  (The playbook adds that a
    run clipped on most steps has too high a rate; with Adam that did not show here, lesson 08:
    a stalling rate's norms were no larger than a good one's.)
    """
    norms = [norm for norm in history.grad_norm if math.isfinite(norm)]
    if not norms:
        raise ValueError(t("clip_suggestion_no_norms"))
    return float(np.percentile(norms, percentile))
