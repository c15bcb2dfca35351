"""Analogy and word-pair evaluation give exactly gensim's numbers on the same vectors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wordlab.errors import ConfigError, DataError
from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
from wordlab.evaluation.analogies import restricted_vocab
from wordlab.vectors import KeyedVectors

from oracle import require

gensim_models = require("gensim.models")  # the oracle: required under CI=true


def make_analogy_data(seed: int = 0, dim: int = 40, n_noise: int = 3000, sections: int = 4, pairs: int = 10,
                      noise: float = 1.1):
    """Random vectors where y_i = x_i + offset_section + noise, plus distractors, case variants and ties.

    Returns (keys, vectors, analogy file text, word-pair file text).
    """
    rng = np.random.default_rng(seed)
    keys, vecs, groups = [], [], []
    for s in range(sections):
        offset = rng.standard_normal(dim) * 1.2
        group = []
        for i in range(pairs):
            x = rng.standard_normal(dim)
            keys += [f"s{s}x{i}", f"s{s}y{i}"]
            vecs += [x, x + offset + noise * rng.standard_normal(dim)]
            group.append((f"s{s}x{i}", f"s{s}y{i}"))
        groups.append(group)
    keys += [f"n{i}" for i in range(n_noise)]
    vecs += list(rng.standard_normal((n_noise, dim)))
    keys += [k.upper() for k in keys[:12]]  # case variants: first occurrence wins when upper-casing
    vecs += list(rng.standard_normal((12, dim)))
    for s in range(sections):  # exact ties: a second key with the very same vector as an answer
        keys.append(f"s{s}y1tie")
        vecs.append(vecs[keys.index(f"s{s}y1")])
    order = rng.permutation(len(keys))
    keys = [keys[i] for i in order]
    vectors = np.array([vecs[i] for i in order], dtype=np.float32)
    lines = []
    for s, group in enumerate(groups):
        lines.append(f": section-{s}")
        lines += [f"{a} {b} {c} {d}" for (a, b), (c, d) in itertools.permutations(group, 2)]
    lines += [": with-oov", "s0x0 s0y0 unknownword s0y1", "s0x0 s0y0 s0x1 s0y1", "not a question"]
    analogy_text = "\n".join(lines) + "\n"
    pair_lines = ["# word1\tword2\tscore (comment)"]
    words = [k for k in keys if not k.endswith("tie")]
    for _ in range(120):
        a, b = rng.choice(len(words), 2, replace=False)
        va, vb = vectors[keys.index(words[a])], vectors[keys.index(words[b])]
        cos = va @ vb / np.linalg.norm(va) / np.linalg.norm(vb)
        pair_lines.append(f"{words[a]}\t{words[b]}\t{round(5 + 5 * cos + rng.normal(0, 1.5), 2)}")
    pair_lines.append("missing\ts0x1\t3.0")
    return keys, vectors, analogy_text, "\n".join(pair_lines) + "\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    keys, vectors, analogy_text, pair_text = make_analogy_data()
    root = tmp_path_factory.mktemp("eval")
    (root / "questions.txt").write_text(analogy_text)
    (root / "pairs.tsv").write_text(pair_text)
    (root / "pairs-space.txt").write_text(pair_text.replace("\t", " "))
    g = gensim_models.KeyedVectors(vectors.shape[1])
    g.add_vectors(keys, vectors)
    return KeyedVectors(keys, vectors), g, root


@pytest.fixture(params=["numba", "numpy"])
def kernel(request, monkeypatch):
    """Both ways of scoring candidates: the compiled kernel and the NumPy path a cold process takes."""
    monkeypatch.setenv("WORDLAB_ANALOGY_KERNEL", request.param)
    return request.param


def _counts(sections):
    return [(s["section"], s["correct"], s["incorrect"]) for s in sections]


@pytest.mark.parametrize("restrict,case_insensitive,dummy", [
    (300000, True, False), (None, False, False), (1500, True, False), (300000, True, True), (2000, False, True),
])
def test_3cosadd_equals_gensim(data, restrict, case_insensitive, dummy, kernel):
    kv, g, root = data
    ours = evaluate_word_analogies(kv, root / "questions.txt", restrict_vocab=restrict,
                                   case_insensitive=case_insensitive, dummy4unknown=dummy)
    theirs = g.evaluate_word_analogies(str(root / "questions.txt"), restrict_vocab=restrict,
                                       case_insensitive=case_insensitive, dummy4unknown=dummy)
    assert ours[0] == theirs[0]
    assert _counts(ours[1]) == _counts(theirs[1])
    assert 0.1 < ours[0] < 0.95  # the data make the task neither trivial nor hopeless


def test_sections_report_accuracy_and_skipped(data):
    kv, _, root = data
    score, sections = evaluate_word_analogies(kv, root / "questions.txt")
    total = sections[-1]
    assert total["section"] == "Total accuracy" and total["accuracy"] == score
    assert total["skipped"] == 1 and sections[-2]["skipped"] == 1
    assert len(total["correct"]) == sum(len(s["correct"]) for s in sections[:-1])


def test_chunking_does_not_change_results(data, kernel):
    kv, _, root = data
    full = evaluate_word_analogies(kv, root / "questions.txt")
    for method in ("3cosadd", "3cosmul"):
        a = evaluate_word_analogies(kv, root / "questions.txt", method=method)
        b = evaluate_word_analogies(kv, root / "questions.txt", method=method, max_memory_mb=0.05)  # 1-3 rows
        assert _counts(a[1]) == _counts(b[1])
    assert full[0] == evaluate_word_analogies(kv, root / "questions.txt", max_memory_mb=0.05)[0]


def _gensim_cosmul_accuracy(g, path, restrict_vocab, case_insensitive=True):
    """gensim's evaluate_word_analogies loop with most_similar_cosmul in place of most_similar."""
    ok_vocab = restricted_vocab(g, restrict_vocab, case_insensitive)
    correct = total = 0
    for line in open(path):
        words = line.upper().split() if case_insensitive else line.split()
        if line.startswith(": ") or len(words) != 4 or not all(w in ok_vocab for w in words):
            continue
        a, b, c, expected = words
        original, g.key_to_index = g.key_to_index, ok_vocab
        try:
            sims = g.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        finally:
            g.key_to_index = original
        predicted = None
        for word, _ in sims:
            predicted = word.upper() if case_insensitive else word
            if predicted in ok_vocab and predicted not in {a, b, c}:
                break
        correct += predicted == expected
        total += 1
    return correct / total


