"""word2vec: CBOW and skip-gram with negative sampling (Mikolov et al. 2013a/b).

``Word2Vec`` (the front object), ``Word2VecConfig`` (hyper-parameters, gensim's names),
the ``CBOW`` / ``SkipGram`` torch modules, and two trainers over the same weights: a
compiled multi-threaded CPU kernel (``trainer="fast"``, the default) and torch mini-batches
(``trainer="torch"``, also on CUDA).
"""

from .config import Word2VecConfig
from .gensim_compat import CallbackAny2Vec
from .model import Word2Vec
from .modules import CBOW, SkipGram
from .run import Word2VecRun, train_word2vec

__all__ = ["Word2Vec", "Word2VecConfig", "CBOW", "SkipGram", "train_word2vec", "Word2VecRun", "CallbackAny2Vec"]
