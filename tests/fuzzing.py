"""Seeded mutation fuzzing of file loaders: reuse it to put a new loader into the fuzz suite.

Usage (a test module of your own, e.g. ``tests/test_fuzz_fasttext.py``)::

    from fuzzing import SLOW_CASES, FAST_CASES, fuzz_loader

    def load(path):                       # any callable taking a path
        load_facebook_model(path)

    @pytest.mark.parametrize("n", [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)])
    def test_fasttext_loader_fuzz(tmp_path, n):
        seeds = [valid_file_bytes(), another_valid_file_bytes()]   # a few small *valid* files
        stats = fuzz_loader(load, seeds, n, tmp_path, name="model.bin")
        assert stats["accepted"] > 0          # optional: some mutants still load

:func:`fuzz_loader` writes ``n`` mutants of the seed files (bit flips, interesting bytes and
numbers, inserted/deleted/duplicated/truncated ranges, splices of two seeds, a UTF-8 BOM, NUL and
control bytes, long runs) to ``tmp_path/name`` and calls the loader on each. The loader may return
anything or raise one of ``allowed`` (default: :class:`wordlab.errors.WordlabError`, the project's
own errors); any other exception fails the test with the case number, the mutation list and the
mutant saved as ``tmp_path/failing-<case>-<name>`` for reproduction. Everything is derived from
``seed`` (default 0), so a failure replays exactly: ``fuzz_loader(load, seeds, n, tmp, seed=0)``.

``mutate(data, rng)`` is exported for structure-aware fuzzers that mutate one member of a file.
``FAST_CASES`` (200) is the count per loader in ``make test``; ``SLOW_CASES`` (5000) in the slow set
(``pytest -m slow``).
"""

from __future__ import annotations

import random
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from wordlab.errors import WordlabError

FAST_CASES = 200
SLOW_CASES = 5000

INTERESTING_NUMBERS = [b"0", b"-1", b"1", b"2", b"-0", b"1e309", b"-1e309", b"nan", b"inf", b"-inf", b"NaN",
                       b"1000000000000", b"99999999999999999999", b"2147483648", b"4294967296", b"0x10", b"1_000",
                       b"3.5", b"\xd9\xa3", b"", b" ", b"+", b"e", b"1e-45"]
INTERESTING_BYTES = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7F, 0x80, 0xBF, 0xC0, 0xE2, 0xEF, 0xFE, 0xFF]
INSERTS = [b"\xef\xbb\xbf", b"\x00", b"\r\n", b"\t", b"\n\n", b" ", b"\xff\xfe", b"\xc3", b"\x1b[2J",
           b"\xe2\x80\xa8", b"PK\x03\x04", b"\x80\x02", b"<unk>", b"<eos>", b"_", b"#"]


