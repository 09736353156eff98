"""Scoring a model on a split: ``evaluate(model, task, config) -> {"val_loss": ...}``, and the
attention of one fixed probe example (``attention_probe``).

Lessons: all (every validation point is made here); 08 (the attention heatmap).

nanoGPT's ``estimate_loss`` in spirit: the model in eval mode, no gradients, the whole split,
so the validation curve is comparable from point to point.  The loss is teacher-forced, the
same quantity as the training loss; accuracy and exact match come from greedy decoding, what
the model really writes when nobody hands it the previous answer.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import Seq2SeqConfig
from .data import EOS_ID, PAD_ID, Task
from .models import Seq2Seq, select_rows, sequence_loss

EVAL_BATCH_SIZE = 500  # validation is scored in big batches: no gradients, so memory is cheap


@torch.no_grad()
def evaluate(model: Seq2Seq, task: Task, config: Seq2SeqConfig, split: str = "validation",
             device: torch.device | str | None = None) -> dict[str, float]:
    """Loss, token accuracy and exact match over the *whole* split (token-weighted), on
    ``device`` (default: where the model's weights are, so a model trained on a GPU is scored
    there).

    The loss is teacher-forced, the same quantity as the training loss, so the two curves are
    comparable; accuracy and exact match come from greedy decoding, what the model really
    outputs when nobody gives it the previous answer.
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss_sum, tokens, correct, exact, sequences = 0.0, 0, 0, 0, 0
    hypotheses, references = [], []
    for batch in task.batches(split, EVAL_BATCH_SIZE, max_source_len=config.max_seq_len_source,
                              max_target_len=config.max_seq_len_target + 1):
        batch = batch.to(device)
        # One encoder pass serves both: the decoder never changes the states it is given.
        encoded = model.encode(batch.source, batch.source_lengths)
        logits, _ = model(batch.source, batch.source_lengths, batch.target_in, encoded)
        loss_sum += float(sequence_loss(logits, batch.target_out, reduction="sum"))
        real = batch.target_out != PAD_ID
        # Greedy decoding, for the sequences that need it: where teacher forcing's guess is
        # right at every position, greedy decoding writes exactly the target (see
        # :func:`decode_only`), so only the others are decoded: late in a run, few.
        predicted = batch.target_out.clone()
        wrong = decode_only(logits, batch.target_out).nonzero().squeeze(1)
        if len(wrong):
            decoded, _ = model.greedy_decode(batch.source[wrong], batch.source_lengths[wrong],
                                             batch.target_out.shape[1], select_rows(encoded, wrong))
            predicted[wrong] = as_predictions(decoded, batch.target_out.shape[1])
        hits = (predicted == batch.target_out) & real
        tokens += int(real.sum())
        correct += int(hits.sum())
        exact += int((hits | ~real).all(1).sum())
        sequences += batch.source.shape[0]
        if config.optimized_metric == "bleu":
            hypotheses += [task.target_vocab.decode(row) for row in predicted.tolist()]
            references += [task.target_vocab.decode(row) for row in batch.target_out.tolist()]
    if was_training:
        model.train()
    scores = {"val_loss": loss_sum / tokens, "val_accuracy": correct / tokens,
              "val_exact": exact / sequences}
    if config.optimized_metric == "bleu":
        scores["val_bleu"] = corpus_bleu(hypotheses, references)
    return scores


def decode_only(logits: torch.Tensor, target_out: torch.Tensor) -> torch.Tensor:
    """Which sequences need greedy decoding: those whose greedy output the teacher-forced
    pass does not already give.

    Where the teacher-forced argmax equals the target at every real position, greedy decoding
    writes the target exactly: its first step sees what teacher forcing saw (BOS, the same
    encoder state), so it writes the first target token, and then its next step again sees
    what teacher forcing saw, and so on through EOS.  (Equal up to float rounding: the two
    passes multiply in different shapes, so a token whose two best scores tie to the last
    bit could go either way.)  Validation decodes only the other sequences since 2026-11-24:
    as a run learns, most are right; for the default run's trained model an evaluation takes
    24 ms instead of 40 (2 threads).

    :param logits: ... x T x V, teacher-forced; ``target_out``: ... x T
    :return: True where a sequence needs decoding (batch)
    """
    return ((logits.argmax(-1) != target_out) & (target_out != PAD_ID)).any(-1)


