"""``wordlab train fasttext``: subword (character n-gram) vectors from a corpus, saved as the tool's .bin.

Parse → :func:`wordlab.fasttext.train_fasttext` → print. Model flags come from
:class:`~wordlab.fasttext.FastTextConfig`'s fields: ``train word2vec``'s flags plus ``--min-n``,
``--max-n`` and ``--bucket``.
"""

from __future__ import annotations

import argparse

from wordlab.errors import ConfigError
from wordlab.fasttext import FastTextConfig
from wordlab.fasttext.run import FORMATS, train_fasttext

from .common import add_corpus_args, corpus_from_args
from .configargs import add_config_arguments, add_config_file_argument, config_from_arguments
from .train_word2vec import _frequent_words, print_run

# CLI-only defaults of this verb (declared here, in one place): none — FastTextConfig's are the CLI's.
OVERRIDES: dict = {}
EXCLUDE = ("trainer", "batch_size")  # fastText trains with the compiled CPU kernel only


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fasttext", help="fastText: skip-gram / CBOW over words and character n-grams",
                       description="Train fastText subword vectors (Bojanowski et al. 2017) on a corpus; every "
                                   "word, seen or not, gets a vector from its character n-grams. Prints the "
                                   "neighbours of a few words (unseen ones too).")
    add_corpus_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="model file: .bin (the fastText tool's format; the tool and gensim load it), .vec/.txt "
                        "(word2vec text of the vocabulary) or .npz (wordlab subword vectors)")
    p.add_argument("--format", choices=FORMATS, default="fasttext",
                   help="for a .bin output: fasttext (the tool's model) or word2vec (binary vectors of the vocabulary)")
    add_config_arguments(p, FastTextConfig, overrides=OVERRIDES, exclude=EXCLUDE,
                         group=p.add_argument_group("model and training"))
    add_config_file_argument(p)
    p.add_argument("--save-model", metavar="MODEL.npz",
                   help="also save the full model (for further training); it is rewritten after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue the run checkpointed in --save-model (starts afresh when that file does not exist)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the corpus id cache")
    p.add_argument("--phrases", metavar="TABLE.json",
                   help="train on the corpus phrased by this table (wordlab phrases --save-table), on the fly")
    p.add_argument("--show", nargs="*", metavar="WORD",
                   help="words whose neighbours to print, in the vocabulary or not (default: a few frequent words)")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_arguments(FastTextConfig, args)  # every check before any work
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    if args.phrases:
        from wordlab.phrases.corpus import phrased_corpus
        corpus = phrased_corpus(corpus, args.phrases)
    res = train_fasttext(corpus, config, output=args.output, format=args.format,
                         save_model=args.save_model, resume=args.resume, cache_dir=False if args.no_cache else None,
                         progress=args.progress)
    model = res.model
    c = model.config
    print_run(args, res, f"fastText {'skip-gram' if c.sg else 'CBOW'}, dim {c.vector_size}, window {c.window}, "
                         f"negative {c.negative}, n-grams {c.min_n}..{c.max_n} in {c.bucket:,} buckets, "
                         f"lr {c.alpha:g}")
    kv = model.wv
    print()
    for w in (args.show if args.show else _frequent_words(model)):
        if not kv.has_vector(w):
            print(f"{w}: no vector (not in the vocabulary and no character n-gram)")
            continue
        near = kv.most_similar(w, topn=args.topn)
        tag = "" if w in kv else " (not in the vocabulary: n-grams)"
        print(f"{w}{tag}: " + ", ".join(f"{x} ({s:.2f})" for x, s in near))
    return 0
