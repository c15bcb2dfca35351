"""``wordlab train glove``: GloVe vectors (weighted least squares on log co-occurrence counts, AdaGrad).

Parse → :func:`wordlab.count.glove_train.train_glove` → print. Flags come from :class:`GloVeConfig`'s fields.
"""

from __future__ import annotations

import argparse
import sys
import time

from wordlab.count.glove_config import PRESETS, GloVeConfig
from wordlab.count.glove_train import train_glove
from wordlab.errors import ConfigError

from .common import add_corpus_args, corpus_from_args, peak_rss_mb
from .configargs import add_config_arguments, add_config_file_argument, config_from_arguments

# CLI-only defaults of this verb (declared here, in one place): none — GloVeConfig's are the CLI's.
OVERRIDES: dict = {}
_PROBES = ("king", "france", "computer", "water", "music", "good")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("glove", help="GloVe: weighted least squares on log co-occurrence counts (AdaGrad, Hogwild)",
                       description="Count co-occurrences in a symmetric window weighted 1/d (cached on disk), then "
                                   "fit w_i.w~_j + b_i + b~_j = log X_ij weighted by f(X) = min(1, (X/x_max)^a) with "
                                   "AdaGrad over the shuffled non-zeros (Pennington et al. 2014). Writes W + W~ "
                                   "(--output w for W alone); .txt is the reference tool's text without a header.")
    add_corpus_args(p)
    p.add_argument("-o", "--vectors", "--out", dest="vectors_out", required=True, metavar="VECTORS",
                   help="vectors file: .txt (GloVe text, no header), .vec (word2vec text), .bin or .npz")
    p.add_argument("--format", choices=("glove", "text", "bin", "npz"), help="vector format instead of the suffix's")
    add_config_arguments(p, GloVeConfig, overrides=OVERRIDES, group=p.add_argument_group("model"))
    add_config_file_argument(p, presets=PRESETS)
    p.add_argument("--save-model", metavar="MODEL.npz",
                   help="checkpoint (parameters + AdaGrad state), rewritten after every epoch")
    p.add_argument("--resume", action="store_true", help="continue the run checkpointed in --save-model")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the id and co-occurrence caches")
    p.add_argument("--show", nargs="*", metavar="WORD", help="words whose nearest neighbours to print")
    p.add_argument("--topn", type=int, default=5, help="neighbours per word (default: 5)")
    p.set_defaults(func=run, text_format_of={"vectors_out": ("format", ("glove", "text"))})


def run(args: argparse.Namespace) -> int:
    config = config_from_arguments(GloVeConfig, args)
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    corpus = corpus_from_args(args)
    out = sys.stderr if args.vectors_out == "-" else sys.stdout  # the vectors themselves may be on stdout

    def say(*parts: object, **kw: object) -> None:
        print(*parts, file=out, **kw)

    t0 = time.perf_counter()
    if args.resume and args.save_model:
        say(f"resuming    {args.save_model} (if it exists)")

    def on_epoch(epoch: int, cost: float, seconds: float) -> None:
        say(f"epoch {epoch:3d}   cost {cost:.6f}  ({seconds:.1f} s)", flush=True)

    model = train_glove(corpus, config, output=args.vectors_out, format=args.format, checkpoint=args.save_model,
                        resume=args.resume, cache_dir=False if args.no_cache else None, progress=args.progress,
                        on_epoch=on_epoch)
    st, c = model.stats, model.config
    say(f"model       GloVe, dim {c.dim}, window {c.window} ({c.weighting}), x_max {c.x_max:g}, alpha {c.alpha:g}, "
          f"lr {c.lr:g}, output {c.output}" + (f" (eigenvalue weight {c.eig:g})" if c.eig != 1 else "")
        + f", {st.get('threads', '?')} threads")
    say(f"vocabulary  {st.get('words', 0):,} words (min_count={c.min_count}), {st.get('tokens', 0):,} tokens, "
          f"{st.get('nnz', 0):,} co-occurrence non-zeros" + (" (cached)" if st.get("cooccurrence_cached") else ""))
    say(f"time        {time.perf_counter() - t0:.1f} s end to end (counting {st.get('count_seconds', 0):.1f}, "
          f"training {st.get('train_seconds', 0):.1f}), peak RSS {peak_rss_mb():,.0f} MiB")
    say(f"saved       {args.vectors_out}" + (f" and {args.save_model}" if args.save_model else ""))
    kv = model.wv
    show = args.show or [w for w in _PROBES if w in kv.key_to_index][:4]
    for word in show:
        if word not in kv:
            say(f"  {word}: not in vocabulary")
            continue
        say(f"  {word}: " + ", ".join(f"{w} {s:.2f}" for w, s in kv.most_similar(word, topn=args.topn)))
    return 0
