"""fastText's quantized matrices (``.ftz`` files): product quantization, decoded to dense rows.

Layout from the tool's ``src/quantmatrix.cc`` and ``src/productquantizer.cc`` (Jégou et al. 2011
product quantization, as used by Joulin et al. 2016 "FastText.zip"): a row of ``dim`` floats is cut
into ``nsubq`` sub-vectors of ``dsub`` floats (the last one ``lastdsub``), each stored as one byte
naming one of 256 centroids; with ``qnorm`` the row was normalised first and its norm is itself
quantized by a 1-d quantizer (``npq``). The reader validates every size against the bytes left in
the file before it allocates anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KSUB = 256  # centroids per sub-quantizer (8 bits)


@dataclass(frozen=True)
class ProductQuantizer:
    """``dim`` floats as ``nsubq`` bytes; ``centroids`` in the tool's flat layout (``dim * 256`` floats)."""

    dim: int
    nsubq: int
    dsub: int
    lastdsub: int
    centroids: np.ndarray  # (dim * 256,) float32

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Rows for ``codes`` (rows, nsubq) uint8 → float32 (rows, dim) (``addcode`` with alpha 1)."""
        out = np.empty((codes.shape[0], self.dim), dtype=np.float32)
        for m in range(self.nsubq):
            d = self.lastdsub if m == self.nsubq - 1 else self.dsub
            start = m * KSUB * self.dsub  # get_centroids(m, 0)
            table = self.centroids[start:start + KSUB * d].reshape(KSUB, d)
            out[:, m * self.dsub:m * self.dsub + d] = table[codes[:, m]]
        return out

    def to_bytes(self) -> bytes:
        head = np.array([self.dim, self.nsubq, self.dsub, self.lastdsub], dtype="<i4").tobytes()
        return head + np.asarray(self.centroids, dtype="<f4").tobytes()


@dataclass(frozen=True)
class QuantMatrix:
    """A quantized ``(m, n)`` matrix as the tool stores it."""

    m: int
    n: int
    codes: np.ndarray  # (m, nsubq) uint8
    pq: ProductQuantizer
    norm_codes: np.ndarray | None = None  # (m,) uint8 when qnorm
    npq: ProductQuantizer | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (self.m, self.n)

    def dense(self) -> np.ndarray:
        """The decoded float32 ``(m, n)`` matrix (row ``i`` = norm_i * PQ-decoded row, as ``addRowToVector``)."""
        rows = self.pq.decode(self.codes)
        if self.norm_codes is not None:
            rows *= self.npq.centroids[self.norm_codes.astype(np.int64)][:, None]
        return rows


def read_pq(reader, what: str) -> ProductQuantizer:
    """A ``ProductQuantizer::load`` record from ``reader`` (a :class:`wordlab.fasttext.facebook.BinaryReader`)."""
    dim, nsubq, dsub, lastdsub = reader.unpack("<4i", f"{what} header")
    if not (1 <= dim <= 1 << 20 and 1 <= dsub <= dim and 1 <= nsubq <= dim and 1 <= lastdsub <= dsub):
        reader.fail(f"{what}: bad product quantizer (dim {dim}, nsubq {nsubq}, dsub {dsub}, lastdsub {lastdsub})")
    if (nsubq - 1) * dsub + lastdsub != dim:
        reader.fail(f"{what}: sub-quantizers ({nsubq - 1} x {dsub} + {lastdsub}) do not cover dim {dim}")
    centroids = reader.array("<f4", dim * KSUB, f"{what} centroids")
    return ProductQuantizer(dim, nsubq, dsub, lastdsub, centroids)


def read_quant_matrix(reader, what: str) -> QuantMatrix:
    """A ``QuantMatrix::load`` record: qnorm, m, n, codesize, codes, pq[, norm codes, npq]."""
    (qnorm,) = reader.unpack("<?", f"{what} qnorm flag")
    m, n = reader.unpack("<2q", f"{what} shape")
    (codesize,) = reader.unpack("<i", f"{what} code size")
    if m < 0 or n < 1 or codesize < 0:
        reader.fail(f"{what}: bad quantized matrix shape ({m}, {n}), code size {codesize}")
    codes = reader.array("u1", codesize, f"{what} codes")
    pq = read_pq(reader, f"{what} quantizer")
    if pq.dim != n or codesize != m * pq.nsubq:
        reader.fail(f"{what}: quantizer of dim {pq.dim} x {pq.nsubq} codes does not fit ({m}, {n}) "
                    f"with {codesize} code bytes")
    norm_codes = npq = None
    if qnorm:
        norm_codes = reader.array("u1", m, f"{what} norm codes")
        npq = read_pq(reader, f"{what} norm quantizer")
        if npq.dim != 1:
            reader.fail(f"{what}: the norm quantizer has dim {npq.dim}, expected 1")
    return QuantMatrix(m, n, codes.reshape(m, pq.nsubq), pq, norm_codes, npq)
