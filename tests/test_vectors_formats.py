"""word2vec text/binary and npz files: byte-identical to gensim, round trips, malformed-file errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from wordlab.errors import DataError
from wordlab.vectors import KeyedVectors

from oracle import require

gensim_models = require("gensim.models")  # the oracle: required under CI=true
GKV = gensim_models.KeyedVectors


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(3)
    keys = [f"w{i}" for i in range(300)] + ["naïve", "日本", "café", "a-b", "x'y"]
    vectors = rng.standard_normal((len(keys), 17)).astype(np.float32)
    vectors[0, :3] = [1e-8, -3.5e12, 0.0]  # values str() writes in scientific notation
    return KeyedVectors(keys, vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_files_are_byte_identical_to_gensim(kv, tmp_path, binary):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    kv.save_word2vec_format(ours, binary=binary)
    g = GKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    g.save_word2vec_format(str(theirs), binary=binary)
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("suffix,binary", [(".bin", True), (".txt", False), (".vec", False)])
def test_round_trip_through_gensim(kv, tmp_path, suffix, binary):
    path = tmp_path / f"v{suffix}"
    kv.save(path)
    g = GKV.load_word2vec_format(str(path), binary=binary)  # gensim reads ours
    assert g.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(g.vectors, kv.vectors)
    back = tmp_path / f"g{suffix}"
    g.save_word2vec_format(str(back), binary=binary)
    again = KeyedVectors.load(back)  # we read gensim's
    assert again.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(again.vectors, kv.vectors)


def test_npz_round_trip_keeps_counts_and_extra(kv, tmp_path):
    counts = np.arange(len(kv))[::-1]
    original = KeyedVectors(kv.index_to_key, kv.vectors, counts=counts, extra={"method": "test", "window": 5})
    original.save(tmp_path / "v.npz")
    back = KeyedVectors.load(tmp_path / "v.npz")
    assert back.index_to_key == kv.index_to_key and back.extra == {"method": "test", "window": 5}
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.counts, counts)
    with np.load(tmp_path / "v.npz", allow_pickle=False) as z:  # no pickled object arrays inside
        assert sorted(z.files) == ["counts", "meta", "vectors"]


def test_c_tool_layout_and_gzip(tmp_path):
    """The C tool writes '\\n' after each binary vector and a trailing space after each text value."""
    vecs = np.array([[1.5, -2.0], [0.25, 3.0]], dtype=np.float32)
    binary = b"2 2\n" + b"".join(w + b" " + v.tobytes() + b"\n" for w, v in zip((b"</s>", b"the"), vecs))
    (tmp_path / "c.bin").write_bytes(binary)
    (tmp_path / "c.txt").write_bytes(b"2 2\n</s> 1.500000 -2.000000 \nthe 0.250000 3.000000 \n")
    with gzip.open(tmp_path / "c.txt.gz", "wb") as f:
        f.write((tmp_path / "c.txt").read_bytes())
    for name in ("c.bin", "c.txt", "c.txt.gz"):
        kv = KeyedVectors.load(tmp_path / name)
        assert kv.index_to_key == ["</s>", "the"]
        np.testing.assert_array_equal(kv.vectors, vecs)
        g = GKV.load_word2vec_format(str(tmp_path / name), binary=name.endswith(".bin"))
        np.testing.assert_array_equal(g.vectors, kv.vectors)


def test_limit_and_unicode_errors(kv, tmp_path):
    kv.save(tmp_path / "v.bin")
    small = KeyedVectors.load(tmp_path / "v.bin", limit=10)
    assert small.index_to_key == kv.index_to_key[:10]
    np.testing.assert_array_equal(small.vectors, kv.vectors[:10])
    cut = "café".encode()[:-1]  # the C tool may cut a word inside a multi-byte character
    (tmp_path / "cut.bin").write_bytes(b"1 2\n" + cut + b" " + np.ones(2, np.float32).tobytes())
    with pytest.raises(DataError, match=r"cut\.bin: record 1: word .* not valid UTF-8"):
        KeyedVectors.load(tmp_path / "cut.bin")
    for errors in ("replace", "ignore"):
        ours = KeyedVectors.load_word2vec_format(tmp_path / "cut.bin", binary=True, unicode_errors=errors)
        theirs = GKV.load_word2vec_format(str(tmp_path / "cut.bin"), binary=True, unicode_errors=errors)
        assert ours.index_to_key == theirs.index_to_key


def test_no_header_text(tmp_path):
    (tmp_path / "glove.txt").write_text("the 1 2 3\nof 4 5 6\n")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True)
    assert kv.index_to_key == ["the", "of"] and kv.vectors.shape == (2, 3)


MALFORMED = {
    "header.txt": (b"3 x\na 1 2\n", r"line 1: header '3 x' is not '<count> <dim>'"),
    "empty.txt": (b"", r"line 1: no header line"),
    "short.txt": (b"2 3\na 1 2 3\nb 1 2\n", r"line 3: word 'b' has 2 values, the header says 3"),
    "long.txt": (b"2 3\na 1 2 3\nb 1 2 3 4\n", r"line 3: word 'b' has 4 values, the header says 3"),
    "nonnum.txt": (b"2 3\na 1 2 3\nb 1 zz 3\n", r"line 3: word 'b': value 'zz' is not a number"),
    "fewer.txt": (b"3 3\na 1 2 3\nb 1 2 3\n", r"line 4: file ends after 2 vectors but the header says 3"),
    "more.txt": (b"1 3\na 1 2 3\nb 1 2 3\n", r"line 3: more rows than the 1 the header announces"),
    "dup.txt": (b"2 3\na 1 2 3\na 1 2 3\n", r"line 3: duplicate word 'a' \(first at line 2\)"),
    "trunc.bin": (b"2 3\na " + bytes(12) + b"b " + bytes(8), r"record 2 \(byte offset 18\): truncated"),
    "dim.bin": (b"2 2\na " + np.ones(3, np.float32).tobytes() + b"b " + np.ones(3, np.float32).tobytes(),
                r"record 2: word .* control bytes; the header's dimension \(2\) does not match"),
    "dup.bin": (b"2 1\na " + bytes(4) + b"a " + bytes(4), r"record 2: duplicate word 'a' \(first at record 1\)"),
    "extra.bin": (b"1 1\na " + bytes(4) + b"b " + bytes(4), r"bytes after the 1 vectors the header announces"),
    "bad.npz": (b"PK\x03\x04 not really a zip", r"bad\.npz: cannot read as \.npz"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_give_one_line_errors(tmp_path, name):
    data, pattern = MALFORMED[name]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(DataError, match=pattern) as e:
        KeyedVectors.load(tmp_path / name)
    message = str(e.value)
    assert "\n" not in message and message.startswith(str(tmp_path / name))


def test_missing_file_and_unknown_suffix(tmp_path, kv):
    with pytest.raises(DataError, match="no such file"):
        KeyedVectors.load(tmp_path / "nope.bin")
    kv.save(tmp_path / "vectors.kv")  # gensim's names: any other suffix is the native npz + JSON layout
    assert KeyedVectors.load(tmp_path / "vectors.kv").index_to_key == kv.index_to_key
    assert (tmp_path / "vectors.kv").read_bytes()[:2] == b"PK"
    kv.save(tmp_path / "vectors.dat", format="bin")
    assert KeyedVectors.load(tmp_path / "vectors.dat").index_to_key == kv.index_to_key  # sniffed as binary
    kv.save(tmp_path / "vectors2.dat", format="text")
    assert KeyedVectors.load(tmp_path / "vectors2.dat").index_to_key == kv.index_to_key


def test_failed_write_leaves_old_file(tmp_path, kv):
    path = tmp_path / "v.txt"
    kv.save(path)
    before = path.read_bytes()
    bad = KeyedVectors(["ok", "has space"], np.zeros((2, 3)))
    with pytest.raises(DataError, match="may not be empty or contain spaces"):
        bad.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt", "v.txt.provenance.json"]  # no temp file left


def test_interrupted_write_is_atomic(tmp_path, kv, monkeypatch):
    import wordlab.vectors.formats as formats

    path = tmp_path / "v.bin"
    kv.save(path)
    before = path.read_bytes()

    class Failing:
        def __init__(self, raw):
            self.raw, self.n = raw, 0

        def write(self, data):
            self.n += 1
            if self.n > 1:
                raise OSError("disk full")
            self.raw.write(data)

    monkeypatch.setattr(formats, "_compressor", lambda p, raw: Failing(raw))
    with pytest.raises(OSError, match="disk full"):
        kv.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin", "v.bin.provenance.json"]


@pytest.mark.parametrize("name", ["empty.bin", "empty.txt", "empty.npz"])
def test_zero_vectors_round_trip(tmp_path, name):
    KeyedVectors([], np.zeros((0, 4), np.float32)).save(tmp_path / name)
    kv = KeyedVectors.load(tmp_path / name)
    assert len(kv) == 0 and kv.vector_size == 4
