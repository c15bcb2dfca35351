"""A gensim word2vec script runs on wordlab by changing only its imports, and behaves as it does on gensim.

:func:`gensim_script` is written as a gensim user writes it; the only library-specific lines are
the imports in :func:`run_script`. The corpus has planted structure (8 topics of 25 words; every
sentence is drawn from one topic), so both tools must learn the same thing: words of a topic are
each other's neighbours, and within-topic pairs score higher than across-topic ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from oracle import require

require("gensim.models")  # the oracle: required under CI=true

TOPICS, TOPIC_WORDS, STOPWORDS = 8, 25, 10


def topic_of(word: str) -> int:
    return int(word[1:word.index("w")]) if word.startswith("t") else -1


def write_corpus(path, n_sentences: int = 2500, seed: int = 0) -> list[list[str]]:
    """Sentences of 12 topic words (Zipf-like within the topic) and 2 stopwords; also written one per line."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, TOPIC_WORDS + 1)
    p /= p.sum()
    sentences = []
    for _ in range(n_sentences):
        t = rng.integers(TOPICS)
        words = [f"t{t}w{i}" for i in rng.choice(TOPIC_WORDS, 12, p=p)]
        for _ in range(2):
            words.insert(int(rng.integers(len(words) + 1)), f"s{rng.integers(STOPWORDS)}")
        sentences.append(words)
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return sentences


def write_pairs(path) -> None:
    """Word pairs scored 9 within a topic and 1 across topics (tab-separated, as wordsim353.tsv)."""
    rng = np.random.default_rng(1)
    lines = ["# word1\tword2\tscore"]
    for _ in range(200):
        t, u = rng.integers(TOPICS, size=2)
        i, j = rng.integers(8, size=2)  # the topics' frequent words: both tools keep them
        lines.append(f"t{t}w{i}\tt{u}w{j}\t{9.0 if t == u else 1.0}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_analogies(path) -> None:
    """A Google-style file (its answers need not be learnable here: the call and its return shape are checked)."""
    path.write_text(": topics\nt0w0 t0w1 t1w0 t1w1\nt2w0 t2w1 t3w0 t3w1\nt0w0 t0w1 nosuch t1w1\n", encoding="utf-8")


def gensim_script(Word2Vec, KeyedVectors, CallbackAny2Vec, corpus_file, sentences, more, pairs, analogies, out):
    """What a gensim user writes (gensim 4 API only); returns what it observed."""
    seen = {"events": [], "losses": []}

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            seen["events"].append("train_begin")

        def on_epoch_begin(self, model):
            seen["events"].append("epoch_begin")

        def on_epoch_end(self, model):
            seen["events"].append("epoch_end")
            seen["losses"].append(model.get_latest_training_loss())

        def on_train_end(self, model):
            seen["events"].append("train_end")

    model = Word2Vec(corpus_file=str(corpus_file), vector_size=32, window=4, min_count=3, sg=1, negative=5,
                     workers=1, epochs=4, seed=1, callbacks=[Recorder()], compute_loss=True)
    seen["attrs"] = (model.epochs, model.window, model.vector_size, model.corpus_count, model.corpus_total_words)
    seen["vocab"] = {w: int(model.wv.get_vecattr(w, "count")) for w in model.wv.index_to_key}
    seen["shape"] = model.wv.vectors.shape
    seen["neighbours"] = {w: [x for x, _ in model.wv.most_similar(w, topn=5)]
                          for w in model.wv.index_to_key if w.startswith("t")}
    seen["pairs"] = model.wv.evaluate_word_pairs(str(pairs))
    seen["analogies"] = model.wv.evaluate_word_analogies(str(analogies))

    from_sentences = Word2Vec(sentences=sentences, vector_size=32, min_count=3, workers=1, epochs=1, seed=1)
    seen["same_vocab_from_sentences"] = set(from_sentences.wv.index_to_key) == set(model.wv.index_to_key)

    model.wv.save(str(out / "vectors.kv"))
    kv = KeyedVectors.load(str(out / "vectors.kv"))
    seen["kv_round_trip"] = kv.index_to_key == model.wv.index_to_key and np.array_equal(kv.vectors, model.wv.vectors)
    model.save(str(out / "word2vec.model"))
    model = Word2Vec.load(str(out / "word2vec.model"))
    before = {w: model.wv[w].copy() for w in ("t0w0", "t5w3")}

    model.build_vocab(more, update=True)
    seen["updated_shape"] = model.wv.vectors.shape
    seen["new_words"] = sorted(set(model.wv.index_to_key) - set(seen["vocab"]))
    seen["update_count"] = model.corpus_count
    model.train(more, total_examples=model.corpus_count, epochs=model.epochs)
    seen["moved"] = {w: not np.allclose(before[w], model.wv[w]) for w in before}
    return seen


def run_script(library: str, tmp_path):
    if library == "gensim":
        from gensim.models import KeyedVectors, Word2Vec
        from gensim.models.callbacks import CallbackAny2Vec
    else:
        from wordlab.vectors import KeyedVectors
        from wordlab.word2vec import CallbackAny2Vec, Word2Vec
    out = tmp_path / library
    out.mkdir()
    sentences = write_corpus(tmp_path / "corpus.txt")
    write_pairs(tmp_path / "pairs.tsv")
    write_analogies(tmp_path / "analogies.txt")
    more = [["t0w0", "novel", "t0w1", "newer"], ["novel", "t0w2", "newer", "t5w3"]] * 50
    return gensim_script(Word2Vec, KeyedVectors, CallbackAny2Vec, tmp_path / "corpus.txt", sentences, more,
                         tmp_path / "pairs.tsv", tmp_path / "analogies.txt", out)


def neighbour_purity(neighbours: dict[str, list[str]]) -> float:
    """Share of the top-5 neighbours of topic words that belong to the same topic."""
    hits = [topic_of(n) == topic_of(w) for w, ns in neighbours.items() for n in ns]
    return float(np.mean(hits))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {lib: run_script(lib, tmp_path_factory.mktemp(lib)) for lib in ("gensim", "wordlab")}


def test_same_vocabulary_counts_and_shapes(runs):
    g, w = runs["gensim"], runs["wordlab"]
    assert w["vocab"] == g["vocab"]
    assert w["shape"] == g["shape"] == (len(g["vocab"]), 32)
    assert w["attrs"] == g["attrs"] == (4, 4, 32, 2500, 2500 * 14)
    assert w["same_vocab_from_sentences"] and g["same_vocab_from_sentences"]


def test_callbacks_fire_in_gensims_order_and_loss_accumulates(runs):
    g, w = runs["gensim"], runs["wordlab"]
    assert w["events"] == g["events"] == ["train_begin"] + ["epoch_begin", "epoch_end"] * 4 + ["train_end"]
    for losses in (g["losses"], w["losses"]):  # running loss since train() began: grows every epoch
        assert all(b > a > 0 for a, b in zip(losses, losses[1:]))
    per_epoch = np.diff([0.0] + w["losses"])
    assert per_epoch[-1] < per_epoch[0]  # and the model learns
    # gensim sums in float32 and skips saturated terms, so it reports less; the same order of magnitude
    assert 0.2 < w["losses"][-1] / g["losses"][-1] < 5


def test_similarity_quality_comparable(runs):
    g, w = runs["gensim"], runs["wordlab"]
    pg, pw = neighbour_purity(g["neighbours"]), neighbour_purity(w["neighbours"])
    assert pg > 0.8 and pw > pg - 0.05, (pg, pw)
    (_, _), (rho_g, _), oov_g = g["pairs"]
    (_, _), (rho_w, _), oov_w = w["pairs"]
    assert oov_w == oov_g == 0.0
    # gold scores are 9 or 1 (ties), so a perfect separation gives rho ~0.52, not 1
    assert rho_g > 0.45 and rho_w > rho_g - 0.05, (rho_g, rho_w)


def test_evaluation_methods_return_gensims_shapes(runs):
    g, w = runs["gensim"], runs["wordlab"]
    for score, sections in (g["analogies"], w["analogies"]):
        assert 0.0 <= score <= 1.0
        assert [s["section"] for s in sections] == ["topics", "Total accuracy"]
        assert len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) == 2  # the OOV question is skipped


