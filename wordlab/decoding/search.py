"""Greedy search and batched beam search over any :class:`~.protocol.StepModel`, with attention rows.

Both start from a model state and the first decoder input ``tokens`` (B, T): ``<bos>`` after
``model.start(src, lengths)`` for a translator (:func:`translate_batch`), or a prompt after
``state=None`` for a language model. A row that has produced ``eos_id`` is finished: it is fed
``pad_id`` from then on and its score no longer changes.

Beam search keeps ``beam`` hypotheses per sentence for all sentences of a batch at once (rows
``b·K … b·K+K-1`` of every tensor belong to sentence ``b``; the state is expanded once with
``reorder_state(state, arange(B).repeat_interleave(K))``). Each step takes each hypothesis's ``K``
best continuations, then the ``K`` best of those ``K·K`` per sentence (the global top ``K`` are
always among them), and reorders the state by the rows they extend. A finished hypothesis is
carried unchanged (its only continuation is ``pad_id`` at log-prob 0). At the end hypotheses are
ranked by ``log P(y|x) / |y|^α`` (length normalisation, ``α = length_penalty``; ``|y|`` counts
``<eos>``; Wu et al. 2016, arXiv 1609.08144, use a smoothed form of the same idea). With
``beam=1`` every step takes the arg-max, so it equals greedy search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..limits import check_cap
from .protocol import Seq2SeqStepModel, State, StepModel, model_device, step_attention


@dataclass
class Hypothesis:
    """One output: token ids (without ``<bos>``/``<eos>``), its log-probability, attention rows."""

    tokens: list[int]
    score: float                      # log P(y | x), <eos> included when finished
    attention: np.ndarray | None      # (steps, [..., ] S): one row per produced token (<eos> included), or None
    finished: bool                    # ended with <eos> (else cut at max_len)


def _check(beam: int, max_len: int) -> None:
    if beam < 1:
        raise ConfigError(f"beam width must be >= 1, got {beam}")
    if max_len < 1:
        raise ConfigError(f"max_len must be >= 1, got {max_len}")
    check_cap("beam", beam)
    check_cap("max_len", max_len)


def _assemble(tokens: torch.Tensor, att: torch.Tensor | None, scores: torch.Tensor, eos: int,
              lengths: torch.Tensor | None) -> list[Hypothesis]:
    """(N, T) token history (+ (N, T, …, S) attention) → hypotheses cut at the first ``eos``.

    ``lengths`` (N,) trims the attention's source axis to each row's real source length.
    """
    out = []
    toks = tokens.cpu().numpy()
    atts = None if att is None else att.float().cpu().numpy()
    for i, row in enumerate(toks):
        stop = np.flatnonzero(row == eos)
        finished = stop.size > 0
        n = int(stop[0]) if finished else len(row)
        a = None
        if atts is not None:
            a = atts[i, :n + int(finished)]
            if lengths is not None:
                a = a[..., :int(lengths[i])]
        out.append(Hypothesis([int(t) for t in row[:n]], float(scores[i]), a, finished))
    return out


@torch.no_grad()
def greedy_search(model: StepModel, state: State, tokens: torch.Tensor, *, eos_id: int, pad_id: int = 0,
                  max_len: int = 50, lengths: torch.Tensor | None = None) -> list[Hypothesis]:
    """Arg-max decoding of ``tokens`` (B, T) from ``state``, up to ``max_len`` new tokens per row.

    ``lengths`` (B,), when given, trims each attention row to the real source length.
    """
    _check(1, max_len)
    dev = model_device(model)
    y = tokens.to(dev)
    B = y.size(0)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    scores = torch.zeros(B, device=dev)
    toks, atts = [], []
    for _ in range(max_len):
        logits, state = model.step(y, state)                      # (B, V)
        w = step_attention(model, state)                          # (B, …, S) or None
        logp = F.log_softmax(logits.float(), dim=-1)              # (B, V)
        lp, nxt = logp.topk(1, dim=-1)                            # (B, 1)
        lp, nxt = lp[:, 0], nxt[:, 0]
        scores += torch.where(done, torch.zeros_like(lp), lp)
        nxt = torch.where(done, torch.full_like(nxt, pad_id), nxt)
        toks.append(nxt)
        if w is not None:
            atts.append(w)
        done |= nxt == eos_id
        if bool(done.all()):
            break
        y = nxt.unsqueeze(1)
    att = torch.stack(atts, dim=1) if atts else None              # (B, T, …, S)
    return _assemble(torch.stack(toks, dim=1), att, scores, eos_id, lengths)


@torch.no_grad()
def beam_search(model: StepModel, state: State, tokens: torch.Tensor, *, eos_id: int, pad_id: int = 0,
                beam: int = 5, max_len: int = 50, length_penalty: float = 1.0,
                lengths: torch.Tensor | None = None) -> list[Hypothesis]:
    """Batched beam search (see the module docstring); returns the best hypothesis per row of ``tokens``."""
    _check(beam, max_len)
    dev = model_device(model)
    tokens = tokens.to(dev)
    B, K = tokens.size(0), beam
    expand = torch.arange(B, device=dev).repeat_interleave(K)   # (BK,) sentence of each beam row
    state = model.reorder_state(state, expand)
    y = tokens.index_select(0, expand)                            # (BK, T)
    scores = torch.full((B, K), float("-inf"), device=dev)
    scores[:, 0] = 0.0                                            # only beam 0 is live at the start
    scores = scores.view(-1)                                      # (BK,)
    finished = torch.zeros(B * K, dtype=torch.bool, device=dev)
    out_len = torch.zeros(B * K, device=dev)                      # tokens produced, <eos> included
    hist = torch.zeros(B * K, 0, dtype=torch.long, device=dev)    # (BK, t)
    att = None
    base = (torch.arange(B, device=dev) * K).unsqueeze(1)         # (B, 1)
    carry = None
    for _ in range(max_len):
        logits, state = model.step(y, state)                      # (BK, V)
        w = step_attention(model, state)                          # (BK, …, S) or None
        logp = F.log_softmax(logits.float(), dim=-1)              # (BK, V)
        V = logp.size(-1)
        if carry is None:
            carry = torch.full((V,), float("-inf"), device=dev)
            carry[pad_id] = 0.0
        logp = torch.where(finished.unsqueeze(1), carry, logp)
        k2 = min(K, V)
        top_lp, top_tok = logp.topk(k2, dim=-1)                   # (BK, k2) best continuations of each beam
        cand = (scores.unsqueeze(1) + top_lp).view(B, K * k2)     # (B, K·k2)
        new_scores, flat = cand.topk(K, dim=-1)                   # (B, K)
        origin = (base + flat // k2).view(-1)                     # (BK,) row each new beam extends
        tok = top_tok.view(B, K * k2).gather(1, flat).view(-1)    # (BK,)
        was_finished = finished.index_select(0, origin)
        out_len = out_len.index_select(0, origin) + (~was_finished).float()
        finished = was_finished | (tok == eos_id)
        hist = torch.cat([hist.index_select(0, origin), tok.unsqueeze(1)], dim=1)
        if w is not None:
            step_att = w.index_select(0, origin).unsqueeze(1)                        # (BK, 1, …, S)
            att = step_att if att is None else torch.cat([att.index_select(0, origin), step_att], dim=1)
        scores = new_scores.view(-1)
        if bool(finished.all()):
            break
        state = model.reorder_state(state, origin)
        y = tok.unsqueeze(1)
    norm = scores / out_len.clamp(min=1).pow(length_penalty) if length_penalty else scores
    best = norm.view(B, K).argmax(dim=1) + base.squeeze(1)        # (B,)
    return _assemble(hist.index_select(0, best), None if att is None else att.index_select(0, best),
                     scores.index_select(0, best), eos_id, lengths)


def search(model: StepModel, state: State, tokens: torch.Tensor, *, eos_id: int, pad_id: int = 0, beam: int = 1,
           max_len: int = 50, length_penalty: float = 1.0, lengths: torch.Tensor | None = None) -> list[Hypothesis]:
    """Greedy search for ``beam <= 1``, else beam search."""
    if beam <= 1:
        return greedy_search(model, state, tokens, eos_id=eos_id, pad_id=pad_id, max_len=max_len, lengths=lengths)
    return beam_search(model, state, tokens, eos_id=eos_id, pad_id=pad_id, beam=beam, max_len=max_len,
                       length_penalty=length_penalty, lengths=lengths)


@torch.no_grad()
def translate_batch(model: Seq2SeqStepModel, src: torch.Tensor, lengths: torch.Tensor, *, beam: int = 1,
                    max_len: int = 50, length_penalty: float = 1.0) -> list[Hypothesis]:
    """Encode a padded batch ``src`` (B, S) with real lengths ``lengths`` (B,) and decode it.

    Greedy for ``beam <= 1``, else beam search; attention rows are trimmed to each source length.
    """
    _check(max(beam, 1), max_len)
    dev = model_device(model)
    src = src.to(dev)
    state = model.start(src, lengths)
    bos = torch.full((src.size(0), 1), model.bos_id, dtype=torch.long, device=dev)
    return search(model, state, bos, eos_id=model.eos_id, pad_id=model.pad_id, beam=beam, max_len=max_len,
                  length_penalty=length_penalty, lengths=lengths)
