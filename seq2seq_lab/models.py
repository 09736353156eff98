"""The encoder-decoder: embeddings, stacked recurrent layers, optional attention, output layer.

Lessons: 00 (parameters vs hyperparameters: ``count_parameters``), 06 (units and layers),
07 (``rnn_cell_type``), 08 (attention, embeddings, initialisation).

Sutskever et al. 2014 ("Sequence to Sequence Learning with Neural Networks") read the source
into a state and write the target from it; Luong et al. 2015 add attention on the decoder's
top layer.  Training uses teacher forcing (the decoder reads the true previous token), so the
whole target goes through each layer in one call; evaluation decodes greedily, one token at a
time, feeding back its own predictions.  Every choice a widget offers is built here from the
config, nothing else: ``build_model(config, source_vocab_size, target_vocab_size)``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .attention import Attention
from .config import Seq2SeqConfig
from .data import BOS_ID, EOS_ID, PAD_ID, make_task
from .i18n import t

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def _layers(cell_type: str, input_size: int, num_hidden: int, num_layers: int) -> nn.ModuleList:
    # One module per layer (not num_layers=N) so that residual connections can add between them.
    return nn.ModuleList(CELLS[cell_type](input_size if i == 0 else num_hidden, num_hidden,
                                          batch_first=True) for i in range(num_layers))


class Encoder(nn.Module):
    """Embeds the source and runs it through ``num_layers_encoder`` recurrent layers."""

    def __init__(self, config: Seq2SeqConfig, vocab_size: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, config.num_embed_source, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(config.embed_dropout_source)
        self.layers = _layers(config.rnn_cell_type, config.num_embed_source, config.rnn_num_hidden,
                              config.num_layers_encoder)
        self.residual = config.rnn_residual_connections

    def forward(self, source: torch.Tensor, source_lengths: torch.Tensor):
        """
        :param source: batch x source_time token ids
        :param source_lengths: batch
        :return: outputs (batch x source_time x hidden; positions beyond a length are
            masked by the caller) and the top layer's output at each sequence's own last token
            (batch x hidden)
        """
        x = self.dropout(self.embedding(source))                     # batch x src x embed
        # Padding sits at the end and the RNN reads left to right, so every state before a
        # sequence's end is exactly what a packed run gives; only the final state must be
        # picked at each sequence's own last token.  (Packing cost ~20% of a step here.)
        for i, layer in enumerate(self.layers):
            output, _ = layer(x)                                      # batch x src x hidden
            x = output + x if self.residual and i > 0 else output    # SageMaker's first residual layer: 2
        last = (source_lengths - 1).clamp(min=0).to(x.device)
        final = x[torch.arange(x.shape[0], device=x.device), last]   # batch x hidden
        return x, final


class Decoder(nn.Module):
    """Writes the target from the encoder's states, one layer stack plus optional attention."""

    def __init__(self, config: Seq2SeqConfig, vocab_size: int):
        super().__init__()
        hidden = config.rnn_num_hidden
        self.cell_type, self.num_layers = config.rnn_cell_type, config.num_layers_decoder
        self.state_init, self.residual = config.rnn_decoder_state_init, config.rnn_residual_connections
        self.embedding = nn.Embedding(vocab_size, config.num_embed_target, padding_idx=PAD_ID)
        self.embed_dropout = nn.Dropout(config.embed_dropout_target)
        self.layers = _layers(config.rnn_cell_type, config.num_embed_target, hidden, self.num_layers)
        # "last"/"avg": a learned bridge (dense + tanh, as in Sockeye, which SageMaker runs)
        # maps one encoder vector to every decoder layer's initial state (and LSTM cell).
        states_per_layer = 2 if self.cell_type == "lstm" else 1
        self.bridge = (nn.Linear(hidden, hidden * self.num_layers * states_per_layer)
                       if self.state_init != "zero" else None)
        self.attention = (Attention(config.rnn_attention_type, hidden)
                          if config.rnn_attention_type != "none" else None)
        # Luong's attentional hidden state: tanh(W [context; state]).
        self.combine = nn.Linear(2 * hidden, hidden) if self.attention else None
        self.hidden_dropout = nn.Dropout(config.rnn_decoder_hidden_dropout)
        self.output = nn.Linear(hidden, vocab_size)

    def initial_state(self, encoder_outputs, encoder_final, source_mask) -> list:
        """One state per layer (a tuple (h, c) for LSTM), each 1 x batch x hidden."""
        batch, hidden = encoder_final.shape
        if self.bridge is None:
            zeros = encoder_final.new_zeros(1, batch, hidden)
            return [(zeros, zeros) if self.cell_type == "lstm" else zeros for _ in self.layers]
        if self.state_init == "avg":  # mean over real positions only
            mask = source_mask.unsqueeze(-1).to(encoder_outputs.dtype)
            summary = (encoder_outputs * mask).sum(1) / mask.sum(1)
        else:
            summary = encoder_final
        states = torch.tanh(self.bridge(summary)).view(batch, -1, hidden).transpose(0, 1)
        states = states.unsqueeze(1).contiguous()                   # n_states x 1 x batch x hidden
        if self.cell_type == "lstm":
            return [(states[2 * i], states[2 * i + 1]) for i in range(self.num_layers)]
        return [states[i] for i in range(self.num_layers)]

    def forward(self, target_in, state, encoder_outputs, source_mask, projected_keys=None):
        """
        :param target_in: batch x target_time token ids (BOS first)
        :param state: per-layer states from :meth:`initial_state` or a previous call
        :param projected_keys: ``attention.project_keys(encoder_outputs)``, if already computed
        :return: logits (batch x target_time x vocab), the new state, and attention weights
            (batch x target_time x source_time) or None
        """
        x = self.embed_dropout(self.embedding(target_in))            # batch x tgt x embed
        new_state = []
        for i, layer in enumerate(self.layers):
            output, layer_state = layer(x, state[i])                  # batch x tgt x hidden
            x = output + x if self.residual and i > 0 else output
            new_state.append(layer_state)
        weights = None
        if self.attention is not None:
            context, weights = self.attention(x, encoder_outputs, source_mask, projected_keys)
            x = torch.tanh(self.combine(torch.cat([context, x], dim=-1)))
        logits = self.output(self.hidden_dropout(x))                 # batch x tgt x vocab
        return logits, new_state, weights