def _number_spans(data: bytes) -> list[tuple[int, int]]:
    spans, i, n = [], 0, min(len(data), 1 << 16)
    while i < n:
        if 48 <= data[i] <= 57 or data[i] == 45:
            j = i + 1
            while j < n and (48 <= data[j] <= 57 or data[j] in b".e-+"):
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def mutate(data: bytes, rng: random.Random, other: bytes | None = None) -> tuple[bytes, str]:
    """One random mutation of ``data`` → ``(mutant, description)``; ``other`` is a second seed for splices."""
    n = len(data)
    op = rng.randrange(12)
    if n == 0:
        op = 4
    pos = rng.randrange(n) if n else 0
    if op == 0:
        bit = rng.randrange(8)
        return data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1:], f"flip bit {bit} at {pos}"
    if op == 1:
        b = rng.choice(INTERESTING_BYTES)
        return data[:pos] + bytes([b]) + data[pos + 1:], f"byte {b:#04x} at {pos}"
    if op == 2:
        end = min(n, pos + rng.choice([1, 2, 4, 8, 64, 1024]))
        return data[:pos] + data[end:], f"delete {pos}:{end}"
    if op == 3:
        cut = rng.randrange(n + 1)
        return data[:cut], f"truncate at {cut}"
    if op == 4:
        ins = rng.choice(INSERTS)
        return data[:pos] + ins + data[pos:], f"insert {ins!r} at {pos}"
    if op == 5:
        end = min(n, pos + rng.choice([1, 8, 64, 512]))
        times = rng.choice([2, 3, 50])
        return data[:pos] + data[pos:end] * times + data[end:], f"repeat {pos}:{end} x{times}"
    if op == 6:
        spans = _number_spans(data)
        if spans:
            a, b = rng.choice(spans)
            num = rng.choice(INTERESTING_NUMBERS)
            return data[:a] + num + data[b:], f"number {data[a:b]!r} at {a} -> {num!r}"
        return data[:pos] + b"0" + data[pos:], f"insert '0' at {pos}"
    if op == 7:
        b = rng.randrange(256)
        k = rng.choice([1, 4, 100, 70000])
        return data[:pos] + bytes([b]) * k + data[pos:], f"insert {k} x {b:#04x} at {pos}"
    if op == 8 and other:
        cut_b = rng.randrange(len(other) + 1)
        return data[:pos] + other[cut_b:], f"splice at {pos} with other[{cut_b}:]"
    if op == 9:
        a, b = sorted((rng.randrange(n), rng.randrange(n)))
        return data[:a] + data[b:b + (b - a)] + data[a + (b - a):], f"overwrite {a} with {b}"
    if op == 10:
        k = rng.choice([1, 2, 4, 8])
        rand = bytes(rng.randrange(256) for _ in range(k))
        return data[:pos] + rand + data[pos + k:], f"random {k} bytes at {pos}"
    lines = data.split(b"\n")
    if len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines), f"swap lines {i} and {j}"
    return data + data, "double"


def mutant(seeds: Sequence[bytes], rng: random.Random, max_mutations: int = 4) -> tuple[bytes, list[str]]:
    """A seed with 1..``max_mutations`` mutations, and their descriptions."""
    k = rng.randrange(len(seeds))
    data, steps = seeds[k], [f"seed {k}"]
    for _ in range(rng.randint(1, max_mutations)):
        data, what = mutate(data, rng, seeds[rng.randrange(len(seeds))])
        steps.append(what)
    return data, steps


def fuzz_loader(load_fn: Callable[[Path], Any], seed_inputs: Sequence[bytes], n: int, tmp_path: Path, *,
                name: str = "input", allowed: tuple[type[BaseException], ...] = (WordlabError,), seed: int = 0,
                max_mutations: int = 4, write: Callable[[Path, bytes], None] | None = None) -> dict[str, int]:
    """Run ``load_fn(path)`` on ``n`` seeded mutants of ``seed_inputs``; only ``allowed`` errors may escape.

    ``write(path, data)`` replaces the plain ``path.write_bytes`` (e.g. to gzip the mutant).
    Returns ``{"cases", "accepted", "rejected"}``.
    """
    if not seed_inputs:
        raise ValueError("fuzz_loader needs at least one seed input")
    rng = random.Random(seed)
    path = Path(tmp_path) / name
    stats = {"cases": 0, "accepted": 0, "rejected": 0}
    for case in range(n):
        data, steps = mutant(seed_inputs, rng, max_mutations)
        (write or Path.write_bytes)(path, data)
        try:
            load_fn(path)
        except allowed as e:
            msg = str(e)
            if "\n" in msg or not msg:
                raise AssertionError(f"case {case} ({'; '.join(steps)}): {type(e).__name__} is not one line: "
                                     f"{msg[:300]!r}") from e
            stats["rejected"] += 1
        except BaseException as e:  # noqa: BLE001 - the point: nothing else may escape
            keep = Path(tmp_path) / f"failing-{case}-{Path(name).name}"
            keep.write_bytes(data)
            tb = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-3:])
            raise AssertionError(f"case {case} (seed {seed}; {'; '.join(steps)}) escaped as {type(e).__name__}: "
                                 f"{str(e)[:300]}; mutant kept in {keep}\n{tb}") from e
        else:
            stats["accepted"] += 1
        stats["cases"] += 1
    return stats
