"""``wordlab train ppmi``: count-based vectors (sparse co-occurrence → SPPMI → truncated SVD)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from wordlab.count import PPMIConfig, PPMISVD
from wordlab.count.svd import SOLVERS
from wordlab.errors import ConfigError

from .common import add_corpus_args, corpus_from_args, peak_rss_mb

_VECTOR_SUFFIXES = (".bin", ".txt", ".vec", ".w2v", ".npz")
_PROBES = ("king", "france", "computer", "water", "music", "good")  # default neighbour queries, when present


def register(sub: argparse._SubParsersAction) -> None:
    d = PPMIConfig()
    p = sub.add_parser("ppmi", help="count-based vectors: sparse co-occurrence, (S)PPMI, truncated SVD",
                       description="Count word-context co-occurrences in a window, weight them by shifted positive "
                                   "PMI with context distribution smoothing, and keep the top singular vectors "
                                   "(DLfS-2 ch. 2; Levy, Goldberg & Dagan 2015). Saves the vectors and, beside "
                                   "them, <output>.json with the settings.")
    add_corpus_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="word vectors file: .bin (word2vec binary), .txt/.vec (word2vec text) or .npz (native)")
    p.add_argument("--dim", type=int, default=d.dim, help=f"vector size: singular vectors kept (default: {d.dim})")
    p.add_argument("--window", type=int, default=d.window,
                   help=f"contexts up to this many words left and right (default: {d.window})")
    p.add_argument("--min-count", type=int, default=d.min_count,
                   help=f"ignore words seen fewer times (default: {d.min_count})")
    p.add_argument("--max-size", type=int, default=None, help="keep at most this many most frequent words")
    p.add_argument("--alpha", type=float, default=d.alpha,
                   help=f"context distribution smoothing exponent, 1 = none (default: {d.alpha})")
    p.add_argument("--shift", type=float, default=d.shift,
                   help=f"SPPMI shift k: max(PMI - log k, 0); 1 = plain PPMI (default: {d.shift:g})")
    p.add_argument("--eig", type=float, default=d.eig,
                   help=f"eigenvalue weight p of the vectors U·S^p (0, 0.5 or 1) (default: {d.eig})")
    p.add_argument("--harmonic", action="store_true", help="weight a context at distance d by 1/d (GloVe style)")
    p.add_argument("--dynamic-window", action="store_true",
                   help="weight a context at distance d by (window-d+1)/window (word2vec's dynamic window)")
    p.add_argument("--subsample", type=float, default=d.subsample,
                   help="drop frequent words before counting, word2vec threshold (e.g. 1e-5; default: 0 = off)")
    p.add_argument("--add-context", action="store_true", help="vectors w + c: add the normalised context vectors")
    p.add_argument("--solver", choices=SOLVERS, default=d.solver,
                   help=f"truncated SVD: block Krylov, randomized subspace iteration or ARPACK (default: {d.solver})")
    p.add_argument("--n-iter", type=int, default=d.n_iter,
                   help=f"power iterations of the krylov / randomized solvers (default: {d.n_iter})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seeds the SVD and subsampling (default: {d.seed})")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the corpus id cache")
    p.add_argument("--show", nargs="*", metavar="WORD",
                   help="words whose nearest neighbours to print (default: a few frequent words)")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> PPMIConfig:
    """The :class:`PPMIConfig` the flags describe (raises ConfigError for bad values)."""
    return PPMIConfig(dim=args.dim, window=args.window, min_count=args.min_count, max_size=args.max_size,
                      alpha=args.alpha, shift=args.shift, eig=args.eig,
                      weighting="harmonic" if args.harmonic else "uniform", dynamic_window=args.dynamic_window,
                      subsample=args.subsample, add_context=args.add_context, solver=args.solver,
                      n_iter=args.n_iter, seed=args.seed)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)  # every check before any work
    out = Path(args.output)
    if not any(str(out).lower().endswith(s) for s in _VECTOR_SUFFIXES):
        raise ConfigError(f"{out}: unknown vector format; end the name in .bin, .txt, .vec or .npz")
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    t0 = time.perf_counter()
    model = PPMISVD(config)
    kv = model.fit(corpus, cache_dir=False if args.no_cache else None, progress=args.progress)
    json_path = model.save(out)
    seconds = time.perf_counter() - t0
    st = model.stats
    c = config
    print(f"model       PPMI-SVD, dim {c.dim}, window {c.window} ({c.weighting}"
          f"{', dynamic' if c.dynamic_window else ''}), alpha {c.alpha:g}, shift {c.shift:g}, eig {c.eig:g}"
          f"{', w+c' if c.add_context else ''}, solver {c.solver}")
    print(f"vocabulary  {st['words']:,} words (min_count={c.min_count}), {st['tokens']:,} tokens")
    print(f"matrix      {st['nnz_cooccurrence']:,} co-occurrence non-zeros, {st['nnz_ppmi']:,} PPMI non-zeros "
          f"({100 * st['nnz_ppmi'] / st['words'] ** 2:.2f}% dense)")
    s = st["seconds"]
    print(f"time        {seconds:.1f} s (vocabulary {s['vocab']:.1f}, count {s['count']:.1f}, ppmi {s['ppmi']:.1f}, "
          f"svd {s['svd']:.1f}), peak RSS {peak_rss_mb():,.0f} MiB")
    print(f"saved       {out} (+ {json_path.name})")
    probes = [w for w in _PROBES if w in kv.key_to_index and kv.key_to_index[w] < 20000]
    show = args.show if args.show else (probes or [w for w in kv.index_to_key[:200] if w.isalpha()][10:14])[:4]
    for word in show:
        if word not in kv:
            print(f"  {word}: not in vocabulary")
            continue
        near = ", ".join(f"{w} {sim:.2f}" for w, sim in kv.most_similar(word, topn=args.topn))
        print(f"  {word}: {near}")
    return 0
