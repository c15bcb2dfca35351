"""``wordlab retrofit``: pull word vectors toward their WordNet neighbours (Faruqui et al. 2015).

Parse → :func:`wordlab.thesaurus.retrofit` → save → print.
"""

from __future__ import annotations

import argparse
import time

from wordlab.errors import ConfigError

from .vectors import load_vectors


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retrofit", help="retrofit word vectors to WordNet (Faruqui et al. 2015)",
                       description="Move each vector toward the mean of its WordNet neighbours while keeping it near "
                                   "the original: q_i = (deg q^_i + sum_j q_j) / (2 deg), iterated (Faruqui et al. "
                                   "2015). Any vector file in; the output format follows its suffix.")
    p.add_argument("vectors", metavar="VECTORS", help="input vectors (any format wordlab reads)")
    p.add_argument("-o", "--output", required=True, help="retrofitted vectors (.bin, .txt/.vec or .npz)")
    p.add_argument("--lexicon", choices=("synonyms", "all"), default="synonyms",
                   help="synonyms, or all = synonyms + hypernyms + hyponyms (the paper's WN_all) (default: synonyms)")
    p.add_argument("--iterations", type=int, default=10, help="update rounds (default: 10, as the paper)")
    p.add_argument("--wordnet", metavar="DIR", help="WordNet 3.0 folder (default: $WORDLAB_WORDNET or /usr/share/wordnet)")
    p.add_argument("--eval", nargs="*", metavar="PAIRS", help="word-pair files to score before and after")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordlab.atomic import check_output
    from wordlab.thesaurus import load_wordnet, retrofit
    if args.iterations < 0:
        raise ConfigError(f"--iterations must be >= 0, got {args.iterations}")
    check_output(args.output, [args.vectors], binary=True, what="vectors file")
    wn = load_wordnet(args.wordnet)
    kv = load_vectors(args.vectors, progress=args.progress)
    t0 = time.perf_counter()
    new, stats = retrofit(kv, args.lexicon, args.iterations, wn)
    new.save(args.output)
    print(f"retrofit    {stats['words_with_neighbours']:,} of {stats['words']:,} words have WordNet neighbours "
          f"({stats['lexicon']}, {stats['edges']:,} edges), {args.iterations} iterations, "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"saved       {args.output}")
    for path in args.eval or []:
        before = kv.evaluate_word_pairs(path, delimiter=None)
        after = new.evaluate_word_pairs(path, delimiter=None)
        print(f"  {path}: spearman {before[1][0]:.4f} -> {after[1][0]:.4f}")
    return 0
