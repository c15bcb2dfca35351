"""fastText's training kernel (numba, ``nogil``, Hogwild): skip-gram and CBOW over subword rows.

A word ``w`` is the set of input rows ``S(w) = rows[offsets[w]:offsets[w+1]]`` (its own row and
its character n-gram rows, see :func:`wordlab.fasttext.hashing.subword_table`); its input vector
is ``h = mean(W_in[S(w)])``. Subsampling, the dynamic window, the noise alias table and the 48-bit
LCG are word2vec's (:mod:`wordlab.word2vec.kernel`), called from here, not copied.

Skip-gram (the tool's ``FastText::skipgram``: the centre word's subwords predict each context word).
The tool recomputes ``h`` and draws fresh negatives for every (centre, context) pair and writes
the gradient back to all of the centre's rows after each pair: that is ``sg_update="pair"``, the
default (below). ``sg_update="window"`` — the deviation the issue allowed if the quality goals held;
at 5 epochs on wikimix they did not (analogy 29.9 vs 48.2 %), so it is the fast option, no longer the
default — computes ``h`` **once per centre word**, draws ``negative`` noise words once
and shared by the window's ``m`` pairs (as wordlab's word2vec kernel shares them), and the
accumulated gradient is written back once::

    h   = mean(W_in[S(centre)])                                  # (D,)
    g_j = α (1 - σ(h·W_out[c_j]))       for each context c_j       (positives)
    g_k = -α σ(h·W_out[n_k]) · m_k      for each noise word n_k    (m_k = pairs with c_j != n_k)
    W_out[o] += g_o h;   e = Σ_o g_o W_out[o] (old rows);   W_in[r] += e  for r in S(centre)

— one SGD step on the window's summed loss ``Σ_j [-log σ(h·o_cj) - Σ_k log σ(-h·o_nk)]`` with
shared negatives. Like the tool, every row of ``S`` gets the full ``e`` (not ``e / |S|``).
Measured (text8-head cut into 1000-word lines, 2 epochs, dim 50, 500k buckets, lr 0.05, sample 1e-4,
noise exponent 0.5, 1 thread; Google analogy restrict 30k / WS-353 / RW with OOV): shared negatives
17.1 % / 0.282 / 0.258; fresh negatives for every pair (with ``h`` still once per centre word)
8.4 % / 0.302 / 0.204; the fastText tool itself 7.3 % / 0.279 / 0.198.

Hierarchical softmax (``hs=1``; the tool's ``-loss hs``): the same ``h`` walks the Huffman path
(:mod:`wordlab.word2vec.huffman`, the tool's ``buildTree``) of each context word (skip-gram) or of the
centre (CBOW) with :func:`wordlab.word2vec.kernel.hs_update`, the label at each inner node being
the code bit itself as in the tool's ``HierarchicalSoftmaxLoss`` (word2vec's C tool uses ``1 - code``).
Skip-gram accumulates the window's gradient and writes it back once, as above. With ``negative > 0``
as well (not a tool setting), the negative-sampling step follows for the same centre word.

``sg_update="pair"`` (:func:`_sg_pairs`) is the tool's update itself: for every (centre, context) pair
``h`` is the mean of the centre's rows as they are after the previous pair, ``negative`` fresh noise
words are drawn (never the context word, as the tool's ``getNegative``), and the pair's gradient ``e``
goes to every entry of the centre's row list before the next pair. Between two pairs of one centre word
only the centre's rows change, each by ``mult(r) e``, so the new mean is ``h + gain e`` with
``gain = Σ_r mult(r)² / |S|`` (:func:`row_gain`; 1 unless a row repeats). The kernel therefore keeps
``h`` up to date in place and writes the summed ``E = Σ_j e_j`` to the rows once per centre word: the
same weights as the tool's (one thread; up to float32 rounding: max |Δ| 1e-4 on 300k text8 words),
without reading and writing the ``|S|`` ≈ 20 rows at every pair. With several threads, another
thread's write to a shared n-gram row is seen at the next centre word instead of the next pair.
The previous form (rows read and written per pair) ran at 2.85x the tool's words/s (wikimix, 5 epochs,
2 threads, mean of seeds 1-2, load 2-6.5): analogy 47.66 % / RW ρ with OOV 0.371 / WS-353 0.503
against the tool's 48.13 % / 0.369 / 0.515. This form, with the prefetches (:mod:`.prefetch`), 5 epochs,
seeds 1-3, load 6-9: analogy 48.16 % / RW 0.365 / WS-353 0.498 (the tool, one run at load 6.4: 47.64 %
/ 0.366 / 0.529); side by side at 1 epoch: 3.77x the tool's words per CPU-second, 2.83x in wall time
(wordlab at load 6.2, the tool at 4.7). With the threads on distant parts of the text
(``train_epoch_fast(spread=True)``, as the tool's threads each read their own part of the file; before,
they trained neighbouring chunks of one article and overwrote each other's rows), quiet, 5 seeds:
48.34 % / 0.374 / 0.522 against the tool's 47.67 % / 0.369 / 0.521 (6 runs), 3.45-4.49x its words/s.

CBOW (``FastText::cbow``, no deviation): ``h`` is the mean over the subword rows of all context
words, it predicts the centre against ``negative`` noise words, and every one of those rows gets
``e`` (the tool does not divide the gradient for CBOW either).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..word2vec.kernel import (_MASK48, _job_alpha, _loss_tick, _next, _noise, _output_step, _read_sentence,
                               _sigmoid, _window_context, hs_update)
from .prefetch import prefetch_row, prefetch_rows

_JIT = dict(nogil=True, fastmath=True, cache=True, error_model="numpy")


@njit(inline="always", **_JIT)
def _centre_mean(W_in, rows, a, b, h, acc):
    """``h`` = the mean of the rows ``rows[a:b]`` of ``W_in`` (a word's input vector); ``acc`` zeroed."""
    D = W_in.shape[1]
    inv = np.float32(1.0) / np.float32(b - a)
    for d in range(D):
        h[d] = np.float32(0.0)
        acc[d] = np.float32(0.0)
    for k in range(a, b):
        r = rows[k]
        for d in range(D):
            h[d] += W_in[r, d]
    for d in range(D):
        h[d] *= inv


@njit(inline="always", **_JIT)
def _add_to_rows(W_in, rows, a, b, g):
    """Every row ``rows[a:b]`` of ``W_in`` gets ``g`` in full (the tool's unnormalised input update)."""
    D = W_in.shape[1]
    for k in range(a, b):
        r = rows[k]
        for d in range(D):
            W_in[r, d] += g[d]


@njit(**_JIT)
def _sg_centre(W_in, W_out, rows, a, b, ctx, m, negs, nneg, alpha, h, e, want_loss):
    D = W_in.shape[1]
    _centre_mean(W_in, rows, a, b, h, e)
    loss = 0.0
    for j in range(m):  # positives: each context word
        loss += _output_step(W_out, ctx[j], True, h, e, alpha, want_loss)
    for s in range(nneg):  # shared negatives, weighted by the pairs they stand for
        o = negs[s]
        mk = 0
        for j in range(m):
            if ctx[j] != o:
                mk += 1
        if mk == 0:
            continue
        f = np.float32(0.0)
        for d in range(D):
            f += h[d] * W_out[o, d]
        p = _sigmoid(f)
        g = -p * alpha * np.float32(mk)
        if want_loss:
            loss -= mk * np.log(max(np.float32(1.0) - p, np.float32(1e-7)))
        for d in range(D):
            e[d] += g * W_out[o, d]
            W_out[o, d] += g * h[d]
    _add_to_rows(W_in, rows, a, b, e)
    return loss


@njit(**_JIT)
def _sg_centre_hs(W_in, W_hs, rows, a, b, ctx, m, hs_offsets, hs_points, hs_labels, alpha, h, e, want_loss):
    """Skip-gram, hierarchical softmax: the centre's ``h`` walks each context word's path; ``e`` written back once."""
    _centre_mean(W_in, rows, a, b, h, e)
    loss = 0.0
    for j in range(m):
        o = ctx[j]
        loss += hs_update(W_hs, h, e, hs_offsets[o], hs_offsets[o + 1], hs_points, hs_labels, alpha, want_loss)
    _add_to_rows(W_in, rows, a, b, e)
    return loss


@njit(**_JIT)
def _cbow_centre_hs(W_in, W_hs, rows, offsets, ctx, m, centre, hs_offsets, hs_points, hs_labels, alpha, h, e,
                    want_loss):
    """CBOW, hierarchical softmax: the mean of the context words' rows walks the centre's path."""
    D = W_in.shape[1]
    for d in range(D):
        h[d] = np.float32(0.0)
        e[d] = np.float32(0.0)
    n = 0
    for j in range(m):
        w = ctx[j]
        for k in range(offsets[w], offsets[w + 1]):
            r = rows[k]
            for d in range(D):
                h[d] += W_in[r, d]
            n += 1
    inv = np.float32(1.0) / np.float32(n)
    for d in range(D):
        h[d] *= inv
    loss = hs_update(W_hs, h, e, hs_offsets[centre], hs_offsets[centre + 1], hs_points, hs_labels, alpha, want_loss)
    for j in range(m):
        w = ctx[j]
        for k in range(offsets[w], offsets[w + 1]):
            r = rows[k]
            for d in range(D):
                W_in[r, d] += e[d]
    return loss


@njit(**_JIT)
def _sg_pairs(W_in, W_out, rows, a, b, gain, ctx, m, negs, nnegs, W_hs, hs_offsets, hs_points, hs_labels, hs, alpha,
              h, e, E, want_loss):
    """The tool's pairs for one centre word, in its order: for each context word ``ctx[j]``, ``h`` (the
    mean of the centre's rows as they are after the previous pairs) predicts it against its own noise
    words ``negs[j, :nnegs[j]]`` (and/or walks its Huffman path), then the rows get that pair's ``e``.

    Only the centre's rows change between its pairs, so the mean after a pair is ``h + gain * e``
    (``gain`` = Σ_r mult(r)² / |S|, 1 when no row repeats): ``h`` is updated in place and the rows get
    the pairs' summed ``E`` once — the tool's update without re-reading and re-writing ``|S|`` rows per pair."""
    D = W_in.shape[1]
    _centre_mean(W_in, rows, a, b, h, E)
    loss = 0.0
    for j in range(m):
        target = ctx[j]
        for d in range(D):
            e[d] = np.float32(0.0)
        if hs:
            loss += hs_update(W_hs, h, e, hs_offsets[target], hs_offsets[target + 1], hs_points, hs_labels, alpha,
                              want_loss)
        nneg = nnegs[j]
        if nneg > 0:
            loss += _output_step(W_out, target, True, h, e, alpha, want_loss)
            for s in range(nneg):
                loss += _output_step(W_out, negs[j, s], False, h, e, alpha, want_loss)
        for d in range(D):
            h[d] += gain * e[d]
            E[d] += e[d]
    _add_to_rows(W_in, rows, a, b, E)
    return loss


@njit(nogil=True, cache=True)
def row_gain(offsets, rows):
    """Per word, ``Σ_r mult(r)² / |S|`` over its input rows ``S`` (``mult(r)``: how often row ``r`` occurs in
    ``S``; an n-gram repeated in the word or two n-grams in one bucket). Adding ``e`` to every entry of ``S``
    moves the mean of ``S`` by ``gain * e`` (1 when no row repeats)."""
    V = offsets.shape[0] - 1
    out = np.ones(V, dtype=np.float32)
    for w in range(V):
        a, b = offsets[w], offsets[w + 1]
        if b - a < 2:
            continue
        total = 0
        for k in range(a, b):
            for q in range(a, b):
                if rows[q] == rows[k]:
                    total += 1
        out[w] = np.float32(total) / np.float32(b - a)
    return out


@njit(**_JIT)
def _cbow_centre(W_in, W_out, rows, offsets, ctx, m, centre, negs, nneg, alpha, h, e, want_loss):
    D = W_in.shape[1]
    for d in range(D):
        h[d] = np.float32(0.0)
        e[d] = np.float32(0.0)
    n = 0
    for j in range(m):
        w = ctx[j]
        for k in range(offsets[w], offsets[w + 1]):
            r = rows[k]
            for d in range(D):
                h[d] += W_in[r, d]
            n += 1
    inv = np.float32(1.0) / np.float32(n)
    for d in range(D):
        h[d] *= inv
    loss = 0.0
    for s in range(nneg + 1):
        loss += _output_step(W_out, centre if s == 0 else negs[s - 1], s == 0, h, e, alpha, want_loss)
    for j in range(m):
        w = ctx[j]
        for k in range(offsets[w], offsets[w + 1]):
            r = rows[k]
            for d in range(D):
                W_in[r, d] += e[d]
    return loss


@njit(**_JIT)
def train_job(W_in, W_out, offsets, rows, ids, sample_int, accept, alias, sg, negative, window, alpha0, alpha1,
              word_offset, total_words, max_sentence, seed, loss_every, eos, W_hs, hs_offsets, hs_points, hs_labels,
              hs, pair, gain):
    """Train on ``ids`` (one job); returns ``(effective_words, loss_sum, loss_pairs)``.

    ``hs``: hierarchical softmax into ``W_hs`` along the paths ``hs_points`` / ``hs_labels`` (word ``w``'s
    are ``[hs_offsets[w]:hs_offsets[w+1]]``); ``negative`` noise words (0 = none) into ``W_out``.
    ``pair``: skip-gram trains pair by pair as the tool (:func:`_sg_pairs`; ``gain`` from :func:`row_gain`)
    instead of once per window.

    Sentences, subsampling, the dynamic window, α's linear decay and the random numbers are exactly
    :func:`wordlab.word2vec.kernel.train_job`'s; only the updates differ (see the module docstring).
    """
    D = W_in.shape[1]
    C = 2 * window
    sent = np.empty(max_sentence, dtype=np.int32)
    ctx = np.empty(C, dtype=np.int32)
    negs = np.empty(negative, dtype=np.int32)
    pair_negs = np.empty((C, negative), dtype=np.int32)
    pair_nnegs = np.empty(C, dtype=np.int32)
    h = np.empty(D, dtype=np.float32)
    e = np.empty(D, dtype=np.float32)
    E = np.empty(D, dtype=np.float32)
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
        k, n, state = _read_sentence(ids, k, stop, eos, sample_int, sent, state)
        effective += n
        ahead = 1 if sg else window + 1  # the word whose input rows are needed next (CBOW: entering the window)
        for i in range(min(ahead, n)):
            prefetch_rows(W_in, rows, offsets[sent[i]], offsets[sent[i] + 1])
        for i in range(n):
            if i + ahead < n:  # a hint for the memory system only: no value changes
                nxt = sent[i + ahead]
                prefetch_rows(W_in, rows, offsets[nxt], offsets[nxt + 1])
            m, state = _window_context(sent, n, i, window, ctx, state)
            if m == 0:
                continue
            w = sent[i]
            want, tick = _loss_tick(loss_every, tick)
            loss = 0.0
            if sg and pair:  # the tool's order: each context word in turn with fresh negatives (drawn first)
                for j in range(m):
                    c = ctx[j]
                    nneg = 0
                    for _ in range(20 * negative):  # bounded: a one-word vocabulary has no other word to draw
                        if nneg == negative:
                            break
                        state = _next(state)
                        t = _noise(state, accept, alias)
                        if t != c:
                            pair_negs[j, nneg] = t
                            nneg += 1
                    pair_nnegs[j] = nneg
                    prefetch_row(W_out, c)
                    for s in range(nneg):
                        prefetch_row(W_out, pair_negs[j, s])
                loss += _sg_pairs(W_in, W_out, rows, offsets[w], offsets[w + 1], gain[w], ctx, m, pair_negs,
                                  pair_nnegs, W_hs, hs_offsets, hs_points, hs_labels, hs, alpha, h, e, E, want)
                if want:
                    loss_sum += loss
                    loss_pairs += m
                continue
            nneg = 0
            for _ in range(negative):
                state = _next(state)
                t = _noise(state, accept, alias)
                if sg or t != w:
                    negs[nneg] = t
                    nneg += 1
                    prefetch_row(W_out, t)
            if hs:
                if sg:
                    loss += _sg_centre_hs(W_in, W_hs, rows, offsets[w], offsets[w + 1], ctx, m, hs_offsets, hs_points,
                                          hs_labels, alpha, h, e, want)
                else:
                    loss += _cbow_centre_hs(W_in, W_hs, rows, offsets, ctx, m, w, hs_offsets, hs_points, hs_labels,
                                            alpha, h, e, want)
            if negative > 0:
                if sg:
                    loss += _sg_centre(W_in, W_out, rows, offsets[w], offsets[w + 1], ctx, m, negs, nneg, alpha, h,
                                       e, want)
                else:
                    loss += _cbow_centre(W_in, W_out, rows, offsets, ctx, m, w, negs, nneg, alpha, h, e, want)
            if want:
                loss_sum += loss
                loss_pairs += m if sg else 1
    return effective, loss_sum, loss_pairs


@njit(nogil=True, cache=True)
def init_ngram_rows(W, rows, start, seed):
    """Rows ``r >= start`` named in ``rows`` that are all zero get ``U(-1/D, 1/D)``, seeded by ``(seed, r)``.

    Only the n-gram buckets some vocabulary word uses are initialised (the others are never trained;
    they stay 0, so an unseen n-gram adds nothing to an out-of-vocabulary vector). Touching only those
    rows keeps a 2M-bucket model from paying for 800 MB of random numbers it would not use.
    Returns the number of rows initialised.
    """
    D = W.shape[1]
    scale = np.float32(2.0) / np.float32(D)
    half = np.float32(1.0) / np.float32(D)
    done = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        if r < start:
            continue
        zero = True
        for d in range(D):
            if W[r, d] != 0.0:
                zero = False
                break
        if not zero:
            continue
        s = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(r) * np.uint64(0xBF58476D1CE4E5B9))
        for d in range(D):
            s += np.uint64(0x9E3779B97F4A7C15)
            z = s
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            W[r, d] = np.float32(np.float64(z >> np.uint64(40)) * (1.0 / 16777216.0)) * scale - half
        done += 1
    return done
