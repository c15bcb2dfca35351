"""Benchmark: RNN language models on Penn Treebank — quality, training speed, generation speed.

Sections (``--only quality,speed,generate``; all by default):

* ``quality`` — summarises a PTB training run made with the CLI (its ``--json`` output and model
  file; ``--run-quality`` starts that run itself, which takes ``--minutes``): config, per-epoch
  validation perplexity, final valid/test perplexity (``wordlab lm eval``'s computation: eval
  batch 10, BPTT 35, state carried over the whole text), and a sample generated from the model.
* ``speed`` — training tokens/s of ``wordlab`` (``LMTask`` on the shared ``wordlab.training.fit``
  loop) beside the PyTorch ``word_language_model`` example's model and loop, re-implemented
  minimally below (``RNNModel``: Embedding → dropout → 2-layer nn.LSTM → dropout → Linear; plain
  SGD ``p.data.add_(p.grad, alpha=-lr)`` after ``clip_grad_norm_``, ``repackage_hidden``), for the
  same config (2×200 LSTM, BPTT 35, batch 20, dropout 0.2, lr 20, clip 0.25) on the same PTB
  training windows. The two alternate for ``--rounds`` rounds of ``--steps`` windows each
  (timings on a shared machine are noisy); the ratio of medians is reported.
* ``generate`` — sampling speed (temperature 0.8, top-p 0.9, incremental state) of a 2×650 LSTM
  with PTB's 10,000-word vocabulary on the CPU.

Prints tables and writes ``benchmarks/results/lm.json``. Data: ``$WORDLAB_DATA`` or
``../shared/data`` beside the repository; "skipped" and exit 0 when absent.

    python benchmarks/lm.py [--only quality,speed,generate] [--threads 1] [--steps 40] [--rounds 3]
                            [--run-dir benchmarks/results/lm/ptb650] [--run-quality --minutes 58]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "lm.json"

from wordlab.errors import ConfigError  # noqa: E402
from wordlab.atomic import atomic_write_text  # noqa: E402
from wordlab.decoding import SamplingConfig, sample  # noqa: E402
from wordlab.lm import (LMConfig, RNNLanguageModel, generate, load_lm, load_lm_data, perplexity,  # noqa: E402
                        quantize_int8, render)
from wordlab.lm.train import LMTask  # noqa: E402
from wordlab.cli.common import print_table  # noqa: E402
from wordlab.training import TrainConfig, fit  # noqa: E402

# The quality run (the command in the report); --run-quality starts it.
QUALITY_ARGS = ["--cell", "lstm", "--layers", "2", "--emb-dropout", "0.1", "--tie", "--bptt", "35", "--optimizer", "adam", "--lr", "2e-3",
                "--clip", "0.25", "--schedule", "cosine", "--epochs", "40", "--checkpoint-every", "100",
                "--seed", "1", "--json"]  # the cosine spans --anneal-minutes (the epochs do not end first)


def table(rows: list[list], headers: list[str]) -> None:
    """The CLI's table printer, floats with two decimals."""
    print_table([[f"{c:.2f}" if isinstance(c, float) else c for c in r] for r in rows], headers)


