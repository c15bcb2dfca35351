"""Facebook fastText model files (``.bin``, and quantized ``.ftz``): read and write.

Layout (little-endian, from the tool's ``FastText::saveModel`` / ``loadModel``, ``Args::save``,
``Dictionary::save`` and ``DenseMatrix::save``, version 12)::

    int32 magic 793712314, int32 version (11 or 12)
    args:  int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
           lrUpdateRate; float64 t                       (loss: 1 hs 2 ns 3 softmax 4 ova;
                                                          model: 1 cbow 2 sg 3 sup)
    dict:  int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
           size x (bytes word, NUL, int64 count, int8 type 0 word / 1 label);
           pruneidx_size x (int32 bucket, int32 row)
    bool quant_input; input matrix  (dense: int64 m, n; m*n float32 — or a QuantMatrix)
    bool qout;        output matrix (dense, or a QuantMatrix when quant_input and qout)

Every size in the header is checked against the bytes left in the file before anything is
allocated, so a damaged or hostile file gives one :class:`~wordlab.errors.DataError` line
(file, byte offset, what is wrong) instead of a huge allocation or a crash.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import DataError
from .quant import QuantMatrix, read_quant_matrix

MAGIC = 793712314
VERSION = 12
MAGIC_BYTES = struct.pack("<i", MAGIC)  # b"\xba\x16\x4f\x2f"
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "sg", 3: "sup"}
ARG_FIELDS = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
              "lrUpdateRate")
MAX_WORD_BYTES = 1 << 16
_ENTRY_MIN_BYTES = 10  # NUL + int64 count + int8 type


def is_facebook_model(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts with the fastText magic number."""
    return head[:4] == MAGIC_BYTES


@dataclass
class FacebookModel:
    """The content of a fastText ``.bin``/``.ftz``: ``args`` (the tool's names), dictionary and matrices."""

    args: dict
    words: list[str]  # words then labels, as in the file
    counts: np.ndarray  # (size,) int64
    nwords: int
    nlabels: int
    ntokens: int
    input: np.ndarray | QuantMatrix  # (nwords + bucket, dim), or fewer rows when pruned
    output: np.ndarray | QuantMatrix  # (nwords or nlabels, dim)
    prune: dict[int, int] | None = None  # bucket -> row after nwords (quantized, pruned models)
    version: int = VERSION
    extra: dict = field(default_factory=dict)

    @property
    def supervised(self) -> bool:
        return self.args["model"] == 3

    @property
    def quantized(self) -> bool:
        return isinstance(self.input, QuantMatrix)

    @property
    def labels(self) -> list[str]:
        return self.words[self.nwords:]

    def prune_table(self) -> np.ndarray | None:
        """bucket → row offset (-1: dropped) for a pruned dictionary; ``None`` when not pruned."""
        if self.prune is None:
            return None
        table = np.full(max(self.args["bucket"], 1), -1, dtype=np.int64)
        for k, v in self.prune.items():
            table[k] = v
        return table


class BinaryReader:
    """Reads little-endian records from a binary file, checking every size against the bytes left."""

    def __init__(self, f: io.BufferedReader, path: Path, size: int) -> None:
        self.f, self.path, self.size, self.pos = f, path, size, 0

    def fail(self, message: str) -> None:
        raise DataError(f"{self.path}: byte {self.pos}: {message}")

    @property
    def left(self) -> int:
        return self.size - self.pos

    def read(self, n: int, what: str) -> bytes:
        if n > self.left:
            self.fail(f"file truncated: {what} needs {n} bytes, {self.left} left")
        data = self.f.read(n)
        if len(data) != n:
            self.fail(f"file truncated while reading {what}")
        self.pos += n
        return data

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        dt = np.dtype(dtype)
        if count < 0 or count * dt.itemsize > self.left:
            self.fail(f"{what}: {count} x {dt.itemsize} bytes announced, only {self.left} left "
                      "(file truncated or damaged)")
        out = np.empty(count, dtype=dt)
        view = memoryview(out).cast("B")
        if self.f.readinto(view) != count * dt.itemsize:
            self.fail(f"file truncated while reading {what}")
        self.pos += count * dt.itemsize
        return out

    def cstring(self, what: str) -> bytes:
        parts, total = [], 0
        while True:
            chunk = self.f.peek(1)
            if not chunk:
                self.fail(f"file truncated inside {what}")
            k = chunk.find(b"\0")
            if k >= 0:
                parts.append(self.f.read(k + 1)[:-1])
                self.pos += k + 1
                return b"".join(parts)
            parts.append(self.f.read(len(chunk)))
            self.pos += len(chunk)
            total += len(chunk)
            if total > MAX_WORD_BYTES:
                self.fail(f"{what}: no NUL within {MAX_WORD_BYTES} bytes (not a fastText dictionary?)")


def _read_dense(r: BinaryReader, what: str, dim: int) -> np.ndarray:
    m, n = r.unpack("<2q", f"{what} shape")
    if m < 0 or n != dim:
        r.fail(f"{what}: shape ({m}, {n}) does not match dim {dim}")
    return r.array("<f4", m * n, what).reshape(m, n)