def test_3cosmul_equals_gensim_most_similar_cosmul(data, kernel):
    kv, g, root = data
    ours, _ = evaluate_word_analogies(kv, root / "questions.txt", method="3cosmul")
    assert ours == _gensim_cosmul_accuracy(g, root / "questions.txt", None)
    assert 0.2 < ours < 0.95


def test_bad_analogy_input(data, tmp_path):
    kv, _, _ = data
    (tmp_path / "nohead.txt").write_text("a b c d\n")
    with pytest.raises(DataError, match=r"nohead\.txt: line 1: question before the first ': section' header"):
        evaluate_word_analogies(kv, tmp_path / "nohead.txt")
    with pytest.raises(DataError, match="no such analogy file"):
        evaluate_word_analogies(kv, tmp_path / "missing.txt")
    with pytest.raises(ConfigError, match="unknown analogy method"):
        evaluate_word_analogies(kv, tmp_path / "nohead.txt", method="3cosdiv")


@pytest.mark.parametrize("name,delimiter", [("pairs.tsv", "\t"), ("pairs-space.txt", " ")])
@pytest.mark.parametrize("restrict,case_insensitive,dummy", [(300000, True, False), (1000, False, True)])
def test_word_pairs_equal_gensim(data, name, delimiter, restrict, case_insensitive, dummy):
    kv, g, root = data
    ours = evaluate_word_pairs(kv, root / name, restrict_vocab=restrict, case_insensitive=case_insensitive,
                               dummy4unknown=dummy)
    theirs = g.evaluate_word_pairs(str(root / name), delimiter=delimiter, restrict_vocab=restrict,
                                   case_insensitive=case_insensitive, dummy4unknown=dummy)
    assert tuple(ours[0]) == tuple(theirs[0])  # Pearson r and p, bit for bit
    assert tuple(ours[1]) == tuple(theirs[1])  # Spearman rho and p
    assert ours[2] == theirs[2] and ours[2] > 0
    if not dummy:
        assert ours[1][0] > 0.3


def test_word_pairs_errors(data, tmp_path):
    kv, _, _ = data
    (tmp_path / "oov.tsv").write_text("foo\tbar\t1.0\nbaz\tqux\t2.0\n")
    with pytest.raises(DataError, match="no pair has both words"):
        evaluate_word_pairs(kv, tmp_path / "oov.tsv")
    (tmp_path / "junk.tsv").write_text("# only a comment\n")
    with pytest.raises(DataError, match="no 'word1<TAB>word2<TAB>score' lines"):
        evaluate_word_pairs(kv, tmp_path / "junk.tsv")


def test_numpy_path_gives_the_kernels_best_and_second(data):
    from wordlab.evaluation.batched import best_two, best_two_numpy

    kv, _, _ = data
    unit = kv.get_normed_vectors()
    ids = np.random.default_rng(3).integers(0, len(kv), size=(300, 3))
    for method in ("3cosadd", "3cosmul"):
        for n_rows in (len(kv), 700):
            k_best, k_top, k_second = best_two(unit, ids, n_rows, method)
            n_best, n_top, n_second = best_two_numpy(unit, ids, n_rows, method)
            gap = k_top - k_second
            clear = gap > 1e-4  # away from near-ties the winner is the same
            assert clear.mean() > 0.9 and np.array_equal(k_best[clear], n_best[clear])
            np.testing.assert_allclose(n_top, k_top, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(n_second, k_second, rtol=1e-5, atol=1e-5)
            assert all(b not in q for b, q in zip(n_best, ids))  # the query words are never the answer


def test_cold_process_takes_the_numpy_path(monkeypatch):
    import sys

    from wordlab.evaluation import batched

    monkeypatch.delenv("WORDLAB_ANALOGY_KERNEL", raising=False)
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    assert batched.use_numpy(1000, 15000, 100)
    assert not batched.use_numpy(20000, 300000, 300)  # a big job pays numba's start-up back
    monkeypatch.setitem(sys.modules, "numba", object())
    assert not batched.use_numpy(1000, 15000, 100)  # numba is loaded: the kernel is faster
