"""Attention: how the decoder looks back at every source position (``rnn_attention_type``).

Lessons: 08 (attention on/off, heatmaps of the weights).

Each scorer turns a decoder state (the *query*) and the encoder states (the *keys*, which are
also the values here) into one score per source position; a softmax over the real, unpadded
positions makes the weights, and their weighted sum of encoder states is the context.

- ``dot``: Luong et al. 2015, "Effective Approaches to Attention-based NMT", section 3.1, dot.
- ``bilinear``: the same paper's "general" score, query . W . key.
- ``mlp``: Bahdanau et al. 2015, "Neural Machine Translation by Jointly Learning to Align and
  Translate", appendix A.1.2: v . tanh(W_q query + W_k key) (computed as :func:`mlp_scores`).
- ``fixed``: uniform weights over the source, no learning: the baseline that shows what
  content-based attention adds.
"""
from __future__ import annotations

import torch
from torch import nn


def mlp_scores(projected_query: torch.Tensor, projected_keys: torch.Tensor,
               energy_weight: torch.Tensor) -> torch.Tensor:
    """Bahdanau's ``v . tanh(W_q query + W_k key)`` for every (target, source) pair, up to a
    constant per query that the softmax ignores.

    tanh(a) = 2 sigmoid(2a) - 1, so v . tanh(q + k) = 2v . sigmoid(2q + 2k) - sum(v), and a
    constant added to all of one query's scores leaves its softmax weights unchanged (to float
    rounding, about 1e-7).  Why not plain tanh: the tanh runs over a batch x target x source x
    hidden tensor, the biggest of a training step, and torch's CPU tanh costs about 2.5x its
    sigmoid (2.1 vs 0.8 ns per number on our 2-core machines); ``compare`` pays it per member.

    :param projected_query: ... x target_time x hidden (W_q query)
    :param projected_keys: ... x source_time x hidden (W_k key + b)
    :param energy_weight: 1 x hidden (v)
    :return: scores, ... x target_time x source_time
    """
    # ... x tgt x 1 x hidden + ... x 1 x src x hidden -> ... x tgt x src x hidden; in place, as
    # the sum is not needed again (sigmoid's gradient needs only its output).
    hidden = ((projected_query * 2).unsqueeze(-2) + (projected_keys * 2).unsqueeze(-3)).sigmoid_()
    return (hidden @ (energy_weight.t() * 2)).squeeze(-1)


class Attention(nn.Module):
    """Scores, weights and context for one of the ``rnn_attention_type`` choices (not ``none``)."""

    def __init__(self, attention_type: str, num_hidden: int):
        super().__init__()
        self.attention_type = attention_type
        if attention_type == "bilinear":
            self.weight = nn.Linear(num_hidden, num_hidden, bias=False)
        elif attention_type == "mlp":
            self.query_layer = nn.Linear(num_hidden, num_hidden, bias=False)
            self.key_layer = nn.Linear(num_hidden, num_hidden)
            self.energy = nn.Linear(num_hidden, 1, bias=False)
        elif attention_type not in ("dot", "fixed"):
            raise ValueError(f"no attention of type {attention_type!r}")

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor | None:
        """The part of the scores that depends on the keys alone (``mlp``: W_k key + b).

        Greedy decoding calls the attention once per output token over the same keys; computing
        this once per sentence instead of at every step saves a batch x source x hidden x hidden
        product per token.
        """
        return self.key_layer(keys) if self.attention_type == "mlp" else None

    def forward(self, query: torch.Tensor, keys: torch.Tensor, source_mask: torch.Tensor,
                projected_keys: torch.Tensor | None = None):
        """
        :param query: batch x target_time x hidden, decoder states
        :param keys: batch x source_time x hidden, encoder states
        :param source_mask: batch x source_time, True at real (unpadded) positions
        :param projected_keys: :meth:`project_keys` of ``keys``, if already computed
        :return: context (batch x target_time x hidden), weights (batch x target_time x source_time)
        """
        if self.attention_type == "dot":
            scores = query @ keys.transpose(1, 2)                    # batch x tgt x src
        elif self.attention_type == "bilinear":
            scores = self.weight(query) @ keys.transpose(1, 2)       # batch x tgt x src
        elif self.attention_type == "mlp":
            if projected_keys is None:
                projected_keys = self.key_layer(keys)
            scores = mlp_scores(self.query_layer(query), projected_keys, self.energy.weight)
        else:  # fixed: every real position counts the same
            scores = query.new_zeros(query.shape[0], query.shape[1], keys.shape[1])
        # Padding must get no weight, or short sentences would attend to nothing.
        scores = scores.masked_fill(~source_mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)                      # batch x tgt x src
        context = weights @ keys                                     # batch x tgt x hidden
        return context, weights