# ---------------------------------------------------------------- the PyTorch example, minimally
class RNNModel(nn.Module):
    """pytorch/examples word_language_model/model.py (LSTM branch): encoder, rnn, decoder, dropout."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.decoder.out_features)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


def reference_train(train_ids: np.ndarray, ntokens: int, steps: int, bptt: int = 35, bsz: int = 20,
                    lr: float = 20.0, clip: float = 0.25) -> tuple[float, float]:
    """The example's ``train()`` for ``steps`` windows; tokens per wall second and per CPU second."""
    data = torch.from_numpy(train_ids.astype(np.int64))
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()  # batchify: (L, B)
    torch.manual_seed(1)
    model = RNNModel(ntokens, 200, 200, 2, 0.2)
    model.train()
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(bsz)
    total_loss, tokens = 0.0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    for batch, i in enumerate(range(0, data.size(0) - 1, bptt)):
        if batch >= steps:
            break
        seq_len = min(bptt, len(data) - 1 - i)
        inp, target = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].view(-1)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(inp, hidden)
        loss = criterion(output, target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        tokens += target.numel()
    return tokens / (time.perf_counter() - t0), tokens / (time.process_time() - c0)


def wordlab_train(train_ids: np.ndarray, ntokens: int, steps: int, precision: str = "fp32") -> tuple[float, float]:
    """The same config through ``LMTask`` + ``wordlab.training.fit``; tokens per wall second (the
    loop's own count, as in its history) and per CPU second (the whole ``fit`` call)."""
    cfg = LMConfig(vocab_size=ntokens, cell="lstm", layers=2, emb_size=200, hidden_size=200, dropout=0.2,
                   emb_dropout=0.2, variational=False, tie_weights=False, init_range=0.1)
    torch.manual_seed(1)
    model = RNNLanguageModel(cfg)
    task = LMTask(train_ids, None, batch_size=20, bptt=35, lstm=True)
    c0 = time.process_time()
    res = fit(model, task, TrainConfig(epochs=1, optimizer="sgd", lr=20.0, clip=0.25, dry_run=steps,
                                                precision=precision), progress=False)
    cpu = time.process_time() - c0
    return res.history[0]["tok_per_s"], steps * 35 * 20 / cpu


def bench_speed(args, out: dict) -> None:
    path = DATA / "ptb" / "ptb.train.txt"
    if not path.exists():
        print(f"speed: skipped: {path} not found")
        return
    data = load_lm_data(path, progress=False)
    V = len(data.vocab)
    runs = {"example": [], "wordlab": [], "wordlab_bf16": []}
    fns = {"example": reference_train, "wordlab": wordlab_train,
           "wordlab_bf16": lambda ids, v, n: wordlab_train(ids, v, n, precision="bf16")}
    for name, fn in list(fns.items()):  # warm-up: lazy imports and first-call allocations are not the loop's speed
        try:
            fn(data.train, V, 3)
        except ConfigError as e:  # bf16 on a CPU without AVX512-BF16: the row is left out, and said so
            print(f"  {name}: skipped: {e}")
            del fns[name], runs[name]
    names = list(fns)
    for r in range(args.rounds):  # the order rotates so that no side always runs first
        for name in names[r % len(names):] + names[:r % len(names)]:
            runs[name].append(fns[name](data.train, V, args.steps))
        print(f"  round {r + 1}: " + ", ".join(f"{n} {runs[n][-1][0]:,.0f} tok/s" for n in names), flush=True)
    med = {n: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for n, v in runs.items()}
    print("\nTraining speed, PTB, 2×200 LSTM, BPTT 35, batch 20, SGD lr 20, clip 0.25 "
          f"({args.rounds} rotating rounds × {args.steps} windows, {torch.get_num_threads()} thread(s))")
    labels = {"example": "PyTorch word_language_model (re-implemented)", "wordlab": "wordlab LMTask + training.fit",
              "wordlab_bf16": "wordlab, --precision bf16 (not like for like)"}
    table([[labels[n], round(med[n][0]), round(med[n][1]), [round(x[0]) for x in runs[n]]] for n in names],
          ["loop", "median tok/s (wall)", "median tok per CPU-s", "rounds (wall)"])
    ratio, ratio_cpu = med["wordlab"][0] / med["example"][0], med["wordlab"][1] / med["example"][1]
    ratio_bf16 = med["wordlab_bf16"][0] / med["example"][0] if "wordlab_bf16" in med else None
    print(f"ratio wordlab / example = {ratio:.3f} (wall), {ratio_cpu:.3f} (per CPU second)  (target >= 1.0); "
          f"with bf16: {'skipped' if ratio_bf16 is None else f'{ratio_bf16:.3f}'}")
    out["speed"] = {"config": "2x200 LSTM, bptt 35, batch 20, dropout 0.2, SGD lr 20, clip 0.25, PTB train",
                    "steps_per_round": args.steps, "rounds": args.rounds, "threads": torch.get_num_threads(),
                    "runs_wall_cpu": runs, "median_wall_cpu": med, "ratio": ratio, "ratio_cpu": ratio_cpu,
                    "ratio_bf16": ratio_bf16}


def bench_generate(args, out: dict) -> None:
    V, n = 10000, args.gen_tokens
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=V, cell="lstm", layers=2, emb_size=650, hidden_size=650,
                                      dropout=0.5, tie_weights=True)).eval()
    cfg = SamplingConfig(max_tokens=n, temperature=0.8, top_p=0.9, seed=1)
    rows, res = [], {}
    for name, m in (("fp32", model), ("int8 (quantize_int8)", quantize_int8(model))):
        sample(m, [1, 2, 3], SamplingConfig(max_tokens=5, seed=0))  # warm-up
        rates, cpu = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            ids = sample(m, [1, 2, 3], cfg, banned=[0])
            rates.append(len(ids) / (time.perf_counter() - t0))
            cpu.append(len(ids) / (time.process_time() - c0))
        rows.append([f"wordlab decoding.sample, {name}", round(statistics.median(rates)),
                     round(statistics.median(cpu)), [round(r) for r in rates]])
        res[name.split()[0]] = {"wall_tok_s": rates, "cpu_tok_s": cpu, "median": statistics.median(rates),
                                "median_per_cpu_second": statistics.median(cpu)}
    print(f"\nGeneration, 2×650 LSTM, |V| = {V:,}, CPU, {torch.get_num_threads()} thread(s), temperature 0.8, "
          f"top-p 0.9, {n} tokens × 3 (one stream, incremental state)")
    table(rows, ["", "median tok/s (wall)", "tok per CPU-second", "runs (wall)"])
    print("target >= 500 tok/s")
    out["generate"] = {"model": "2x650 LSTM tied, V=10000", "tokens": n, "threads": torch.get_num_threads(), **res}


