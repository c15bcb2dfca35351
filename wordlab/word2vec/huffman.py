"""The Huffman tree of hierarchical softmax (Mikolov et al. 2013a; Morin & Bengio 2005), built as the C tool builds it.

Every vocabulary word is a leaf; the ``V - 1`` inner nodes each own one row of the output table
``syn1`` (``W_hs``). A word's *path* is the inner nodes from the root down to it (``points``) and the
branch taken at each (``codes``: 0 left, 1 right). Training a word as a target walks its path:
``σ(h · syn1[point])`` is pushed towards the branch's label.

:func:`build_tree` is ``CreateBinaryTree`` of ``word2vec.c`` (Mikolov's C tool; fastText's
``HierarchicalSoftmaxLoss::buildTree`` is the same algorithm): leaves sorted by count, most frequent
first; two cursors, one walking the leaves from the rarest up and one walking the new inner nodes
in creation order, each step joins the two smallest, and **a tie goes to the inner node**
(``count[leaf] < count[node]`` is strict). The first of the pair is the left child (code 0),
the second the right (code 1); inner node ``a`` (the ``a``-th created) is ``syn1`` row ``a``, so the
root is row ``V - 2``. Codes and points are stored root first, as the C tool stores them.

gensim's ``_build_heap`` makes the same tree when no two candidate counts are equal; on ties its
``heapq`` picks by heap position (its ``Heapitem`` compares counts only), so codes differ from the C
tool's then, while the total weighted path length (the tree's cost) is the same. wordlab follows
the C tool.

A vocabulary not sorted by count (after ``build_vocab(update=True)`` appended new words) is first
ordered by count, most frequent first, ties in id order (a stable sort), which is the identity for
a vocabulary built in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@njit(cache=True)
def _create_binary_tree(count_sorted):
    """``CreateBinaryTree`` on counts sorted most frequent first: ``(parent, binary)`` of all ``2V - 1`` nodes."""
    V = count_sorted.shape[0]
    count = np.empty(2 * V, dtype=np.int64)
    count[:V] = count_sorted
    count[V:] = np.int64(10) ** 15  # the C tool's 1e15 for nodes not made yet
    parent = np.zeros(2 * V, dtype=np.int64)
    binary = np.zeros(2 * V, dtype=np.uint8)
    pos1 = V - 1
    pos2 = V
    for a in range(V - 1):
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min1 = pos1
            pos1 -= 1
        else:
            min1 = pos2
            pos2 += 1
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min2 = pos1
            pos1 -= 1
        else:
            min2 = pos2
            pos2 += 1
        count[V + a] = count[min1] + count[min2]
        parent[min1] = V + a
        parent[min2] = V + a
        binary[min2] = 1
    return parent, binary


@njit(cache=True)
def _paths(parent, binary, V):
    """Code lengths, then flat root-first codes and points (inner-node rows) of every sorted leaf."""
    root = 2 * V - 2
    lengths = np.zeros(V, dtype=np.int64)
    for a in range(V):
        b = a
        n = 0
        while b != root:
            n += 1
            b = parent[b]
        lengths[a] = n
    offsets = np.zeros(V + 1, dtype=np.int64)
    for a in range(V):
        offsets[a + 1] = offsets[a] + lengths[a]
    codes = np.zeros(offsets[V], dtype=np.uint8)
    points = np.zeros(offsets[V], dtype=np.int32)
    for a in range(V):
        b = a
        i = offsets[a + 1] - 1  # fill from the leaf end backwards: stored root first
        while b != root:
            codes[i] = binary[b]
            points[i] = parent[b] - V
            b = parent[b]
            i -= 1
    return offsets, codes, points


@dataclass(frozen=True)
class HuffmanTree:
    """Every word's path: ``codes[offsets[w]:offsets[w+1]]`` and ``points[...]`` (``syn1`` rows), root first."""

    offsets: np.ndarray  # (V + 1,) int64
    codes: np.ndarray  # (total,) uint8: 0 left, 1 right
    points: np.ndarray  # (total,) int32: inner node = syn1 row, in [0, V - 2]

    def code(self, word: int) -> list[int]:
        return [int(x) for x in self.codes[self.offsets[word]:self.offsets[word + 1]]]

    def point(self, word: int) -> list[int]:
        return [int(x) for x in self.points[self.offsets[word]:self.offsets[word + 1]]]

    @property
    def max_depth(self) -> int:
        return int(np.diff(self.offsets).max()) if len(self.offsets) > 1 else 0


def build_tree(counts) -> HuffmanTree:
    """The C tool's Huffman tree over ``counts`` (one per word id); see the module docstring for the tie rule.

    One word gets an empty path (no inner node: nothing to learn, as in the C tool's degenerate case).
    """
    counts = np.asarray(counts, dtype=np.int64)
    V = len(counts)
    if V < 2:
        return HuffmanTree(np.zeros(V + 1, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.int32))
    order = np.argsort(-counts, kind="stable")  # most frequent first, ties by id
    parent, binary = _create_binary_tree(counts[order])
    offsets_s, codes_s, points_s = _paths(parent, binary, V)
    if np.array_equal(order, np.arange(V)):
        return HuffmanTree(offsets_s, codes_s, points_s)
    lengths = np.empty(V, np.int64)
    lengths[order] = np.diff(offsets_s)
    offsets = np.zeros(V + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # gather each word's slice from its sorted position
    src = np.concatenate([np.arange(offsets_s[r], offsets_s[r + 1]) for r in np.argsort(order)])
    return HuffmanTree(offsets, codes_s[src], points_s[src])
