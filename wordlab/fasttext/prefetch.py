"""``prefetch_row``: a software prefetch of one matrix row for numba kernels (LLVM's ``llvm.prefetch``).

fastText's input table is ``len(vocab) + bucket`` rows (800 MB at 2M buckets, dim 100) and a centre
word reads ~20 random rows of it: each is a cache miss (~400 ns measured here for a random 400-byte row,
~200 ns with prefetch eight rows ahead). The kernel asks for the next centre word's rows and the
window's output rows before it needs them, so the loads overlap with the current word's arithmetic.
A prefetch is only a hint: it changes no value, so trained vectors stay bit-identical.
"""

from __future__ import annotations

from llvmlite import binding as _llvm
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# LLVM >= 15 names intrinsics by opaque pointer type ("p0"); older ones by "p0i8".
_NAME = "llvm.prefetch.p0" if _llvm.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"
LINE = 16  # float32 values per 64-byte cache line


@intrinsic
def _prefetch(typingctx, arr, i, j):
    """Prefetch the cache line holding ``arr[i, j]`` (for writing, kept in all cache levels)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and isinstance(i, types.Integer)
            and isinstance(j, types.Integer)):
        return None
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ii = context.cast(builder, args[1], signature.args[1], types.intp)
        jj = context.cast(builder, args[2], signature.args[2], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [ii, jj], wraparound=False)
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32]),
                                            _NAME)
        builder.call(fn, [i8p, i32(1), i32(3), i32(1)])  # rw = write, locality = 3 (keep), data cache
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always", nogil=True, cache=True)
def prefetch_row(W, r):
    """Ask for every cache line of row ``W[r]`` (a hint; no effect on values)."""
    for d in range(0, W.shape[1], LINE):
        _prefetch(W, r, d)


@njit(inline="always", nogil=True, cache=True)
def prefetch_rows(W, rows, a, b):
    """:func:`prefetch_row` for ``W[rows[a:b]]``."""
    for k in range(a, b):
        prefetch_row(W, rows[k])
