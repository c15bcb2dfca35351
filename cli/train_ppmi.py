"""``wordlab train ppmi``: count-based vectors (sparse co-occurrence → SPPMI → truncated SVD).

Parse → :func:`wordlab.count.train_ppmi` → print. Flags come from :class:`PPMIConfig`'s fields.
"""

from __future__ import annotations

import argparse
import time

from wordlab.count import PPMIConfig, train_ppmi
from wordlab.errors import ConfigError

from .common import add_corpus_args, corpus_from_args, peak_rss_mb
from .configargs import add_config_arguments, add_config_file_argument, add_deprecated_switch, config_from_arguments

_PROBES = ("king", "france", "computer", "water", "music", "good")  # default neighbour queries, when present
# CLI-only defaults of this verb (declared here, in one place): none — PPMIConfig's are the CLI's.
OVERRIDES: dict = {}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ppmi", help="count-based vectors: sparse co-occurrence, (S)PPMI, truncated SVD",
                       description="Count word-context co-occurrences in a window, weight them by shifted positive "
                                   "PMI with context distribution smoothing, and keep the top singular vectors "
                                   "(DLfS-2 ch. 2; Levy, Goldberg & Dagan 2015). Saves the vectors and, beside "
                                   "them, <output>.json with the settings.")
    add_corpus_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="word vectors file: .bin (word2vec binary), .txt/.vec (word2vec text) or .npz (native)")
    add_config_arguments(p, PPMIConfig, overrides=OVERRIDES, group=p.add_argument_group("model"))
    add_deprecated_switch(p, "--harmonic", dest="weighting", value="harmonic", use="--weighting harmonic")
    add_config_file_argument(p)
    p.add_argument("--no-cache", action="store_true", help="do not read or write the corpus id cache")
    p.add_argument("--show", nargs="*", metavar="WORD",
                   help="words whose nearest neighbours to print (default: a few frequent words)")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> PPMIConfig:
    """The :class:`PPMIConfig` the flags (and ``--config FILE``) describe; raises ConfigError for bad values."""
    return config_from_arguments(PPMIConfig, args)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)  # every check before any work
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    t0 = time.perf_counter()
    model, json_path = train_ppmi(corpus, config, output=args.output, cache_dir=False if args.no_cache else None,
                                  progress=args.progress)
    kv = model.wv
    seconds = time.perf_counter() - t0
    st = model.stats
    c = config
    print(f"model       PPMI-SVD, dim {c.dim}, window {c.window} ({c.weighting}"
          f"{', dynamic' if c.dynamic_window else ''}), cds-alpha {c.alpha:g}, shift {c.shift:g}, eig {c.eig:g}"
          f"{', w+c' if c.add_context else ''}, solver {c.solver}")
    print(f"vocabulary  {st['words']:,} words (min_count={c.min_count}), {st['tokens']:,} tokens")
    print(f"matrix      {st['nnz_cooccurrence']:,} co-occurrence non-zeros, {st['nnz_ppmi']:,} PPMI non-zeros "
          f"({100 * st['nnz_ppmi'] / st['words'] ** 2:.2f}% dense)")
    s = st["seconds"]
    print(f"time        {seconds:.1f} s (vocabulary {s['vocab']:.1f}, count {s['count']:.1f}, ppmi {s['ppmi']:.1f}, "
          f"svd {s['svd']:.1f}), peak RSS {peak_rss_mb():,.0f} MiB")
    print(f"saved       {args.output} (+ {json_path.name})")
    probes = [w for w in _PROBES if w in kv.key_to_index and kv.key_to_index[w] < 20000]
    show = args.show if args.show else (probes or [w for w in kv.index_to_key[:200] if w.isalpha()][10:14])[:4]
    for word in show:
        if word not in kv:
            print(f"  {word}: not in vocabulary")
            continue
        near = ", ".join(f"{w} {sim:.2f}" for w, sim in kv.most_similar(word, topn=args.topn))
        print(f"  {word}: {near}")
    return 0
