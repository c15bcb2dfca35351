"""The fast CPU trainer's compiled kernels (numba, ``nogil``): one call trains one job of words.

Each Python worker thread calls :func:`train_job` on its own slice of the id array;
the kernels release the GIL, so ``workers`` threads update ``W_in`` / ``W_out`` at the
same time without locks — Hogwild (Recht et al. 2011), as the C tool and gensim do.

Per job, for each "sentence" of at most ``max_sentence`` words:

1. subsample (Mikolov et al. 2013b): word ``w`` survives when ``rand32 < keep(w) * 2**32``;
2. for each centre word ``i``, shrink the window to ``window - (rand32 % window)``
   (the C tool's dynamic window: nearer words weigh more);
3. draw ``negative`` noise words from the unigram^0.75 distribution (Walker's alias method,
   :func:`_noise`: O(1) per draw, no search), **once per centre word** — skip-gram shares them across the whole
   window (pWord2Vec, Ji et al. 2016, arXiv:1604.04661), which turns the window's
   per-pair dot products into three small matrix products::

       H = W_in[contexts]            # (m, D)    m <= 2*window context words
       O = W_out[[centre] + negs]    # (K1, D)   K1 = 1 + negative
       G = (labels - σ(H @ O.T)) * α # (m, K1)   labels = [1, 0, ..., 0]
       W_out[outs] += G.T @ H        # (K1, D)
       W_in[contexts] += G @ O       # (m, D)

   i.e. one SGD step of the summed loss ``-log σ(h·o⁺) - Σ log σ(-h·o⁻)`` over the window,
   the same update the torch ``SkipGram`` module makes with ``SGD(lr=α)``;
4. CBOW: ``h = mean(W_in[contexts])``, then ``e = Σ_s g_s W_out[o_s]``, ``W_out[o_s] += g_s h``
   and every context row gets ``W_in[c] += e`` (the C tool's / gensim's ``cbow_mean=1`` rule).

Hierarchical softmax (``hs=1``, :func:`hs_update`): the target word's Huffman path
(:mod:`.huffman`, root first) is walked with ``g = (label - σ(h·syn1[p])) α`` at each inner node
``p``, ``label = 1 - code`` (``word2vec.c``: ``g = (1 - code[d] - f) * alpha``), ``e += g syn1[p]``,
``syn1[p] += g h``; the input rows get ``e``. Skip-gram: each context row in turn predicts the
centre's path (as the C tool, pair by pair); CBOW: the context mean does. With ``negative > 0`` as
well, the negative-sampling step above follows the hierarchical one for the same centre word
(the C tool sums both gradients before touching the input rows; here they are two consecutive
SGD steps). Unlike the C tool, σ is not skipped outside ±6 (it is exact, as everywhere here).

Random numbers come from the C tool's 48-bit LCG ``r = r * 25214903917 + 11``, seeded per
job from (seed, epoch, job index), so a run with one worker is bit-reproducible.
σ is computed exactly (``1 / (1 + exp(-f))`` with ``f`` clipped to ±30; no lookup table).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MULT = np.uint64(25214903917)
_ADD = np.uint64(11)
_MASK48 = np.uint64((1 << 48) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(16)
_CLIP = np.float32(30.0)

_JIT = dict(nogil=True, fastmath=True, cache=True, error_model="numpy")


@njit(inline="always", **_JIT)
def _next(state):
    return (state * _MULT + _ADD) & _MASK48


@njit(inline="always", **_JIT)
def _rand32(state):
    return np.int64((state >> _SHIFT) & _MASK32)


@njit(inline="always", **_JIT)
def _noise(state, accept, alias):
    """A noise word by Walker's alias method: 32 random bits pick a column ``i`` (the high part
    of ``r * V``) and a coin (the low part); keep ``i`` when the coin is below ``accept[i]``."""
    x = _rand32(state) * accept.shape[0]
    i = x >> 32
    if (x & 0xFFFFFFFF) < accept[i]:
        return i
    return np.int64(alias[i])


@njit(**_JIT)
def alias_table(probs):
    """Vose's alias table for ``probs`` (sums to 1): ``accept`` scaled to ``2**32`` (int64), ``alias`` (int32)."""
    n = probs.shape[0]
    scaled = probs * n
    accept = np.empty(n, dtype=np.int64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        l = large[nl]
        accept[s] = np.int64(scaled[s] * 4294967296.0)
        alias[s] = l
        scaled[l] = (scaled[l] + scaled[s]) - 1.0
        if scaled[l] < 1.0:
            small[ns] = l
            ns += 1
        else:
            large[nl] = l
            nl += 1
    for k in range(nl):
        accept[large[k]] = np.int64(1) << 32
    for k in range(ns):  # only rounding leftovers
        accept[small[k]] = np.int64(1) << 32
    return accept, alias


@njit(**_JIT)
def draw_noise(accept, alias, n, seed):
    """``n`` noise words drawn exactly as the training kernel draws them (for tests)."""
    out = np.empty(n, dtype=np.int64)
    state = np.uint64(seed) & _MASK48
    for k in range(n):
        state = _next(state)
        out[k] = _noise(state, accept, alias)
    return out


@njit(inline="always", **_JIT)
def _sigmoid(f):
    if f > _CLIP:
        f = _CLIP
    elif f < -_CLIP:
        f = -_CLIP
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-f))


