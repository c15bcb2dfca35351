"""Benchmark: greedy vs beam search through ``wordlab.decoding``, beside the search it replaced.

Trains small models briefly, then decodes the held-out sentences with

* **new** — :func:`wordlab.decoding.translate_batch` (the step protocol; encoder memory kept once per
  sentence, the state reordered through ``Seq2Seq.reorder_state``);
* **old** — ``wordlab/seq2seq/search.py`` as of ``--old-rev`` (default ``f94b201``, the last commit
  before the decoding package), read with ``git show`` and loaded as a temporary module; it drives
  the same model through ``encode`` / ``decode`` with the encoder memory copied ``K`` times.

Both go through the same batching as ``Translator.search_tokens`` (sentences sorted by length,
``256 // beam`` sentences per batch). Reported per model: greedy and beam-``K`` wall time (median of
``--rounds``, old and new interleaved), beam/greedy ratio (target ≤ 3×), the fraction of sentences
whose output tokens are identical between old and new (target ≥ 99.9 %), and accuracy / BLEU of both.

Models (DLfS-2 settings: wordvec 16, hidden 256, batch 128, Adam 1e-3, clip 5):

* ``date`` — ``dlfs2/date.txt``, DLfS-2's split (last 10 % = 5,000 held-out dates), reversed input +
  dot attention (DLfS-2's ``AttentionSeq2seq``) and reversed + peeky (no attention), ``--date-epochs``
  epochs bounded by ``--date-minutes`` each; exact match.
* ``enfr`` — ``tatoeba-eng-fra/eng-fra.txt`` with the PyTorch tutorial's filter, fra→eng, seeded 90/10
  split (as ``benchmarks/seq2seq.py``): biLSTM + additive attention, hidden 256, ``--enfr-minutes``
  of training; corpus BLEU (nltk, method1) and exact match.

Prints a table and writes ``benchmarks/results/decoding.json``. Data: ``$WORDLAB_DATA`` or
``../shared/data``; "skipped" and exit 0 when absent.

    nice -n 10 python benchmarks/decoding.py [--only date,enfr] [--date-minutes 3] [--enfr-minutes 3]
                                             [--beam 5] [--rounds 3] [--threads 1] [--models DIR]

The README row was measured with ``--date-epochs 2 --date-minutes 7 --enfr-minutes 6 --rounds 3`` on
the shared 2-core machine (load ~13): the training budgets left the models short of their quality
(dates 90.6 % with attention, fra→eng BLEU 33), which changes how long outputs are, not the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "decoding.json"

from wordlab.atomic import atomic_write_text  # noqa: E402
from wordlab.cli.common import print_table  # noqa: E402
from wordlab.decoding import translate_batch  # noqa: E402
from wordlab.seq2seq import (DataConfig, Seq2Seq, Seq2SeqConfig, Seq2SeqTask, Translator,  # noqa: E402
                             build_vocabs, corpus_bleu, dlfs2_split, encode_pairs, exact_match, read_pairs,
                             split_indices)
from wordlab.seq2seq.data import pad  # noqa: E402
from wordlab.tensor import set_seed  # noqa: E402
from wordlab.training import TrainConfig, fit  # noqa: E402

DATE_MODELS = {"date, reversed + dot attention": {"reverse_source": True, "attention": "dot"},
               "date, reversed + peeky": {"reverse_source": True, "peeky": True}}


def old_search_module(rev: str) -> types.ModuleType:
    """``wordlab/seq2seq/search.py`` at ``rev``, loaded as a module against today's model classes."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:wordlab/seq2seq/search.py"], check=True,
                         capture_output=True, text=True).stdout
    shim = ("from wordlab.errors import ConfigError\n"
            "from wordlab.seq2seq.model import Encoded, Seq2Seq\n"
            "def select_state(state, index):\n"
            "    if isinstance(state, tuple):\n"
            "        return tuple(s.index_select(1, index) for s in state)\n"
            "    return state.index_select(1, index)\n"
            "def _cfg(model):\n"
            "    return getattr(model, 'cfg', None) or model.config\n")
    src = (src.replace("from ..errors import ConfigError\n", "")
              .replace("from .model import Encoded, Seq2Seq, select_state\n", shim)
              .replace("model.cfg", "_cfg(model)"))
    mod = types.ModuleType(f"old_search_{rev}")
    sys.modules[mod.__name__] = mod  # dataclasses look their module up there
    exec(compile(src, f"{rev}:wordlab/seq2seq/search.py", "exec"), mod.__dict__)
    return mod


