"""Neural network layers shared by the models, one concept per submodule (DLfS-2 names).

=========================  =====================================================================
``negative_sampling``      ``EmbeddingDot``, ``NegativeSamplingLoss`` (word2vec; Mikolov et al. 2013b)
``recurrent``              ``LockedDropout`` (Gal & Ghahramani 2016), RNN stacks, state detach helpers
``attention``              ``Attention`` dot / general (Luong et al. 2015) / additive (Bahdanau et al. 2015)
``transformer``            ``MultiHeadAttention``, ``FeedForward``, pre-LN ``TransformerBlock`` (Vaswani et al. 2017)
``positional``             sinusoidal, learned and rotary (Su et al. 2021) position information
``mlp``                    ``MLP`` with activation, dropout, batch / layer norm
``cnn``                    max/mean-over-time pooling, ``TextCNN`` (Kim 2014)
``embedding``              ``WordEmbedding`` initialised from ``KeyedVectors`` (rand/static/non-static/multichannel)
``init``                   Xavier/Glorot and He/Kaiming initialisation
=========================  =====================================================================
"""

from .attention import Attention
from .cnn import TextCNN, max_over_time, mean_over_time
from .embedding import WordEmbedding, embedding_matrix
from .mlp import MLP
from .negative_sampling import EmbeddingDot, NegativeSamplingLoss
from .positional import LearnedPositions, RotaryEmbedding, SinusoidalPositions
from .recurrent import LockedDropout, detach_state
from .transformer import FeedForward, MultiHeadAttention, TransformerBlock

__all__ = [
    "Attention", "TextCNN", "max_over_time", "mean_over_time",
    "WordEmbedding", "embedding_matrix", "MLP", "EmbeddingDot", "NegativeSamplingLoss", "LockedDropout",
    "detach_state", "MultiHeadAttention", "FeedForward", "TransformerBlock", "LearnedPositions", "RotaryEmbedding",
    "SinusoidalPositions",
]
