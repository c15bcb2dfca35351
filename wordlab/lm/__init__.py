"""Word-level RNN / LSTM / GRU language models: data, model, training, perplexity, generation.

Sampling itself is :mod:`wordlab.decoding`; ``generate`` adds the vocabulary and the text."""

from ..decoding import SamplingConfig  # defined in wordlab.decoding; re-exported for `from wordlab.lm import …`
from .config import LMConfig
from .data import LMData, batchify, bptt_windows, load_lm_data
from .generate import generate, quantize_int8, render, stream_text, stream_words
from .load import embeddings_to_keyed_vectors, load_lm
from .model import RNNLanguageModel
from .transformer import KVCache, TransformerLanguageModel, TransformerLMConfig
from ..evaluation.perplexity import nll, perplexity
from .train import LMTask, train_language_model

__all__ = [
    "LMConfig", "RNNLanguageModel", "LMData", "batchify", "bptt_windows", "load_lm_data",
    "SamplingConfig", "generate", "stream_words", "stream_text", "quantize_int8", "render",
    "embeddings_to_keyed_vectors", "load_lm", "nll", "perplexity", "LMTask", "train_language_model",
    "TransformerLMConfig", "TransformerLanguageModel", "KVCache",
]
