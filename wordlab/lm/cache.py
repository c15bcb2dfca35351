"""The continuous cache: a language model's own recent hidden states as a pointer to words it just saw.

Grave, Joulin & Usunier 2017, "Improving Neural Language Models with a Continuous Cache" (ICLR,
arXiv 1612.04426). While scoring a text, the last ``size`` hidden states ``h_i`` (the vectors the
output layer reads) are kept with the token that followed each, ``x_{i+1}``. The next token's
probability mixes the model's softmax with a distribution over those tokens:

    p_cache(w | h_t) ∝ Σ_{i: x_{i+1} = w}  exp(θ · h_t · h_i)
    p(w)             = (1 − λ) · p_model(w) + λ · p_cache(w)

No parameter is trained: ``θ`` (the flatness of the cache distribution) and ``λ`` (its weight) are
picked on validation text (:func:`tune_cache`, a grid as in the paper). The cache is built from the
text being scored, so it only ever looks back (a token is never its own evidence), and it helps
where words repeat within a document: rare names and topic words. With ``λ = 0`` the figures are
exactly the model's own.

The scorer is fed, in text order, chunks ``(h, y, logp)`` from the model's evaluation protocol:
``h (S, T, D)`` hidden states of ``S`` independent streams, ``y (S, T)`` the next tokens and ``logp
(S, T)`` the model's log-probability of them (an RNN's batchified streams, or the Transformer's
sliding windows as one stream). Each stream has its own cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import torch

from ..errors import ConfigError

Chunk = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # h (S, T, D), y (S, T), logp (S, T)


@dataclass(frozen=True)
class CacheConfig:
    """The cache's three numbers: ``size`` remembered positions per stream, ``theta``, ``lam`` (see module)."""

    size: int = 2000
    theta: float = 0.3
    lam: float = 0.1

    def __post_init__(self) -> None:
        if not (isinstance(self.size, int) and self.size >= 1):
            raise ConfigError(f"--cache-size must be an integer >= 1, got {self.size!r}")
        if not (math.isfinite(self.theta) and self.theta > 0):
            raise ConfigError(f"--cache-theta must be a finite number > 0, got {self.theta!r}")
        if not (math.isfinite(self.lam) and 0 <= self.lam <= 1):
            raise ConfigError(f"--cache-lambda must be in [0, 1], got {self.lam!r}")


class ContinuousCache:
    """The running cache of one scoring pass; :meth:`nll` scores a chunk and remembers it."""

    def __init__(self, cfg: CacheConfig) -> None:
        self.cfg = cfg
        self.keys: torch.Tensor | None = None    # (S, M, D): the last M ≤ size hidden states of each stream
        self.values: torch.Tensor | None = None  # (S, M): the token that followed each

    @torch.no_grad()
    def log_pcache(self, h: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``log p_cache(y)`` ``(S, T)`` (−inf where ``y`` is not in the cache) and ``(T,)`` whether the cache
        was still empty at each position; the chunk then joins the cache."""
        cfg = self.cfg
        h = h.float()
        T = h.size(1)
        keys = h if self.keys is None else torch.cat((self.keys, h), dim=1)           # (S, M+T, D)
        values = y if self.values is None else torch.cat((self.values, y), dim=1)     # (S, M+T)
        M = keys.size(1) - T
        t = torch.arange(T, device=h.device)[:, None]
        j = torch.arange(M + T, device=h.device)[None, :] - M                          # entry j's position in the chunk
        allowed = (j < t) & (j >= t - cfg.size)                                        # (T, M+T): the past size tokens
        scores = (cfg.theta * torch.bmm(h, keys.transpose(1, 2))).masked_fill(~allowed, float("-inf"))
        log_attn = torch.log_softmax(scores, dim=-1)                                  # rows with no entry: nan
        hit = values[:, None, :] == y[:, :, None]                                      # (S, T, M+T)
        log_pc = torch.logsumexp(log_attn.masked_fill(~hit, float("-inf")), dim=-1)
        self.keys, self.values = keys[:, -cfg.size:], values[:, -cfg.size:]
        return torch.nan_to_num(log_pc, nan=float("-inf"), neginf=float("-inf")), ~allowed.any(dim=1)

    def nll(self, h: torch.Tensor, y: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood ``(S, T)`` of ``y`` under the mixture; the chunk then joins the cache."""
        log_pc, empty = self.log_pcache(h, y)
        return -mix(logp.float(), log_pc, empty, self.cfg.lam)


def mix(logp: torch.Tensor, log_pc: torch.Tensor, empty: torch.Tensor, lam: float) -> torch.Tensor:
    """``log((1 − λ) p_model + λ p_cache)``, the model alone where the cache was empty."""
    if lam <= 0.0:
        return logp
    mixed = log_pc if lam >= 1.0 else torch.logaddexp(logp + math.log1p(-lam), log_pc + math.log(lam))
    return torch.where(empty[None, :], logp, mixed)


def cache_nll(chunks: Iterable[Chunk], cfg: CacheConfig) -> tuple[float, int]:
    """Summed NLL (nats) and target count of a scoring pass's ``chunks`` with the cache ``cfg``."""
    cache = ContinuousCache(cfg)
    total, count = 0.0, 0
    for h, y, logp in chunks:
        total += float(cache.nll(h, y, logp).sum())
        count += y.numel()
    return total, count


THETAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
LAMBDAS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)


def tune_cache(chunks: list[Chunk], size: int, thetas: Iterable[float] = THETAS,
               lambdas: Iterable[float] = LAMBDAS) -> tuple[CacheConfig, list[dict]]:
    """The grid of the paper on one scoring pass (kept in memory): the best ``CacheConfig`` by NLL and every point.

    ``lambdas`` should include 0 (the model alone), so the cache is never chosen when it does not help.
    One pass over the hidden states per ``theta``; the ``lambdas`` only re-mix its probabilities.
    """
    lambdas = tuple(lambdas)
    grid = []
    count = sum(y.numel() for _, y, _ in chunks)
    for theta in thetas:
        cache = ContinuousCache(CacheConfig(size, theta, 0.0))
        parts = [(logp.float(), *cache.log_pcache(h, y)) for h, y, logp in chunks]
        for lam in lambdas:
            CacheConfig(size, theta, lam)  # validates
            total = -sum(float(mix(logp, log_pc, empty, lam).sum()) for logp, log_pc, empty in parts)
            grid.append({"size": size, "theta": theta, "lambda": lam, "nll": total / max(count, 1),
                         "perplexity": math.exp(total / max(count, 1))})
    best = min(grid, key=lambda g: g["nll"])
    return CacheConfig(size, best["theta"], best["lambda"]), grid


def materialise(chunks: Iterator[Chunk]) -> list[Chunk]:
    """A scoring pass kept for :func:`tune_cache` (hidden states on the CPU, float32)."""
    return [(h.float().cpu(), y.cpu(), logp.float().cpu()) for h, y, logp in chunks]
