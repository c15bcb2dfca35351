"""One rank of the 2- and 3-process tests in test_distributed_counting.py (run as a script with torchrun's environment).

usage: distributed_counting_worker.py JOB DIR       (DIR/files.json: the corpus files)
  files  the sharded vocabulary (min_count 1) → DIR/vocab.RANK.json; the merged co-occurrences on every rank
         → DIR/cooc.RANK.npz, and on rank 0 only (``root=0``: the others note that they got None)
  ppmi   train_ppmi on the files (rank 0 factorises, every rank gets the vectors) → DIR/vectors.RANK.npy
  merge  merge_sparse of different matrices on each rank, symmetric or not, to every rank and to each root
         → DIR/merged.RANK.json (how many results the rank checked)
  bad    the sharded vocabulary of files one of which is not text → DIR/error.RANK.txt (the line each rank raised)
  queue  two work queues (40 items; then without end, stopped at 30) with rank 0 slow → DIR/queue.RANK.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from wordlab import distributed


def files(out: Path) -> None:
    import scipy.sparse

    from wordlab.count.cooccurrence import cooccurrence_merged
    from wordlab.text import encode_corpus, read_corpus
    from wordlab.text.shards import build_vocabulary

    corpus = read_corpus(json.loads((out / "files.json").read_text()))
    vocab = build_vocabulary(corpus, min_count=1)
    r = distributed.rank()
    (out / f"vocab.{r}.json").write_text(json.dumps({"itos": vocab.itos, "counts": vocab.counts.tolist(),
                                                     "total": vocab.total_words}))
    ids = encode_corpus(corpus, vocab, cache_dir=False)
    scipy.sparse.save_npz(out / f"cooc.{r}.npz", cooccurrence_merged(ids, len(vocab), 3))
    root = cooccurrence_merged(ids, len(vocab), 3, weighting="harmonic", root=0)
    if root is None:
        (out / f"root.{r}.none").write_text("")
    else:
        scipy.sparse.save_npz(out / f"root.{r}.npz", root)


def ppmi(out: Path) -> None:
    from wordlab.count import PPMIConfig, train_ppmi

    model, _ = train_ppmi(json.loads((out / "files.json").read_text()), PPMIConfig(dim=8, min_count=2),
                          output=out / "ppmi.npz", cache_dir=False)
    np.save(out / f"vectors.{distributed.rank()}.npy", model.wv.vectors)
    (out / f"stats.{distributed.rank()}.json").write_text(json.dumps(model.stats))


def merge(out: Path) -> None:
    """merge_sparse on every rank's matrix of a different density, with and without ``symmetric``, to every
    rank and to each root; and a tiny matrix held by rank 0 alone, so that some ranks own no rows."""
    import scipy.sparse as sp

    r, world = distributed.rank(), distributed.world_size()
    parts = [sp.random(50, 50, density=0.05 * (q + 1), random_state=q, format="csr") * 7 for q in range(world)]
    total = sum(parts)
    checked = 0
    for symmetric in (False, True):
        want = (total + total.T if symmetric else total).toarray().astype(np.float32)
        for root in (None, *range(world)):
            got = distributed.merge_sparse(parts[r], dtype=np.float32, root=root, symmetric=symmetric)
            if root is None or root == r:
                assert got.dtype == np.float32 and got.has_canonical_format
                assert np.array_equal(got.toarray(), want), (symmetric, root)
                checked += 1
            else:
                assert got is None
    tiny = sp.csr_matrix(np.array([[1.0, 2.0], [0.0, 3.0]]) if r == 0 else np.zeros((2, 2)))
    assert np.array_equal(distributed.merge_sparse(tiny, symmetric=True).toarray(), [[2.0, 2.0], [2.0, 6.0]])
    (out / f"merged.{r}.json").write_text(json.dumps(checked))


def queue(out: Path) -> None:
    """Each rank's indices from two work queues opened in turn; rank 0 takes 20 ms per item, the others none."""
    import time

    r = distributed.rank()
    got = []
    for i in distributed.work_queue(40):
        got.append(i)
        if r == 0:
            time.sleep(0.02)
    endless = []
    for i in distributed.work_queue():  # without end: each rank stops past 30
        if i >= 30:
            break
        endless.append(i)
    (out / f"queue.{r}.json").write_text(json.dumps([got, endless]))


def bad(out: Path) -> None:
    from wordlab.errors import DataError
    from wordlab.text import read_corpus
    from wordlab.text.shards import build_vocabulary

    try:
        build_vocabulary(read_corpus(json.loads((out / "files.json").read_text())))
    except DataError as e:
        (out / f"error.{distributed.rank()}.txt").write_text(str(e))


if __name__ == "__main__":
    torch.set_num_threads(1)
    distributed.init_from_env()
    {"files": files, "ppmi": ppmi, "merge": merge, "queue": queue, "bad": bad}[sys.argv[1]](Path(sys.argv[2]))