def bench_quality(args, out: dict) -> None:
    ptb = DATA / "ptb"
    if not (ptb / "ptb.train.txt").exists():
        print(f"quality: skipped: {ptb} not found")
        return
    run = Path(args.run_dir)
    model_path, json_path = run / "ptb-lm.pt", run / "ptb_train.json"
    cmd = [sys.executable, "-m", "wordlab.cli", "-q", "lm", "train", "--train", str(ptb / "ptb.train.txt"),
           "--valid", str(ptb / "ptb.valid.txt"), "--test", str(ptb / "ptb.test.txt"), *QUALITY_ARGS,
           "--dim", str(args.size), "--hidden", str(args.size), "--dropout", str(args.dropout),
           "--batch-size", str(args.batch_size), "--anneal-minutes", str(args.minutes), "--threads", str(args.threads),
           "-o", str(model_path)]
    if args.run_quality:
        run.mkdir(parents=True, exist_ok=True)
        with open(json_path, "w") as f:
            subprocess.run(cmd, stdout=f, check=True)
    if not json_path.exists():
        print(f"quality: no run in {run}; start it with --run-quality (about {args.minutes} minutes), or:\n  "
              + " ".join(cmd))
        return
    res = json.loads(json_path.read_text())
    s, hist = res["summary"], res["history"]
    print("\nQuality, PTB (Mikolov), test perplexity of the best-validation model")
    table([[r["epoch"], r["steps"], r["train_ppl"], r.get("valid_ppl", math.nan), f"{r['lr']:.2e}",
            round(r["tok_per_s"]), round(r["seconds"])] for r in hist],
          ["epoch", "steps", "train ppl", "valid ppl", "lr", "tok/s", "seconds"])
    print(f"valid ppl {s['valid_ppl']:.2f}  test ppl {s['test_ppl']:.2f}  (goal <= 85)  "
          f"stopped: {s['stopped']}  training minutes (sum over epochs, evaluation excluded): "
          f"{sum(r['seconds'] for r in hist) / 60:.1f}")
    sample = ""
    if model_path.exists():
        model, vocab, _ = load_lm(model_path, device="cpu")
        toks = generate(model, vocab, "the company said", SamplingConfig(max_tokens=60, temperature=0.8, top_p=0.9,
                                                                         seed=1))
        sample = "the company said " + render(toks)
        print("\nsample (prompt 'the company said', temperature 0.8, top-p 0.9, seed 1):\n" + sample)
        test = load_lm_data(ptb / "ptb.train.txt", test=ptb / "ptb.test.txt", vocab=vocab, progress=False).test
        s["test_ppl_int8"] = perplexity(quantize_int8(model), test)
        print(f"\ntest ppl with int8 weights (the fast generation path): {s['test_ppl_int8']:.2f}")
        cache_cmd = [sys.executable, "-m", "wordlab.cli", "-q", "lm", "eval", str(model_path), "--text",
                     str(ptb / "ptb.test.txt"), "--tune-cache", str(ptb / "ptb.valid.txt"), "--cache-size", "2000",
                     "--threads", str(args.threads), "--json"]
        cached = json.loads(subprocess.run(cache_cmd, capture_output=True, text=True, check=True).stdout)
        s["test_ppl_cache"], s["cache"] = cached["perplexity"], cached["cache"]
        s["cache_command"] = "wordlab lm eval ptb-lm.pt --text ptb.test.txt --tune-cache ptb.valid.txt --cache-size 2000"
        best_valid = min(cached["cache_tuned_on"]["grid"], key=lambda g: g["nll"])
        print(f"test ppl with the continuous cache (Grave et al. 2017; 2,000 positions, theta {cached['cache']['theta']:g}, "
              f"lambda {cached['cache']['lambda']:g} picked on validation, where it gives {best_valid['perplexity']:.2f}): "
              f"{s['test_ppl_cache']:.2f}")
    out["quality"] = {"command": " ".join(cmd), "summary": s, "curve": [
        {k: r.get(k) for k in ("epoch", "steps", "train_ppl", "valid_ppl", "lr", "tok_per_s", "seconds")}
        for r in hist], "sample": sample}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="quality,speed,generate", help="comma-separated sections")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: the CPU is shared)")
    p.add_argument("--steps", type=int, default=30, help="training windows per speed round (default 30)")
    p.add_argument("--rounds", type=int, default=6, help="alternating speed rounds (default 6)")
    p.add_argument("--gen-tokens", type=int, default=500, help="tokens per generation run (default 500)")
    p.add_argument("--run-dir", default=str(ROOT / "benchmarks" / "results" / "lm" / "ptb650"),
                   help="where the PTB quality run writes ptb-lm.pt and ptb_train.json")
    p.add_argument("--run-quality", action="store_true", help="run the PTB quality training now (long)")
    p.add_argument("--minutes", type=float, default=58, help="time budget of the quality run (default 58)")
    p.add_argument("--size", type=int, default=650, help="quality run: LSTM width (--dim = --hidden; default 650)")
    p.add_argument("--dropout", type=float, default=0.4, help="quality run: dropout (default 0.4)")
    p.add_argument("--batch-size", type=int, default=64, help="quality run: batch size (default 64)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    out: dict = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                             "cpu_count": os.cpu_count(), "threads": args.threads,
                             "cuda": torch.cuda.is_available()}}
    if "speed" in only:
        bench_speed(args, out)
    if "generate" in only:
        bench_generate(args, out)
    if "quality" in only:
        bench_quality(args, out)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    try:  # keep the sections not run this time
        merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    except ValueError:
        merged = {}
    merged.update(out)
    atomic_write_text(RESULTS, json.dumps(merged, indent=1))
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
