"""``wordlab tune``: seeded random hyper-parameter search over a training verb (parse → :func:`wordlab.tune.tune` → print).

    wordlab tune --trials 8 --rounds 2 --parallel 2 --budget-minutes 2 \\
        --space "lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2" -o tune/ lm --train train.txt --valid valid.txt

The search's options come before VERB; everything after VERB is passed to every trial's ``wordlab VERB train``; ``tune/best.json`` is then a
file that ``wordlab VERB train --config tune/best.json`` (with the same arguments) accepts.
"""

from __future__ import annotations

import argparse

from wordlab.tune import DEFAULT_METRICS, Search, Trial, tune

from .common import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="hyper-parameter search: seeded random trials, ranges narrowed each round",
                       description="Train VERB with configurations sampled from --space, TRIALS per round, "
                                   "PARALLEL at a time (one process and one thread each); after each round the "
                                   "ranges narrow to the span of the best quarter of its trials. Writes "
                                   "OUT/tune.json (every trial; a rerun resumes) and OUT/best.json (accepted by "
                                   "`VERB train --config`). The search's options come first; everything after VERB goes to "
                                   "every `VERB train`.",
                       usage="wordlab tune --space SPACE -o OUT [options] VERB TRAIN-ARGUMENTS...")
    p.add_argument("verb", choices=sorted(DEFAULT_METRICS), help="the training verb to tune")
    p.add_argument("--space", required=True,
                   help="NAME=LO:HI[:log|:int] or NAME=A|B|C, comma-separated; names are train flags without --, "
                        "e.g. 'lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2'")
    p.add_argument("--trials", type=int, default=8, help="trials per round")
    p.add_argument("--rounds", type=int, default=2, help="rounds (the ranges narrow after each)")
    p.add_argument("--parallel", type=int, default=1, help="trials run at once")
    p.add_argument("--budget-minutes", type=float, default=None, help="each trial's --max-minutes")
    p.add_argument("--metric", help="the score in the verb's JSON output (default: lm valid_ppl, seq2seq "
                                     "valid_loss, classify best_dev_acc)")
    p.add_argument("--mode", choices=("min", "max"), help="lower or higher score is better (default: by metric)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled configurations")
    p.add_argument("-o", "--out", required=True, help="folder for the trials, tune.json and best.json")
    p.add_argument("--json", action="store_true", help="print the search as JSON")
    p.add_argument("train_args", nargs=argparse.REMAINDER, help="the arguments of every `VERB train`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    metric, mode = DEFAULT_METRICS[args.verb]
    metric = args.metric or metric
    mode = args.mode or (mode if args.metric is None else "min")
    base = list(args.train_args)
    if base[:1] == ["--"]:
        base = base[1:]
    search = Search(verb=args.verb, space=args.space, trials_per_round=args.trials, rounds=args.rounds,
                    metric=metric, mode=mode, seed=args.seed, budget_minutes=args.budget_minutes, base_args=base)
    search = tune(search, args.out, parallel=args.parallel)
    if args.json:
        print_json({"best": (b := search.best()) and b.params, "trials": [t.__dict__ for t in search.trials]})
        return 0 if search.best() else 1
    names = sorted({k for t in search.trials for k in t.params})
    rows = [[t.round + 1, t.index, *[_show(t.params.get(n)) for n in names],
             "failed" if t.score is None else t.score, t.seconds] for t in search.trials]
    print_table(rows, ["round", "trial", *names, metric, "seconds"])
    best: Trial | None = search.best()
    if best is None:
        print(f"no trial gave a score; see {args.out}/*.log")
        return 1
    print(f"best: round {best.round + 1} trial {best.index}, {metric} {best.score:.4g} → {args.out}/best.json "
          f"(wordlab {args.verb} train --config {args.out}/best.json …)")
    return 0


def _show(v):
    return f"{v:.4g}" if isinstance(v, float) else v