def test_save_load_and_incremental_training(runs):
    g, w = runs["gensim"], runs["wordlab"]
    assert w["kv_round_trip"] and g["kv_round_trip"]
    assert w["new_words"] == g["new_words"] == ["newer", "novel"]
    assert w["updated_shape"] == g["updated_shape"] == (len(g["vocab"]) + 2, 32)
    assert w["update_count"] == g["update_count"] == 100
    assert w["moved"] == g["moved"] == {"t0w0": True, "t5w3": True}


def test_wordlab_files_are_not_pickles(tmp_path):
    from wordlab.vectors import KeyedVectors
    from wordlab.word2vec import Word2Vec

    sentences = write_corpus(tmp_path / "c.txt", n_sentences=200)
    model = Word2Vec(sentences=sentences, vector_size=8, min_count=1, workers=1, epochs=1)
    for name in ("v.kv", "v.model", "v.wordvectors"):
        model.wv.save(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:4] == b"PK\x03\x04"  # an .npz (zip), never a pickle
        assert KeyedVectors.load(tmp_path / name).index_to_key == model.wv.index_to_key
    model.save(tmp_path / "m.model")
    assert (tmp_path / "m.model").read_bytes()[:4] == b"PK\x03\x04"


def test_gensim_only_features_are_refused_with_their_name(tmp_path):
    from wordlab.errors import ConfigError
    from wordlab.word2vec import Word2Vec

    assert Word2Vec(hs=1, negative=0).hs == 1  # hierarchical softmax is there (issue 17)
    with pytest.raises(ConfigError, match="shrink_windows=False"):
        Word2Vec(shrink_windows=False)
    with pytest.raises(ConfigError, match="cbow_mean=0"):
        Word2Vec(cbow_mean=0)
    with pytest.raises(ConfigError, match="either sentences"):
        Word2Vec(sentences=[["a"]], corpus_file=tmp_path / "x.txt")
    model = Word2Vec(hs=0, cbow_mean=1, sorted_vocab=1, max_final_vocab=50, hashfxn=hash)
    assert model.config.max_vocab_size == 50
    with pytest.raises(ConfigError, match="unexpected keyword argument 'total_example'"):
        model.build_vocab([["a", "b"]] * 5).train([["a", "b"]], total_example=5)