def as_predictions(decoded: torch.Tensor, target_time: int) -> torch.Tensor:
    """Greedy output as comparable predictions: PAD after the first EOS, cut or padded with
    PAD to ``target_time`` columns."""
    decoded = _after_eos_to_pad(decoded)[..., :target_time]
    return nn.functional.pad(decoded, (0, target_time - decoded.shape[-1]), value=PAD_ID)


def _after_eos_to_pad(tokens: torch.Tensor) -> torch.Tensor:
    """Everything after a sequence's first EOS becomes PAD (the model stopped there)."""
    after = (tokens == EOS_ID).long().cumsum(-1) - (tokens == EOS_ID).long() > 0
    return tokens.masked_fill(after, PAD_ID)


def corpus_bleu(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """Corpus BLEU (0-100) over token lists, computed by sacrebleu as everyone reports it."""
    import sacrebleu  # imported here: only runs with optimized_metric = bleu need it
    result = sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses],
                                   [[" ".join(r) for r in references]], tokenize="none")
    return float(result.score)


# What ``weight_probe`` keeps: a few single weights followed by name, and a histogram of every
# parameter over fixed bins (fixed, so the start and any later evaluation are comparable).
TRACKED_WEIGHTS = 5
WEIGHT_RANGE = 1.0     # weights beyond +-1 land in the outer bins (rare in these models)
WEIGHT_BINS = 50


@torch.no_grad()
def weight_probe(model: Seq2Seq) -> dict:
    """What training changes, in a form a figure can show as it changes: ``names`` and
    ``values`` of ``TRACKED_WEIGHTS`` single weights (one each from matrices spread over the
    model, from the embeddings to the output layer), and ``counts`` of all parameters in
    ``WEIGHT_BINS`` bins over +-``WEIGHT_RANGE``.  Lesson 00: parameters move, the config
    that built them does not."""
    matrices = [(name, p) for name, p in model.named_parameters() if p.dim() >= 2]
    picks = sorted({round(i * (len(matrices) - 1) / max(1, TRACKED_WEIGHTS - 1))
                    for i in range(TRACKED_WEIGHTS)})
    names, values = [], []
    for i in picks:
        name, matrix = matrices[i]
        flat = matrix.detach().flatten()
        index = flat.numel() // 3   # a fixed, arbitrary element: the same at every evaluation
        names.append(f"{name}[{index}]")
        values.append(round(float(flat[index]), 5))
    every = torch.cat([p.detach().flatten().float().cpu() for p in model.parameters()])
    counts = torch.histc(every.clamp(-WEIGHT_RANGE, WEIGHT_RANGE), bins=WEIGHT_BINS,
                         min=-WEIGHT_RANGE, max=WEIGHT_RANGE)
    return {"names": names, "values": values, "counts": [int(c) for c in counts],
            "range": WEIGHT_RANGE}


@torch.no_grad()
def attention_probe(model: Seq2Seq, task: Task, config: Seq2SeqConfig,
                    device: torch.device | str = "cpu") -> dict | None:
    """Where the decoder looked while writing one fixed example: the first validation pair.

    Greedy decoding, as ``evaluate`` scores it: each row of ``weights`` is one output token the
    model wrote, each column one source token, so a heatmap reads "to write this, it looked
    there".  The same example at every evaluation, so a learner sees the pattern form as the
    run learns.  None for a model without attention.

    :return: ``{"source": [tokens], "output": [tokens], "weights": [[float]]}``, weights
        len(output) x len(source), each row summing to 1
    """
    if model.decoder.attention is None:
        return None
    split = task.splits["validation"]
    length = min(int(split.source_lengths[0]), config.max_seq_len_source)
    source = split.source[:1, :length].to(device)                      # 1 x src
    lengths = torch.tensor([length], device=device)
    was_training = model.training
    model.eval()
    tokens, weights = model.greedy_decode(source, lengths, config.max_seq_len_target + 1)
    if was_training:
        model.train()
    ids = tokens[0].tolist()
    written = ids.index(EOS_ID) + 1 if EOS_ID in ids else len(ids)     # up to its EOS
    # Every written id as its token (EOS, even PAD, if the model wrote them): one label a row.
    return {"source": [task.source_vocab.tokens[i] for i in source[0].tolist()],
            "output": [task.target_vocab.tokens[i] for i in ids[:written]],
            "weights": [[round(float(w), 4) for w in row] for row in weights[0, :written]]}
