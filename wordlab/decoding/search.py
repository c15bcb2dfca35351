"""Greedy search and batched beam search over any :class:`~.protocol.StepModel`, with attention rows.

Both start from a model state and the first decoder input ``tokens`` (B, T): ``<bos>`` after
``model.start(src, lengths)`` for a translator (:func:`translate_batch`), or a prompt after
``state=None`` for a language model. A row that has produced ``eos_id`` is finished; greedy search
drops it from the batch (``reorder_state`` with the rows still going), so a batch costs what its
live rows cost.

Beam search keeps ``beam`` hypotheses per sentence for all sentences of a batch at once (rows
``b·K … b·K+K-1`` of every tensor belong to live sentence ``b``). The first step runs on the ``B``
sentences (their ``K`` beams are still identical; for a language model this reads the prompt),
then the state is expanded once with ``reorder_state(state, arange(B).repeat_interleave(K))``.
Each step takes each hypothesis's ``K`` best continuations, then the ``K`` best of those ``K·K``
per sentence (the global top ``K`` are always among them), and reorders the state by the rows
they extend. A finished hypothesis is carried unchanged (its only continuation is ``pad_id`` at
log-prob 0) and runs no model step: the state holds the unfinished beams only, so a sentence whose
last beam is still going costs one row, as in greedy search. Once all ``K`` beams of a sentence are
finished nothing can change for it any more, so it leaves the batch. Hypotheses are ranked by ``log P(y|x) / |y|^α`` (length normalisation,
``α = length_penalty``; ``|y|`` counts ``<eos>``; Wu et al. 2016, arXiv 1609.08144, use a
smoothed form of the same idea). With ``beam=1`` every step takes the arg-max, so it equals
greedy search.
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


def _scatter_steps(records: list[tuple[torch.Tensor, torch.Tensor]], B: int, fill: float | int) -> torch.Tensor:
    """Per-step ``(rows, values (n, …))`` records → one ``(B, steps, …)`` tensor; ``fill`` after a row left."""
    first = records[0][1]
    out = first.new_full((B, len(records)) + tuple(first.shape[1:]), fill)
    for t, (rows, values) in enumerate(records):
        out[rows, t] = values
    return out


@torch.no_grad()
def greedy_search(model: StepModel, state: State, tokens: torch.Tensor, *, eos_id: int, pad_id: int = 0,
                  max_len: int = 50, lengths: torch.Tensor | None = None) -> list[Hypothesis]:
    """Arg-max decoding of ``tokens`` (B, T) from ``state``, up to ``max_len`` new tokens per row.

    A row that produces ``eos_id`` leaves the batch (``reorder_state`` with the rows still going),
    so a batch costs what its live rows cost. ``lengths`` (B,), when given, trims each attention
    row to the real source length.
    """
    _check(1, max_len)
    dev = model_device(model)
    y = tokens.to(dev)
    B = y.size(0)
    live = torch.arange(B, device=dev)                            # original row of each row still decoding
    scores = torch.zeros(B, device=dev)
    toks, atts = [], []
    for _ in range(max_len):
        logits, state = model.step(y, state)                      # (b, V)
        w = step_attention(model, state)                          # (b, …, S) or None
        logp = F.log_softmax(logits.float(), dim=-1)              # (b, V)
        lp, nxt = logp.topk(1, dim=-1)                            # (b, 1)
        lp, nxt = lp[:, 0], nxt[:, 0]
        scores.index_add_(0, live, lp)
        toks.append((live, nxt))
        if w is not None:
            atts.append((live, w))
        done = nxt == eos_id
        if bool(done.all()):
            break
        if bool(done.any()):                                      # finished rows leave the batch
            keep = (~done).nonzero().squeeze(1)
            state = model.reorder_state(state, keep)
            live, nxt = live.index_select(0, keep), nxt.index_select(0, keep)
        y = nxt.unsqueeze(1)
    att = _scatter_steps(atts, B, 0.0) if atts else None          # (B, T, …, S)
    return _assemble(_scatter_steps(toks, B, pad_id), att, scores, eos_id, lengths)


@torch.no_grad()
def beam_search(model: StepModel, state: State, tokens: torch.Tensor, *, eos_id: int, pad_id: int = 0,
                beam: int = 5, max_len: int = 50, length_penalty: float = 1.0,
                lengths: torch.Tensor | None = None) -> list[Hypothesis]:
    """Batched beam search (see the module docstring); returns the best hypothesis per row of ``tokens``."""
    _check(beam, max_len)
    dev = model_device(model)
    tokens = tokens.to(dev)
    B, K = tokens.size(0), beam
    # The K beams of a sentence are identical until the first choice: the first step runs on B rows.
    logits, state = model.step(tokens, state)                     # (B, V)
    w = step_attention(model, state)                              # (B, …, S) or None
    expand = torch.arange(B, device=dev).repeat_interleave(K)   # (BK,) sentence of each beam row
    state = model.reorder_state(state, expand)
    logits = logits.index_select(0, expand)                       # (BK, V)
    w = None if w is None else w.index_select(0, expand)
    sent = torch.arange(B, device=dev)                            # (b,) original sentence of each live sentence
    scores = torch.full((B, K), float("-inf"), device=dev)
    scores[:, 0] = 0.0                                            # only beam 0 is live at the start
    scores = scores.view(-1)                                      # (bK,)
    finished = torch.zeros(B * K, dtype=torch.bool, device=dev)
    out_len = torch.zeros(B * K, device=dev)                      # tokens produced, <eos> included
    hist = torch.zeros(B * K, 0, dtype=torch.long, device=dev)    # (bK, t)
    att = None
    best_hist, best_att = [None] * B, [None] * B                  # per original sentence, when it is done
    best_score = torch.zeros(B, device=dev)
    act = torch.arange(B * K, device=dev)                         # (n,) beam rows the state holds: the unfinished

    def finalize(idx: torch.Tensor) -> None:
        """Record the best hypothesis of live sentences ``idx`` (rank ``log P / |y|^α``)."""
        rows = (idx.unsqueeze(1) * K + torch.arange(K, device=dev)).view(-1)                 # (nK,)
        norm = scores[rows] / out_len[rows].clamp(min=1).pow(length_penalty) if length_penalty else scores[rows]
        best = rows.view(-1, K).gather(1, norm.view(-1, K).argmax(1, keepdim=True)).squeeze(1)  # (n,)
        best_score[sent[idx]] = scores[best]
        for j, row in zip(sent[idx].tolist(), best.tolist()):
            best_hist[j] = hist[row]
            best_att[j] = None if att is None else att[row]

    for t in range(max_len):
        b = sent.numel()
        if t:
            logits, state = model.step(y, state)                  # (bK, V)
            w = step_attention(model, state)                      # (bK, …, S) or None
        logp = F.log_softmax(logits.float(), dim=-1)              # (n, V): unfinished beams only
        k2 = min(K, logp.size(-1))
        top_lp, top_tok = logp.topk(k2, dim=-1)                   # (n, k2) best continuations of each beam
        if act.numel() < b * K:  # a finished beam's only continuation is <pad> at log-prob 0 (it ran no step)
            full_lp = torch.full((b * K, k2), float("-inf"), device=dev)
            full_lp[:, 0] = 0.0
            full_tok = torch.full((b * K, k2), pad_id, dtype=torch.long, device=dev)
            full_lp[act], full_tok[act] = top_lp, top_tok
            top_lp, top_tok = full_lp, full_tok
            if w is not None:
                full_w = w.new_zeros((b * K,) + tuple(w.shape[1:]))  # attention after <eos> is never shown
                full_w[act] = w
                w = full_w
        cand = (scores.unsqueeze(1) + top_lp).view(b, K * k2)     # (b, K·k2)
        new_scores, flat = cand.topk(K, dim=-1)                   # (b, K)
        base = (torch.arange(b, device=dev) * K).unsqueeze(1)     # (b, 1)
        origin = (base + flat // k2).view(-1)                     # (bK,) row each new beam extends
        tok = top_tok.view(b, K * k2).gather(1, flat).view(-1)    # (bK,)
        was_finished = finished.index_select(0, origin)
        out_len = out_len.index_select(0, origin) + (~was_finished).float()
        finished = was_finished | (tok == eos_id)
        hist = torch.cat([hist.index_select(0, origin), tok.unsqueeze(1)], dim=1)
        if w is not None:
            step_att = w.index_select(0, origin).unsqueeze(1)                        # (bK, 1, …, S)
            att = step_att if att is None else torch.cat([att.index_select(0, origin), step_att], dim=1)
        scores = new_scores.view(-1)
        done = finished.view(b, K).all(1)                         # (b,) all K beams ended: nothing changes now
        if t + 1 == max_len or bool(done.all()):
            finalize(torch.arange(b, device=dev))
            break
        if bool(done.any()):                                      # done sentences leave the batch
            finalize(done.nonzero().squeeze(1))
            keep_s = (~done).nonzero().squeeze(1)                                    # (b',)
            keep = (keep_s.unsqueeze(1) * K + torch.arange(K, device=dev)).view(-1)  # (b'K,)
            origin, tok, finished, out_len, hist, scores = (x.index_select(0, keep) for x in
                                                            (origin, tok, finished, out_len, hist, scores))
            att = None if att is None else att.index_select(0, keep)
            sent = sent.index_select(0, keep_s)
        rank = torch.full((b * K,), -1, dtype=torch.long, device=dev)   # beam row -> its row in the state
        rank[act] = torch.arange(act.numel(), device=dev)
        act = (~finished).nonzero().squeeze(1)                    # an unfinished beam extends an unfinished one
        state = model.reorder_state(state, rank[origin.index_select(0, act)])
        y = tok.index_select(0, act).unsqueeze(1)
    T = max(h.numel() for h in best_hist)
    hist_all = torch.full((B, T), pad_id, dtype=torch.long, device=dev)
    att_all = None if best_att[0] is None else best_att[0].new_zeros((B, T) + tuple(best_att[0].shape[1:]))
    for j in range(B):
        hist_all[j, :best_hist[j].numel()] = best_hist[j]
        if att_all is not None:
            att_all[j, :best_att[j].size(0)] = best_att[j]
    return _assemble(hist_all, att_all, best_score, eos_id, lengths)


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
