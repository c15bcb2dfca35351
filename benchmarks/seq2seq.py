"""Benchmark: seq2seq on DLfS-2's dates and addition, and French→English beside the PyTorch tutorial.

Sections (``--only date,addition,enfr``; all by default):

* ``date`` — DLfS-2 ch. 7–8 comparison on ``dlfs2/date.txt`` with DLfS-2's split (seed 1984, last
  10 % = 5,000 test dates) and settings (wordvec 16, hidden 256, batch 128, Adam 1e-3, grad clip 5):
  plain seq2seq, reversed input, reversed + peeky, reversed + attention (dot = DLfS-2's; additive with
  ``--date-variants plain,reversed,peeky,dot,additive``),
  ``--date-epochs`` (2) epochs each; held-out exact match (greedy) after every epoch.
* ``addition`` — ``dlfs2/addition.txt``, reversed + peeky (DLfS-2 ch. 7: wordvec 16, hidden 128),
  Adam at ``--addition-lr`` (5e-3; DLfS-2 ran 1e-3 for 25 epochs), as many epochs as fit in
  ``--addition-minutes``; held-out exact match.
* ``enfr`` — ``tatoeba-eng-fra/eng-fra.txt`` with the PyTorch tutorial's normalisation and filter
  (fra→eng, < 10 words, English prefixes "i am", "he is", …; 11,445 pairs), seeded 90/10 split.
  wordlab (bidirectional LSTM encoder, additive attention, beam 5) beside the tutorial's
  architecture (GRU encoder + Bahdanau attention decoder, hidden 128, dropout 0.1, batch 32,
  Adam 1e-3, greedy), re-implemented minimally below; each trains for ``--enfr-minutes`` of wall
  time. Test BLEU (nltk corpus BLEU, smoothing method1, one reference) and exact match.
  ``--enfr-transformer`` adds the Transformer translator on the same word vocabularies,
  ``--enfr-bpe N`` the same Transformer on BPE tokens (one model of N tokens learnt from both sides
  of the training pairs, shared embeddings); its output is decoded to words before scoring, so
  every row's BLEU is on the same words. ``--enfr-rows`` picks rows (e.g. ``transformer,transformer-bpe``).

Prints tables and writes ``benchmarks/results/seq2seq.json``. Data: ``$WORDLAB_DATA`` or
``../shared/data`` beside the repository; "skipped" and exit 0 when absent.

    python benchmarks/seq2seq.py [--only date,addition,enfr] [--date-epochs 2]
                                 [--addition-minutes 3] [--enfr-minutes 4] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "seq2seq.json"

from wordlab.atomic import atomic_write_text  # noqa: E402
from wordlab.cli.common import print_table  # noqa: E402
from wordlab.seq2seq import (DataConfig, Seq2Seq, Seq2SeqConfig, Seq2SeqTask, Translator,  # noqa: E402
                             build_vocabs, dlfs2_split, encode_pairs, read_pairs, split_indices)
from wordlab.seq2seq.data import make_batch, pad  # noqa: E402
from wordlab.tensor import set_seed  # noqa: E402
from wordlab.training import TrainConfig, fit  # noqa: E402


# DLfS-2 ch. 7-8 date variants; the first word is the --date-variants key
DATE_VARIANTS = {"plain seq2seq": {}, "reversed": {"reverse_source": True},
                 "peeky (reversed + peeky)": {"reverse_source": True, "peeky": True},
                 "dot (reversed + attention dot, DLfS-2's)": {"reverse_source": True, "attention": "dot"},
                 "additive (reversed + attention additive)": {"reverse_source": True, "attention": "additive"}}


def table(rows: list[list], headers: list[str]) -> None:
    """The CLI's table printer, floats with four decimals, then a blank line."""
    print_table([[f"{c:.4f}" if isinstance(c, float) else c for c in r] for r in rows], headers)
    print(flush=True)


def load_dlfs2(name: str):
    cfg = DataConfig(format="dlfs2")
    pairs = read_pairs(DATA / "dlfs2" / name, cfg)
    src, tgt = build_vocabs(pairs)
    enc = encode_pairs(pairs, src, tgt)
    sp = dlfs2_split(len(pairs))
    return cfg, src, tgt, [enc[i] for i in sp["train"]], [pairs[i] for i in sp["test"]]


