"""The thesaurus method (DLfS-2 §2.2): WordNet synonyms and similarity, and retrofitting vectors to WordNet.

    from wordlab.thesaurus import load_wordnet, synonym_set, similarity, retrofit
    synonym_set("car")                       # ['auto', 'automobile', 'machine', 'motorcar', ...]
    similarity("car", "bicycle", "wup")      # best over same-POS synset pairs
    kv2, stats = retrofit(kv, lexicon="synonyms")   # Faruqui et al. 2015
"""

from .retrofit import lexicon_graph, retrofit, retrofit_matrix
from .similarity import LEXICONS, MEASURES, neighbours, score_pairs, similarity, synonym_set, synonyms
from .wordnet import HOW_TO_GET, find_wordnet, load_wordnet, prepare_wordnet

__all__ = ["HOW_TO_GET", "LEXICONS", "MEASURES", "find_wordnet", "lexicon_graph", "load_wordnet", "neighbours",
           "prepare_wordnet", "retrofit", "retrofit_matrix", "score_pairs", "similarity", "synonym_set", "synonyms"]
