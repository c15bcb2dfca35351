"""Streaming corpus reader: compressed files, directories, block boundaries, CRLF, eos mode, bad input."""

from __future__ import annotations

import bz2
import gzip
import lzma
import tracemalloc

import numpy as np
import pytest

from wordlab.errors import DataError
from wordlab.text import EOS, iter_lines, read_corpus
from wordlab.text.reader import Corpus, iter_blocks

TEXT = "the quick  brown fox\njumps over\tthe lazy dog\n\nnaïve café — déjà vu\nlast line without newline"
OPENERS = {"": open, ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def write(path, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with OPENERS[path.suffix if path.suffix in OPENERS else ""](path, "wb") as f:
        f.write(data)
    return path


def random_words(n: int, seed: int = 0) -> list[str]:
    """Words of 1..12 letters (with some non-ASCII ones) drawn from a Zipf-like vocabulary."""
    rng = np.random.default_rng(seed)
    letters = list("abcdefghijklmnopqrstuvwxyzéü")
    vocab = ["".join(rng.choice(letters, size=rng.integers(1, 13))) for _ in range(3000)]
    ranks = np.minimum(rng.zipf(1.3, size=n), len(vocab)) - 1
    return [vocab[r] for r in ranks]


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_each_format_gives_str_split(tmp_path, suffix):
    path = write(tmp_path / f"c.txt{suffix}", TEXT)
    corpus = read_corpus(path)
    assert list(corpus) == TEXT.split()
    assert [t for chunk in corpus.chunks() for t in chunk] == TEXT.split()
    assert list(corpus) == TEXT.split()  # re-iterable


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_progress_callback_counts_every_on_disk_byte(tmp_path, suffix):
    path = write(tmp_path / f"c.txt{suffix}", " ".join(random_words(20000)))
    corpus = Corpus(path, block_size=4096)
    seen = []
    for _ in corpus.chunks(on_bytes=seen.append):
        pass
    assert sum(seen) == corpus.total_bytes == path.stat().st_size


def test_directory_reads_text_files_recursively_in_sorted_order(tmp_path):
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    write(d / "b.txt", "b1 b2\n")
    write(d / "a.txt", "a1 a2\n")
    write(d / "sub" / "c.txt.gz", "c1\n")
    write(d / "sub" / "d.tokens.bz2", "d1\n")
    write(d / ".hidden.txt", "hidden\n")
    (d / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    corpus = read_corpus(d)
    assert [f.name for f in corpus.files] == ["a.txt", "b.txt", "c.txt.gz", "d.tokens.bz2"]
    assert list(corpus) == ["a1", "a2", "b1", "b2", "c1", "d1"]
    assert list(read_corpus([d / "b.txt", d / "a.txt"])) == ["b1", "b2", "a1", "a2"]


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_one_line_file_with_tiny_blocks_never_splits_a_token(tmp_path, suffix):
    text = " ".join(random_words(400_000, seed=1))  # ~2.5 MB, one line, no newline
    path = write(tmp_path / f"line.txt{suffix}", text)
    expected = text.split()
    for block in (997, 65536):
        assert list(Corpus(path, block_size=block)) == expected, block
    small = write(tmp_path / f"small.txt{suffix}", " ".join(expected[:20000]))
    assert list(Corpus(small, block_size=7)) == expected[:20000]  # 7 < the longest words: blocks without spaces


def test_tokens_longer_than_the_block(tmp_path):
    text = "a " + "x" * 5000 + " b\n" + "y" * 300
    path = write(tmp_path / "long.txt", text)
    assert list(Corpus(path, block_size=16)) == text.split()
    assert all(len(b) <= 5100 for b in iter_blocks(path, block_size=16))


def test_memory_is_bounded_by_the_block_not_the_file(tmp_path):
    text = " ".join(random_words(600_000, seed=2))  # ~4 MB single line
    path = write(tmp_path / "big.txt.gz", text)
    corpus = Corpus(path, block_size=64 << 10)
    n = 0
    tracemalloc.start()
    try:
        for tokens in corpus.chunks():
            n += len(tokens)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 600_000
    assert len(text) > 3_000_000
    assert peak < 3 << 20, f"peak {peak / 2**20:.1f} MiB while streaming a {len(text) / 2**20:.1f} MiB line"


def test_crlf_lines(tmp_path):
    path = write(tmp_path / "crlf.txt", "a b\r\nc  d\r\n\r\ne\r\n")
    assert list(read_corpus(path)) == ["a", "b", "c", "d", "e"]
    assert list(read_corpus(path, eos=True)) == ["a", "b", EOS, "c", "d", EOS, EOS, "e", EOS]
    assert list(iter_lines(path)) == [(1, "a b"), (2, "c  d"), (3, ""), (4, "e")]


def test_eos_mode_is_ptb_style(tmp_path):
    lines = [" the cat sat ", " on the mat ", "", " a <unk> N dog "] * 50
    text = "\n".join(lines) + "\n"
    path = write(tmp_path / "ptb.txt", text)
    reference = text.replace("\n", " <eos> ").split()  # the usual PTB loader
    for block in (16, 1 << 20):
        corpus = Corpus(path, eos=True, block_size=block)
        assert list(corpus) == reference
        sentences = list(corpus.sentences())
        assert len(sentences) == len(lines)
        assert all(s[-1] == EOS and EOS not in s[:-1] for s in sentences)
        assert sentences[0] == ["the", "cat", "sat", EOS]


def test_eos_mode_last_line_without_newline_still_ends_with_eos(tmp_path):
    path = write(tmp_path / "x.txt", "a b\nc")
    assert list(read_corpus(path, eos=True)) == ["a", "b", EOS, "c", EOS]


def test_sentences_without_eos_are_runs_of_max_len(tmp_path):
    path = write(tmp_path / "x.txt", " ".join(str(i) for i in range(25)))
    for block in (8, 1 << 20):  # runs continue across blocks
        runs = list(Corpus(path, block_size=block).sentences(max_len=10))
        assert [len(r) for r in runs] == [10, 10, 5]
        assert sum(runs, []) == [str(i) for i in range(25)]


def test_iter_lines_numbers_lines(tmp_path):
    path = write(tmp_path / "x.txt.gz", "one\ntwo words\n\nfour")
    assert list(iter_lines(path)) == [(1, "one"), (2, "two words"), (3, ""), (4, "four")]


def test_signature_changes_with_the_file_and_options(tmp_path):
    path = write(tmp_path / "x.txt", "a b c\n")
    sig = read_corpus(path).signature()
    assert read_corpus(path).signature() == sig
    assert read_corpus(path, eos=True).signature() != sig
    assert read_corpus(path, tokenizer="regex").signature() != sig
    write(path, "a b c d\n")
    assert read_corpus(path).signature() != sig


# ---------------------------------------------------------------- bad input (library level)
def test_missing_path(tmp_path):
    with pytest.raises(DataError, match=r"nope\.txt: no such file"):
        read_corpus(tmp_path / "nope.txt")


def test_directory_without_text_files(tmp_path):
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    with pytest.raises(DataError, match="holds no text files"):
        read_corpus(tmp_path)


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.txt", "")
    with pytest.raises(DataError, match=r"empty\.txt: file is empty"):
        list(read_corpus(path))
    gz = write(tmp_path / "empty.txt.gz", "")
    with pytest.raises(DataError, match="file is empty"):
        list(read_corpus(gz))


def test_whitespace_only_file(tmp_path):
    path = write(tmp_path / "blank.txt", " \n\t\r\n")
    with pytest.raises(DataError, match=r"blank\.txt: holds no tokens"):
        list(read_corpus(path))


def test_binary_file(tmp_path):
    path = tmp_path / "model.bin.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="binary"):
        list(read_corpus(path))


def test_non_utf8_byte_offset_is_exact_across_blocks(tmp_path):
    head = ("word " * 1000).encode()
    path = tmp_path / "latin1.txt"
    path.write_bytes(head + "caf\xe9 ok\n".encode("latin-1"))
    bad_offset = len(head) + 3
    for block in (64, 1 << 20):
        with pytest.raises(DataError) as e:
            list(Corpus(path, block_size=block))
        assert f"byte offset {bad_offset} " in str(e.value) and "0xe9" in str(e.value)
        assert "\n" not in str(e.value)
    assert list(read_corpus(path, encoding_errors="replace"))[-2:] == ["caf\ufffd", "ok"]
    assert list(read_corpus(path, encoding_errors="ignore"))[-2:] == ["caf", "ok"]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_truncated_compressed_file(tmp_path, suffix):
    full = write(tmp_path / f"full.txt{suffix}", " ".join(random_words(50000, seed=3)))
    cut = tmp_path / f"cut.txt{suffix}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(DataError, match=r"cut\.txt.*(truncated|corrupt)"):
        list(read_corpus(cut))


def test_plain_text_named_gz_is_reported(tmp_path):
    path = tmp_path / "fake.txt.gz"
    path.write_text("not gzip at all\n")
    with pytest.raises(DataError, match=r"fake\.txt\.gz: compressed stream is corrupt"):
        list(read_corpus(path))


def test_bad_encoding_errors_option(tmp_path):
    path = write(tmp_path / "x.txt", "a\n")
    with pytest.raises(DataError, match="encoding_errors"):
        read_corpus(path, encoding_errors="bogus")


def test_iter_lines_names_the_line_and_column_of_a_bad_byte(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_bytes(b"one\ntwo words\ncaf\xe9 au lait\n")
    with pytest.raises(DataError, match=r"pairs\.txt:3: not UTF-8 \(byte 0xe9 at column 4\)"):
        list(iter_lines(path))
    assert list(iter_lines(path, encoding_errors="replace"))[2] == (3, "caf\ufffd au lait")
