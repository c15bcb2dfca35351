"""Regenerate the tiny fastText models and their expected outputs with the real tool.

    .venv/bin/python tests/data/fasttext/make_models.py

Needs the ``fasttext`` module (the ``fasttext-numpy2`` wheel). Text: the first 30 KB of
``corpora/text8-head.gz`` (CC BY-SA, Wikipedia) cut into 300-character lines, plus five lines
with non-ASCII words so that some are in the vocabulary. ``thread=10``: with fewer threads the
tool initialises only ``thread/10`` of the input matrix (``DenseMatrix::uniform``) and small
``bucket`` values then start from uninitialised memory.
"""

import gzip
import json
import textwrap
from pathlib import Path

import fasttext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WORDS = ["the", "anarchism", "café", "zürich", "naïve", "</s>", "anarchisms", "cafés", "zzqx", "日本語", "a",
         "misspeled", "über"]
SENTENCES = ["the anarchist movement in the city", "political philosophy of the state", "café in zürich"]


def corpus() -> Path:
    with gzip.open(ROOT / "corpora" / "text8-head.gz", "rt", encoding="utf-8") as f:
        text = f.read(30000)
    lines = textwrap.wrap(text, 300)
    lines += ["the café in zürich serves naïve coffee to the people of münchen and the café is old"] * 5
    path = HERE / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def labelled(src: Path) -> Path:
    out = []
    for line in src.read_text(encoding="utf-8").splitlines():
        words = line.split()
        for i in range(0, len(words), 12):
            chunk = words[i:i + 12]
            label = "politics" if any(w in ("state", "political", "anarchist", "anarchists", "government")
                                      for w in chunk) else "other"
            out.append(f"__label__{label} " + " ".join(chunk))
    path = HERE / "labelled.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def main() -> None:
    text = corpus()
    expected = {}
    for name, model in (("tiny_sg", "skipgram"), ("tiny_cbow", "cbow")):
        ft = fasttext.train_unsupervised(str(text), model=model, dim=10, bucket=1000, minCount=2, epoch=1,
                                         thread=10, minn=3, maxn=6, verbose=0)
        ft.save_model(str(HERE / f"{name}.bin"))
        expected[name] = {"nwords": len(ft.words),
                          "vectors": {w: ft.get_word_vector(w).tolist() for w in WORDS},
                          "in_vocab": [w for w in WORDS if ft.get_word_id(w) >= 0]}
    sup = labelled(text)
    ft = fasttext.train_supervised(str(sup), dim=10, bucket=1000, wordNgrams=2, minn=2, maxn=4, epoch=5, thread=10,
                                   seed=0, verbose=0)
    ft.save_model(str(HERE / "tiny_sup.bin"))

    def preds(m):
        labels, probs = m.predict(SENTENCES, k=2)
        return {"labels": [list(x) for x in labels], "probs": [[float(p) for p in x] for x in probs],
                "sentence_vector": m.get_sentence_vector(SENTENCES[0]).tolist(),
                "word_vectors": {w: m.get_word_vector(w).tolist() for w in WORDS[:4]}}

    expected["tiny_sup"] = preds(ft)
    ft.quantize(input=str(sup), qnorm=True, retrain=False, cutoff=300, dsub=2)
    ft.save_model(str(HERE / "tiny_sup.ftz"))
    expected["tiny_sup_ftz"] = preds(ft)
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
