"""Hierarchical softmax (``hs=1``) for word2vec and fastText: the Huffman tree against the C tool, the
fastText tool and gensim; training on a shipped corpus; files; bad settings."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import oracle
import pytest

from wordlab.cli import main
from wordlab.errors import CheckpointError, ConfigError
from wordlab.fasttext import FastText
from wordlab.word2vec import Word2Vec
from wordlab.word2vec.huffman import build_tree

ROOT = Path(__file__).resolve().parents[1]
C_TREE = Path(__file__).resolve().parent / "data" / "word2vec_c" / "create_binary_tree.c"
FT_CORPUS = Path(__file__).resolve().parent / "data" / "fasttext" / "corpus.txt"
NUMBERS = "one two three four five six seven eight nine".split()

# ----------------------------------------------------------------------------- the tree

#: printed by word2vec.c's CreateBinaryTree (tests/data/word2vec_c/create_binary_tree.c) for these counts:
#: ties everywhere (3 = 3, 2 = 2 = 2, 1 = 1, and inner nodes equal to leaves)
C_COUNTS = [5, 3, 3, 2, 2, 2, 1, 1]
C_CODES = [[1, 0], [1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
C_POINTS = [[6, 5], [6, 5, 3], [6, 5, 3], [6, 4, 2], [6, 4, 2], [6, 4, 1], [6, 4, 1, 0], [6, 4, 1, 0]]


def _paths(tree, n):
    return [tree.code(w) for w in range(n)], [tree.point(w) for w in range(n)]


def test_tree_equals_the_c_tools_recorded_output():
    codes, points = _paths(build_tree(C_COUNTS), len(C_COUNTS))
    assert codes == C_CODES and points == C_POINTS


def test_tree_equals_the_compiled_c_tool(tmp_path):
    """``CreateBinaryTree`` itself (copied from word2vec.c), compiled, on count lists full of ties."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path / "tree"
    subprocess.run([cc, "-O1", "-o", str(exe), str(C_TREE)], check=True, capture_output=True)
    rng = np.random.default_rng(0)
    for trial in range(12):
        V = int(rng.integers(2, 300))
        counts = rng.integers(1, 6, V) if trial % 2 else rng.zipf(1.4, V).clip(max=10**6)
        counts = np.sort(counts)[::-1]  # the C tool's SortVocab order
        out = subprocess.run([str(exe)], input="\n".join(map(str, counts)) + "\n", capture_output=True, text=True,
                             check=True).stdout.splitlines()
        tree = build_tree(counts)
        mine = [" ".join(map(str, tree.code(w))) + "|" + " ".join(map(str, tree.point(w))) for w in range(V)]
        assert mine == out, f"trial {trial}, V={V}"


def test_unsorted_counts_give_the_sorted_tree_permuted():
    """A vocabulary grown by ``update=True`` is not sorted: the tree is the sorted one's (ties in id order)."""
    counts = np.array([100, 60, 31, 17, 9, 4, 2, 1])
    ref = build_tree(counts)
    perm = np.random.default_rng(1).permutation(len(counts))
    tree = build_tree(counts[perm])  # word i has count counts[perm[i]]
    for i, p in enumerate(perm):
        assert tree.code(i) == ref.code(p) and tree.point(i) == ref.point(p)
    tied = build_tree([1, 3, 3, 5])  # sorted: ids 3, 1, 2, 0 as the C tool's counts 5, 3, 3, 1
    c_order = build_tree([5, 3, 3, 1])
    assert [tied.code(w) for w in (3, 1, 2, 0)] == [c_order.code(w) for w in range(4)]


