"""``GloVe``: corpus → vocabulary → cached sparse co-occurrences → AdaGrad on weighted log counts → ``KeyedVectors``.

GloVe (Pennington, Socher & Manning 2014, https://nlp.stanford.edu/pubs/glove.pdf) fits
``w_i · w̃_j + b_i + b̃_j ≈ log X_ij`` by weighted least squares over the non-zero counts with
``f(x) = min(1, (x / x_max)^α)``; the design notes (DLfS-2 ch. 2–3) place it between counting
and inference. The counts are the ones PPMI-SVD uses (:func:`~wordlab.count.cooccurrence`,
symmetric window, ``1/d`` weights as the reference ``cooccur``; windows here run across line
ends, the reference restarts them at each line), cached on disk
(:mod:`wordlab.count.cooccurrence_cache`). The non-zeros are shuffled once (the reference's
``shuffle``) and every epoch ``threads`` Python threads each run the compiled AdaGrad kernel
(:mod:`wordlab.count.glove_kernel`) over their share without locks (Hogwild, as ``glove.c``).

    model = GloVe(GloVeConfig(dim=100, window=10, epochs=15))
    kv = model.fit(read_corpus("wikimix.txt.gz"))       # W + W̃ (the paper's choice)
    model.save_checkpoint("glove.npz")                  # resume: GloVe.load_checkpoint(...).fit(corpus)
"""

from __future__ import annotations

import json
import logging
import os
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp

from ..atomic import atomic_write
from ..errors import CheckpointError, ConfigError, DataError, WordlabError
from ..text import Corpus, Vocabulary, build_vocab_and_ids, read_corpus
from ..vectors import KeyedVectors
from ..text.shards import is_main
from .cooccurrence_cache import cached_cooccurrence
from .glove_config import GloVeConfig
from .glove_kernel import adagrad_slice, cost_slice

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "wordlab.glove/1"
_ARRAYS = ("W", "C", "bw", "bc", "GW", "GC", "gbw", "gbc")


def weights(x: np.ndarray, x_max: float, alpha: float) -> np.ndarray:
    """``f(x) = (x / x_max)^α`` below ``x_max``, 1 above (float64)."""
    x = np.asarray(x, np.float64)
    return np.where(x > x_max, 1.0, (x / x_max) ** alpha)


def init_params(vocab_size: int, dim: int, seed: int, dtype=np.float32) -> dict[str, np.ndarray]:
    """Vectors and biases ``U(-0.5, 0.5) / dim`` (as ``glove.c``), AdaGrad accumulators at 1."""
    from ..limits import check_memory

    check_memory(4 * vocab_size * dim * np.dtype(dtype).itemsize,
                 f"GloVe's four {vocab_size:,} x {dim:,} tables (W, C and their AdaGrad sums)")
    rng = np.random.default_rng(seed)
    u = lambda *shape: ((rng.random(shape) - 0.5) / dim).astype(dtype)  # noqa: E731
    return {"W": u(vocab_size, dim), "C": u(vocab_size, dim), "bw": u(vocab_size), "bc": u(vocab_size),
            "GW": np.ones((vocab_size, dim), dtype), "GC": np.ones((vocab_size, dim), dtype),
            "gbw": np.ones(vocab_size, dtype), "gbc": np.ones(vocab_size, dtype)}


