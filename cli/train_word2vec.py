"""``wordlab train word2vec``: CBOW / skip-gram vectors from a corpus, saved as word2vec .bin/.txt or .npz.

Parse → :func:`wordlab.word2vec.train_word2vec` → print. Model flags come from
:class:`Word2VecConfig`'s fields (its defaults are this verb's defaults).
"""

from __future__ import annotations

import argparse

from wordlab.errors import ConfigError
from wordlab.word2vec import Word2Vec, Word2VecConfig, train_word2vec

from .common import add_corpus_args, corpus_from_args, peak_rss_mb
from .configargs import add_config_arguments, add_config_file_argument, config_from_arguments

# CLI-only defaults of this verb (declared here, in one place): none — Word2VecConfig's are the CLI's.
OVERRIDES: dict = {}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("word2vec", help="CBOW / skip-gram with negative sampling (fast multi-core CPU trainer)",
                       description="Train word2vec (CBOW or skip-gram, negative sampling) on a corpus and save "
                                   "the word vectors; prints the nearest neighbours of a few frequent words.")
    add_corpus_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="word vectors file: .bin (word2vec binary), .txt/.vec (word2vec text) or .npz (native)")
    add_config_arguments(p, Word2VecConfig, overrides=OVERRIDES, group=p.add_argument_group("model and training"))
    add_config_file_argument(p)
    p.add_argument("--save-model", metavar="MODEL.npz",
                   help="also save the full model (for further training); it is rewritten after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue the run checkpointed in --save-model (starts afresh when that file does not exist)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the corpus id cache")
    p.add_argument("--phrases", metavar="TABLE.json",
                   help="train on the corpus phrased by this table (wordlab phrases --save-table), on the fly")
    p.add_argument("--show", nargs="*", metavar="WORD",
                   help="words whose neighbours to print (default: a few frequent words)")
    p.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"),
                   help="also answer 'A is to B as C is to ?' (e.g. man king woman)")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> Word2VecConfig:
    """The :class:`Word2VecConfig` the flags (and ``--config FILE``) describe; raises ConfigError for bad values."""
    return config_from_arguments(Word2VecConfig, args)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)  # every check before any work
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    if args.phrases:
        from wordlab.phrases.corpus import phrased_corpus
        corpus = phrased_corpus(corpus, args.phrases)
    res = train_word2vec(corpus, config, output=args.output, save_model=args.save_model, resume=args.resume,
                         cache_dir=False if args.no_cache else None, progress=args.progress)
    model = res.model
    c = model.config
    print_run(args, res, f"{'skip-gram' if c.sg else 'CBOW'}, dim {c.vector_size}, window {c.window}, "
                         f"negative {c.negative}, sample {c.sample:g}, trainer {c.trainer}")
    kv = model.wv
    words = args.show if args.show else _frequent_words(model)
    print()
    for w in words:
        if w not in kv:
            print(f"{w}: not in vocabulary")
            continue
        near = kv.most_similar(w, topn=args.topn)
        print(f"{w}: " + ", ".join(f"{x} ({s:.2f})" for x, s in near))
    if args.analogy:
        a, b, cc = args.analogy
        best = kv.most_similar(positive=[b, cc], negative=[a], topn=args.topn)
        print(f"\n{a} : {b} :: {cc} : " + ", ".join(f"{x} ({s:.2f})" for x, s in best))
    return 0


def _frequent_words(model: Word2Vec, n: int = 4) -> list[str]:
    """A few frequent content-ish words: ranks 100, 200, 400, 800 (the top ranks are function words)."""
    itos = model.vocab.itos
    ranks = [r for r in (100, 200, 400, 800) if r < len(itos)] or list(range(min(n, len(itos))))
    return [itos[r] for r in ranks[:n]]


def print_run(args: argparse.Namespace, res, model_line: str) -> None:
    """The lines ``train word2vec`` and ``train fasttext`` print after training (``model_line``: the model's)."""
    model, summary = res.model, res.summary
    if res.resumed_from:
        print(f"resuming    {args.save_model}: {res.resumed_from[0]} of {res.resumed_from[1]} epochs done")
    if summary is None:
        print("training    already complete")
    print(f"model       {model_line}")
    print(f"vocabulary  {len(model.vocab):,} words (min_count={model.config.min_count})")
    if summary is not None:
        print(f"trained     {summary['words']:,} words ({summary['effective_words']:,} after subsampling) in "
              f"{summary['seconds']:.1f} s: {summary['words_per_second']:,.0f} words/s, final loss "
              f"{summary['loss']:.4f}")
    print(f"time        {res.seconds:.1f} s end to end, peak RSS {peak_rss_mb():,.0f} MiB")
    print(f"saved       {args.output}" + (f" and {args.save_model}" if args.save_model else ""))