def test_tree_equals_gensims_without_ties_and_costs_the_same_with_them():
    kv_mod = oracle.require("gensim.models.keyedvectors")
    from gensim.models.word2vec import _assign_binary_codes

    def gensim_paths(counts):
        wv = kv_mod.KeyedVectors(vector_size=1)
        wv.add_vectors([f"w{i}" for i in range(len(counts))], np.zeros((len(counts), 1)))
        for i, c in enumerate(counts):
            wv.set_vecattr(i, "count", int(c))
        _assign_binary_codes(wv)
        return ([[int(x) for x in wv.get_vecattr(i, "code")] for i in range(len(counts))],
                [[int(x) for x in wv.get_vecattr(i, "point")] for i in range(len(counts))])

    no_ties = [100, 60, 31, 17, 9, 4, 2, 1]
    assert _paths(build_tree(no_ties), len(no_ties)) == gensim_paths(no_ties)
    counts = np.sort(np.random.default_rng(2).integers(1, 8, 200))[::-1]  # ties: codes may differ, cost may not
    mine = build_tree(counts)
    theirs, _ = gensim_paths(counts)
    assert sum(c * len(mine.code(w)) for w, c in enumerate(counts)) == sum(c * len(x) for c, x in zip(counts, theirs))


def test_tree_equals_the_fasttext_tools(tmp_path):
    """The tool's ``-loss hs`` classifier: its probabilities, recomputed from our tree and its output
    matrix (label = the code bit, as its ``HierarchicalSoftmaxLoss``), equal its ``predict``. Label
    counts tie (20 = 20, 10 = 10 = 10); the same tree with those ties broken the other way does not fit."""
    fasttext = oracle.require("fasttext")
    rng = np.random.default_rng(3)
    counts = {"a": 30, "b": 20, "c": 20, "d": 10, "e": 10, "f": 10, "g": 5}
    lines = [f"__label__{k} " + " ".join(rng.choice(["x", "y", k + "w"], size=4)) for k, n in counts.items()
             for _ in range(n)]
    path = tmp_path / "sup.txt"
    path.write_text("\n".join(rng.permutation(lines)) + "\n")
    # thread=10 as tests/data/fasttext/make_models.py: with thread=1 this wheel raises "Encountered NaN" on tiny inputs
    ft = fasttext.train_supervised(str(path), loss="hs", dim=8, epoch=20, lr=0.2, minCount=1, bucket=0, thread=10,
                                   verbose=0, seed=1)
    labels, label_counts = ft.get_labels(include_freq=True)
    O, V = ft.get_output_matrix(), len(labels)
    tree, flipped = build_tree(label_counts), build_tree(label_counts[::-1])  # flipped: ties in reverse id order

    def probs(h, paths):
        out = {}
        for i, name in enumerate(labels):
            code, point = paths(i)
            s = 1 / (1 + np.exp(-np.array([h @ O[p] for p in point])))
            out[name] = float(np.prod(np.where(code, s, 1 - s)))
        return out

    misfit = 0
    for k in counts:
        text = f"x {k}w"
        ids = [ft.get_word_id(w) for w in text.split() + ["</s>"]]
        h = np.mean([ft.get_input_vector(i) for i in ids if i >= 0], 0)
        theirs = dict(zip(*ft.predict(text, k=-1, threshold=0.0)))
        # the tool's tree search may leave out a label whose probability rounds away (its log adds 1e-5), and its
        # multi-threaded training differs run to run: compare the labels it returns, nearly all of them
        assert len(theirs) >= len(labels) - 2, theirs
        ours = probs(h, lambda i: (tree.code(i), tree.point(i)))
        assert {n: ours[n] for n in theirs} == pytest.approx(theirs, abs=2e-3), k
        other = probs(h, lambda i: (flipped.code(V - 1 - i), flipped.point(V - 1 - i)))
        misfit += {n: other[n] for n in theirs} != pytest.approx(theirs, abs=2e-3)
    assert misfit >= 3  # the check can tell the tie rules apart


# ----------------------------------------------------------------------------- training


def _text8_sentences(words=300_000):
    with gzip.open(ROOT / "corpora" / "text8-head.gz", "rt", encoding="utf-8") as f:
        tokens = f.read(2_200_000).split()[:words]
    return [tokens[i:i + 1000] for i in range(0, len(tokens), 1000)]


def _number_neighbours(kv) -> float:
    """Share of the number words one..nine with another number word among their 5 nearest neighbours."""
    return float(np.mean([any(w in NUMBERS for w, _ in kv.most_similar(n, topn=5)) for n in NUMBERS]))