def _threads(n: int) -> int:
    if n:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class GloVe:
    """GloVe word vectors. After :meth:`fit`: ``wv``, ``vocab``, ``params`` (W, C = W̃, biases, AdaGrad
    state), ``history`` (cost per epoch: mean ``½ f diff²`` over the non-zeros, as ``glove.c`` prints) and ``stats``."""

    def __init__(self, config: GloVeConfig | None = None, **overrides: Any) -> None:
        config = config or GloVeConfig()
        self.config = config.replace(**overrides) if overrides else config
        self.vocab: Vocabulary | None = None
        self.params: dict[str, np.ndarray] | None = None
        self.epochs_done = 0
        self.history: list[float] = []
        self.stats: dict[str, Any] = {}
        self.wv: KeyedVectors | None = None

    # ------------------------------------------------------------------ data
    def prepare(self, corpus: Corpus | str | os.PathLike | Sequence | None = None, *, ids: np.ndarray | None = None,
                vocab: Vocabulary | Sequence[str] | None = None, cache_dir: str | os.PathLike | bool | None = None,
                progress: bool | None = None) -> sp.csr_matrix:
        """Vocabulary and co-occurrence matrix (from the caches when possible)."""
        cfg = self.config
        if corpus is not None:
            if ids is not None:
                raise ConfigError("give either a corpus or ids + vocab, not both")
            if not isinstance(corpus, Corpus):
                corpus = read_corpus(corpus)
            if self.vocab is not None:  # resuming: the checkpoint's vocabulary must be the corpus's
                vocab = self.vocab
            new_vocab, ids = build_vocab_and_ids(corpus, min_count=cfg.min_count, max_size=cfg.max_vocab,
                                                 cache_dir=cache_dir, progress=progress)
            if vocab is not None and list(vocab.itos) != list(new_vocab.itos):
                raise CheckpointError(f"{corpus.name}: its vocabulary differs from the checkpoint's; resume on "
                                      "the corpus the run started with")
            vocab = new_vocab
        else:
            if ids is None or vocab is None:
                raise ConfigError("fit needs a corpus, or both ids and vocab")
            vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(list(vocab))
            ids = np.asarray(ids)
        if len(vocab) < 2:
            raise DataError(f"only {len(vocab)} word(s) kept at min_count={cfg.min_count}; GloVe needs at least 2 "
                            "— lower --min-count or use more text")
        self.vocab = vocab
        t0 = time.perf_counter()
        X, info = cached_cooccurrence(corpus if isinstance(corpus, Corpus) else None, vocab, ids, window=cfg.window,
                                      weighting=cfg.weighting, cache_dir=cache_dir, progress=progress)
        self.stats.update({"words": len(vocab), "tokens": int(len(ids)), "nnz": int(X.nnz),
                           "cooccurrence_cached": info["cached"], "count_seconds": round(time.perf_counter() - t0, 3)})
        if X.nnz == 0:
            raise DataError("no co-occurrences: the corpus is too short for this window")
        return X

    # ------------------------------------------------------------------ training
    def fit(self, corpus: Corpus | str | os.PathLike | Sequence | None = None, *, ids: np.ndarray | None = None,
            vocab: Vocabulary | Sequence[str] | None = None, matrix: sp.spmatrix | None = None,
            cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None,
            checkpoint: str | os.PathLike | None = None,
            on_epoch: Callable[[int, float, float], None] | None = None) -> KeyedVectors:
        """Train (or go on training after :meth:`load_checkpoint`) up to ``config.epochs``; returns the vectors.

        ``matrix``: a ready co-occurrence matrix (with ``vocab``) instead of a corpus. ``checkpoint``:
        rewritten after every epoch. ``on_epoch(epoch, cost, seconds)`` is called after each epoch.
        """
        cfg = self.config
        t0 = time.perf_counter()
        if matrix is not None:
            if vocab is None:
                raise ConfigError("a matrix needs its vocab")
            self.vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(list(vocab))
            X = sp.csr_matrix(matrix)
            if X.shape != (len(self.vocab), len(self.vocab)):
                raise ConfigError(f"matrix is {X.shape}, the vocabulary has {len(self.vocab)} words")
            self.stats.update({"words": len(self.vocab), "nnz": int(X.nnz)})
        else:
            X = self.prepare(corpus, ids=ids, vocab=vocab, cache_dir=cache_dir, progress=progress)
        V = len(self.vocab)
        if self.params is None:
            self.params = init_params(V, cfg.dim, cfg.seed)
        elif self.params["W"].shape != (V, cfg.dim):
            raise CheckpointError(f"checkpoint holds {self.params['W'].shape} vectors, the data needs {(V, cfg.dim)}")
        rows, cols, logx, fx = self._shuffled(X)
        del X
        n, T = len(rows), _threads(cfg.threads)
        bounds = [(n * t // T, n * (t + 1) // T) for t in range(T)]
        p = self.params
        dt = p["W"].dtype.type
        logx, fx = logx.astype(dt), fx.astype(dt)
        eta, clip = dt(cfg.lr), dt(cfg.grad_clip)  # scalars of the parameters' type: no float64 promotion
        t_train = time.perf_counter()
        with ThreadPoolExecutor(max_workers=T) as pool:
            while self.epochs_done < cfg.epochs:
                te = time.perf_counter()
                parts = list(pool.map(lambda b: adagrad_slice(rows, cols, logx, fx, p["W"], p["C"], p["bw"], p["bc"],
                                                              p["GW"], p["GC"], p["gbw"], p["gbc"], eta,
                                                              clip, b[0], b[1]), bounds))
                cost = sum(c for c, _ in parts) / max(1, n)
                if not (np.isfinite(cost) and np.isfinite(p["W"].sum()) and np.isfinite(p["C"].sum())):
                    raise ConfigError(f"GloVe training diverged in epoch {self.epochs_done + 1}: the cost or the "
                                      f"vectors became non-finite (nan/inf); the learning rate (--lr {cfg.lr:g}) is "
                                      f"probably too high, or --grad-clip too loose ({cfg.grad_clip:g})")
                self.epochs_done += 1
                self.history.append(cost)
                seconds = time.perf_counter() - te
                log.info("glove epoch %d/%d: cost %.6f (%.1f s)", self.epochs_done, cfg.epochs, cost, seconds)
                if on_epoch is not None:
                    on_epoch(self.epochs_done, cost, seconds)
                if checkpoint is not None and is_main():  # torchrun: rank 0 writes
                    self.save_checkpoint(checkpoint)
        self.stats.update({"train_seconds": round(time.perf_counter() - t_train, 3),
                           "seconds": round(time.perf_counter() - t0, 3), "threads": T})
        self.wv = self.vectors()
        return self.wv

    def _shuffled(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Row, column, ``log X`` and ``f(X)`` of the non-zeros in one fixed random order (seeded)."""
        coo = X.tocoo()
        order = np.random.default_rng(self.config.seed + 1).permutation(coo.nnz)
        rows = coo.row.astype(np.int32)[order]
        cols = coo.col.astype(np.int32)[order]
        vals = coo.data.astype(np.float64)[order]
        return rows, cols, np.log(vals), weights(vals, self.config.x_max, self.config.alpha)

    def cost(self, X: sp.spmatrix) -> float:
        """Mean ``½ f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²`` over the non-zeros of ``X`` (no update)."""
        coo = sp.coo_matrix(X)
        p = self.params
        if p is None:
            raise ConfigError("no parameters yet: call fit() first")
        c = cost_slice(coo.row.astype(np.int32), coo.col.astype(np.int32), np.log(coo.data.astype(np.float64)),
                       weights(coo.data, self.config.x_max, self.config.alpha), p["W"], p["C"], p["bw"], p["bc"],
                       0, coo.nnz)
        return c / max(1, coo.nnz)

    def vectors(self, output: str | None = None, eig: float | None = None) -> KeyedVectors:
        """``W + W̃`` (``output="w+c"``) or ``W`` (``"w"``) as float32 :class:`KeyedVectors`.

        ``eig`` (default ``config.eig``): with ``p ≠ 1`` the vectors' thin SVD ``U S Vᵀ`` is replaced by
        ``U S^p`` — Levy, Goldberg & Dagan 2015's eigenvalue weighting, applied to GloVe's output; it damps
        the few dominant directions (cosines are unchanged at ``p = 1``: ``U S`` is ``W`` rotated).
        """
        output = output or self.config.output
        eig = self.config.eig if eig is None else eig
        p = self.params
        if p is None or self.vocab is None:
            raise ConfigError("no vectors yet: call fit() first")
        vec = p["W"].astype(np.float64) + p["C"] if output == "w+c" else p["W"]
        if eig != 1:
            u, s, _ = np.linalg.svd(np.asarray(vec, np.float64), full_matrices=False)
            vec = u * s ** eig
        counts = self.vocab.counts if len(self.vocab.counts) == len(self.vocab) else None
        return KeyedVectors(list(self.vocab.itos), vec.astype(np.float32), counts=counts)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """All parameters, AdaGrad state, vocabulary, config and progress in one ``.npz`` (no pickle), atomically."""
        if self.params is None or self.vocab is None:
            raise ConfigError("nothing to save: call fit() first")
        from ..provenance import record
        meta = {"format": CHECKPOINT_FORMAT, "config": self.config.to_dict(), "epochs_done": self.epochs_done,
                "history": self.history, "vocab": self.vocab.to_dict(), "stats": self.stats,
                "provenance": record(self.config)}
        with atomic_write(path) as f:
            np.savez(f, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8), **self.params)

    @classmethod
    def load_checkpoint(cls, path: str | os.PathLike) -> "GloVe":
        """A model to go on training (:meth:`fit`) or to read vectors from; one-line errors for other files."""
        from ..schema import NPZ_ERRORS, load_npz, npz_meta

        p = Path(path)
        if not p.is_file():
            raise CheckpointError(f"{p}: no such file")
        try:
            meta = npz_meta(p)
            arrays = load_npz(p, _ARRAYS)
        except DataError as e:
            raise CheckpointError(f"not a GloVe checkpoint: {e}") from None
        except NPZ_ERRORS + (zipfile.BadZipFile,) as e:
            raise CheckpointError(f"{p}: not a readable .npz ({type(e).__name__})") from None
        if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{p}: not a GloVe checkpoint (expected format {CHECKPOINT_FORMAT!r})")
        try:
            config = GloVeConfig(**meta["config"])
            vocab = Vocabulary.from_dict(meta["vocab"], source=str(p))
            done = int(meta["epochs_done"])
            if not 0 <= done <= config.epochs:
                raise ValueError(f"epochs_done {done} outside 0..{config.epochs}")
            history = [float(c) for c in meta.get("history", [])]
        except (KeyError, TypeError, ValueError, AttributeError, WordlabError) as e:
            raise CheckpointError(f"{p}: damaged GloVe checkpoint ({e})") from None
        V, D = len(vocab), config.dim
        shapes = {"W": (V, D), "C": (V, D), "GW": (V, D), "GC": (V, D), "bw": (V,), "bc": (V,), "gbw": (V,),
                  "gbc": (V,)}
        for k, shape in shapes.items():
            a = arrays.get(k)
            if a is None or a.shape != shape or a.dtype not in (np.float32, np.float64):
                raise CheckpointError(f"{p}: array {k} is {None if a is None else (a.shape, str(a.dtype))}, "
                                      f"expected float32 {shape}")
        model = cls(config)
        model.vocab, model.params, model.epochs_done = vocab, arrays, done
        model.history = history
        model.stats = dict(meta["stats"]) if isinstance(meta.get("stats"), dict) else {}
        return model
