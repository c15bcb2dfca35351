"""``PPMISVD``: corpus → vocabulary → sparse co-occurrence → (S)PPMI → truncated SVD → ``KeyedVectors``.

The count-based word vectors of DLfS-2 ch. 2 with the hyper-parameters Levy, Goldberg & Dagan 2015
("Improving Distributional Similarity with Lessons Learned from Word Embeddings", TACL; the
hyperwords code) found to make PPMI-SVD competitive with skip-gram: context distribution smoothing
(``alpha``), shifted PPMI (``shift``), eigenvalue weighting (``eig``), dynamic / harmonic context
weighting, subsampling and adding context vectors.

    >>> model = PPMISVD(PPMIConfig(dim=100, window=2, min_count=1))           # doctest: +SKIP
    >>> kv = model.fit(read_corpus("corpora/text8-head.gz"))                  # doctest: +SKIP
    >>> model.save("vectors.bin")    # vectors.bin + vectors.bin.json (config and stats)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..atomic import atomic_write_text
from ..errors import ConfigError, DataError
from ..text import Corpus, Vocabulary, build_vocab_and_ids, read_corpus
from ..vectors import KeyedVectors
from .cooccurrence import WEIGHTINGS, check_window, cooccurrence
from .ppmi import check_ppmi_args, ppmi
from .svd import SOLVERS, check_dim, svd_vectors

log = logging.getLogger(__name__)

FORMAT = "wordlab.ppmi/1"


@dataclass(frozen=True)
class PPMIConfig:
    """Hyper-parameters of :class:`PPMISVD` (Levy et al. 2015 names in brackets).

    dim: vector size ``d`` (singular triplets kept).
    window: context window ``L``, words up to ``L`` positions left and right [win].
    min_count: drop words seen fewer times before counting; max_size: keep at most this many words.
    alpha: context distribution smoothing exponent [cds]; 1 = none.
    shift: SPPMI shift ``k``, ``max(PMI − log k, 0)`` [neg]; 1 = plain PPMI.
    eig: eigenvalue weight ``p`` in ``U Σ^p`` [eig].
    weighting: ``"uniform"`` or ``"harmonic"`` (``1/d``) context weights.
    dynamic_window: weight by ``(L − d + 1)/L``, word2vec's dynamic window in expectation [dyn].
    subsample: word2vec subsampling threshold, 0 = off [sub].
    add_context: vectors ``ŵ + ĉ`` instead of ``w`` [w+c].
    solver, n_iter, oversample: truncated SVD (see :func:`wordlab.count.svd.truncated_svd`).
    seed: seeds subsampling and the SVD.
    """

    dim: int = 300
    window: int = 5
    min_count: int = 5
    max_size: int | None = None
    alpha: float = 0.75
    shift: float = 1.0
    eig: float = 0.5
    weighting: str = "uniform"
    dynamic_window: bool = False
    subsample: float = 0.0
    add_context: bool = False
    solver: str = "krylov"
    n_iter: int = 4
    oversample: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        check_window(self.window)
        if isinstance(self.dim, bool) or not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise ConfigError(f"dim must be an integer >= 1, got {self.dim!r}")
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, (int, np.integer)) or self.min_count < 1:
            raise ConfigError(f"min_count must be an integer >= 1, got {self.min_count!r}")
        if self.max_size is not None and self.max_size < 2:
            raise ConfigError(f"max_size must be >= 2 (or None), got {self.max_size}")
        check_ppmi_args(self.alpha, self.shift)
        if not np.isfinite(self.eig):
            raise ConfigError(f"eig must be a finite number, got {self.eig}")
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {self.weighting!r}")
        if not 0 <= self.subsample < 1:
            raise ConfigError(f"subsample must be in [0, 1) (e.g. 1e-5; 0 = off), got {self.subsample}")
        if self.solver not in SOLVERS:
            raise ConfigError(f"solver must be one of {', '.join(SOLVERS)}, not {self.solver!r}")
        if self.n_iter < 0 or self.oversample < 0:
            raise ConfigError(f"n_iter and oversample must be >= 0, got {self.n_iter} and {self.oversample}")


class PPMISVD:
    """Count-based word vectors: sparse co-occurrence → SPPMI → truncated SVD (DLfS-2 ch. 2, Levy et al. 2015).

    After :meth:`fit`: ``wv`` (the :class:`KeyedVectors`), ``vocab``, and ``stats`` (sizes and seconds per stage).
    """

    def __init__(self, config: PPMIConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = PPMIConfig(**overrides)
        elif overrides:
            config = PPMIConfig(**{**asdict(config), **overrides})
        self.config = config
        self.wv: KeyedVectors | None = None
        self.vocab: Vocabulary | None = None
        self.stats: dict[str, Any] = {}

    def fit(self, corpus: Corpus | str | os.PathLike | Sequence[str | os.PathLike] | None = None, *,
            ids: np.ndarray | None = None, vocab: Vocabulary | Sequence[str] | None = None,
            cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None) -> KeyedVectors:
        """Train on ``corpus`` (a :class:`Corpus` or file paths), or on ``ids`` + ``vocab`` already encoded.

        ``min_count`` / ``max_size`` apply only when a corpus is given. Returns the vectors (also ``self.wv``).
        Raises :class:`DataError` / :class:`ConfigError` with a one-line message before the counting
        starts when the vocabulary has fewer than two words or ``dim`` is not below its size.
        """
        cfg = self.config
        t0 = time.perf_counter()
        if corpus is not None:
            if ids is not None or vocab is not None:
                raise ConfigError("give either a corpus or ids + vocab, not both")
            if not isinstance(corpus, Corpus):
                corpus = read_corpus(corpus)
            vocab, ids = build_vocab_and_ids(corpus, min_count=cfg.min_count, max_size=cfg.max_size,
                                             cache_dir=cache_dir, progress=progress)
            source = getattr(corpus, "name", None) or ", ".join(str(f) for f in corpus.files)
        else:
            if ids is None or vocab is None:
                raise ConfigError("fit needs a corpus, or both ids and vocab")
            if not isinstance(vocab, Vocabulary):
                vocab = Vocabulary(list(vocab))
            ids = np.asarray(ids)
            source = "ids"
        words = vocab.itos
        t_vocab = time.perf_counter()
        distinct = int(np.count_nonzero(np.bincount(ids, minlength=len(words)))) if len(ids) else 0
        if len(words) < 2 or distinct < 2:
            raise DataError(f"{source}: only {min(len(words), distinct)} distinct word(s) kept at "
                            f"min_count={cfg.min_count}; PPMI needs at least 2 — lower --min-count or use more text")
        check_dim(cfg.dim, (len(words), len(words)))

        C = cooccurrence(ids, len(words), cfg.window, weighting=cfg.weighting, dynamic_window=cfg.dynamic_window,
                         subsample=cfg.subsample or None, counts=vocab.counts if len(vocab.counts) else None,
                         total_words=vocab.total_words or None, seed=cfg.seed, progress=progress)
        t_count = time.perf_counter()
        nnz_counts = C.nnz
        M = ppmi(C, alpha=cfg.alpha, shift_k=cfg.shift)
        del C
        t_ppmi = time.perf_counter()
        vectors = svd_vectors(M, cfg.dim, cfg.eig, cfg.add_context, solver=cfg.solver, n_iter=cfg.n_iter,
                              oversample=cfg.oversample, seed=cfg.seed, progress=progress)
        t_svd = time.perf_counter()
        self.vocab = vocab
        self.wv = KeyedVectors(words, vectors, counts=vocab.counts if len(vocab.counts) == len(words) else None)
        self.stats = {
            "words": len(words), "tokens": int(len(ids)), "nnz_cooccurrence": int(nnz_counts), "nnz_ppmi": int(M.nnz),
            "seconds": {"vocab": round(t_vocab - t0, 3), "count": round(t_count - t_vocab, 3),
                        "ppmi": round(t_ppmi - t_count, 3), "svd": round(t_svd - t_ppmi, 3),
                        "total": round(t_svd - t0, 3)},
        }
        log.info("ppmi-svd: %d words, %d co-occurrence non-zeros, %d PPMI non-zeros, %.1f s",
                 len(words), nnz_counts, M.nnz, t_svd - t0)
        return self.wv

    # ------------------------------------------------------------------ files
    @staticmethod
    def config_path(path: str | os.PathLike) -> Path:
        """Where :meth:`save` puts the config: ``<vectors path>.json``."""
        return Path(f"{os.fspath(path)}.json")

    def save(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write the vectors (format from the suffix, atomic) and the config + stats beside them; returns the JSON path."""
        if self.wv is None:
            raise ConfigError("nothing to save: call fit() first")
        self.wv.save(path, format=format)
        meta = {"format": FORMAT, "method": "ppmi-svd", "vectors": Path(path).name,
                "config": asdict(self.config), "stats": self.stats}
        json_path = self.config_path(path)
        atomic_write_text(json_path, json.dumps(meta, indent=2) + "\n")
        return json_path

    @classmethod
    def load_config(cls, path: str | os.PathLike) -> PPMIConfig:
        """The :class:`PPMIConfig` saved beside the vectors at ``path`` (or the JSON file itself)."""
        p = Path(path)
        p = p if p.suffix == ".json" and not cls.config_path(p).exists() else cls.config_path(p)
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{p}: no such file (the config is written beside the vectors as <vectors>.json)") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"{p}: not valid JSON ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise DataError(f"{p}: not a wordlab PPMI config (expected format {FORMAT!r})")
        known = {f.name for f in fields(PPMIConfig)}
        return PPMIConfig(**{k: v for k, v in meta.get("config", {}).items() if k in known})
