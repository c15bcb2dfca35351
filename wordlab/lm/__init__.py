"""Word-level RNN / LSTM / GRU language models: data, model, training, perplexity, generation."""

from .config import LMConfig
from .data import LMData, batchify, bptt_windows, load_lm_data
from .generate import SamplingConfig, generate, generate_ids, quantize_int8, render, top_p_mask
from .load import embeddings_to_keyed_vectors, load_lm
from .model import RNNLanguageModel
from .perplexity import nll, perplexity
from .train import LMTask, train_language_model

__all__ = [
    "LMConfig", "RNNLanguageModel", "LMData", "batchify", "bptt_windows", "load_lm_data",
    "SamplingConfig", "generate", "generate_ids", "quantize_int8", "render", "top_p_mask",
    "embeddings_to_keyed_vectors", "load_lm", "nll", "perplexity", "LMTask", "train_language_model",
]
