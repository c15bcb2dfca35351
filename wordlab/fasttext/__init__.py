"""fastText: subword word vectors (Bojanowski et al. 2017), its classifier (Joulin et al. 2017), its files.

    from wordlab.fasttext import FastText, FastTextClassifier
    model = FastText("corpus.txt.gz", sg=1, min_n=3, max_n=6, bucket=2_000_000)   # train fasttext
    model.wv.most_similar("goverment")           # any string has a vector (character n-grams)
    model.save_facebook("model.bin")             # the tool's format (the tool and gensim load it)
    clf, stats = FastTextClassifier.train(texts, labels, word_ngrams=2)          # classify --arch fasttext
    FastTextClassifier.load("model.ftz").predict("some text", k=2)             # the tool's .bin / .ftz

``FastTextKeyedVectors`` gives a vector to any string from its hashed character n-grams;
``FastText`` trains them (skip-gram / CBOW); ``FastTextClassifier`` is the supervised classifier;
``read_facebook`` / ``write_facebook`` read and write the fastText tool's model files (``.bin``, ``.ftz``).
"""

from .config import FastTextConfig
from .facebook import FacebookModel, read_facebook, write_facebook
from .hashing import char_ngrams, ft_hash, ngram_buckets
from .keyed import FastTextKeyedVectors, vectors_from_facebook
from .model import FastText
from .run import train_fasttext
from .supervised import FastTextClassifier, FastTextClassifierConfig, read_labelled

__all__ = ["FastText", "FastTextConfig", "FastTextClassifier", "FastTextClassifierConfig", "FacebookModel",
           "FastTextKeyedVectors", "read_facebook", "write_facebook", "vectors_from_facebook", "read_labelled", "train_fasttext",
           "ft_hash", "char_ngrams", "ngram_buckets"]