class Seq2Seq(nn.Module):
    """Encoder + decoder.  ``forward`` is teacher-forced; ``greedy_decode`` predicts."""

    def __init__(self, config: Seq2SeqConfig, source_vocab_size: int, target_vocab_size: int):
        super().__init__()
        self.encoder = Encoder(config, source_vocab_size)
        self.decoder = Decoder(config, target_vocab_size)

    def encode(self, source, source_lengths):
        source_mask = source != PAD_ID                               # batch x src
        outputs, final = self.encoder(source, source_lengths)
        return outputs, self.decoder.initial_state(outputs, final, source_mask), source_mask

    def forward(self, source, source_lengths, target_in, encoded=None):
        """Logits (batch x target_time x vocab) and attention weights (or None).

        ``encoded``: what :meth:`encode` returned for this source, if already computed
        (``training.evaluate`` encodes once for both its passes)."""
        outputs, state, source_mask = encoded or self.encode(source, source_lengths)
        logits, _, weights = self.decoder(target_in, state, outputs, source_mask)
        return logits, weights

    @torch.no_grad()
    def greedy_decode(self, source, source_lengths, max_len: int, encoded=None):
        """Predict up to ``max_len`` tokens per sequence, each from the model's own last one.

        :param encoded: as for :meth:`forward`
        :return: tokens (batch x steps, EOS_ID ends each) and attention weights
            (batch x steps x source_time) or None
        """
        outputs, state, source_mask = encoded or self.encode(source, source_lengths)
        attention = self.decoder.attention
        projected_keys = attention.project_keys(outputs) if attention is not None else None
        token = source.new_full((source.shape[0], 1), BOS_ID)
        tokens, weights, finished = [], [], torch.zeros_like(token[:, 0], dtype=torch.bool)
        for _ in range(max_len):
            logits, state, step_weights = self.decoder(token, state, outputs, source_mask,
                                                       projected_keys)
            token = logits.argmax(-1)                                  # batch x 1
            tokens.append(token)
            if step_weights is not None:
                weights.append(step_weights)
            finished |= token[:, 0] == EOS_ID
            if bool(finished.all()):
                break
        return torch.cat(tokens, 1), (torch.cat(weights, 1) if weights else None)


def map_states(state: list, function) -> list:
    """``function`` applied to every decoder state tensor (both h and c of an LSTM layer)."""
    return [tuple(function(x) for x in layer) if isinstance(layer, tuple) else function(layer)
            for layer in state]


