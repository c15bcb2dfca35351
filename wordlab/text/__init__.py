"""Text → tokens → vocabulary → ids: corpus readers, tokenizers, ``Vocabulary``, sampling helpers."""

from .cache import build_vocab_and_ids, encode_corpus
from .reader import Corpus, expand_paths, iter_lines, open_binary, read_corpus
from .sampling import NoiseSampler, cum_table, keep_probability, noise_distribution
from .tokenize import BOS, EOS, PAD, SPECIALS, TOKENIZERS, UNK, get_tokenizer
from .vocab import Vocabulary, scan_and_encode

__all__ = [
    "BOS", "EOS", "PAD", "UNK", "SPECIALS", "TOKENIZERS",
    "Corpus", "read_corpus", "expand_paths", "iter_lines", "open_binary", "get_tokenizer",
    "Vocabulary", "scan_and_encode", "build_vocab_and_ids", "encode_corpus",
    "NoiseSampler", "cum_table", "keep_probability", "noise_distribution",
]
