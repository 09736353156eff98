"""Attention: how the decoder looks back at every source position (``rnn_attention_type``).

Lessons: 08 (attention on/off, heatmaps of the weights).

Each scorer turns a decoder state (the *query*) and the encoder states (the *keys*, which are
also the values here) into one score per source position; a softmax over the real, unpadded
positions makes the weights, and their weighted sum of encoder states is the context.

- ``dot``: Luong et al. 2015, "Effective Approaches to Attention-based NMT", section 3.1, dot.
- ``bilinear``: the same paper's "general" score, query . W . key.
- ``mlp``: Bahdanau et al. 2015, "Neural Machine Translation by Jointly Learning to Align and
  Translate", appendix A.1.2: v . tanh(W_q query + W_k key).
- ``fixed``: uniform weights over the source, no learning: the baseline that shows what
  content-based attention adds.
"""
from __future__ import annotations

import torch
from torch import nn


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

    def forward(self, query: torch.Tensor, keys: torch.Tensor, source_mask: torch.Tensor):
        """
        :param query: batch x target_time x hidden, decoder states
        :param keys: batch x source_time x hidden, encoder states
        :param source_mask: batch x source_time, True at real (unpadded) positions
        :return: context (batch x target_time x hidden), weights (batch x target_time x source_time)
        """
        if self.attention_type == "dot":
            scores = query @ keys.transpose(1, 2)                    # batch x tgt x src
        elif self.attention_type == "bilinear":
            scores = self.weight(query) @ keys.transpose(1, 2)       # batch x tgt x src
        elif self.attention_type == "mlp":
            # batch x tgt x 1 x hidden + batch x 1 x src x hidden -> batch x tgt x src x hidden
            hidden = torch.tanh(self.query_layer(query).unsqueeze(2) + self.key_layer(keys).unsqueeze(1))
            scores = self.energy(hidden).squeeze(-1)                 # batch x tgt x src
        else:  # fixed: every real position counts the same
            scores = query.new_zeros(query.shape[0], query.shape[1], keys.shape[1])
        # Padding must get no weight, or short sentences would attend to nothing.
        scores = scores.masked_fill(~source_mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)                      # batch x tgt x src
        context = weights @ keys                                     # batch x tgt x hidden
        return context, weights
