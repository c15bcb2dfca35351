"""Decoding: greedy search and batched beam search, both returning attention weights.

Beam search keeps ``beam`` hypotheses per sentence for all sentences of a batch at once
(rows ``b·K … b·K+K-1`` of every tensor belong to sentence ``b``). Each step takes each
hypothesis's ``K`` best continuations, then the ``K`` best of those ``K·K`` per sentence
(the global top ``K`` are always among them). A hypothesis that has produced ``<eos>``
is finished: it is carried unchanged (its only continuation is ``<pad>`` at log-prob 0).
At the end hypotheses are ranked by ``log P(y|x) / |y|^α`` (length normalisation,
``α = length_penalty``; ``|y|`` counts ``<eos>``; Wu et al. 2016 use a smoothed form of the
same idea). With ``beam=1`` every step takes the arg-max, so it equals greedy search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from .model import Encoded, Seq2Seq, select_state


@dataclass
class Hypothesis:
    """One output: token ids (without ``<bos>``/``<eos>``), its log-probability, attention rows."""

    tokens: list[int]
    score: float                      # log P(y | x), <eos> included when finished
    attention: np.ndarray | None      # (steps, S) one row per produced token (<eos> included), None w/o attention
    finished: bool                    # ended with <eos> (else cut at max_len)


def _select_encoded(enc: Encoded, index: torch.Tensor) -> Encoded:
    pick = (lambda t: None if t is None else t.index_select(0, index))
    return Encoded(pick(enc.memory), pick(enc.mask), pick(enc.proj_keys), select_state(enc.state, index),
                   pick(enc.peek))


def _assemble(tokens: torch.Tensor, att: torch.Tensor | None, scores: torch.Tensor, src_len: torch.Tensor,
              eos: int) -> list[Hypothesis]:
    """(N, T) token history (+ (N, T, S) attention) → hypotheses cut at the first <eos>."""
    out = []
    toks = tokens.cpu().numpy()
    atts = None if att is None else att.float().cpu().numpy()
    for i, row in enumerate(toks):
        stop = np.flatnonzero(row == eos)
        finished = stop.size > 0
        n = int(stop[0]) if finished else len(row)
        a = None if atts is None else atts[i, :n + int(finished), :int(src_len[i])]
        out.append(Hypothesis([int(t) for t in row[:n]], float(scores[i]), a, finished))
    return out


@torch.no_grad()
def greedy_search(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, max_len: int = 50) -> list[Hypothesis]:
    """Arg-max decoding of a batch ``src`` (B, S) with real lengths ``lengths`` (B,)."""
    if max_len < 1:
        raise ConfigError(f"max_len must be >= 1, got {max_len}")
    cfg = model.cfg
    dev = next(model.parameters()).device
    src = src.to(dev)
    enc = model.encode(src, lengths)
    B = src.size(0)
    y = torch.full((B, 1), cfg.bos_id, dtype=torch.long, device=dev)
    state = enc.state
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    scores = torch.zeros(B, device=dev)
    toks, atts = [], []
    for _ in range(max_len):
        logits, state, w = model.decode(y, state, enc)            # (B, 1, V), (B, 1, S)
        logp = F.log_softmax(logits[:, 0].float(), dim=-1)        # (B, V)
        lp, nxt = logp.topk(1, dim=-1)                            # (B, 1)
        lp, nxt = lp[:, 0], nxt[:, 0]
        scores += torch.where(done, torch.zeros_like(lp), lp)
        nxt = torch.where(done, torch.full_like(nxt, cfg.pad_id), nxt)
        toks.append(nxt)
        if w is not None:
            atts.append(w[:, 0])
        done |= nxt == cfg.eos_id
        if bool(done.all()):
            break
        y = nxt.unsqueeze(1)
    att = torch.stack(atts, dim=1) if atts else None              # (B, T, S)
    return _assemble(torch.stack(toks, dim=1), att, scores, lengths, cfg.eos_id)


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, beam: int = 5, max_len: int = 50,
                length_penalty: float = 1.0) -> list[Hypothesis]:
    """Batched beam search (see the module docstring); returns the best hypothesis per sentence."""
    if beam < 1:
        raise ConfigError(f"beam width must be >= 1, got {beam}")
    if max_len < 1:
        raise ConfigError(f"max_len must be >= 1, got {max_len}")
    cfg = model.cfg
    dev = next(model.parameters()).device
    src = src.to(dev)
    B, K = src.size(0), beam
    enc = _select_encoded(model.encode(src, lengths), torch.arange(B, device=dev).repeat_interleave(K))
    state = enc.state
    scores = torch.full((B, K), float("-inf"), device=dev)
    scores[:, 0] = 0.0                                            # only beam 0 is live at the start
    scores = scores.view(-1)                                      # (BK,)
    finished = torch.zeros(B * K, dtype=torch.bool, device=dev)
    out_len = torch.zeros(B * K, device=dev)                      # tokens produced, <eos> included
    hist = torch.zeros(B * K, 0, dtype=torch.long, device=dev)    # (BK, t)
    att = None
    y = torch.full((B * K, 1), cfg.bos_id, dtype=torch.long, device=dev)
    base = (torch.arange(B, device=dev) * K).unsqueeze(1)         # (B, 1)
    for _ in range(max_len):
        logits, state, w = model.decode(y, state, enc)            # (BK, 1, V)
        logp = F.log_softmax(logits[:, 0].float(), dim=-1)        # (BK, V)
        V = logp.size(-1)
        carry = torch.full((V,), float("-inf"), device=dev)
        carry[cfg.pad_id] = 0.0
        logp = torch.where(finished.unsqueeze(1), carry, logp)
        k2 = min(K, V)
        top_lp, top_tok = logp.topk(k2, dim=-1)                   # (BK, k2) best continuations of each beam
        cand = (scores.unsqueeze(1) + top_lp).view(B, K * k2)     # (B, K·k2)
        new_scores, flat = cand.topk(K, dim=-1)                   # (B, K)
        origin = (base + flat // k2).view(-1)                     # (BK,) row each new beam extends
        tok = top_tok.view(B, K * k2).gather(1, flat).view(-1)    # (BK,)
        was_finished = finished.index_select(0, origin)
        out_len = out_len.index_select(0, origin) + (~was_finished).float()
        finished = was_finished | (tok == cfg.eos_id)
        hist = torch.cat([hist.index_select(0, origin), tok.unsqueeze(1)], dim=1)
        if w is not None:
            step_att = w[:, 0].index_select(0, origin).unsqueeze(1)                  # (BK, 1, S)
            att = step_att if att is None else torch.cat([att.index_select(0, origin), step_att], dim=1)
        state = select_state(state, origin)
        scores = new_scores.view(-1)
        if bool(finished.all()):
            break
        y = tok.unsqueeze(1)
    norm = scores / out_len.clamp(min=1).pow(length_penalty) if length_penalty else scores
    best = norm.view(B, K).argmax(dim=1) + base.squeeze(1)        # (B,)
    return _assemble(hist.index_select(0, best), None if att is None else att.index_select(0, best),
                     scores.index_select(0, best), lengths, cfg.eos_id)


def search(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, beam: int = 1, max_len: int = 50,
           length_penalty: float = 1.0) -> list[Hypothesis]:
    """Greedy search for ``beam <= 1``, else beam search."""
    if beam <= 1:
        return greedy_search(model, src, lengths, max_len)
    return beam_search(model, src, lengths, beam, max_len, length_penalty)
