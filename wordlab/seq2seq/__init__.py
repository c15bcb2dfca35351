"""Sequence-to-sequence translation: DLfS-2 ch. 7–8 (seq2seq → reversed → peeky → attention).

``ls`` is the table of contents: ``data`` (pair files, splits, batches), ``encoders``, ``decoders``,
``model`` (``Seq2Seq`` + ``Seq2SeqConfig``, checkpoints, the decoding step protocol), ``metrics``
(accuracy, BLEU), ``task`` (the shared training loop's ``Task``), ``translator`` (model + vocabularies),
``subword`` (``--tokenizer bpe``: one BPE model for both sides, stored in the checkpoint).
Greedy and beam search live in :mod:`wordlab.decoding` (``translate_batch``), written once for every model.
"""

from ..decoding import Hypothesis, translate_batch
from .data import DataConfig, build_vocabs, dlfs2_split, encode_pairs, read_pairs, split_indices
from .decoders import AttentionDecoder, Decoder
from .encoders import Encoder
from ..evaluation.translation import corpus_bleu, exact_match, per_length
from .model import DecoderState, Seq2Seq, Seq2SeqConfig, load_model, save_model
from .task import Seq2SeqTask
from .train import PairsConfig, Seq2SeqTrainResult, evaluate_seq2seq, evaluation_pairs, train_seq2seq
from .translator import Translation, Translator

__all__ = [
    "DataConfig", "read_pairs", "build_vocabs", "encode_pairs", "split_indices", "dlfs2_split",
    "Encoder", "Decoder", "AttentionDecoder", "Seq2Seq", "Seq2SeqConfig", "load_model", "save_model",
    "DecoderState", "Hypothesis", "translate_batch", "corpus_bleu", "exact_match", "per_length",
    "Seq2SeqTask", "Translator", "Translation",
    "train_seq2seq", "evaluate_seq2seq", "evaluation_pairs", "PairsConfig", "Seq2SeqTrainResult",
]