def decode_all(search_fn, src_ids: list[np.ndarray], beam: int, max_len: int = 50, batch_size: int = 256) -> list:
    """``Translator.search_tokens``' batching around ``search_fn(src, lengths, beam, max_len)``."""
    order = np.argsort([len(s) for s in src_ids], kind="stable")
    out = [None] * len(src_ids)
    per = max(1, batch_size // max(beam, 1))
    for i in range(0, len(order), per):
        idx = order[i:i + per]
        batch = [src_ids[j] for j in idx]
        for j, h in zip(idx, search_fn(pad(batch), torch.tensor([len(b) for b in batch]), beam, max_len)):
            out[j] = h
    return out


def train(name: str, model: Seq2Seq, train_data, minutes: float, epochs: int, batch: int, lr: float, seed: int,
          models_dir: Path | None) -> tuple[Seq2Seq, float]:
    """Train ``model`` (or load it from ``models_dir`` when a previous run saved it); returns it in eval mode."""
    path = models_dir / f"{name.replace(' ', '_').replace(',', '').replace('+', 'and')}.pt" if models_dir else None
    if path is not None and path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        print(f"  {name}: loaded {path}", flush=True)
        return model.eval(), 0.0
    t0 = time.perf_counter()
    fit(model, Seq2SeqTask(train_data, batch_size=batch, seed=seed),
        TrainConfig(epochs=epochs, optimizer="adam", lr=lr, clip=5.0, seed=seed, max_minutes=minutes), progress=False)
    seconds = time.perf_counter() - t0
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
    print(f"  {name}: trained {seconds:.0f} s", flush=True)
    return model.eval(), seconds


def compare(name: str, model: Seq2Seq, src_vocab, tgt_vocab, pairs, old, beam: int, rounds: int,
            bleu: bool) -> dict:
    """Time old and new greedy / beam decoding of ``pairs`` (interleaved rounds) and compare their outputs."""
    ids = [src_vocab.encode(list(s), unknown="unk") for s, _ in pairs]
    refs = [list(t) for _, t in pairs]
    new_fn = (lambda src, lens, k, n: translate_batch(model, src, lens, beam=k, max_len=n))
    old_fn = (lambda src, lens, k, n: old.search(model, src, lens, beam=k, max_len=n))
    times = {(impl, k): [] for impl in ("old", "new") for k in (1, beam)}
    outs = {}
    with torch.no_grad():
        decode_all(new_fn, ids[:64], 1), decode_all(old_fn, ids[:64], 1)  # warm-up
        for r in range(rounds):
            for k in (1, beam):
                pair = (("old", old_fn), ("new", new_fn))
                for impl, fn in pair if r % 2 == 0 else pair[::-1]:
                    t0 = time.perf_counter()
                    hyps = decode_all(fn, ids, k)
                    times[impl, k].append(time.perf_counter() - t0)
                    outs[impl, k] = [tgt_vocab.decode(h.tokens) for h in hyps]
    res = {"model": name, "sentences": len(pairs), "beam": beam, "rounds": rounds}
    for impl in ("old", "new"):
        g, b = statistics.median(times[impl, 1]), statistics.median(times[impl, beam])
        res[impl] = {"greedy_s": g, "beam_s": b, "ratio": b / g, "greedy_runs": times[impl, 1],
                     "beam_runs": times[impl, beam]}
        for k, label in ((1, "greedy"), (beam, "beam")):
            res[impl][f"accuracy_{label}"] = exact_match(outs[impl, k], refs)
            if bleu:
                res[impl][f"bleu_{label}"] = corpus_bleu(outs[impl, k], refs)
    for k, label in ((1, "greedy"), (beam, "beam")):
        res[f"identical_{label}"] = float(np.mean([a == b for a, b in zip(outs["old", k], outs["new", k])]))
    res["new_over_old_beam_time"] = res["new"]["beam_s"] / res["old"]["beam_s"]
    print(f"  {name}: new greedy {res['new']['greedy_s']:.2f} s, beam {res['new']['beam_s']:.2f} s "
          f"(x{res['new']['ratio']:.2f}); old x{res['old']['ratio']:.2f}; identical "
          f"{100 * res['identical_greedy']:.2f}% / {100 * res['identical_beam']:.2f}%", flush=True)
    return res


def run_date(args, old, models_dir) -> list[dict]:
    cfg = DataConfig(format="dlfs2")
    pairs = read_pairs(DATA / "dlfs2" / "date.txt", cfg)
    src, tgt = build_vocabs(pairs)
    enc = encode_pairs(pairs, src, tgt)
    sp = dlfs2_split(len(pairs))
    train_data, test = [enc[i] for i in sp["train"]], [pairs[i] for i in sp["test"]]
    rows = []
    for name, opts in DATE_MODELS.items():
        set_seed(args.seed)
        model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=16, hidden=256, **opts))
        model, secs = train(name, model, train_data, args.date_minutes, args.date_epochs, 128, 1e-3, args.seed,
                            models_dir)
        rows.append({**compare(name, model, src, tgt, test, old, args.beam, args.rounds, bleu=False),
                     "train_seconds": round(secs, 1)})
    return rows