def read_facebook(path: str | os.PathLike) -> FacebookModel:
    """Read a fastText ``.bin`` or ``.ftz`` file (unsupervised or supervised; dense or quantized)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 20) as f:
        r = BinaryReader(f, path, size)
        magic, version = r.unpack("<2i", "magic number")
        if magic != MAGIC:
            r.fail(f"not a fastText model (magic {magic}, expected {MAGIC})")
        if version not in (11, 12):
            r.fail(f"fastText file version {version} is not supported (11 or 12)")
        args = dict(zip(ARG_FIELDS, r.unpack("<12i", "args")))
        (args["t"],) = r.unpack("<d", "args.t")
        _check_args(r, args)
        if version == 11 and args["model"] == 3:
            args["maxn"] = 0  # the tool: old supervised models have no character n-grams
        nsize, nwords, nlabels = r.unpack("<3i", "dictionary sizes")
        ntokens, prune_size = r.unpack("<2q", "dictionary counts")
        if not (0 <= nwords and 0 <= nlabels and nwords + nlabels == nsize):
            r.fail(f"dictionary sizes disagree: size {nsize}, {nwords} words, {nlabels} labels")
        if nsize * _ENTRY_MIN_BYTES > r.left or prune_size < -1 or max(prune_size, 0) * 8 > r.left:
            r.fail(f"dictionary of {nsize} entries and {prune_size} pruned buckets cannot fit in {r.left} bytes")
        words, counts = [], np.empty(nsize, dtype=np.int64)
        for i in range(nsize):
            word = r.cstring(f"dictionary entry {i}")
            counts[i], kind = r.unpack("<qb", f"dictionary entry {i} count")
            if kind != (0 if i < nwords else 1):
                r.fail(f"dictionary entry {i} ({word[:40]!r}) has type {kind}; words must precede labels")
            words.append(word.decode("utf-8", "surrogateescape"))
        prune = None
        if prune_size >= 0:
            pairs = r.array("<i4", 2 * prune_size, "pruned buckets").reshape(-1, 2)
            prune = {int(a): int(b) for a, b in pairs}
        (quant_input,) = r.unpack("<?", "quantized-input flag")
        dim = args["dim"]
        inp = read_quant_matrix(r, "input matrix") if quant_input else _read_dense(r, "input matrix", dim)
        if inp.shape[1] != dim:
            r.fail(f"input matrix has {inp.shape[1]} columns, dim is {dim}")
        want_rows = nwords + (len(prune) if prune is not None else args["bucket"])
        if inp.shape[0] != want_rows:
            r.fail(f"input matrix has {inp.shape[0]} rows, expected {want_rows} (words + buckets)")
        if prune and not all(0 <= k < args["bucket"] and 0 <= v < len(prune) for k, v in prune.items()):
            r.fail(f"pruned buckets out of range (bucket {args['bucket']}, {len(prune)} kept rows)")
        if not quant_input and prune is not None and prune_size > 0:
            r.fail("a pruned dictionary with a dense input matrix (the tool refuses these: see its issue #332)")
        (qout,) = r.unpack("<?", "quantized-output flag")
        out = read_quant_matrix(r, "output matrix") if (quant_input and qout) else _read_dense(r, "output matrix", dim)
        want_out = nlabels if args["model"] == 3 else nwords
        if out.shape != (want_out, dim):
            r.fail(f"output matrix has shape {out.shape}, expected ({want_out}, {dim})")
        if r.left:
            r.fail(f"{r.left} trailing bytes after the output matrix")
    return FacebookModel(args, words, counts, nwords, nlabels, int(ntokens), inp, out, prune, version,
                         extra={"qout": bool(qout)})


def _check_args(r: BinaryReader, a: dict) -> None:
    problems = []
    if not 1 <= a["dim"] <= 1 << 16:
        problems.append(f"dim {a['dim']}")
    if a["loss"] not in LOSSES:
        problems.append(f"loss {a['loss']}")
    if a["model"] not in MODELS:
        problems.append(f"model {a['model']}")
    if a["bucket"] < 0:
        problems.append(f"bucket {a['bucket']}")
    if not (0 <= a["minn"] <= 256 and 0 <= a["maxn"] <= 256):
        problems.append(f"minn {a['minn']} / maxn {a['maxn']}")
    if a["wordNgrams"] < 0 or a["ws"] < 0 or a["neg"] < 0:
        problems.append(f"wordNgrams {a['wordNgrams']} / ws {a['ws']} / neg {a['neg']}")
    if problems:
        r.fail("implausible header: " + ", ".join(problems))


def write_facebook(path: str | os.PathLike, model: FacebookModel) -> None:
    """Write ``model`` (dense matrices) in the tool's version-12 layout, atomically; the tool loads it back."""
    if isinstance(model.input, QuantMatrix) or isinstance(model.output, QuantMatrix):
        raise DataError(f"{path}: writing quantized (.ftz) models is not supported; write a dense model")
    a = model.args
    parts = [struct.pack("<2i", MAGIC, VERSION), struct.pack("<12i", *(int(a[k]) for k in ARG_FIELDS)),
             struct.pack("<d", float(a["t"]))]
    prune = model.prune
    parts.append(struct.pack("<3i2q", len(model.words), model.nwords, model.nlabels, int(model.ntokens),
                             -1 if prune is None else len(prune)))
    entries = bytearray()
    for i, (w, c) in enumerate(zip(model.words, model.counts)):
        b = w.encode("utf-8", "surrogateescape")
        if b"\0" in b:
            raise DataError(f"{path}: word {i} ({w[:40]!r}) contains a NUL byte; the format cannot hold it")
        entries += b + b"\0" + struct.pack("<qb", int(c), 0 if i < model.nwords else 1)
    parts.append(bytes(entries))
    if prune:
        parts.append(np.array(sorted(prune.items()), dtype="<i4").tobytes())
    with atomic_write(path, "wb") as f:
        for p in parts:
            f.write(p)
        for flag, mat in ((False, model.input), (False, model.output)):
            mat = np.ascontiguousarray(mat, dtype="<f4")
            f.write(struct.pack("<?2q", flag, mat.shape[0], mat.shape[1]))
            f.write(memoryview(mat).cast("B"))