@pytest.mark.parametrize("sg", [0, 1])
def test_hs_learns_on_text8_head_as_negative_sampling_does(sg):
    sentences = _text8_sentences()
    kw = dict(sg=sg, vector_size=32, epochs=3, workers=2, min_count=5, seed=1, progress=False, cache_dir=False)
    untrained = Word2Vec(hs=1, negative=0, **kw).build_vocab(sentences)
    hs = Word2Vec(sentences, hs=1, negative=0, **kw)
    ns = Word2Vec(sentences, **kw)
    assert not untrained.W_hs.any() and hs.W_hs.any() and not hs.W_out.any()  # pure HS: W_out untouched
    assert hs.history[-1]["loss"] < hs.history[0]["loss"]
    assert _number_neighbours(untrained.wv) < 0.5
    assert _number_neighbours(hs.wv) >= 8 / 9 and _number_neighbours(hs.wv) >= _number_neighbours(ns.wv) - 1 / 9


def test_hs_and_negative_sampling_together_train_both_tables():
    sentences = _text8_sentences(60_000)
    m = Word2Vec(sentences, sg=0, hs=1, negative=5, vector_size=16, epochs=1, workers=1, progress=False,
                 cache_dir=False)
    assert m.W_hs.any() and m.W_out.any() and np.isfinite(m.history[-1]["loss"])


@pytest.mark.parametrize("sg", [0, 1])
def test_fasttext_hs_learns(sg):
    sentences = _text8_sentences(150_000)
    kw = dict(sg=sg, vector_size=32, epochs=3, workers=2, min_count=5, seed=1, progress=False, cache_dir=False,
              bucket=50_000, sample=1e-4, alpha=0.05)
    untrained = FastText(hs=1, negative=0, **kw).build_vocab(sentences)
    m = FastText(sentences, hs=1, negative=0, **kw)
    assert m.W_hs.any() and not m.W_out.any() and np.isfinite(m.history[-1]["loss"])
    # (the per-pair loss of fastText skip-gram rises over epochs here with negative sampling as well)
    assert _number_neighbours(untrained.wv) < 0.5 and _number_neighbours(m.wv) >= 7 / 9


def test_one_worker_hs_is_bit_reproducible():
    sentences = _text8_sentences(30_000)
    kw = dict(sg=1, hs=1, negative=0, vector_size=8, epochs=1, workers=1, progress=False, cache_dir=False)
    a, b = Word2Vec(sentences, **kw), Word2Vec(sentences, **kw)
    assert np.array_equal(a.W_in, b.W_in) and np.array_equal(a.W_hs, b.W_hs)


# ----------------------------------------------------------------------------- files


def test_word2vec_hs_saves_loads_and_resumes(tmp_path):
    sentences = _text8_sentences(30_000)
    m = Word2Vec(sentences, sg=1, hs=1, negative=0, vector_size=8, epochs=1, workers=1, progress=False,
                 cache_dir=False)
    m.save(tmp_path / "m.npz")
    back = Word2Vec.load(tmp_path / "m.npz")
    assert back.config.hs == 1 and back.config.negative == 0
    assert np.array_equal(back.W_hs, m.W_hs) and np.array_equal(back.W_in, m.W_in)
    assert back.tree.code(5) == m.tree.code(5) and back.syn1 is back.W_hs
    back.train(sentences, epochs=1)  # training goes on from the loaded tables
    assert not np.array_equal(back.W_hs, m.W_hs)


def test_a_model_file_missing_its_hs_table_is_one_line(tmp_path):
    m = Word2Vec([["a", "b", "c"]] * 5, hs=1, vector_size=4, min_count=1, epochs=1, workers=1, progress=False)
    m.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as z:
        arrays = {k: z[k] for k in z.files if k != "W_hs"}
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(CheckpointError, match="no 'W_hs' table") as e:
        Word2Vec.load(tmp_path / "bad.npz")
    assert "\n" not in str(e.value)


