"""``wordlab phrases``: join collocations (``new_york``, ``bank_of_america``) with gensim 4's ``Phrases`` scores.

Parse → :func:`wordlab.phrases.phrase_corpus` → print. Flags come from :class:`PhrasesConfig`'s fields.
"""

from __future__ import annotations

import argparse
import time

from wordlab.errors import ConfigError
from wordlab.phrases import PhrasesConfig
from wordlab.phrases.model import phrase_corpus

from .common import add_corpus_args, corpus_from_args, peak_rss_mb
from .configargs import add_config_arguments, add_config_file_argument, config_from_arguments

# CLI-only defaults of this verb (declared here, in one place): none — PhrasesConfig's are the CLI's.
OVERRIDES: dict = {}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phrases", help="detect phrases (new_york, bank_of_america) and write the phrased corpus",
                       description="Count words and adjacent word pairs (connector words such as 'of' may sit "
                                   "inside), score each pair as gensim 4's Phrases does, and join the pairs above "
                                   "--threshold with the delimiter; --passes 2 also joins phrases with a word "
                                   "(new_york_times). Each line is a sentence. Writes the phrased text and, with "
                                   "--save-table, the frozen phrase table (JSON) that `train word2vec --phrases` "
                                   "applies on the fly.")
    add_corpus_args(p)
    p.add_argument("-o", "--output", help="phrased text (.gz compresses; '-' = standard output)")
    p.add_argument("--save-table", metavar="TABLE.json", help="also save the phrase table as JSON")
    p.add_argument("--table", metavar="TABLE.json", help="apply this saved table instead of learning one")
    add_config_arguments(p, PhrasesConfig, overrides=OVERRIDES, group=p.add_argument_group("phrases"))
    add_config_file_argument(p)
    p.add_argument("--show", type=int, default=10, metavar="N", help="print the N best-scored phrases (default: 10)")
    p.set_defaults(func=run, text_outputs=("output", "save_table"))


def run(args: argparse.Namespace) -> int:
    config = config_from_arguments(PhrasesConfig, args)
    if args.output is None and args.save_table is None:
        raise ConfigError("nothing to write: give -o PHRASED.txt and/or --save-table TABLE.json")
    if args.show < 0:
        raise ConfigError(f"--show must be >= 0, got {args.show}")
    corpus = corpus_from_args(args)
    t0 = time.perf_counter()
    table, stats = phrase_corpus(corpus, args.output, config, table=args.table, save_table=args.save_table,
                                 progress=args.progress)
    seconds = time.perf_counter() - t0
    to_stdout = args.output == "-"
    say = (lambda *a: None) if to_stdout else print
    for k, st in enumerate(table.provenance.get("stats", []) if args.table is None else [], start=1):
        say(f"pass {k}      {st['words']:,} words, {st['candidates']:,} candidates, {st['phrases']:,} phrases")
    say(f"time        {seconds:.1f} s (learn {stats['learn_seconds']:.1f}, write {stats['write_seconds']:.1f}), "
        f"peak RSS {peak_rss_mb():,.0f} MiB")
    if args.output and not to_stdout:
        say(f"saved       {args.output} ({stats['lines']:,} lines)" + (f" and {args.save_table}" if args.save_table else ""))
    elif args.save_table:
        say(f"saved       {args.save_table}")
    best = sorted(table.phrases().items(), key=lambda kv: -kv[1])[:args.show]
    if best:
        say("phrases     " + ", ".join(f"{p} ({s:.3g})" for p, s in best))
    return 0