@njit(inline="always", **_JIT)
def _job_alpha(alpha0, alpha1, word_offset, start, total_words):
    """α at a sentence starting at ``start``: linear decay by words trained (all epochs), capped at ``alpha1``."""
    done = (word_offset + start) / total_words
    if done > 1.0:
        done = 1.0
    return np.float32(alpha0 - (alpha0 - alpha1) * done)


@njit(inline="always", **_JIT)
def _read_sentence(ids, k, stop, eos, sample_int, sent, state):
    """One sentence into ``sent``: ``ids[k:stop]`` up to the boundary ``eos``, subsampled.
    Returns ``(k after it, words kept, state)``."""
    n = 0
    while k < stop:
        w = ids[k]
        k += 1
        if w == eos:
            break
        if sample_int[w] < (np.int64(1) << 32):
            state = _next(state)
            if sample_int[w] <= _rand32(state):
                continue
        sent[n] = w
        n += 1
    return k, n, state


@njit(inline="always", **_JIT)
def _window_context(sent, n, i, window, ctx, state):
    """The dynamic window around ``sent[i]`` into ``ctx``; returns ``(context words, state)``."""
    state = _next(state)
    rw = window - _rand32(state) % window
    lo = max(0, i - rw)
    hi = min(n, i + rw + 1)
    m = 0
    for j in range(lo, hi):
        if j != i:
            ctx[m] = sent[j]
            m += 1
    return m, state


@njit(inline="always", **_JIT)
def _loss_tick(loss_every, tick):
    """Whether this centre word's loss is measured (every ``loss_every``-th); returns ``(want, tick)``."""
    want = False
    if loss_every > 0:
        tick += 1
        if tick >= loss_every:
            tick = 0
            want = True
    return want, tick


@njit(**_JIT)
def sg_update(W_in, W_out, ctx, m, outs, nout, alpha, H, O, G, want_loss):
    """One skip-gram step for one centre word: contexts ``ctx[:m]`` predict ``outs[0]`` (the centre)
    against the noise words ``outs[1:nout]``, sharing them. Returns the summed loss (0 unless ``want_loss``)."""
    D = W_in.shape[1]
    for s in range(nout):
        o = outs[s]
        for d in range(D):
            O[s, d] = W_out[o, d]
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            H[j, d] = W_in[c, d]
    loss = 0.0
    for j in range(m):
        for s in range(nout):
            f = np.float32(0.0)
            for d in range(D):
                f += H[j, d] * O[s, d]
            p = _sigmoid(f)
            if s == 0:
                G[j, s] = (np.float32(1.0) - p) * alpha
                if want_loss:
                    loss -= np.log(max(p, np.float32(1e-7)))
            else:
                G[j, s] = -p * alpha
                if want_loss:
                    loss -= np.log(max(np.float32(1.0) - p, np.float32(1e-7)))
    for s in range(nout):  # W_out[o] += Σ_j G[j, s] H[j]   (H holds the old W_in rows)
        o = outs[s]
        for j in range(m):
            g = G[j, s]
            for d in range(D):
                W_out[o, d] += g * H[j, d]
    for j in range(m):  # W_in[c] += Σ_s G[j, s] O[s]   (O holds the old W_out rows)
        c = ctx[j]
        for s in range(nout):
            g = G[j, s]
            for d in range(D):
                W_in[c, d] += g * O[s, d]
    return loss


