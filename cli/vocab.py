"""``wordlab vocab``: count a corpus, print its statistics, optionally save the vocabulary."""

from __future__ import annotations

import argparse
import time

from wordlab.errors import ConfigError
from wordlab.progress import byte_bar
from wordlab.text import SPECIALS
from wordlab.text.shards import build_vocabulary, is_main

from .common import add_corpus_args, check_at_least, corpus_from_args, peak_rss_mb, print_json, print_table
from .configargs import add_deprecated_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vocab", help="count words: vocabulary size, coverage, top words",
                       description="Build a vocabulary from a corpus and print its statistics.")
    add_corpus_args(p)
    p.add_argument("--min-count", type=int, default=1, help="drop words seen fewer times (default: 1)")
    p.add_argument("--max-vocab", type=int, default=None,
                   help="keep at most this many words (specials included; default: no cap)")
    add_deprecated_option(p, "--max-size", dest="max_vocab", use="--max-vocab", type=int)
    p.add_argument("--specials", action="store_true", help=f"add the special tokens {', '.join(SPECIALS)}")
    p.add_argument("--top", type=int, default=20, help="how many of the most frequent words to list (default: 20)")
    p.add_argument("-o", "--output", help="write the vocabulary as JSON to this file ('-' = standard output, "
                   "instead of the statistics)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.set_defaults(func=run, text_outputs=("output",))


def run(args: argparse.Namespace) -> int:
    check_at_least(args, top=0)
    if args.min_count < 1:  # checked before a long read, not after
        raise ConfigError(f"--min-count must be >= 1, got {args.min_count}")
    if args.max_vocab is not None and args.max_vocab <= (len(SPECIALS) if args.specials else 0):
        raise ConfigError(f"--max-vocab must leave room for words beyond the specials, got {args.max_vocab}")
    corpus = corpus_from_args(args)
    t0 = time.perf_counter()
    with byte_bar(corpus.total_bytes, desc="counting", enabled=args.progress) as bar:
        vocab = build_vocabulary(corpus, min_count=args.min_count, max_size=args.max_vocab,  # torchrun: sharded
                                 specials=SPECIALS if args.specials else (), on_bytes=bar.update)
    seconds = time.perf_counter() - t0
    if args.output:
        if is_main():
            vocab.save(args.output)
        if args.output == "-":  # the JSON is the output: no statistics after it
            return 0
    n_special = len(vocab.specials)
    stats = {
        "files": [str(f) for f in corpus.files],
        "tokens": vocab.total_words,
        "vocabulary": len(vocab),
        "words": len(vocab) - n_special,
        "min_count": args.min_count,
        "coverage": round(vocab.coverage(), 6),
        "seconds": round(seconds, 3),
        "tokens_per_second": round(vocab.total_words / seconds) if seconds > 0 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "top": vocab.most_common(args.top),
    }
    if args.json:
        print_json(stats)
    else:
        print_stats(stats, corpus, n_special, args)
    return 0


def print_stats(stats: dict, corpus, n_special: int, args: argparse.Namespace) -> None:
    """The statistics as aligned lines and the table of the most frequent words."""
    print(f"files       {len(corpus.files)} ({corpus.total_bytes / 2**20:,.1f} MiB on disk)")
    print(f"tokens      {stats['tokens']:,}")
    print(f"vocabulary  {stats['vocabulary']:,} (min_count={args.min_count}"
          + (f", {n_special} specials" if n_special else "") + ")")
    print(f"coverage    {100 * stats['coverage']:.2f}% of tokens are in the vocabulary")
    print(f"time        {stats['seconds']:.2f} s ({stats['tokens_per_second'] or 0:,} tokens/s), "
          f"peak RSS {stats['peak_rss_mb']:,.0f} MiB")
    if args.output:
        print(f"saved       {args.output}")
    if args.top:
        total = stats["tokens"]
        print()
        print_table([[i + 1, w, c, f"{100 * c / total:.2f}%"] for i, (w, c) in enumerate(stats["top"])],
                    ["rank", "word", "count", "share"])