def test_fasttext_hs_bin_is_the_tools_loss_hs(tmp_path):
    m = FastText(read_lines(), sg=1, hs=1, negative=0, vector_size=10, min_count=2, bucket=2000, epochs=2,
                 workers=1, sample=0, progress=False, cache_dir=False)
    m.save_facebook(tmp_path / "m.bin")
    from wordlab.fasttext import read_facebook

    fb = read_facebook(tmp_path / "m.bin")
    assert fb.args["loss"] == 1 and np.array_equal(fb.output, m.W_hs)  # loss 1 = hs: the output matrix is syn1
    back = FastText.load(tmp_path / "m.bin")
    assert back.config.hs == 1 and back.config.negative == 0 and np.array_equal(back.W_hs, m.W_hs)
    m.save(tmp_path / "m.npz")
    assert np.array_equal(FastText.load(tmp_path / "m.npz").W_hs, m.W_hs)
    fasttext = oracle.require("fasttext")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    assert str(ft.f.getArgs().loss).endswith("hs")
    for w in ("the", "unseenword"):
        assert np.allclose(ft.get_word_vector(w), m.wv[w], atol=1e-6)


def test_a_tool_trained_hs_model_loads_and_keeps_training(tmp_path):
    fasttext = oracle.require("fasttext")
    # thread=10: see test_tree_equals_the_fasttext_tools
    ft = fasttext.train_unsupervised(str(FT_CORPUS), model="skipgram", loss="hs", dim=10, epoch=1, minCount=2,
                                     bucket=1000, thread=10, verbose=0)
    ft.save_model(str(tmp_path / "tool.bin"))
    m = FastText.load(tmp_path / "tool.bin")
    assert m.config.hs == 1 and m.config.negative == 0
    assert np.array_equal(m.W_hs, ft.get_output_matrix())
    before = m.W_hs.copy()
    m.build_vocab(read_lines(), update=True)
    m.train(read_lines(), epochs=1)
    assert not np.array_equal(m.W_hs[:len(before)], before) and np.isfinite(m.W_in).all()


def read_lines():
    return [line.split() for line in FT_CORPUS.read_text(encoding="utf-8").splitlines() if line.split()]


# ----------------------------------------------------------------------------- settings


def test_no_objective_and_hs_with_negative_to_bin_are_one_line_errors(tmp_path):
    for kw in (dict(hs=0, negative=0), dict(hs=2)):
        with pytest.raises(ConfigError) as e:
            Word2Vec(**kw)
        assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="pass --hs"):
        FastText(hs=0, negative=0)
    both = FastText(read_lines(), hs=1, negative=2, vector_size=4, min_count=2, bucket=100, epochs=1, workers=1,
                    progress=False, cache_dir=False)
    with pytest.raises(ConfigError, match="one loss") as e:
        both.save_facebook(tmp_path / "x.bin")
    assert "\n" not in str(e.value) and not (tmp_path / "x.bin").exists()


def test_hs_flags_come_from_the_config(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text(" ".join(["a b c d"] * 50) + "\n")
    out = tmp_path / "m.npz"
    assert main(["-q", "train", "word2vec", str(corpus), "-o", str(tmp_path / "v.txt"), "--hs", "--negative", "0",
                 "--min-count", "1", "--dim", "4", "--epochs", "1", "--threads", "1", "--save-model", str(out)]) == 0
    m = Word2Vec.load(out)
    assert m.config.hs == 1 and m.config.negative == 0 and m.W_hs.any()
    assert main(["-q", "train", "fasttext", str(corpus), "-o", str(tmp_path / "f.bin"), "--hs", "--negative", "0",
                 "--min-count", "1", "--dim", "4", "--epochs", "1", "--threads", "1", "--bucket", "100"]) == 0
    assert FastText.load(tmp_path / "f.bin").config.hs == 1
    assert main(["-q", "train", "fasttext", str(corpus), "-o", str(tmp_path / "g.bin"), "--no-hs", "--negative",
                 "0"]) == 1
    err = capsys.readouterr().err
    assert "pass --hs" in err and err.count("\n") == 1
