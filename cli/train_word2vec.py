"""``wordlab train word2vec``: CBOW / skip-gram vectors from a corpus, saved as word2vec .bin/.txt or .npz."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from wordlab.errors import ConfigError
from wordlab.word2vec import Word2Vec, Word2VecConfig
from wordlab.word2vec.config import TRAINERS

from .common import add_corpus_args, corpus_from_args, peak_rss_mb

log = logging.getLogger(__name__)
_VECTOR_SUFFIXES = (".bin", ".txt", ".vec", ".w2v", ".npz")


def register(sub: argparse._SubParsersAction) -> None:
    d = Word2VecConfig()
    p = sub.add_parser("word2vec", help="CBOW / skip-gram with negative sampling (fast multi-core CPU trainer)",
                       description="Train word2vec (CBOW or skip-gram, negative sampling) on a corpus and save "
                                   "the word vectors; prints the nearest neighbours of a few frequent words.")
    add_corpus_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="word vectors file: .bin (word2vec binary), .txt/.vec (word2vec text) or .npz (native)")
    arch = p.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="sg", action="store_const", const=1, default=d.sg,
                      help="skip-gram: each context word predicts the centre word")
    arch.add_argument("--cbow", dest="sg", action="store_const", const=0,
                      help="CBOW: the mean of the context predicts the centre word (the default)")
    p.add_argument("--dim", type=int, default=d.vector_size, help=f"vector size (default: {d.vector_size})")
    p.add_argument("--window", type=int, default=d.window,
                   help=f"largest context distance; each centre word draws one in 1..window (default: {d.window})")
    p.add_argument("--negative", type=int, default=d.negative,
                   help=f"noise words per positive (default: {d.negative})")
    p.add_argument("--ns-exponent", type=float, default=d.ns_exponent,
                   help=f"noise distribution count**x (default: {d.ns_exponent})")
    p.add_argument("--sample", type=float, default=d.sample,
                   help=f"subsampling threshold for frequent words, 0 = off (default: {d.sample:g})")
    p.add_argument("--min-count", type=int, default=d.min_count,
                   help=f"ignore words seen fewer times (default: {d.min_count})")
    p.add_argument("--max-vocab-size", type=int, default=None, help="keep at most this many most frequent words")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"passes over the corpus (default: {d.epochs})")
    p.add_argument("--alpha", type=float, default=d.alpha, help=f"initial learning rate (default: {d.alpha})")
    p.add_argument("--min-alpha", type=float, default=d.min_alpha,
                   help=f"final learning rate, reached linearly (default: {d.min_alpha})")
    p.add_argument("--workers", type=int, default=0, help="training threads (default: 0 = all cores)")
    p.add_argument("--seed", type=int, default=d.seed,
                   help=f"random seed; with --workers 1 the vectors are bit-reproducible (default: {d.seed})")
    p.add_argument("--batch-words", type=int, default=d.batch_words,
                   help=f"words per job handed to a thread (default: {d.batch_words})")
    p.add_argument("--trainer", choices=TRAINERS, default=d.trainer,
                   help="fast: compiled multi-threaded CPU kernel; torch: mini-batches through the torch "
                        "modules (CUDA when available) (default: fast)")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help=f"centre words per mini-batch of the torch trainer (default: {d.batch_size})")
    p.add_argument("--save-model", metavar="MODEL.npz",
                   help="also save the full model (for further training); it is rewritten after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue the run checkpointed in --save-model (starts afresh when that file does not exist)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the corpus id cache")
    p.add_argument("--show", nargs="*", metavar="WORD",
                   help="words whose neighbours to print (default: a few frequent words)")
    p.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"),
                   help="also answer 'A is to B as C is to ?' (e.g. man king woman)")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> Word2VecConfig:
    """The :class:`Word2VecConfig` the flags describe (raises ConfigError for bad values)."""
    return Word2VecConfig(
        vector_size=args.dim, window=args.window, min_count=args.min_count, max_vocab_size=args.max_vocab_size,
        sample=args.sample, sg=args.sg, negative=args.negative, ns_exponent=args.ns_exponent, epochs=args.epochs,
        alpha=args.alpha, min_alpha=args.min_alpha, workers=args.workers, seed=args.seed,
        batch_words=args.batch_words, trainer=args.trainer, batch_size=args.batch_size)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)  # every check before any work
    out = Path(args.output)
    if not any(str(out).lower().endswith(s) or str(out).lower().endswith(s + ".gz") for s in _VECTOR_SUFFIXES):
        raise ConfigError(f"{out}: unknown vector format; end the name in .bin, .txt, .vec or .npz")
    if args.resume and not args.save_model:
        raise ConfigError("--resume needs --save-model MODEL.npz (the checkpoint to continue)")
    if args.save_model and not str(args.save_model).endswith(".npz"):
        raise ConfigError(f"{args.save_model}: the model file must end in .npz")
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    cache = False if args.no_cache else None
    t0 = time.perf_counter()
    model = None
    if args.resume and Path(args.save_model).exists():
        model = Word2Vec.load(args.save_model, progress=args.progress)
        model.cache_dir = cache
        if model.config != config.replace(workers=model.config.workers):
            log.warning("resuming with the checkpoint's settings (%s), not the command line's", args.save_model)
        model.set_corpus(corpus)
        done, total = model.state["epochs_done"], model.state["epochs_total"]
        print(f"resuming    {args.save_model}: {done} of {total} epochs done")
    else:
        model = Word2Vec(config=config, progress=args.progress, cache_dir=cache)
        model.build_vocab(corpus)
    if model.state["epochs_total"] and model.state["epochs_done"] >= model.state["epochs_total"] and args.resume:
        summary = None
        print("training    already complete")
    else:
        summary = model.train(resume=args.resume, checkpoint=args.save_model)
    model.wv.save(out)
    if args.save_model:
        model.save(args.save_model)
    seconds = time.perf_counter() - t0
    c = model.config
    print(f"model       {'skip-gram' if c.sg else 'CBOW'}, dim {c.vector_size}, window {c.window}, "
          f"negative {c.negative}, sample {c.sample:g}, trainer {c.trainer}")
    print(f"vocabulary  {len(model.vocab):,} words (min_count={c.min_count})")
    if summary is not None:
        print(f"trained     {summary['words']:,} words ({summary['effective_words']:,} after subsampling) in "
              f"{summary['seconds']:.1f} s: {summary['words_per_second']:,.0f} words/s, final loss "
              f"{summary['loss']:.4f}")
    print(f"time        {seconds:.1f} s end to end, peak RSS {peak_rss_mb():,.0f} MiB")
    print(f"saved       {out}" + (f" and {args.save_model}" if args.save_model else ""))
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