def train_dlfs2(name: str, variants: dict, epochs: int, minutes: float | None, hidden: int, seed: int,
                lr: float = 1e-3) -> list[dict]:
    data_cfg, src, tgt, train, test = load_dlfs2(name)
    rows = []
    for label, opts in variants.items():
        set_seed(seed)
        model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=16, hidden=hidden, **opts))
        tr = Translator(model, src, tgt, data_cfg)
        metrics = (lambda m, tr=tr: {"test_accuracy": tr.evaluate(test, bleu=False, examples=0)["accuracy"]})
        task = Seq2SeqTask(train, batch_size=128, seed=seed, metrics=metrics)
        res = fit(model, task, TrainConfig(epochs=epochs, optimizer="adam", lr=lr, clip=5.0, seed=seed,
                                           max_minutes=minutes), progress=False)
        row = {"variant": label, **opts, "epochs": len(res.history), "hidden": hidden, "lr": lr,
               "test_accuracy_per_epoch": [h["test_accuracy"] for h in res.history],
               "test_accuracy": res.history[-1]["test_accuracy"],
               "train_seconds": round(sum(h["seconds"] for h in res.history), 1),
               "examples": tr.evaluate(test[:3], bleu=False, examples=3)["examples"]}
        rows.append(row)
        print(f"  {name} {label}: {row['test_accuracy_per_epoch']} in {row['train_seconds']} s", flush=True)
    return rows


