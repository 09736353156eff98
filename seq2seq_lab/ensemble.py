"""Several models of one architecture trained as one batched model: what makes ``compare`` fast.

Lessons: none directly; ``compare.py`` (lessons 01, 02, 04, 05, 07) trains its groups here.

Eight learning rates of the same GRU are eight small models doing the same arithmetic on
different numbers.  Run one after another, each pays Python's and torch's overhead for every
time step; here the E members' weights are stacked (``torch.stack``, freshly at every forward,
so autograd hands each member the gradient of its own loss) and one ``torch.bmm`` does the
work of E small matrix products.  ``torch.func.vmap`` cannot do this for us: it has no
batching rule for ``aten::gru.input``, so the cells are written out (``stacked_layers.py``),
following PyTorch's own equations (``nn.GRU``: gates r, z, n; ``nn.LSTM``: i, f, g, o;
``nn.RNN``: tanh).

Each member stays a real ``Seq2Seq`` with its own ``training.Run``: its own optimizer,
schedule, clipping, divergence monitor, evaluations and early stopping, so its History is what
a lone ``train()`` gives, within float rounding.  A member that diverges, stops early or ends
leaves the stack; the others go on.  Shapes: E members, B batch, S source time, T target time,
H hidden, V vocabulary.
"""
from __future__ import annotations

import threading
import time
from typing import Iterable

import torch
from torch import nn

from .attention import mlp_scores
from .config import Seq2SeqConfig
from .data import BOS_ID, EOS_ID, PAD_ID, Batch, Task
from .history import History
from .models import Seq2Seq, map_states
from .stacked_layers import embed, linear, recurrent
from .training import (EVAL_BATCH_SIZE, Run, as_predictions, decode_only, evaluate,
                       resolve_device)