@njit(inline="always", **_JIT)
def _output_step(W_out, o, positive, h, e, alpha, want_loss):
    """One negative-sampling output row: label 1 for the positive word, 0 for a noise word. Accumulates the
    input gradient in ``e``, updates ``W_out[o]`` from ``h``; returns the row's loss (0 unless ``want_loss``)."""
    D = h.shape[0]
    f = np.float32(0.0)
    for d in range(D):
        f += h[d] * W_out[o, d]
    p = _sigmoid(f)
    loss = 0.0
    if positive:
        g = (np.float32(1.0) - p) * alpha
        if want_loss:
            loss = -np.log(max(p, np.float32(1e-7)))
    else:
        g = -p * alpha
        if want_loss:
            loss = -np.log(max(np.float32(1.0) - p, np.float32(1e-7)))
    for d in range(D):
        e[d] += g * W_out[o, d]
        W_out[o, d] += g * h[d]
    return loss


@njit(**_JIT)
def cbow_update(W_in, W_out, ctx, m, outs, nout, alpha, h, e, want_loss):
    """One CBOW step: the mean of ``W_in[ctx[:m]]`` predicts ``outs[0]`` against ``outs[1:nout]``.
    Returns the summed loss (0 unless ``want_loss``)."""
    D = W_in.shape[1]
    inv = np.float32(1.0) / np.float32(m)
    for d in range(D):
        h[d] = np.float32(0.0)
        e[d] = np.float32(0.0)
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            h[d] += W_in[c, d]
    for d in range(D):
        h[d] *= inv
    loss = 0.0
    for s in range(nout):
        loss += _output_step(W_out, outs[s], s == 0, h, e, alpha, want_loss)
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            W_in[c, d] += e[d]
    return loss


@njit(**_JIT)
def hs_update(W_hs, h, e, a, b, points, labels, alpha, want_loss):
    """Hierarchical softmax for one target: ``h`` predicts ``labels[a:b]`` at the inner nodes ``points[a:b]``.

    Adds the input gradient to ``e`` and updates the ``W_hs`` rows. Returns the loss (0 unless ``want_loss``).
    """
    D = h.shape[0]
    loss = 0.0
    for k in range(a, b):
        p = points[k]
        f = np.float32(0.0)
        for d in range(D):
            f += h[d] * W_hs[p, d]
        s = _sigmoid(f)
        lab = np.float32(labels[k])
        g = (lab - s) * alpha
        if want_loss:
            loss -= np.log(max(s if labels[k] else np.float32(1.0) - s, np.float32(1e-7)))
        for d in range(D):
            e[d] += g * W_hs[p, d]
            W_hs[p, d] += g * h[d]
    return loss


@njit(**_JIT)
def sg_hs_update(W_in, W_hs, ctx, m, a, b, points, labels, alpha, h, e, want_loss):
    """Skip-gram, hierarchical softmax: each context row ``W_in[ctx[j]]`` predicts the centre's path
    ``points[a:b]`` and is updated right after (the C tool's pair-by-pair order). Returns the loss."""
    D = W_in.shape[1]
    loss = 0.0
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            h[d] = W_in[c, d]
            e[d] = np.float32(0.0)
        loss += hs_update(W_hs, h, e, a, b, points, labels, alpha, want_loss)
        for d in range(D):
            W_in[c, d] += e[d]
    return loss


@njit(**_JIT)
def cbow_hs_update(W_in, W_hs, ctx, m, a, b, points, labels, alpha, h, e, want_loss):
    """CBOW, hierarchical softmax: the mean of ``W_in[ctx[:m]]`` predicts the centre's path; every
    context row gets the gradient (``cbow_mean=1``). Returns the loss."""
    D = W_in.shape[1]
    inv = np.float32(1.0) / np.float32(m)
    for d in range(D):
        h[d] = np.float32(0.0)
        e[d] = np.float32(0.0)
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            h[d] += W_in[c, d]
    for d in range(D):
        h[d] *= inv
    loss = hs_update(W_hs, h, e, a, b, points, labels, alpha, want_loss)
    for j in range(m):
        c = ctx[j]
        for d in range(D):
            W_in[c, d] += e[d]
    return loss