def select_rows(encoded, rows: torch.Tensor):
    """:meth:`Seq2Seq.encode`'s result for some of the batch's sequences only (``rows``)."""
    outputs, state, source_mask = encoded
    # decoder states are 1 x batch x hidden
    return outputs[rows], map_states(state, lambda tensor: tensor[:, rows]), source_mask[rows]


def initialise(model: nn.Module, config: Seq2SeqConfig) -> None:
    """Set every weight matrix per ``weight_init_type`` and ``weight_init_scale``; biases to 0.

    ``xavier`` follows MXNet's Xavier(magnitude=weight_init_scale, factor "avg"), which
    SageMaker uses: uniform in +-sqrt(scale / ((fan_in + fan_out) / 2)); the classic Glorot
    bound is scale 3.  ``uniform`` draws from +-weight_init_scale, so 2.34 there is huge:
    lesson 08 shows what that does.  ``lstm_forget_bias`` then sets the LSTM forget gates'
    bias (lesson 07).
    """
    for name, parameter in model.named_parameters():
        if parameter.dim() < 2:
            nn.init.zeros_(parameter)
            continue
        if config.weight_init_type == "xavier":
            fan_out, fan_in = parameter.shape[0], parameter.shape[1]
            bound = math.sqrt(config.weight_init_scale / ((fan_in + fan_out) / 2))
        else:
            bound = config.weight_init_scale
        nn.init.uniform_(parameter, -bound, bound)
    if config.rnn_cell_type == "lstm" and config.lstm_forget_bias:
        # PyTorch orders an LSTM's gates i, f, g, o, and adds two bias vectors (bias_ih and
        # bias_hh); the whole value goes into the first, so the gate's bias is the config's.
        for module in model.modules():
            if isinstance(module, nn.LSTM):
                hidden = module.hidden_size
                for name, parameter in module.named_parameters():
                    if name.startswith("bias_ih"):
                        with torch.no_grad():
                            parameter[hidden:2 * hidden] = config.lstm_forget_bias


def build_model(config: Seq2SeqConfig, source_vocab_size: int, target_vocab_size: int) -> Seq2Seq:
    """The model the config describes, initialised (seed torch first for repeatable weights)."""
    model = Seq2Seq(config, source_vocab_size, target_vocab_size)
    initialise(model, config)
    return model


def sequence_loss(logits: torch.Tensor, target_out: torch.Tensor, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy per real target token, the loss the model is trained and validated on;
    padding is masked so that short targets are not rewarded for their padding.

    :param logits: batch x target_time x vocab; ``target_out``: batch x target_time
    """
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_out.reshape(-1),
                                       ignore_index=PAD_ID, label_smoothing=label_smoothing,
                                       reduction=reduction)


def count_parameters(model: nn.Module) -> int:
    """Learned numbers in the model: its parameters, as opposed to the config's hyperparameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class ParameterCounts(list):
    """Rows of :func:`parameter_counts`: value, parameters, and the factor over the row above;
    prints as text, shows as a table in a notebook."""

    def __str__(self) -> str:
        return "\n".join(f"{r['field']}={r['value']:>5}: {r['parameters']:>9,} {t('col_parameters')}"
                         + (f"  (x{r['factor']:.2f})" if r["factor"] else "") for r in self)

    def _repr_html_(self) -> str:
        def factor(row) -> str:
            return f"x{row['factor']:.2f}" if row["factor"] else ""
        rows = "".join(f"<tr><td><code>{r['field']}={r['value']}</code></td>"
                       f"<td>{r['parameters']:,}</td><td>{factor(r)}</td></tr>" for r in self)
        heads = "".join(f"<th>{t(key)}</th>" for key in ("col_setting", "col_parameters",
                                                          "col_factor"))
        return f"<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"


def parameter_counts(field: str, values, config=None, task: str = "reverse") -> ParameterCounts:
    """How many parameters the model has at each value of ``field`` (the rest as ``config``,
    default: the defaults), on ``task``'s vocabularies: one hyperparameter, thousands of
    learned numbers.  Lesson 00."""
    base = config if config is not None else Seq2SeqConfig()
    made = make_task(task)
    rows, before = ParameterCounts(), None
    for value in values:
        model = build_model(base.replace(**{field: value}), len(made.source_vocab),
                            len(made.target_vocab))
        count = count_parameters(model)
        rows.append(dict(field=field, value=value, parameters=count,
                         factor=count / before if before else None))
        before = count
    return rows
