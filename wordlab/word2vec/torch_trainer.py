"""The torch batched trainer: the reference path, and the GPU one (runs unchanged on CUDA).

Same data path as the fast kernel — jobs of ``batch_words`` words, subsampling, a dynamic
window per centre word, ``negative`` noise words drawn once per centre word (shared by its
window), α decayed linearly by words — but the updates are mini-batches through the
:class:`~wordlab.word2vec.modules.SkipGram` / :class:`~wordlab.word2vec.modules.CBOW` modules
with autograd, sparse gradients and ``torch.optim.SGD(lr=α)`` on the summed loss.

Negative-sample batching for skip-gram (centre positions ``i``, reduced windows ``rw[i]``)::

    sentence   w0  w1  w2  w3  w4          rw = [2, 1, 2, 1, 1]
    pairs      (ctx w1 → centre w0), (w2 → w0), (w0 → w1), (w2 → w1), (w0 → w2), ...
    negatives  negs[i] (k noise words) drawn once per centre i, gathered for each of its pairs
    batch      all pairs of ``batch_size`` consecutive centre words → one SGD step
"""

from __future__ import annotations

import numpy as np
import torch

from ..tensor import device as get_device
from ..tensor import to_numpy
from .config import Word2VecConfig
from .fast_trainer import ProgressFn, SamplingTables, job_seed
from .modules import CBOW, SkipGram


def skipgram_pairs(n: int, rw: np.ndarray, window: int, seg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(centre, context)`` of every pair with ``|centre - context| <= rw[centre]`` in the same
    sentence (``seg``: sentence number of each position), sorted by centre."""
    seg = np.zeros(n, np.int64) if seg is None else seg
    centres, contexts = [], []
    for d in range(1, window + 1):
        i = np.arange(n - d)
        i = i[(rw[i] >= d) & (seg[i] == seg[i + d])]  # context to the right
        centres.append(i)
        contexts.append(i + d)
        i = np.arange(d, n)
        i = i[(rw[i] >= d) & (seg[i] == seg[i - d])]  # context to the left
        centres.append(i)
        contexts.append(i - d)
    c = np.concatenate(centres)
    x = np.concatenate(contexts)
    order = np.argsort(c, kind="stable")
    return c[order], x[order]


def cbow_contexts(n: int, rw: np.ndarray, window: int, seg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Context positions (n, 2*window) (clipped into range) and their mask (valid = within ``rw``, same sentence)."""
    seg = np.zeros(n, np.int64) if seg is None else seg
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (C,)
    pos = np.arange(n)[:, None] + offsets[None, :]  # (n, C)
    clipped = np.clip(pos, 0, max(n - 1, 0))
    mask = (pos >= 0) & (pos < n) & (np.abs(offsets)[None, :] <= rw[:, None]) & (seg[clipped] == seg[:, None])
    return clipped, mask


def train_epoch_torch(W_in: np.ndarray, W_out: np.ndarray, ids: np.ndarray, tables: SamplingTables,
                      config: Word2VecConfig, *, epoch: int, words_before: int, total_words: int,
                      on_progress: ProgressFn | None = None, workers: int = 0,
                      device: str | torch.device = "auto") -> tuple[int, float, int]:
    """One pass over ``ids`` in mini-batches; updates ``W_in`` / ``W_out`` in place.

    Returns ``(effective words, loss sum, loss pairs)`` like the fast trainer. ``workers``: torch's
    CPU threads during the epoch (0 = leave as is).
    """
    dev = get_device(device)
    threads = torch.get_num_threads()
    if workers:  # `workers` intra-op threads (an oversubscribed OpenMP pool is slower than one thread)
        torch.set_num_threads(workers)
    try:
        return _train_epoch(W_in, W_out, ids, tables, config, epoch, words_before, total_words, on_progress, dev)
    finally:
        torch.set_num_threads(threads)


def _train_epoch(W_in, W_out, ids, tables, config, epoch, words_before, total_words, on_progress, dev):
    V, D = W_in.shape
    module = (SkipGram if config.sg else CBOW)(V, D, W_in, W_out).to(dev)
    opt = torch.optim.SGD(module.parameters(), lr=config.alpha)
    keep = tables.sample_int.astype(np.float64) / 2.0**32
    cdf = np.cumsum(tables.noise)
    cdf /= cdf[-1]
    k, window, step = config.negative, config.window, config.batch_words
    effective, loss_total, pairs_total = 0, 0.0, 0

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(dev)

    for j, s in enumerate(range(0, len(ids), step)):
        rng = np.random.default_rng(job_seed(config.seed, epoch, j))
        chunk = ids[s:s + step]
        kept = chunk[(rng.random(len(chunk)) < keep[chunk]) | (chunk == tables.eos)].astype(np.int64)
        boundary = kept == tables.eos
        seg = np.cumsum(boundary)[~boundary]  # sentence number of each word
        sent = kept[~boundary]
        n = len(sent)
        rw = window - rng.integers(0, window, n)
        negs = np.minimum(np.searchsorted(cdf, rng.random((n, k)), side="right"), V - 1)  # (n, k)
        neg_mask = (negs != sent[:, None]).astype(np.float32)  # word2vec skips a noise word equal to the target
        done = min(1.0, (words_before + s) / max(total_words, 1))
        for group in opt.param_groups:
            group["lr"] = config.alpha - (config.alpha - config.min_alpha) * done
        loss_sum, pairs = 0.0, 0
        if config.sg:
            centre, context = skipgram_pairs(n, rw, window, seg)
            bounds = np.searchsorted(centre, np.arange(0, n + config.batch_size, config.batch_size))
            for a, b in zip(bounds[:-1], bounds[1:]):
                if a == b:
                    continue
                c = centre[a:b]
                loss = module(tensor(sent[context[a:b]]), tensor(sent[c]), tensor(negs[c]), tensor(neg_mask[c]))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += float(loss.detach())
                pairs += b - a
        else:
            pos, mask = cbow_contexts(n, rw, window, seg)
            rows = np.flatnonzero(mask.any(1))
            for a in range(0, len(rows), config.batch_size):
                r = rows[a:a + config.batch_size]
                loss = module(tensor(sent[pos[r]]), tensor(mask[r]), tensor(sent[r]), tensor(negs[r]),
                              tensor(neg_mask[r]))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += float(loss.detach())
                pairs += len(r)
        effective += n
        loss_total += loss_sum
        pairs_total += pairs
        if on_progress is not None:
            on_progress(len(chunk), n, loss_sum, pairs)
    if dev.type != "cpu":  # on the CPU the modules share the numpy arrays' memory
        W_in[...] = to_numpy(module.W_in.weight)
        W_out[...] = to_numpy(module.W_out.weight)
    return effective, loss_total, pairs_total
