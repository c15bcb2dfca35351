"""Phrase detection (Mikolov et al. 2013 §4) with gensim 4's ``Phrases`` scores: learn, freeze as JSON, apply.

    from wordlab.phrases import PhrasesConfig, PhraseTable, learn_phrases
    table = learn_phrases(corpus, PhrasesConfig(passes=2)); table.save("phrases.json")
    for line in PhraseTable.load("phrases.json").lines(corpus): ...
"""

from .model import ENGLISH_CONNECTOR_WORDS, SCORINGS, PhrasesConfig, connector_words, learn_pass, learn_phrases, scores
from .table import PhrasePass, PhraseTable

__all__ = ["ENGLISH_CONNECTOR_WORDS", "SCORINGS", "PhrasesConfig", "PhrasePass", "PhraseTable", "connector_words",
           "learn_pass", "learn_phrases", "scores"]