def run_enfr(args, old, models_dir) -> dict:
    data_cfg = DataConfig(format="tsv", swap=True, tutorial=True)
    pairs = read_pairs(DATA / "tatoeba-eng-fra" / "eng-fra.txt", data_cfg)
    sp = split_indices(len(pairs), valid=0.0, test=0.1, seed=args.seed)
    train_pairs, test = [pairs[i] for i in sp["train"]], [pairs[i] for i in sp["test"]]
    src, tgt = build_vocabs(train_pairs)
    set_seed(args.seed)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=256, hidden=256, cell="lstm", bidirectional=True,
                                  attention="additive", dropout=0.3))
    name = "fra->eng, biLSTM + additive attention"
    model, secs = train(name, model, encode_pairs(train_pairs, src, tgt), args.enfr_minutes, 1000, 64, 2e-3,
                        args.seed, models_dir)
    return {**compare(name, model, src, tgt, test, old, args.beam, args.rounds, bleu=True),
            "train_seconds": round(secs, 1)}


def report(out: dict) -> None:
    rows = []
    for r in out.get("date", []) + ([out["enfr"]] if "enfr" in out else []):
        metric = "bleu" if "bleu_beam" in r["new"] else "accuracy"
        fmt = (lambda v: f"{100 * v:.2f}" + ("" if metric == "bleu" else "%"))
        for impl in ("old", "new"):
            m = r[impl]
            rows.append([r["model"] if impl == "old" else "", impl, r["sentences"], f"{m['greedy_s']:.2f}",
                         f"{m['beam_s']:.2f}", f"{m['ratio']:.2f}",
                         f"{fmt(m[metric + '_greedy'])} / {fmt(m[metric + '_beam'])}",
                         "" if impl == "old" else
                         f"{100 * r['identical_greedy']:.2f}% / {100 * r['identical_beam']:.2f}%"])
    beam = out.get("args", {}).get("beam", 5)
    print(f"\nGreedy vs beam {beam}: old search (f94b201) vs wordlab.decoding, median of "
          f"{out.get('args', {}).get('rounds')} rounds, {out.get('machine', {}).get('threads')} thread(s)")
    print_table(rows, ["model", "search", "sentences", "greedy s", f"beam-{beam} s", "beam/greedy",
                       "accuracy or BLEU (greedy / beam)", "identical to old (greedy / beam)"])
    print(f"\ntargets: beam/greedy <= 3x; identical outputs >= 99.9 %; "
          f"benchmark wall time {out.get('total_seconds')} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="date,enfr", help="comma-separated sections to run")
    ap.add_argument("--date-epochs", type=int, default=1, help="training epochs per date model")
    ap.add_argument("--date-minutes", type=float, default=3.0, help="training budget per date model")
    ap.add_argument("--enfr-minutes", type=float, default=3.0, help="training budget for the fra->eng model")
    ap.add_argument("--beam", type=int, default=5, help="beam width")
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds (median; old and new interleaved)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--old-rev", default="f94b201", help="commit whose wordlab/seq2seq/search.py is the reference")
    ap.add_argument("--models", help="directory to save trained weights to / reuse them from (skips training)")
    ap.add_argument("--results", default=str(RESULTS), help="JSON file to write")
    ap.add_argument("--report", action="store_true", help="only print the table of the --results file")
    args = ap.parse_args(argv)
    if args.report:
        report(json.loads(Path(args.results).read_text()))
        return 0
    if not (DATA / "dlfs2").is_dir() or not (DATA / "tatoeba-eng-fra").is_dir():
        print(f"skipped: benchmark data not found under {DATA} (set WORDLAB_DATA)")
        return 0
    try:
        old = old_search_module(args.old_rev)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"skipped: cannot read the reference search at {args.old_rev} ({e}); run inside a git checkout")
        return 0
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    models_dir = Path(args.models) if args.models else None
    out = {"machine": {"cpu": platform.processor() or platform.machine(), "threads": args.threads,
                       "torch": torch.__version__}, "args": vars(args)}
    t0 = time.perf_counter()
    if "date" in only:
        print("dates (DLfS-2 split):", flush=True)
        out["date"] = run_date(args, old, models_dir)
    if "enfr" in only:
        print("French -> English (tutorial filter, seeded 90/10 split):", flush=True)
        out["enfr"] = run_enfr(args, old, models_dir)
    out["total_seconds"] = round(time.perf_counter() - t0, 1)
    results = Path(args.results)
    if results.exists():  # keep sections this run did not redo
        prev = json.loads(results.read_text())
        out.update({k: v for k, v in prev.items() if k in ("date", "enfr") and k not in only})
    results.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(results, json.dumps(out, indent=1))
    report(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
