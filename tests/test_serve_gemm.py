"""The server's batched int8 GEMM search: exact integer products, a bound that holds, the same top k as a full scan."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("numba")

from wordlab.serve import gemm as G  # noqa: E402
from wordlab.vectors import KeyedVectors  # noqa: E402
from wordlab.vectors.search import build_index, top_k  # noqa: E402


def _unit(kind: str, n: int = 20_011, d: int = 48) -> np.ndarray:
    rng = np.random.default_rng(7)
    if kind == "gaussian":
        x = rng.standard_normal((n, d))
    elif kind == "skewed":  # one shared direction: scores bunched near the top
        x = rng.standard_normal((n, d)) * 0.1 + 3.0
    else:  # sparse: a few large coordinates per row, coarse int8 steps
        x = rng.standard_normal((n, d)) * 0.01
        x[np.arange(n), rng.integers(d, size=n)] += 1.0
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _gemm(unit: np.ndarray, block_rows: int = 4096):
    gemm = G.build_gemm(build_index(unit))
    if gemm is None:
        pytest.skip("torch has no FBGEMM int8 linear here")
    small = G.Int8Gemm(build_index(unit), block_rows=block_rows)  # several blocks: the running threshold
    return gemm, small


def test_integer_queries_are_multiplied_exactly():
    unit = _unit("gaussian")
    index = build_index(unit)
    gemm, _ = _gemm(unit)
    got, x, lo = gemm.check(np.random.default_rng(3), rows=200)
    exact = (x.astype(np.int64) @ index.codes[lo:lo + 200].astype(np.int64).T) * index.scale[lo:lo + 200].astype(np.float64)
    assert np.array_equal(got, exact.astype(np.float32))


@pytest.mark.parametrize("kind", ["gaussian", "skewed", "sparse"])
def test_the_bound_holds_for_every_row(kind):
    """|a_bi - x_i . q_b| <= U_b: the approximate score of every row is within the slack of the true one."""
    import torch

    unit = _unit(kind)
    _, gemm = _gemm(unit)
    queries = unit[:9].astype(np.float64) + 0.01 * np.random.default_rng(1).standard_normal((9, unit.shape[1]))
    x, inv_t, slack2 = gemm._quantize(queries)
    approx = np.concatenate([gemm._block_scores(x, p)[:9] for _, p in gemm.blocks], axis=1) * inv_t[:, None]
    true = queries @ unit.T.astype(np.float64)  # (9, n)
    assert (np.abs(approx - true) <= slack2[:, None] / 2).all()
    assert slack2.max() < 0.2  # and it is tight enough to prune


@pytest.mark.parametrize("kind", ["gaussian", "skewed", "sparse"])
@pytest.mark.parametrize("k", [1, 10, 40])
def test_batched_top_k_equals_a_full_scan(kind, k):
    from concurrent.futures import ThreadPoolExecutor

    unit = _unit(kind)
    gemm, small = _gemm(unit)
    helper = ThreadPoolExecutor(max_workers=1)  # scans every other block of the small-block index
    for gemm, pool in ((gemm, None), (small, helper)):
        queries = np.ascontiguousarray(unit[100:117])  # (17, d)
        full = np.stack([unit @ q for q in queries])  # (17, n), row by row as the re-scoring does
        true = queries.astype(np.float64) @ unit.T.astype(np.float64)  # near ties (sparse) need the exact order
        found = gemm.search_many(unit, queries, k, pool)
        if kind != "skewed":  # there every row lies within the bound of the top: the slots overflow (None)
            assert all(f is not None for f in found)
        for f, row, exact in zip(found, full, true):
            if f is None:
                continue
            idx, scores = f
            if idx.tolist() != top_k(row, k).tolist():  # only float32 rounding may reorder: ties within 1e-6
                np.testing.assert_allclose(exact[idx], np.sort(exact)[::-1][:k], atol=1e-6)
            np.testing.assert_allclose(scores, row[idx], rtol=1e-6)
    helper.shutdown()


def test_many_tied_rows_fall_back_and_stay_exact():
    """More rows within the bound of the k-th score than candidate slots: the query is answered another way."""
    from wordlab.serve.vectors import GEMM_MIN_BATCH, VectorIndex

    unit = _unit("gaussian")
    unit[:G.CAPACITY + 500] = unit[0]  # identical rows: all tie with the query's own row
    kv = KeyedVectors([f"k{i}" for i in range(len(unit))], unit)
    served = VectorIndex(kv, int8_min_size=0)
    if served._gemm is None:
        pytest.skip("torch has no FBGEMM int8 linear here")
    queries = np.ascontiguousarray(served.unit[[0] + list(range(9000, 9000 + GEMM_MIN_BATCH))])
    assert served._gemm.candidates(queries, 5)[0] is None  # overflowed: the fallback answers it
    got = served.search_many(queries, 5, [set()] * len(queries))
    full = queries @ served.unit.T
    for rows, row in zip(got, full):
        np.testing.assert_allclose([s for _, s in rows], np.sort(row)[::-1][:5], rtol=1e-6)
        assert all(abs(row[int(w[1:])] - s) < 1e-6 for w, s in rows)


def test_the_served_index_uses_the_gemm_for_batches():
    from wordlab.serve.vectors import GEMM_MIN_BATCH, VectorIndex

    unit = _unit("skewed")
    kv = KeyedVectors([f"k{i}" for i in range(len(unit))], unit)
    served = VectorIndex(kv, int8_min_size=0)
    if served._gemm is None:
        pytest.skip("torch has no FBGEMM int8 linear here")
    batch = np.ascontiguousarray(served.unit[:GEMM_MIN_BATCH + 3])
    got = served.search_many(batch, 10, [{i} for i in range(len(batch))])
    for i, rows in enumerate(got):
        row = batch[i] @ served.unit.T
        row[i] = -9
        assert [w for w, _ in rows] == [f"k{j}" for j in top_k(row, 10)]


def test_the_batch_thread_gets_one_torch_thread_and_no_other_thread_changes():
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from wordlab.serve.vectors import _one_torch_thread

    before = torch.get_num_threads()
    executor = ThreadPoolExecutor(max_workers=1)

    async def main():
        await _one_torch_thread(asyncio.get_running_loop(), executor)

    asyncio.run(main())
    fresh: list[int] = []
    t = threading.Thread(target=lambda: fresh.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert executor.submit(torch.get_num_threads).result() == 1
    assert torch.get_num_threads() == before and fresh == [before]
    executor.shutdown()


def test_queries_arriving_within_the_window_share_one_pass():
    import asyncio

    from wordlab.serve.vectors import MicroBatcher, VectorIndex

    unit = _unit("gaussian", n=3000)
    kv = KeyedVectors([f"k{i}" for i in range(len(unit))], unit)
    index = VectorIndex(kv)
    batcher = MicroBatcher(index, max_batch=8, window=0.2)

    async def main():
        async def one(i, delay):
            await asyncio.sleep(delay)
            return await batcher.query(index.unit[i], 5, {i})
        return await asyncio.gather(*(one(i, 0.02 * i) for i in range(4)))

    got = asyncio.run(main())
    assert (batcher.passes, batcher.answered) == (1, 4)  # all four came within 0.2 s of the first
    assert got == index.search_many(index.unit[:4], 5, [{i} for i in range(4)])
