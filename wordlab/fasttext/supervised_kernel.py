"""The supervised fastText kernel (numba, ``nogil``): one linear layer over averaged input rows.

For an example with input rows ``R`` (its words, their character n-grams, its hashed word n-grams)
and labels ``Y`` (Joulin et al. 2017, "Bag of Tricks for Efficient Text Classification"; the tool's
``FastText::supervised`` and ``Model::update`` with ``normalizeGradient``)::

    h = mean(W_in[R])                              # (D,)
    y = one label of Y, drawn uniformly            # the tool draws one per example and epoch
    softmax: p = softmax(W_out h);  g_i = α ([i = y] - p_i)     for every label i
    ova:     p_i = σ(W_out[i]·h);   g_i = α ([i ∈ Y] - p_i)      (one-vs-all, multi-label)
    e = Σ_i g_i W_out[i] (old rows);  W_out[i] += g_i h;  W_in[r] += e / |R|   for r in R

α decays linearly to 0 over all epochs by tokens seen, as the tool's ``lr * (1 - progress)``.
Random numbers: the word2vec kernel's 48-bit LCG, one stream per thread.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..word2vec.kernel import _MASK48, _next, _rand32

_JIT = dict(nogil=True, fastmath=True, cache=True, error_model="numpy")


@njit(**_JIT)
def hidden(W_in, rows, a, b, h):
    D = W_in.shape[1]
    for d in range(D):
        h[d] = np.float32(0.0)
    for k in range(a, b):
        r = rows[k]
        for d in range(D):
            h[d] += W_in[r, d]
    if b > a:
        inv = np.float32(1.0) / np.float32(b - a)
        for d in range(D):
            h[d] *= inv


@njit(**_JIT)
def scores(W_out, h, ova, out):
    """Label probabilities for hidden ``h``: softmax (``ova`` False) or independent sigmoids."""
    L, D = W_out.shape
    mx = np.float32(-1e30)
    for i in range(L):
        f = np.float32(0.0)
        for d in range(D):
            f += W_out[i, d] * h[d]
        out[i] = f
        if f > mx:
            mx = f
    if ova:
        for i in range(L):
            f = out[i]
            f = min(max(f, np.float32(-30.0)), np.float32(30.0))
            out[i] = np.float32(1.0) / (np.float32(1.0) + np.exp(-f))
    else:
        z = np.float32(0.0)
        for i in range(L):
            out[i] = np.exp(out[i] - mx)
            z += out[i]
        for i in range(L):
            out[i] /= z


@njit(**_JIT)
def train_part(W_in, W_out, offsets, rows, label_offsets, labels, tokens, start, stop, epochs, lr, ova, seed,
               tokens_total):
    """Train examples ``start..stop`` for ``epochs``; returns the summed loss and the number of updates."""
    L, D = W_out.shape
    h = np.empty(D, dtype=np.float32)
    e = np.empty(D, dtype=np.float32)
    p = np.empty(L, dtype=np.float32)
    target = np.zeros(L, dtype=np.float32)
    state = np.uint64(seed) & _MASK48
    part_tokens = 0
    for i in range(start, stop):
        part_tokens += tokens[i]
    total = np.float64(part_tokens) * epochs
    seen = 0.0
    loss = 0.0
    updates = 0
    for _ in range(epochs):
        for i in range(start, stop):
            a, b = offsets[i], offsets[i + 1]
            la, lb = label_offsets[i], label_offsets[i + 1]
            progress = seen / total if total > 0 else 1.0
            seen += tokens[i]
            if b == a or lb == la:
                continue
            alpha = np.float32(lr * (1.0 - progress))
            hidden(W_in, rows, a, b, h)
            scores(W_out, h, ova, p)
            for j in range(L):
                target[j] = np.float32(0.0)
            if ova:
                for k in range(la, lb):
                    target[labels[k]] = np.float32(1.0)
                for j in range(L):
                    q = p[j] if target[j] > 0 else np.float32(1.0) - p[j]
                    loss -= np.log(max(q, np.float32(1e-7)))
            else:
                state = _next(state)
                y = labels[la + _rand32(state) % (lb - la)]
                target[y] = np.float32(1.0)
                loss -= np.log(max(p[y], np.float32(1e-7)))
            updates += 1
            for d in range(D):
                e[d] = np.float32(0.0)
            for j in range(L):
                g = alpha * (target[j] - p[j])
                for d in range(D):
                    e[d] += g * W_out[j, d]
                    W_out[j, d] += g * h[d]
            inv = np.float32(1.0) / np.float32(b - a)
            for k in range(a, b):
                r = rows[k]
                for d in range(D):
                    W_in[r, d] += e[d] * inv
    return loss, updates


@njit(**_JIT)
def predict_all(W_in, W_out, offsets, rows, ova, out):
    """``out[i]`` = label probabilities of example ``i`` (zeros for an example without rows)."""
    D = W_in.shape[1]
    h = np.empty(D, dtype=np.float32)
    p = np.empty(W_out.shape[0], dtype=np.float32)
    for i in range(offsets.shape[0] - 1):
        a, b = offsets[i], offsets[i + 1]
        if b == a:
            for j in range(p.shape[0]):
                out[i, j] = 0.0
            continue
        hidden(W_in, rows, a, b, h)
        scores(W_out, h, ova, p)
        for j in range(p.shape[0]):
            out[i, j] = p[j]
    return out
