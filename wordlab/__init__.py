"""wordlab: learning from text — word vectors, their evaluation, language models and translation.

The data path runs one way (see ``ARCHITECTURE``): ``wordlab.text`` turns files into
token ids, the model packages (``count``, ``word2vec``, ``lm``, ``seq2seq``, ``classify``)
learn from them, and every embedding method ends in a ``wordlab.vectors.KeyedVectors``.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from .jitcache import configure_numba_cache  # noqa: E402  (before any wordlab module imports numba)

configure_numba_cache()
