"""One rank of the 2-process tests in test_distributed_word2vec.py (run as a script with torchrun's environment).

usage: distributed_w2v_worker.py JOB DIR
  w2v    train_word2vec on DIR/corpus.txt with the settings in DIR/config.json (model averaging); each rank
         dumps its final tables to DIR/tables.RANK.npz and the files the library wrote to DIR/calls.RANK.json
  count  the counting verbs on DIR/corpus.txt: `vocab -o`, `train ppmi`, `train glove` (sharded, merged)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from wordlab import distributed


def w2v(out: Path) -> None:
    from wordlab.vectors import KeyedVectors
    from wordlab.word2vec import Word2Vec, Word2VecConfig, train_word2vec

    calls: list[str] = []
    real_save, real_kv_save = Word2Vec.save, KeyedVectors.save
    Word2Vec.save = lambda self, path, *a, **k: (calls.append(str(path)), real_save(self, path, *a, **k))[1]
    KeyedVectors.save = lambda self, path, *a, **k: (calls.append(str(path)), real_kv_save(self, path, *a, **k))[1]
    config = Word2VecConfig(**json.loads((out / "config.json").read_text()))
    run = train_word2vec(str(out / "corpus.txt"), config, output=out / "vectors.npz", save_model=out / "model.npz",
                         cache_dir=False, progress=False)
    r = distributed.rank()
    np.savez(out / f"tables.{r}.npz", W_in=run.model.W_in, W_out=run.model.W_out)
    (out / f"calls.{r}.json").write_text(json.dumps({"calls": calls, "summary": run.summary,
                                                     "history": run.model.history}))
    # fastText: the n-gram buckets are rows of W_in, merged with it
    from wordlab.fasttext import FastTextConfig, train_fasttext

    ft = train_fasttext(str(out / "corpus.txt"), FastTextConfig(**{**json.loads((out / "config.json").read_text()),
                                                                   "bucket": 5000, "epochs": 1}),
                        cache_dir=False, progress=False)
    np.savez(out / f"ft.{r}.npz", W_in=ft.model.W_in, W_out=ft.model.W_out, loss=ft.model.history[-1]["loss"])


def count(out: Path) -> None:
    import scipy.sparse

    from wordlab.cli import main
    from wordlab.count.cooccurrence import cooccurrence_merged
    from wordlab.text import build_vocab_and_ids, read_corpus

    corpus = str(out / "corpus.txt")
    for argv in (["vocab", corpus, "--min-count", "2", "-o", str(out / "vocab.2.json")],
                 ["train", "ppmi", corpus, "--min-count", "2", "--dim", "8", "--no-cache", "-o",
                  str(out / "ppmi.2.npz")],
                 ["train", "glove", corpus, "--min-count", "2", "--dim", "8", "--epochs", "1", "--threads", "1",
                  "--no-cache", "-o", str(out / "glove.2.npz")]):
        if main(["-q", *argv]) != 0:
            sys.exit(f"{argv[:2]} failed")
    vocab, ids = build_vocab_and_ids(read_corpus(corpus), min_count=2, cache_dir=False)
    m = cooccurrence_merged(ids, len(vocab), 4, weighting="harmonic", subsample=1e-3, counts=vocab.counts,
                            total_words=vocab.total_words, seed=3)
    scipy.sparse.save_npz(out / f"cooc.{distributed.rank()}.npz", m)


if __name__ == "__main__":
    torch.set_num_threads(1)
    distributed.init_from_env()
    {"w2v": w2v, "count": count}[sys.argv[1]](Path(sys.argv[2]))