class Ensemble:
    """The forward pass of E ``Seq2Seq`` members of one architecture, batched over members.

    Mirrors ``models.Encoder``/``Decoder``/``Attention`` line by line; the parameters are
    re-stacked from the members at each call, so the members stay the owners of their weights.
    """

    def __init__(self, members: list[Seq2Seq], config: Seq2SeqConfig,
                 parameters: list[dict[str, torch.Tensor]] | None = None):
        """``parameters``: each member's ``dict(named_parameters())``, if the caller keeps them
        (walking the modules for them at every step cost ~3% of a training step)."""
        self.members, self.config = members, config
        self.cell = config.rnn_cell_type
        self.parameters = parameters or [dict(member.named_parameters()) for member in members]

    def stacked(self) -> dict[str, torch.Tensor]:
        named = self.parameters
        return {name: torch.stack([params[name] for params in named]) for name in named[0]}

    def encode(self, p: dict, source: torch.Tensor, source_lengths: torch.Tensor):
        """source, source_lengths: E x B x S, E x B -> outputs, decoder states, source mask."""
        config = self.config
        x = embed(p["encoder.embedding.weight"], source)                   # E x B x S x D
        for i in range(config.num_layers_encoder):
            zeros = x.new_zeros(x.shape[0], x.shape[1], config.rnn_num_hidden)
            state = (zeros, zeros) if self.cell == "lstm" else zeros
            output, _ = recurrent(self.cell, x, state, p, f"encoder.layers.{i}.")
            x = output + x if config.rnn_residual_connections and i > 0 else output
        source_mask = source != PAD_ID                                      # E x B x S
        last = (source_lengths - 1).clamp(min=0)                            # E x B
        final = x.gather(2, last[..., None, None].expand(-1, -1, 1, x.shape[-1])).squeeze(2)
        return x, self._initial_state(p, x, final, source_mask), source_mask

    def _initial_state(self, p, outputs, final, source_mask) -> list:
        config, hidden = self.config, self.config.rnn_num_hidden
        layers = config.num_layers_decoder
        if config.rnn_decoder_state_init == "zero":
            zeros = final.new_zeros(final.shape)
            return [(zeros, zeros) if self.cell == "lstm" else zeros for _ in range(layers)]
        if config.rnn_decoder_state_init == "avg":
            mask = source_mask.unsqueeze(-1).to(outputs.dtype)               # E x B x S x 1
            summary = (outputs * mask).sum(2) / mask.sum(2)
        else:
            summary = final                                                  # E x B x H
        states = torch.tanh(linear(summary, p["decoder.bridge.weight"], p["decoder.bridge.bias"]))
        states = states.view(*summary.shape[:2], -1, hidden)                # E x B x n x H
        if self.cell == "lstm":
            return [(states[:, :, 2 * i], states[:, :, 2 * i + 1]) for i in range(layers)]
        return [states[:, :, i] for i in range(layers)]

    def decode(self, p: dict, target_in, state, encoder_outputs, source_mask, projected_keys=None):
        """target_in: E x B x T -> logits (E x B x T x V) and the new states."""
        config = self.config
        x = embed(p["decoder.embedding.weight"], target_in)                # E x B x T x D
        new_state = []
        for i in range(config.num_layers_decoder):
            output, layer_state = recurrent(self.cell, x, state[i], p, f"decoder.layers.{i}.")
            x = output + x if config.rnn_residual_connections and i > 0 else output
            new_state.append(layer_state)
        if config.rnn_attention_type != "none":
            context = self._attend(p, x, encoder_outputs, source_mask, projected_keys)  # E x B x T x H
            x = torch.tanh(linear(torch.cat([context, x], -1), p["decoder.combine.weight"],
                                   p["decoder.combine.bias"]))
        logits = linear(x, p["decoder.output.weight"], p["decoder.output.bias"])
        return logits, new_state

    def project_keys(self, p: dict, keys: torch.Tensor) -> torch.Tensor | None:
        """``Attention.project_keys`` for every member (``mlp``: W_k key + b, else None)."""
        if self.config.rnn_attention_type != "mlp":
            return None
        return linear(keys, p["decoder.attention.key_layer.weight"],
                       p["decoder.attention.key_layer.bias"])                 # E x B x S x H

    def _attend(self, p, query, keys, source_mask, projected_keys=None) -> torch.Tensor:
        """attention.Attention for every member: query E x B x T x H, keys E x B x S x H."""
        kind = self.config.rnn_attention_type
        members, batch, target_time, hidden = query.shape
        flat_keys = keys.reshape(members * batch, keys.shape[2], hidden)    # EB x S x H
        if kind == "dot":
            scores = query.reshape(members * batch, target_time, hidden) @ flat_keys.transpose(1, 2)
        elif kind == "bilinear":
            projected = linear(query, p["decoder.attention.weight.weight"], None)
            scores = projected.reshape(members * batch, target_time, hidden) @ flat_keys.transpose(1, 2)
        elif kind == "mlp":
            q = linear(query, p["decoder.attention.query_layer.weight"], None)      # E x B x T x H
            k = projected_keys if projected_keys is not None else self.project_keys(p, keys)
            energy = p["decoder.attention.energy.weight"]                            # E x 1 x H
            # One member at a time, not one E x B x T x S x H tensor: that tensor is the
            # biggest of the step and, for 8 members, overflows the CPU caches, so every pass
            # over it (add, squash, energy, and their gradients) went to memory; the loop took
            # half the time.
            scores = torch.stack([mlp_scores(qe, ke, ve)                             # B x T x S
                                  for qe, ke, ve in zip(q.unbind(0), k.unbind(0), energy.unbind(0))])
        else:  # fixed
            scores = query.new_zeros(members, batch, target_time, keys.shape[2])
        scores = scores.reshape(members, batch, target_time, -1)                      # E x B x T x S
        scores = scores.masked_fill(~source_mask.unsqueeze(2), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = weights.reshape(members * batch, target_time, -1) @ flat_keys       # EB x T x H
        return context.view(members, batch, target_time, hidden)

    def encode_source(self, source, source_lengths) -> tuple:
        """The stacked parameters and the encoding: (p, outputs, decoder states, source mask)."""
        p = self.stacked()
        return (p, *self.encode(p, source, source_lengths))

    def forward(self, source, source_lengths, target_in, encoded=None) -> torch.Tensor:
        """Teacher-forced logits, E x B x T x V (``encoded``: :meth:`encode_source`'s, if
        already computed, as for ``Seq2Seq.forward``)."""
        p, outputs, state, source_mask = encoded or self.encode_source(source, source_lengths)
        logits, _ = self.decode(p, target_in, state, outputs, source_mask)
        return logits

    @torch.no_grad()
    def greedy_decode(self, source, source_lengths, max_len: int, encoded=None) -> torch.Tensor:
        """``Seq2Seq.greedy_decode`` for every member: E x B x steps token ids."""
        p, outputs, state, source_mask = encoded or self.encode_source(source, source_lengths)
        projected_keys = self.project_keys(p, outputs)  # once per sentence, not per token
        token = source.new_full((*source.shape[:2], 1), BOS_ID)              # E x B x 1
        tokens, finished = [], torch.zeros_like(token[..., 0], dtype=torch.bool)
        for _ in range(max_len):
            logits, state = self.decode(p, token, state, outputs, source_mask, projected_keys)
            token = logits.argmax(-1)                                         # E x B x 1
            tokens.append(token)
            finished |= token[..., 0] == EOS_ID
            if bool(finished.all()):
                break
        return torch.cat(tokens, 2)


@torch.no_grad()
def evaluate_together(members: list[Seq2Seq], task: Task, config: Seq2SeqConfig,
                      device: torch.device) -> list[dict[str, float]]:
    """``training.evaluate`` for several members of one architecture in one batched pass
    (``config`` gives the shared architecture and length limits)."""
    for member in members:
        member.eval()
    ensemble, count = Ensemble(members, config), len(members)
    loss_sum, correct, exact = torch.zeros(count), torch.zeros(count), torch.zeros(count)
    tokens, sequences = 0, 0
    for batch in task.batches("validation", EVAL_BATCH_SIZE, max_source_len=config.max_seq_len_source,
                              max_target_len=config.max_seq_len_target + 1):
        batch = batch.to(device)
        source, lengths, target_in, target_out = (x.unsqueeze(0).expand(count, *x.shape) for x in
                                                  (batch.source, batch.source_lengths,
                                                   batch.target_in, batch.target_out))
        encoded = ensemble.encode_source(source, lengths)  # once for both passes, as evaluate()
        logits = ensemble.forward(source, lengths, target_in, encoded)      # E x B x T x V
        per_token = nn.functional.cross_entropy(logits.flatten(0, 2), target_out.flatten(),
                                                ignore_index=PAD_ID, reduction="none")
        loss_sum += per_token.view(count, -1).sum(1).cpu()
        # As evaluate(): greedy decoding only where teacher forcing was wrong somewhere.
        predicted = target_out.clone()
        wrong = decode_only(logits, target_out)                              # E x B
        most = int(wrong.sum(1).max())
        if most:
            # Each member decodes its own wrong rows; a member with fewer repeats one of them
            # (decoded and written twice, to the same effect) to fill the E x most batch.
            rows = torch.stack([_fill(member.nonzero().squeeze(1), most) for member in wrong])
            each = torch.arange(count, device=rows.device).unsqueeze(1)        # E x 1
            p, outputs, state, source_mask = encoded
            chosen = (p, outputs[each, rows], map_states(state, lambda x: x[each, rows]),
                      source_mask[each, rows])
            decoded = ensemble.greedy_decode(source[each, rows], lengths[each, rows],
                                             target_out.shape[2], chosen)
            predicted[each, rows] = as_predictions(decoded, target_out.shape[2])
        real = target_out != PAD_ID
        hits = (predicted == target_out) & real
        tokens += int(real[0].sum())
        correct += hits.flatten(1).sum(1).cpu()
        exact += (hits | ~real).all(2).sum(1).cpu()
        sequences += source.shape[1]
    for member in members:
        member.train()
    return [{"val_loss": float(loss_sum[e]) / tokens, "val_accuracy": float(correct[e]) / tokens,
             "val_exact": float(exact[e]) / sequences} for e in range(count)]


def _fill(rows: torch.Tensor, size: int) -> torch.Tensor:
    """``rows`` repeated at its first entry up to ``size`` (row 0 if it is empty)."""
    rows = rows if len(rows) else rows.new_zeros(1)
    return torch.cat([rows, rows[:1].expand(size - len(rows))])


def member_losses(logits: torch.Tensor, target_out: torch.Tensor,
                  label_smoothing: list[float]) -> torch.Tensor:
    """``training.sequence_loss`` of every member (E), one ``cross_entropy`` call per distinct
    ``label_smoothing`` rather than one per member (8 calls cost 8 times their overhead).

    :param logits: E x B x T x V; ``target_out``: E x B x T
    """
    def mean_loss(chosen, smoothing: float) -> torch.Tensor:
        target = target_out[chosen]
        per_token = nn.functional.cross_entropy(logits[chosen].flatten(0, 2), target.flatten(),
                                                ignore_index=PAD_ID, label_smoothing=smoothing,
                                                reduction="none")
        # the mean over each member's real tokens, what sequence_loss's "mean" gives alone
        return per_token.view(target.shape[0], -1).sum(1) / (target != PAD_ID).flatten(1).sum(1)

    groups: dict[float, list[int]] = {}
    for member, smoothing in enumerate(label_smoothing):
        groups.setdefault(smoothing, []).append(member)
    if len(groups) == 1:
        return mean_loss(slice(None), label_smoothing[0])
    losses = logits.new_empty(len(label_smoothing))
    for smoothing, members in groups.items():
        chosen = torch.tensor(members)
        losses[chosen] = mean_loss(chosen, smoothing)
    return losses


def clip_together(runs: list[Run]) -> None:
    """``clip_grad_norm_`` of each member to its own ``clip_gradient``, in a handful of calls
    for all members instead of ~6 per member: the norm of every gradient tensor at once, each
    member's total norm, then every gradient scaled by its member's factor.  The arithmetic is
    ``clip_grad_norm_``'s: factor = min(clip / (total + 1e-6), 1)."""
    clipping = [run for run in runs if run.config.clip_gradient > 0]
    if not clipping:
        return
    grads = [[p.grad for p in run.model.parameters() if p.grad is not None] for run in clipping]
    flat = [grad for member in grads for grad in member]
    counts = [len(member) for member in grads]
    norms = torch.stack(torch._foreach_norm(flat)).split(counts)            # per member
    totals = torch.stack([torch.linalg.vector_norm(member) for member in norms])
    limits = torch.tensor([run.config.clip_gradient for run in clipping], dtype=totals.dtype,
                          device=totals.device)
    factors = torch.clamp(limits / (totals + 1e-6), max=1.0)
    repeats = torch.tensor(counts, device=totals.device)
    torch._foreach_mul_(flat, list(factors.repeat_interleave(repeats).unbind()))


def _stack_batches(batches: list[Batch]) -> tuple[torch.Tensor, ...]:
    """E batches (each member's own order) -> E x B x ... tensors, padded to the longest."""
    source_time = max(b.source.shape[1] for b in batches)
    target_time = max(b.target_in.shape[1] for b in batches)

    def pad(x, time):
        return nn.functional.pad(x, (0, time - x.shape[1]), value=PAD_ID)
    return (torch.stack([pad(b.source, source_time) for b in batches]),
            torch.stack([b.source_lengths for b in batches]),
            torch.stack([pad(b.target_in, target_time) for b in batches]),
            torch.stack([pad(b.target_out, target_time) for b in batches]))


def train_together(configs: list[Seq2SeqConfig], task: Task, seeds: list[int],
                   callbacks: Iterable = (), stop_event: threading.Event | None = None,
                   device: str | torch.device | None = None,
                   labels: list[str] | None = None) -> list[History]:
    """Train settings that share an architecture (``compare.share_key``) as one batched model.

    The loop is ``training.train``'s, once for all members: each member's ``Run`` sets its
    rate, checks its loss, clips, steps, evaluates and decides to stop exactly as alone.
    """
    device = resolve_device(device)
    runs = make_runs(configs, task, seeds, callbacks, device, labels)
    train_runs(runs, task, stop_event)
    return [run.history for run in runs]


def make_runs(configs: list[Seq2SeqConfig], task: Task, seeds: list[int], callbacks: Iterable,
              device: torch.device, labels: list[str] | None = None) -> list[Run]:
    """One ``training.Run`` per member, each with the very weights a lone
    ``train(config, seed=seed)`` draws (the caller's random numbers are left alone)."""
    callbacks = list(callbacks)
    labels = labels or [None] * len(configs)
    runs = []
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        for config, seed, label in zip(configs, seeds, labels):
            torch.manual_seed(seed)
            runs.append(Run(config, task, seed, device, callbacks, label))
    return runs


def train_runs(runs: list[Run], task: Task, stop_event: threading.Event | None = None) -> None:
    """Train ``make_runs``' members (one architecture) together until each is done."""
    start = time.perf_counter()
    shape, device = runs[0].config, runs[0].device
    batch_streams = [run.batches() for run in runs]
    parameters = [dict(run.model.named_parameters()) for run in runs]
    active = list(range(len(runs)))
    for run in runs:
        run.model.train()
    while active:
        if stop_event is not None and stop_event.is_set():
            for i in active:
                runs[i].history.stopped_by_user = True
            break
        batches = [next(batch_streams[i], None) for i in active]
        if any(batch is None for batch in batches):  # epochs used up (done is normally set first)
            for i in active:
                runs[i].done = True
            break
        source, lengths, target_in, target_out = _stack_batches(batches)
        for i in active:
            runs[i].start_batch()
        logits = Ensemble([runs[i].model for i in active], shape,
                          [parameters[i] for i in active]).forward(source, lengths, target_in)
        losses = member_losses(logits, target_out, [runs[i].config.label_smoothing for i in active])
        values = losses.detach().tolist()
        kept = [k for k, i in enumerate(active) if runs[i].check_loss(values[k])]
        if kept:
            for k in kept:
                runs[active[k]].optimizer.zero_grad(set_to_none=True)
            # Each member's parameters reach only its own loss, so the sum's gradient for a
            # member is the gradient of that member's loss alone.
            losses[kept].sum().backward()
            clip_together([runs[active[k]] for k in kept])
        due = []
        for k in kept:
            run = runs[active[k]]
            run.finish_batch(evaluate_now=False, clipped=True)
            if run.evaluation_due():
                due.append(active[k])
        # BLEU needs each member's decoded text, so those members are scored one by one.
        alone = [i for i in due if runs[i].config.optimized_metric == "bleu"]
        together = [i for i in due if i not in alone]
        if together:
            scores = evaluate_together([runs[i].model for i in together], task, shape, device)
            for i, score in zip(together, scores):
                runs[i].record_evaluation(score)
        for i in alone:
            runs[i].record_evaluation(evaluate(runs[i].model, task, runs[i].config,
                                               "validation", device))
        for i in active:
            if runs[i].done:
                runs[i].finish(time.perf_counter() - start)
        active = [i for i in active if not runs[i].done]
    for i in active:  # stopped by the user
        runs[i].finish(time.perf_counter() - start)
