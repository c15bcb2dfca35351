"""Batches of variable-length id sequences, shared by the seq2seq and classification data paths.

Length bucketing: shuffle, sort by length inside pools of ``pool`` batches, cut into batches,
shuffle the batch order — little padding per batch, yet different batches every epoch::

    shuffled   7 2 9 4 1 8 | 3 6 5 0 ...      (one pool = pool * batch_size sequences)
    by length  1 2 4 7 8 9 | 0 3 5 6 ...      (sorted inside each pool only)
    batches    [1 2] [4 7] [8 9] [0 3] ...    (then the batch order is shuffled)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def pad(seqs: Sequence[np.ndarray], pad_id: int = 0) -> torch.Tensor:
    """Right-pad 1-D id arrays into a ``(B, max_len)`` int64 tensor."""
    out = np.full((len(seqs), max(len(s) for s in seqs)), pad_id, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return torch.from_numpy(out)


def length_batches(lengths: Sequence[int] | np.ndarray, batch_size: int, rng: np.random.Generator,
                   pool: int = 50) -> list[np.ndarray]:
    """Index batches of similar lengths in a random order drawn from ``rng`` (see the module docstring)."""
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    batches = []
    step = batch_size * pool
    for p in range(0, len(order), step):
        chunk = order[p:p + step]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches
