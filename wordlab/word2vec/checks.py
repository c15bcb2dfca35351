"""What the compiled kernel may trust: every array's dtype, shape and index range, checked before a call.

The numba kernel (:mod:`wordlab.word2vec.kernel`) runs without bounds checks and without the GIL, so
an id outside the vocabulary, a ``W_out`` of another shape than ``W_in`` or an alias table pointing
past the end reads or writes memory it does not own (a segmentation fault, "double free or
corruption", or silently wrong vectors). :func:`check_kernel_inputs` runs before every epoch;
:func:`check_model_file` validates a loaded ``Word2Vec.save`` file against :data:`MODEL_META`.
"""

from __future__ import annotations

import numpy as np

from .. import schema
from ..errors import CheckpointError, DataError

#: the JSON ``meta`` of a Word2Vec model file
MODEL_META = schema.Record({
    "format": str, "config": schema.DictOf(), "words": schema.ListOf(str), "specials": schema.ListOf(str),
    "total_words": int, "history": schema.ListOf(dict),
    "corpus": schema.Optional(schema.Record({"count": int, "total_words": int})),
    "state": schema.Record({"epochs_done": int, "epochs_total": int, "words_done": int}),
    "provenance": schema.Optional(dict),
}, required=("format", "config", "words", "total_words"))


def check_model_file(path: object, meta: dict, W_in: np.ndarray, W_out: np.ndarray, counts: np.ndarray,
                     config_class: type | None = None):
    """The model's config (a ``config_class``, default :class:`Word2VecConfig`), after checking the file's
    metadata and arrays; one line naming the field if not. ``W_in`` has ``config.input_rows(words)`` rows
    (fastText's n-gram buckets follow the words' rows)."""
    from ..checkpoint import config_from_dict
    from .config import Word2VecConfig

    source = str(path)
    schema.validate(meta, MODEL_META, source, "meta", error=CheckpointError)
    config = config_from_dict(config_class or Word2VecConfig, meta["config"], source=source)
    vector_size = config.vector_size
    extra = config.input_rows(len(meta["words"])) - len(meta["words"])
    for name, arr in (("W_in", W_in), ("W_out", W_out)):
        schema.validate(arr, schema.Array("f", 2), source, name, error=CheckpointError)
    schema.validate(counts, schema.Array("iu", 1), source, "counts", error=CheckpointError)
    n = len(meta["words"])
    for name, shape, rows in (("W_in", W_in.shape, n + extra), ("W_out", W_out.shape, n)):
        if shape != (rows, vector_size):
            raise CheckpointError(f"{source}: field {name!r} has shape {shape}, expected ({rows}, {vector_size}) "
                                  f"for {n} words{f' + {extra:,} n-gram buckets' if extra else ''} of vector_size "
                                  f"{vector_size}; the file is damaged or mixed")
    if counts.shape != (n,):
        raise CheckpointError(f"{source}: field 'counts' has shape {counts.shape}, expected ({n},)")
    if n and int(counts.min()) < 0:
        raise CheckpointError(f"{source}: field 'counts' holds negative counts")
    state = meta.get("state") or {}
    if any(state.get(k, 0) < 0 for k in ("epochs_done", "epochs_total", "words_done")) \
            or state.get("epochs_done", 0) > state.get("epochs_total", 0):
        raise CheckpointError(f"{source}: field 'meta.state' is inconsistent ({state}); the file is damaged")
    return config


def check_kernel_inputs(W_in: np.ndarray, W_out: np.ndarray, ids: np.ndarray, tables, vector_size: int) -> None:
    """Raise (one line) unless the kernel can index everything it is given without leaving its arrays."""
    for name, arr in (("W_in", W_in), ("W_out", W_out)):
        if not isinstance(arr, np.ndarray) or arr.dtype != np.float32 or arr.ndim != 2 \
                or not arr.flags.c_contiguous or not arr.flags.writeable:
            raise CheckpointError(f"{name} must be a writable C-contiguous float32 matrix, got "
                                  f"{getattr(arr, 'dtype', type(arr).__name__)} {getattr(arr, 'shape', '')}")
    V = W_in.shape[0]
    if W_in.shape != (V, vector_size) or W_out.shape != (V, vector_size):
        raise CheckpointError(f"weight tables W_in {W_in.shape} and W_out {W_out.shape} must both be "
                              f"({V}, {vector_size}); the model file or the vocabulary update is inconsistent")
    if not isinstance(ids, np.ndarray) or ids.dtype != np.int32 or ids.ndim != 1:
        raise DataError(f"the corpus ids must be a 1-D int32 array, got {getattr(ids, 'dtype', type(ids).__name__)}")
    if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= V):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise DataError(f"the corpus ids hold {bad}, outside the vocabulary of {V} words (a stale or damaged id "
                        "cache? delete it or pass cache_dir=False)")
    for name in ("sample_int", "accept", "alias"):
        arr = getattr(tables, name)
        if not isinstance(arr, np.ndarray) or arr.ndim != 1 or len(arr) != V:
            raise CheckpointError(f"sampling table {name} has shape {getattr(arr, 'shape', None)}, expected ({V},)")
    if V and (int(tables.alias.min()) < 0 or int(tables.alias.max()) >= V):
        raise CheckpointError(f"the noise alias table points outside the vocabulary of {V} words")
    if not -1 <= int(tables.eos) < max(V, 1) and not (V == 0 and tables.eos == -1):
        raise CheckpointError(f"the <eos> id {tables.eos} is outside the vocabulary of {V} words")


def check_chunk_ids(ids: np.ndarray, V: int) -> None:
    """One job's ids are in the vocabulary (for a kernel call that skipped :func:`check_kernel_inputs`'s id scan)."""
    if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= V):
        raise DataError(f"the corpus ids hold a value outside the vocabulary of {V} words (a stale or damaged id "
                        "cache? delete it or pass cache_dir=False)")


def check_hs_inputs(W_hs: np.ndarray, tree, V: int, vector_size: int, *, label_is_code: bool):
    """The hierarchical-softmax kernel's inputs: ``(offsets, points, labels)`` after checking ``W_hs`` and the tree.

    ``labels``: the value each inner node's sigmoid is pushed towards: ``1 - code`` in word2vec
    (``word2vec.c``: ``g = (1 - code - f) * alpha``), the code itself in fastText (``loss.cc``'s
    ``binaryLogistic(target, state, codes[i], ...)``); the two are mirror images of one objective.
    """
    if not isinstance(W_hs, np.ndarray) or W_hs.dtype != np.float32 or W_hs.shape != (V, vector_size) \
            or not W_hs.flags.c_contiguous or not W_hs.flags.writeable:
        raise CheckpointError(f"W_hs (hierarchical softmax) must be a writable C-contiguous float32 ({V}, "
                              f"{vector_size}) matrix, got {getattr(W_hs, 'dtype', '')} {getattr(W_hs, 'shape', '')}")
    if tree is None or len(tree.offsets) != V + 1:
        raise CheckpointError(f"the Huffman tree does not match the vocabulary of {V} words; call rebuild_tables()")
    offsets = np.ascontiguousarray(tree.offsets, np.int64)
    points = np.ascontiguousarray(tree.points, np.int32)
    if offsets[0] != 0 or offsets[-1] != len(points) or len(tree.codes) != len(points) or np.any(np.diff(offsets) < 0) \
            or (len(points) and (int(points.min()) < 0 or int(points.max()) >= max(V - 1, 1))):
        raise CheckpointError(f"the Huffman tree's paths are inconsistent with {V} words")
    codes = np.asarray(tree.codes, np.uint8)
    labels = np.ascontiguousarray(codes if label_is_code else 1 - codes, np.uint8)
    return offsets, points, labels


def check_hs_table(path: object, config, W_hs: np.ndarray | None, n: int) -> None:
    """A saved model with ``hs`` holds a float32 ``W_hs`` of ``(n, vector_size)``; one line naming it if not."""
    if not config.hs:
        return
    if W_hs is None:
        raise CheckpointError(f"{path}: the config says hs=1 but the file has no 'W_hs' table (hierarchical "
                              "softmax weights); the file is damaged or was written by another program")
    schema.validate(W_hs, schema.Array("f", 2), str(path), "W_hs", error=CheckpointError)
    if W_hs.shape != (n, config.vector_size):
        raise CheckpointError(f"{path}: field 'W_hs' has shape {W_hs.shape}, expected ({n}, {config.vector_size})")