@njit(**_JIT)
def train_job(W_in, W_out, ids, sample_int, accept, alias, sg, negative, window, alpha0, alpha1,
              word_offset, total_words, max_sentence, seed, loss_every, eos):
    """Train on ``ids`` (one job) with negative sampling only: :func:`train_job_hs` without the tree."""
    D = W_in.shape[1]
    no_rows = np.empty((0, D), dtype=np.float32)
    no_offsets = np.zeros(1, dtype=np.int64)
    return train_job_hs(W_in, W_out, no_rows, no_offsets, np.empty(0, np.int32), np.empty(0, np.uint8), ids,
                        sample_int, accept, alias, sg, negative, 0, window, alpha0, alpha1, word_offset,
                        total_words, max_sentence, seed, loss_every, eos)


@njit(**_JIT)
def train_job_hs(W_in, W_out, W_hs, hs_offsets, hs_points, hs_labels, ids, sample_int, accept, alias, sg, negative,
                 hs, window, alpha0, alpha1, word_offset, total_words, max_sentence, seed, loss_every, eos):
    """Train on ``ids`` (one job). Returns ``(effective_words, loss_sum, loss_pairs)``.

    ``hs``: hierarchical softmax over the paths ``hs_points`` / ``hs_labels`` (word ``w``'s are
    ``[hs_offsets[w]:hs_offsets[w+1]]``) into ``W_hs``; ``negative`` noise words (0 = none) into ``W_out``.

    A sentence ends at the id ``eos`` (never trained; -1 for none) or after ``max_sentence`` words;
    windows never cross a sentence end.

    ``word_offset`` is the number of words trained before this job (all epochs), ``total_words``
    the number to train in all; α at a sentence is ``alpha0 - (alpha0 - alpha1) * done / total``.
    Loss is measured on every ``loss_every``-th centre word (0 = never) to keep ``log`` off the hot path.
    """
    D = W_in.shape[1]
    K1 = negative + 1
    C = 2 * window
    sent = np.empty(max_sentence, dtype=np.int32)
    ctx = np.empty(C, dtype=np.int32)
    outs = np.empty(K1, dtype=np.int32)
    H = np.empty((C, D), dtype=np.float32)
    O = np.empty((K1, D), dtype=np.float32)
    G = np.empty((C, K1), dtype=np.float32)
    hbuf = np.empty(D, dtype=np.float32)
    ebuf = np.empty(D, dtype=np.float32)
    state = np.uint64(seed) & _MASK48
    n_total = ids.shape[0]
    effective = 0
    loss_sum = 0.0
    loss_pairs = 0
    tick = 0
    k = 0
    while k < n_total:
        start = k
        stop = min(start + max_sentence, n_total)
        alpha = _job_alpha(alpha0, alpha1, word_offset, start, total_words)
        # one sentence: up to the boundary token or max_sentence words, subsampled
        k, n, state = _read_sentence(ids, k, stop, eos, sample_int, sent, state)
        effective += n
        for i in range(n):
            m, state = _window_context(sent, n, i, window, ctx, state)
            if m == 0:
                continue
            w = sent[i]
            outs[0] = w
            nout = 1
            for _ in range(negative):
                state = _next(state)
                t = _noise(state, accept, alias)
                if t != w:
                    outs[nout] = t
                    nout += 1
            want, tick = _loss_tick(loss_every, tick)
            loss = 0.0
            if hs:
                a, b = hs_offsets[w], hs_offsets[w + 1]
                if sg:
                    loss += sg_hs_update(W_in, W_hs, ctx, m, a, b, hs_points, hs_labels, alpha, hbuf, ebuf, want)
                else:
                    loss += cbow_hs_update(W_in, W_hs, ctx, m, a, b, hs_points, hs_labels, alpha, hbuf, ebuf, want)
            if negative > 0:
                if sg:
                    loss += sg_update(W_in, W_out, ctx, m, outs, nout, alpha, H, O, G, want)
                else:
                    loss += cbow_update(W_in, W_out, ctx, m, outs, nout, alpha, hbuf, ebuf, want)
            if want:
                loss_sum += loss
                loss_pairs += m if sg else 1
    return effective, loss_sum, loss_pairs
