"""The layers of E stacked members, for ``ensemble.py``: linear, embedding and recurrent.

Lessons: none directly; this is the arithmetic under ``compare`` (lessons 01, 02, 04, 05, 07).

Each function does for E members at once what one ``nn`` layer does for one model, with the
members' weights stacked along a first axis so that one ``torch.bmm`` does E small matrix
products.  ``torch.func.vmap`` has no batching rule for ``aten::gru.input``, so the recurrent
cells are written out, following PyTorch's own equations (``nn.GRU``: gates r, z, n;
``nn.LSTM``: i, f, g, o; ``nn.RNN``: tanh).  Shapes: E members, B batch, T time.
"""
from __future__ import annotations

import torch

from .data import PAD_ID


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """E Linear layers at once: x (E x ... x in), weight (E x out x in), bias (E x out)."""
    flat = x.reshape(x.shape[0], -1, x.shape[-1])                    # E x N x in
    if bias is None:
        out = torch.bmm(flat, weight.transpose(1, 2))
    else:
        out = torch.baddbmm(bias.unsqueeze(1), flat, weight.transpose(1, 2))  # E x N x out
    return out.view(*x.shape[:-1], weight.shape[1])


def embed(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """E embeddings: weight (E x V x D), ids (E x ...) -> E x ... x D.

    ``nn.Embedding(padding_idx=PAD_ID)`` never updates the PAD row; detaching that row here
    keeps its gradient at zero too, so Adam's state and clipping norms match a lone model.
    """
    weight = torch.cat([weight[:, :PAD_ID + 1].detach(), weight[:, PAD_ID + 1:]], 1)
    members, vocab = weight.shape[0], weight.shape[1]
    offsets = torch.arange(members, device=ids.device).view(-1, *([1] * (ids.dim() - 1))) * vocab
    return weight.reshape(members * vocab, -1)[ids + offsets]


def recurrent(cell: str, x: torch.Tensor, state, p: dict, prefix: str):
    """One recurrent layer of every member over all time steps (PyTorch's equations).

    :param x: E x B x T x in
    :param state: E x B x H, or (h, c) for LSTM
    :param p: stacked parameters; ``prefix`` names the layer (``encoder.layers.0.``)
    :return: outputs (E x B x T x H) and the final state
    """
    # The input half of every gate for all time steps in one bmm; only h @ W_hh stays per step.
    inputs = linear(x, p[prefix + "weight_ih_l0"], p[prefix + "bias_ih_l0"])  # E x B x T x G*H
    weight_hh = p[prefix + "weight_hh_l0"].transpose(1, 2)                    # E x H x G*H
    bias_hh = p[prefix + "bias_hh_l0"].unsqueeze(1)                           # E x 1 x G*H
    # unbind/split, not indexing: the backward of ``inputs[:, :, t]`` or ``gates[..., :2H]``
    # builds a zero tensor of the full size for every step (a third of the time went there),
    # while unbind's and split's backward is one stack or cat.
    outputs = []
    if cell == "lstm":
        h, c = state
        for current in inputs.unbind(2):
            gates = torch.baddbmm(bias_hh, h, weight_hh) + current                # E x B x 4H
            i, f, g, o = gates.chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        final = (h, c)
    elif cell == "gru":
        h = state
        hidden = h.shape[-1]
        input_gates, input_new = inputs.split([2 * hidden, hidden], -1)
        for current_gates, current_new in zip(input_gates.unbind(2), input_new.unbind(2)):
            recurrent_gates, recurrent_new = torch.baddbmm(bias_hh, h, weight_hh).split(
                [2 * hidden, hidden], -1)                                          # E x B x 2H, H
            reset, update = torch.sigmoid(current_gates + recurrent_gates).chunk(2, -1)
            new = torch.tanh(current_new + reset * recurrent_new)
            h = torch.lerp(new, h, update)                    # (1 - z) * n + z * h
            outputs.append(h)
        final = h
    else:
        h = state
        for current in inputs.unbind(2):
            h = torch.tanh(torch.baddbmm(bias_hh, h, weight_hh) + current)
            outputs.append(h)
        final = h
    return torch.stack(outputs, 2), final                     # E x B x T x H
