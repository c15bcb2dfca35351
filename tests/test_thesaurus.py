"""Thesaurus: the WordNet folder prepared for nltk, synonyms, similarity, pair scoring, retrofitting, CLI.

Needs WordNet 3.0 (Debian/Ubuntu ``wordnet-base``): skipped with one line when it is missing, failed
under ``CI=true`` (``.ci/run`` installs it). The retrofitting maths is tested without WordNet.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from oracle import in_ci
from wordlab.errors import ConfigError, DataError
from wordlab.thesaurus import lexicon_graph, retrofit, retrofit_matrix
from wordlab.thesaurus.wordnet import HOW_TO_GET, find_wordnet, lexnames_text
from wordlab.vectors import KeyedVectors


@pytest.fixture(scope="module")
def wn(tmp_path_factory):
    try:
        find_wordnet()
    except DataError as e:
        if in_ci():
            pytest.fail(f"WordNet is required under CI=true: {e}", pytrace=False)
        pytest.skip(f"WordNet not installed ({HOW_TO_GET})")
    from wordlab.thesaurus import load_wordnet
    return load_wordnet(cache_dir=tmp_path_factory.mktemp("nltk_data"))


def test_lexnames_are_wordnet_30s_45_files():
    lines = lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[3] == "03\tnoun.Tops\t1" and lines[44] == "44\tadj.ppl\t3"
    assert sum(line.split("\t")[1].startswith("noun.") for line in lines) == 26


def test_missing_wordnet_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_WORDNET", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="wordnet-base") as e:
        find_wordnet()
    assert "\n" not in str(e.value)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "index.noun").write_text("")
    with pytest.raises(DataError, match="missing index.verb.*data.noun"):
        find_wordnet(tmp_path / "half")


def test_synonyms_and_similarity(wn):
    from wordlab.thesaurus import similarity, synonym_set
    syn = synonym_set("car", wn)
    assert {"auto", "automobile", "motorcar"} <= set(syn)
    assert similarity("car", "automobile", "path", wn) == 1.0
    assert similarity("dog", "cat", "path", wn) == pytest.approx(0.2)  # nltk's documented example
    assert similarity("dog", "cat", "wup", wn) == pytest.approx(0.8571, abs=1e-4)
    assert similarity("car", "bicycle", "wup", wn) > similarity("car", "banana", "wup", wn)
    assert similarity("quickly", "dog", "path", wn) is None  # no shared part of speech
    with pytest.raises(ConfigError):
        similarity("a", "b", "jcn", wn)


@pytest.mark.slow
def test_lch_similarity(wn):  # slow: nltk computes the maximum depth of the whole noun hierarchy first
    from wordlab.thesaurus import similarity
    assert similarity("dog", "cat", "lch", wn) == pytest.approx(2.0281, abs=1e-4)


def test_score_pairs_with_coverage(wn):
    from wordlab.thesaurus import score_pairs
    pairs = [("car", "automobile", 9.5), ("dog", "cat", 7.0), ("car", "banana", 1.0), ("zzyzx", "car", 2.0),
             ("coast", "shore", 9.0), ("noon", "string", 0.5)]
    r = score_pairs(pairs, "path", wn)
    assert r["total"] == 6 and r["covered"] == 5 and r["scores"][3] is None
    assert r["spearman"] > 0.5


def test_retrofit_step_is_faruqui_closed_form():
    rng = np.random.default_rng(0)
    Q0 = rng.normal(size=(4, 3))
    g = sp.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], np.float32))
    got = retrofit_matrix(Q0, g, iterations=2)
    Qn = Q0 / np.sqrt((Q0 ** 2).sum(1, keepdims=True) + 1e-6)
    Q = Qn.copy()
    for _ in range(2):  # the authors' loop: in place, in vocabulary order
        for i in range(4):
            nb = np.flatnonzero(g[i].toarray()[0])
            if len(nb):
                Q[i] = (len(nb) * Qn[i] + Q[nb].sum(0)) / (2 * len(nb))
    np.testing.assert_allclose(got, Q, rtol=1e-6)
    np.testing.assert_allclose(got[3], Qn[3], rtol=1e-6)  # no neighbours: only scaled to unit length


def test_retrofit_pulls_neighbours_together():
    rng = np.random.default_rng(1)
    words = ["big", "large", "small", "tiny", "red"]
    kv = KeyedVectors(words, rng.normal(size=(5, 8)).astype(np.float32))
    lex = {"big": {"large"}, "large": {"big"}, "small": {"tiny"}, "tiny": {"small"}}
    g = lexicon_graph(words, lambda w: lex.get(w, ()))
    new, stats = retrofit(kv, graph=g)
    assert stats["words_with_neighbours"] == 4 and stats["edges"] == 4
    assert new.similarity("big", "large") > kv.similarity("big", "large") + 0.2
    assert new.similarity("small", "tiny") > kv.similarity("small", "tiny") + 0.2
    with pytest.raises(ConfigError):
        retrofit_matrix(kv.vectors, g, iterations=-1)


def test_retrofit_with_wordnet_and_cli(wn, tmp_path, capsys, monkeypatch):
    from wordlab.cli import main
    from wordlab.thesaurus.wordnet import find_wordnet
    words = ["car", "automobile", "auto", "dog", "cat", "bank", "coast", "shore"]
    rng = np.random.default_rng(2)
    kv = KeyedVectors(words, rng.normal(size=(8, 6)).astype(np.float32))
    new, stats = retrofit(kv, "synonyms", wn=wn)
    assert stats["words_with_neighbours"] >= 3
    assert new.similarity("car", "automobile") > kv.similarity("car", "automobile")
    _, all_stats = retrofit(kv, "all", wn=wn)
    assert all_stats["edges"] >= stats["edges"]
    kv.save(tmp_path / "v.bin")
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))
    wdir = str(find_wordnet())
    assert main(["retrofit", str(tmp_path / "v.bin"), "-o", str(tmp_path / "r.bin"), "--wordnet", wdir, "-q"]) == 0
    assert KeyedVectors.load(tmp_path / "r.bin").vectors.shape == (8, 6)
    assert main(["thesaurus", "synonyms", "car", "--wordnet", wdir, "-q"]) == 0
    assert "automobile" in capsys.readouterr().out
    assert main(["thesaurus", "similarity", "dog", "cat", "--measure", "wup", "--wordnet", wdir, "-q"]) == 0
    assert "0.857" in capsys.readouterr().out
    assert main(["thesaurus", "synonyms", "zzyzxq", "--wordnet", wdir, "-q"]) == 1
    assert main(["thesaurus", "synonyms", "car", "--wordnet", str(tmp_path / "none"), "-q"]) == 1
    assert "wordnet-base" in capsys.readouterr().err