# ------------------------------------------------- the PyTorch tutorial's model, re-implemented minimally
class TutorialEncoder(nn.Module):
    def __init__(self, vocab: int, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.gru(self.dropout(self.embedding(x)))


class BahdanauAttention(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.Wa, self.Ua, self.Va = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


class TutorialAttnDecoder(nn.Module):
    def __init__(self, hidden: int, vocab: int, bos: int, max_length: int, dropout: float = 0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.attention = BahdanauAttention(hidden)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)
        self.dropout = nn.Dropout(dropout)
        self.bos, self.max_length = bos, max_length

    def forward(self, enc_out, enc_hidden, target=None):
        B = enc_out.size(0)
        y = torch.full((B, 1), self.bos, dtype=torch.long)
        h, outs = enc_hidden, []
        for i in range(self.max_length):
            emb = self.dropout(self.embedding(y))
            context, _ = self.attention(h.permute(1, 0, 2), enc_out)
            o, h = self.gru(torch.cat((emb, context), dim=2), h)
            o = self.out(o)
            outs.append(o)
            y = target[:, i].unsqueeze(1) if target is not None else o.topk(1)[1].squeeze(-1).detach()
        return F.log_softmax(torch.cat(outs, dim=1), dim=-1)


def tutorial_baseline(train, test_pairs, src, tgt, minutes: float, seed: int, max_length: int = 10) -> dict:
    """Train the tutorial's model for ``minutes`` (its loop: batch 32, Adam 1e-3, NLL), decode greedily."""
    from wordlab.evaluation.translation import corpus_bleu, exact_match

    set_seed(seed)
    pad_id, eos = tgt["<pad>"], tgt["<eos>"]
    X = pad([np.concatenate([s, [eos]])[:max_length] for s, _ in train] + [np.zeros(max_length, np.int64)])[:-1]
    Y = pad([t[1:][:max_length] for _, t in train] + [np.zeros(max_length, np.int64)])[:-1]
    enc, dec = TutorialEncoder(len(src), 128), TutorialAttnDecoder(128, len(tgt), tgt["<bos>"], max_length)
    params = list(enc.parameters()) + list(dec.parameters())
    opt_e, opt_d = torch.optim.Adam(enc.parameters(), lr=1e-3), torch.optim.Adam(dec.parameters(), lr=1e-3)
    # padding positions are left out of the loss (the tutorial's NLLLoss also scores them; masking helps it)
    crit = nn.NLLLoss(ignore_index=pad_id)
    t0, epochs, steps = time.perf_counter(), 0, 0
    g = torch.Generator().manual_seed(seed)
    while time.perf_counter() - t0 < 60 * minutes:
        for idx in torch.randperm(len(X), generator=g).split(32):
            opt_e.zero_grad(), opt_d.zero_grad()
            out, hid = enc(X[idx])
            logp = dec(out, hid, Y[idx])
            loss = crit(logp.view(-1, logp.size(-1)), Y[idx].view(-1))
            loss.backward()
            opt_e.step(), opt_d.step()
            steps += 1
            if time.perf_counter() - t0 >= 60 * minutes:
                break
        else:
            epochs += 1
    seconds = time.perf_counter() - t0
    enc.eval(), dec.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(test_pairs), 256):
            chunk = test_pairs[i:i + 256]
            x = pad([np.concatenate([src.encode(s, unknown="unk"), [eos]])[:max_length] for s, _ in chunk])
            o, h = enc(x)
            for row in dec(o, h).argmax(-1).tolist():
                row = row[:row.index(eos)] if eos in row else row
                outs.append(tgt.decode(row))
    refs = [t for _, t in test_pairs]
    return {"model": "PyTorch tutorial (GRU + Bahdanau, hidden 128, greedy)", "train_seconds": round(seconds, 1),
            "epochs": round(steps * 32 / len(X), 2), "steps": steps, "parameters": sum(p.numel() for p in params),
            "bleu": corpus_bleu(outs, refs), "accuracy": exact_match(outs, refs)}


ENFR_ROWS = ("bilstm", "transformer", "transformer-bpe", "tutorial")


def enfr(minutes: float, seed: int, beam: int, save: str | None = None, arch_transformer: bool = False,
         bpe_vocab: int = 0, rows: tuple[str, ...] | None = None) -> dict:
    rows = set(rows or ("bilstm", "tutorial", *(["transformer"] if arch_transformer else []),
                        *(["transformer-bpe"] if bpe_vocab else [])))
    data_cfg = DataConfig(format="tsv", swap=True, tutorial=True)
    pairs = read_pairs(DATA / "tatoeba-eng-fra" / "eng-fra.txt", data_cfg)
    sp = split_indices(len(pairs), valid=0.0, test=0.1, seed=seed)
    train_pairs, test_pairs = [pairs[i] for i in sp["train"]], [pairs[i] for i in sp["test"]]
    src, tgt = build_vocabs(train_pairs)
    train = encode_pairs(train_pairs, src, tgt)
    print(f"  eng-fra: {len(pairs)} pairs after the tutorial filter; train {len(train)}, test {len(test_pairs)}; "
          f"vocab fra {len(src)} eng {len(tgt)}", flush=True)
    out = {"pairs": len(pairs), "train": len(train), "test": len(test_pairs), "minutes_each": minutes}
    if "bilstm" in rows:
        out["wordlab"] = enfr_bilstm(train, test_pairs, src, tgt, data_cfg, minutes, seed, beam, save)
    if "transformer" in rows:
        out["transformer"] = enfr_transformer(train, test_pairs, src, tgt, data_cfg, minutes, seed, beam)
    if "transformer-bpe" in rows:
        from dataclasses import replace

        from wordlab.seq2seq.subword import encode_words, pair_vocabulary, train_pair_tokenizer

        bpe = train_pair_tokenizer(train_pairs, bpe_vocab or 8000)
        v = pair_vocabulary(bpe)
        btrain = encode_pairs(list(zip(encode_words(bpe, [s for s, _ in train_pairs]),
                                       encode_words(bpe, [t for _, t in train_pairs]))), v, v)
        print(f"  BPE: {len(bpe)} tokens from both sides (--enfr-bpe {bpe_vocab}); "
              f"{sum(len(t) - 1 for _, t in btrain) / len(btrain):.2f} target tokens per sentence "
              f"(words: {sum(len(t) - 1 for _, t in train) / len(train):.2f})", flush=True)
        out["transformer_bpe"] = enfr_transformer(
            btrain, test_pairs, v, v, replace(data_cfg, tokenizer="bpe", vocab_size=bpe_vocab or 8000), minutes, seed,
            beam, bpe=bpe)
    if "tutorial" in rows:
        base = tutorial_baseline(train, test_pairs, src, tgt, minutes, seed)
        print(f"  tutorial: BLEU {100 * base['bleu']:.2f} after {base['train_seconds']} s", flush=True)
        out["tutorial"] = base
        if "wordlab" in out:
            out["bleu_ratio"] = out["wordlab"]["bleu"] / max(base["bleu"], 1e-9)
    return out


def enfr_bilstm(train, test_pairs, src, tgt, data_cfg, minutes: float, seed: int, beam: int,
                save: str | None = None) -> dict:
    """wordlab's biLSTM + additive attention on the word vocabularies."""
    set_seed(seed)
    cfg = Seq2SeqConfig(len(src), len(tgt), emb=256, hidden=256, cell="lstm", bidirectional=True,
                        attention="additive", dropout=0.3)
    model = Seq2Seq(cfg)
    res = fit(model, Seq2SeqTask(train, batch_size=64, seed=seed),
              TrainConfig(epochs=1000, optimizer="adam", lr=2e-3, clip=5.0, seed=seed, max_minutes=minutes),
              progress=False)
    tr = Translator(model, src, tgt, data_cfg)
    t0 = time.perf_counter()
    ev = tr.evaluate(test_pairs, beam=beam, examples=8)
    decode_s = time.perf_counter() - t0
    greedy = tr.evaluate(test_pairs, beam=1, examples=0)
    ours = {"model": f"wordlab (biLSTM + additive attention, hidden 256, beam {beam})", "config": asdict(cfg),
            "train_seconds": round(sum(h["seconds"] for h in res.history), 1), "epochs": len(res.history),
            "stopped": res.stopped, "parameters": sum(p.numel() for p in model.parameters()),
            "bleu": ev["bleu"], "accuracy": ev["accuracy"], "bleu_greedy": greedy["bleu"],
            "accuracy_greedy": greedy["accuracy"], "decode_seconds": round(decode_s, 2),
            "per_length": ev["per_length"], "examples": ev["examples"]}
    print(f"  wordlab: BLEU {100 * ev['bleu']:.2f} (greedy {100 * greedy['bleu']:.2f}) after "
          f"{ours['train_seconds']} s, {ours['epochs']} epochs", flush=True)
    if save:
        tr.save(save)
    return ours


def enfr_transformer(train, test_pairs, src, tgt, data_cfg, minutes: float, seed: int, beam: int,
                     bpe=None) -> dict:
    """The Transformer translator on the same split and training budget as the biLSTM row: on its word
    vocabularies, or (``bpe``) on one BPE vocabulary for both sides with shared embeddings."""
    from wordlab.seq2seq.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig

    set_seed(seed)
    # 2 + 2 layers x 128 (FF 512): in 4 minutes on one thread 3 x 256 gets 2 epochs (BLEU 23.4 beside the biLSTM's 47.9
    # in one run) and 2 x 192 2 epochs (31.9); 2 x 128 gets 5 (47.3); warm-up 100 steps, as a 400-step warm-up spans
    # 2.5 of those epochs (one run each, seed 0, load ~5)
    cfg = TransformerSeq2SeqConfig(len(src), len(tgt), layers=2, dim=128, heads=4, dropout=0.1, attn_dropout=0.1,
                                   label_smoothing=0.1, share_embeddings=bpe is not None)
    model = TransformerSeq2Seq(cfg)
    res = fit(model, Seq2SeqTask(train, batch_size=64, seed=seed),
              TrainConfig(epochs=1000, optimizer="adam", lr=2e-3, warmup=100, schedule="inverse_sqrt", clip=1.0,
                          seed=seed, max_minutes=minutes), progress=False)
    tr = Translator(model, src, tgt, data_cfg, tokenizer=bpe)
    t0 = time.perf_counter()
    ev = tr.evaluate(test_pairs, beam=beam, examples=8)
    decode_s = time.perf_counter() - t0
    greedy = tr.evaluate(test_pairs, beam=1, examples=0)
    tokens = f"BPE {len(src):,} shared" if bpe is not None else "words"
    row = {"model": f"wordlab Transformer (2+2 layers x 128, 4 heads, label smoothing 0.1, {tokens}, beam {beam})",
           "config": asdict(cfg), "train_seconds": round(sum(h["seconds"] for h in res.history), 1),
           "epochs": len(res.history), "stopped": res.stopped,
           "parameters": sum(p.numel() for p in model.parameters()), "bleu": ev["bleu"], "accuracy": ev["accuracy"],
           "bleu_greedy": greedy["bleu"], "accuracy_greedy": greedy["accuracy"], "decode_seconds": round(decode_s, 2),
           "examples": ev["examples"]}
    print(f"  wordlab Transformer ({tokens}): BLEU {100 * ev['bleu']:.2f} (greedy {100 * greedy['bleu']:.2f}) after "
          f"{row['train_seconds']} s, {row['epochs']} epochs", flush=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="date,addition,enfr", help="comma-separated sections to run")
    ap.add_argument("--date-epochs", type=int, default=2, help="epochs per date variant (DLfS-2: 99.9%% at 2)")
    ap.add_argument("--date-variants", default="plain,reversed,peeky,dot",
                    help="date variants to train: plain,reversed,peeky,dot,additive (additive costs ~3x dot on CPU)")
    ap.add_argument("--addition-minutes", type=float, default=3.0, help="training budget for addition")
    ap.add_argument("--addition-lr", type=float, default=5e-3,
                    help="Adam learning rate for addition (DLfS-2: 1e-3 for 25 epochs; 5e-3 suits a few minutes)")
    ap.add_argument("--enfr-minutes", type=float, default=4.0, help="training budget per model for fra→eng")
    ap.add_argument("--beam", type=int, default=5, help="beam width for wordlab on fra→eng")
    ap.add_argument("--enfr-transformer", action="store_true",
                    help="also train the Transformer translator on fra→eng with the same budget (a third row)")
    ap.add_argument("--enfr-bpe", type=int, default=0, metavar="N",
                    help="also train the Transformer translator on BPE tokens (one model of N tokens, e.g. 8000, "
                         "learnt from both sides) with the same budget")
    ap.add_argument("--enfr-rows", default=None,
                    help=f"comma-separated fra→eng rows to train, of {','.join(ENFR_ROWS)} (default: bilstm,tutorial "
                         f"plus those --enfr-transformer / --enfr-bpe add)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: on a shared CPU, 2 spinning threads are many times slower)")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--results", default=str(RESULTS), help="JSON file to write (sections not run are kept)")
    ap.add_argument("--save", help="also write the trained fra→eng wordlab model to this checkpoint")
    ap.add_argument("--report", action="store_true", help="only print the tables of the --results file")
    args = ap.parse_args(argv)
    if args.report:
        report(json.loads(Path(args.results).read_text()))
        return 0
    if not (DATA / "dlfs2").is_dir() or not (DATA / "tatoeba-eng-fra").is_dir():
        print(f"skipped: benchmark data not found under {DATA} (set WORDLAB_DATA)")
        return 0
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    out = {"machine": {"cpu": platform.processor() or platform.machine(), "threads": args.threads,
                       "torch": torch.__version__}, "args": vars(args)}
    t_all = time.perf_counter()
    if "date" in only:
        print("date format (DLfS-2 ch. 7-8):", flush=True)
        variants = {k: v for k, v in DATE_VARIANTS.items() if k.split(" ")[0] in args.date_variants.split(",")}
        out["date"] = train_dlfs2("date.txt", variants, args.date_epochs, None, 256, args.seed)
    if "addition" in only:
        print("addition (DLfS-2 ch. 7):", flush=True)
        out["addition"] = train_dlfs2("addition.txt", {"reversed + peeky": {"reverse_source": True, "peeky": True}},
                                      1000, args.addition_minutes, 128, args.seed, args.addition_lr)
    if "enfr" in only:
        print("French -> English (tutorial filter):", flush=True)
        rows = tuple(args.enfr_rows.split(",")) if args.enfr_rows else None
        if rows and not set(rows) <= set(ENFR_ROWS):
            ap.error(f"--enfr-rows: unknown rows {sorted(set(rows) - set(ENFR_ROWS))}; choose from {','.join(ENFR_ROWS)}")
        out["enfr"] = enfr(args.enfr_minutes, args.seed, args.beam, args.save, args.enfr_transformer,
                           args.enfr_bpe, rows)
    out["total_seconds"] = round(time.perf_counter() - t_all, 1)
    results = Path(args.results)
    if results.exists():  # keep the sections this run did not redo (read now: other runs may have written)
        prev = json.loads(results.read_text())
        out.update({k: v for k, v in prev.items() if k in ("date", "addition", "enfr") and k not in only})
    results.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(results, json.dumps(out, indent=1))
    report(out)
    return 0


def report(out: dict) -> None:
    print()
    for key, title in (("date", "Date format, DLfS-2 split (5,000 held-out), exact match (greedy)"),
                       ("addition", "Addition, DLfS-2 split (5,000 held-out), exact match (greedy)")):
        if key in out:
            print(title)
            table([[r["variant"], r["epochs"], " / ".join(f"{100 * a:.2f}%" for a in r["test_accuracy_per_epoch"][-5:]),
                    f"{100 * r['test_accuracy']:.2f}%", f"{r['train_seconds']:.0f}"] for r in out[key]],
                  ["model", "epochs", "accuracy by epoch (last 5)", "final", "train s"])
    if "enfr" in out:
        e = out["enfr"]
        print(f"French -> English, tutorial filter, {e['train']} train / {e['test']} test pairs, "
              f"{e['minutes_each']} min training each")
        table([[m["model"], f"{m['train_seconds']:.0f}", m["epochs"] if isinstance(m["epochs"], int) else f"{m['epochs']:.1f}",
                m["parameters"], f"{100 * m['bleu']:.2f}", f"{100 * m['accuracy']:.2f}%"]
               for m in (e[k] for k in ("wordlab", "transformer", "transformer_bpe", "tutorial") if k in e)],
              ["model", "train s", "epochs", "params", "test BLEU", "exact"])
        if "bleu_ratio" in e:
            print(f"BLEU ratio wordlab / tutorial: {e['bleu_ratio']:.2f} "
                  f"(wordlab greedy: {100 * e['wordlab']['bleu_greedy']:.2f})")
    print(f"benchmark wall time: {out.get('total_seconds')} s")


if __name__ == "__main__":
    sys.exit(main())
