"""Evaluation: analogies (3CosAdd / 3CosMul) and word-pair similarity for word vectors; perplexity
(:mod:`.perplexity`), BLEU and exact match (:mod:`.translation`), accuracy and F1 (:mod:`.classification`).

The last three are imported from their modules (``from wordlab.evaluation.translation import corpus_bleu``):
this package's top level stays free of torch, so evaluating word vectors starts fast.

    from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
    score, sections = evaluate_word_analogies(kv, "questions-words.txt", restrict_vocab=30000)
    (r, p), (rho, p_rho), oov_percent = evaluate_word_pairs(kv, "wordsim353.tsv")

Both return gensim's shapes and numbers (see :mod:`.analogies` and :mod:`.word_pairs`).
"""

from .analogies import METHODS, evaluate_word_analogies, read_analogies
from .word_pairs import evaluate_word_pairs, read_word_pairs

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs", "read_analogies", "read_word_pairs", "METHODS"]
