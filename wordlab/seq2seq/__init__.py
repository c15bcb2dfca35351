"""Sequence-to-sequence translation: DLfS-2 ch. 7–8 (seq2seq → reversed → peeky → attention).

``ls`` is the table of contents: ``data`` (pair files, splits, batches), ``encoders``, ``decoders``,
``model`` (``Seq2Seq`` + ``Seq2SeqConfig``, checkpoints), ``search`` (greedy, beam), ``metrics``
(accuracy, BLEU), ``task`` (the shared training loop's ``Task``), ``translator`` (model + vocabularies).
"""

from .data import DataConfig, build_vocabs, dlfs2_split, encode_pairs, read_pairs, split_indices
from .decoders import AttentionDecoder, Decoder
from .encoders import Encoder
from .metrics import corpus_bleu, exact_match, per_length
from .model import Seq2Seq, Seq2SeqConfig, load_model, save_model
from .search import Hypothesis, beam_search, greedy_search, search
from .task import Seq2SeqTask
from .translator import Translation, Translator

__all__ = [
    "DataConfig", "read_pairs", "build_vocabs", "encode_pairs", "split_indices", "dlfs2_split",
    "Encoder", "Decoder", "AttentionDecoder", "Seq2Seq", "Seq2SeqConfig", "load_model", "save_model",
    "Hypothesis", "greedy_search", "beam_search", "search", "corpus_bleu", "exact_match", "per_length",
    "Seq2SeqTask", "Translator", "Translation",
]
