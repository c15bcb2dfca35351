"""Phrases: the same phrase set and scores as gensim 4 (the oracle), greedy application, passes, JSON table, CLI."""

from __future__ import annotations

import gzip
import json
import random

import numpy as np
import pytest

from wordlab.errors import ConfigError, DataError
from wordlab.phrases import ENGLISH_CONNECTOR_WORDS, PhrasesConfig, PhraseTable, learn_phrases, scores
from wordlab.text import read_corpus

from oracle import require

CORPUS = [
    "the bank of america opened an office in new york".split(),
    "she moved to new york to work for the bank of america".split(),
    "new york is big and the bank of america is big".split(),
    "machine learning is fun . machine learning in new york".split(),
    "the state of the art in machine learning".split(),
] * 4


def _random_corpus(seed: int = 0, sentences: int = 400) -> list[list[str]]:
    """Zipf-ish words with planted collocations and connector runs."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)] + sorted(ENGLISH_CONNECTOR_WORDS)
    weights = [1 / (i + 1) for i in range(len(words))]
    planted = [["new", "york"], ["bank", "of", "america"], ["state", "of", "the", "art"], ["hong", "kong"]]
    out = []
    for _ in range(sentences):
        s: list[str] = []
        while len(s) < rng.randint(3, 25):
            s.extend(rng.choice(planted) if rng.random() < 0.15 else rng.choices(words, weights)[:1])
        out.append(s)
    return out


def test_english_connector_words_are_gensims():
    gensim_phrases = require("gensim.models.phrases")
    assert ENGLISH_CONNECTOR_WORDS == gensim_phrases.ENGLISH_CONNECTOR_WORDS


@pytest.mark.parametrize("scoring,threshold,min_count", [("default", 1.0, 2), ("default", 10.0, 5),
                                                         ("npmi", 0.3, 3), ("npmi", -0.2, 1)])
def test_phrase_set_and_scores_equal_gensim(scoring, threshold, min_count):
    Phrases = require("gensim.models.phrases").Phrases
    sents = _random_corpus() + CORPUS
    g = Phrases(sents, min_count=min_count, threshold=threshold, scoring=scoring,
                connector_words=ENGLISH_CONNECTOR_WORDS, max_vocab_size=10**9).export_phrases()
    table = learn_phrases(sents, PhrasesConfig(min_count=min_count, threshold=threshold, scoring=scoring))
    w = table.passes[0].phrasegrams
    assert g, "the fixture must produce phrases"
    assert set(w) == set(g)
    assert all(w[k] == g[k] for k in g)  # same float64 operations in the same order


def test_two_passes_and_application_equal_gensim():
    gp = require("gensim.models.phrases")
    sents = _random_corpus(1) + CORPUS
    kw = dict(min_count=2, threshold=2.0, connector_words=gp.ENGLISH_CONNECTOR_WORDS, max_vocab_size=10**9)
    first = gp.Phrases(sents, **kw).freeze()
    phrased = [first[s] for s in sents]
    second = gp.Phrases(phrased, **kw)
    table = learn_phrases(sents, PhrasesConfig(min_count=2, threshold=2.0, passes=2))
    assert set(table.passes[0].phrasegrams) == set(first.phrasegrams)
    assert set(table.passes[1].phrasegrams) == set(second.export_phrases())
    frozen2 = second.freeze()
    assert list(table.transform(sents)) == [frozen2[s] for s in phrased]
    assert any(t.count("_") >= 2 for s in table.transform(sents) for t in s)


def test_words_holding_the_delimiter_follow_gensims_string_keys():
    Phrases = require("gensim.models.phrases").Phrases
    sents = [["new_york", "city", "new", "york", "city"], ["new", "york"], ["new_york", "city"]] * 5
    g = Phrases(sents, min_count=1, threshold=0.5, max_vocab_size=10**9).export_phrases()
    w = learn_phrases(sents, PhrasesConfig(min_count=1, threshold=0.5, connectors="none")).passes[0].phrasegrams
    assert w == g


def test_bank_of_america_forms_and_greedy_left_to_right():
    table = learn_phrases(CORPUS, PhrasesConfig(min_count=1, threshold=1.0))
    assert "bank_of_america" in table.passes[0].phrasegrams
    assert table[["the", "bank", "of", "america", "in", "new", "york"]] == ["the", "bank_of_america", "in", "new_york"]
    # connectors never start or end a phrase; unknown words stay as they are
    assert table[["of", "zzz", "the"]] == ["of", "zzz", "the"]


def test_scores_formulas():
    s = scores(np.array([10]), np.array([20]), np.array([7]), 1000, 5, 10_000, "default")
    assert s[0] == (7 - 5) / float(10 * 20) * 1000
    s = scores(np.array([10]), np.array([20]), np.array([7]), 1000, 5, 10_000, "npmi")
    pa, pb, pab = 10 / 1e4, 20 / 1e4, 7 / 1e4
    assert s[0] == pytest.approx(np.log(pab / (pa * pb)) / -np.log(pab), rel=1e-15)
    assert scores(np.array([10]), np.array([20]), np.array([4]), 1000, 5, 10_000, "npmi")[0] == -np.inf


def test_pruning_bounds_the_table_and_keeps_strong_phrases():
    sents = _random_corpus(2, 2000)
    free = learn_phrases(sents, PhrasesConfig(min_count=3, threshold=2.0))
    pruned = learn_phrases(sents, PhrasesConfig(min_count=3, threshold=2.0, max_vocab_size=300))
    assert free.provenance["stats"][0]["prunings"] == 0
    assert pruned.provenance["stats"][0]["prunings"] >= 1
    assert {"new_york", "hong_kong"} <= set(pruned.passes[0].phrasegrams)


def test_corpus_lines_are_sentences_and_long_lines_are_cut(tmp_path):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("new york x\n\nnew york y\n" * 5 + "new " * 3 + "york\n")
    corpus = read_corpus(path)
    table = learn_phrases(corpus, PhrasesConfig(min_count=1, threshold=0.1, max_sentence_length=2))
    lines = list(table.lines(corpus))
    assert len(lines) == 16 and lines[1] == ""  # empty lines kept, one output line per input line
    # sentences of 2 tokens: "new york" joins, "x" stays alone; the last line is cut new|new, new|york
    assert lines[0] == "new_york x" and lines[-1] == "new new new_york"
    same = list(read_corpus(path, tokenizer=str.split).files)
    assert same  # the Python tokenizer path gives the same table
    py = learn_phrases(read_corpus(path, tokenizer=str.split),
                       PhrasesConfig(min_count=1, threshold=0.1, max_sentence_length=2))
    assert py.passes[0].phrasegrams == table.passes[0].phrasegrams


def test_table_json_round_trip_and_bad_files(tmp_path):
    table = learn_phrases(CORPUS, PhrasesConfig(min_count=1, threshold=1.0, passes=2))
    path = tmp_path / "t.json"
    table.save(path)
    again = PhraseTable.load(path)
    assert [p.phrasegrams for p in again.passes] == [p.phrasegrams for p in table.passes]
    assert again.fingerprint() == table.fingerprint()
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(DataError, match="not valid JSON"):
        PhraseTable.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"format": "x"}))
    with pytest.raises(DataError, match="not a wordlab phrase table"):
        PhraseTable.load(tmp_path / "other.json")
    (tmp_path / "grams.json").write_text(json.dumps({"format": "wordlab.phrases/1", "passes": [{"phrasegrams": []}]}))
    with pytest.raises(DataError, match="pass 1"):
        PhraseTable.load(tmp_path / "grams.json")


@pytest.mark.parametrize("kw", [dict(min_count=0), dict(threshold=0), dict(scoring="npmi", threshold=2),
                                dict(scoring="pmi"), dict(delimiter=""), dict(passes=0), dict(connectors="a,,b")])
def test_config_errors(kw):
    with pytest.raises(ConfigError):
        PhrasesConfig(**kw)


def test_cli_phrases(tmp_path, capsys):
    from wordlab.cli import main
    src = tmp_path / "c.txt"
    src.write_text("\n".join(" ".join(s) for s in CORPUS) + "\n")
    out, tab = tmp_path / "p.txt", tmp_path / "t.json"
    assert main(["phrases", str(src), "-o", str(out), "--save-table", str(tab), "--min-count", "1",
                 "--threshold", "1", "--passes", "2", "-q"]) == 0
    text = out.read_text().splitlines()
    assert len(text) == len(CORPUS) and "bank_of_america" in text[0]
    assert "bank_of_america" in capsys.readouterr().out
    out2 = tmp_path / "p2.txt"
    assert main(["phrases", str(src), "-o", str(out2), "--table", str(tab), "-q"]) == 0
    assert out2.read_text() == out.read_text()
    assert main(["phrases", str(src), "-q"]) == 1
    assert "nothing to write" in capsys.readouterr().err


def test_train_word2vec_on_the_phrased_stream(tmp_path, capsys):
    from wordlab.cli import main
    from wordlab.phrases.corpus import phrased_corpus
    from wordlab.vectors import KeyedVectors
    src = tmp_path / "c.txt"
    src.write_text("\n".join(" ".join(s) for s in CORPUS * 3) + "\n")
    table = learn_phrases(read_corpus(src), PhrasesConfig(min_count=1, threshold=1.0))
    table.save(tmp_path / "t.json")
    tokens = [t for chunk in phrased_corpus(read_corpus(src), table).chunks() for t in chunk]
    assert "bank_of_america" in tokens and "america" not in tokens and "york" in tokens
    eos = [t for chunk in phrased_corpus(read_corpus(src, eos=True), table).chunks() for t in chunk]
    assert eos.count("<eos>") == len(CORPUS) * 3
    out = tmp_path / "v.txt"
    assert main(["train", "word2vec", str(src), "-o", str(out), "--phrases", str(tmp_path / "t.json"), "--dim", "8",
                 "--epochs", "1", "--min-count", "1", "--threads", "1", "--no-cache", "-q"]) == 0
    kv = KeyedVectors.load(out)
    assert "bank_of_america" in kv and "machine_learning" in kv and "america" not in kv


def test_train_fasttext_on_the_phrased_stream(tmp_path):
    from wordlab.cli import main
    from wordlab.vectors import KeyedVectors
    src = tmp_path / "c.txt"
    src.write_text("\n".join(" ".join(s) for s in CORPUS * 3) + "\n")
    learn_phrases(read_corpus(src), PhrasesConfig(min_count=1, threshold=1.0)).save(tmp_path / "t.json")
    out = tmp_path / "v.vec"
    assert main(["train", "fasttext", str(src), "-o", str(out), "--phrases", str(tmp_path / "t.json"), "--dim", "8",
                 "--epochs", "1", "--min-count", "1", "--threads", "1", "--bucket", "1000", "--no-cache", "-q"]) == 0
    kv = KeyedVectors.load(out)
    assert "bank_of_america" in kv and "machine_learning" in kv and "america" not in kv
    plain = tmp_path / "plain.vec"
    assert main(["train", "fasttext", str(src), "-o", str(plain), "--dim", "8", "--epochs", "1", "--min-count", "1",
                 "--threads", "1", "--bucket", "1000", "--no-cache", "-q"]) == 0
    assert "america" in KeyedVectors.load(plain) and "bank_of_america" not in KeyedVectors.load(plain)
