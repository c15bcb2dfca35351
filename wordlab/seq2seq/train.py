"""``train_seq2seq`` and ``evaluate_seq2seq``: what ``wordlab seq2seq train`` / ``eval`` do, one call each.

    from wordlab.seq2seq import DataConfig, Seq2SeqConfig, train_seq2seq
    res = train_seq2seq("date.txt", Seq2SeqConfig(attention="additive"), data=DataConfig(format="dlfs2"),
                        out="date.pt")
    res.translator.translate(["september 27, 1994"])

The split is part of the checkpoint (``extra["split"]``: fractions and seed), so ``evaluate_seq2seq``
rebuilds the very test split the model never saw.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..atomic import check_output
from ..checkpoint import load_checkpoint
from ..errors import ConfigError
from ..tensor import device as get_device
from ..tensor import check_model_memory, set_seed
from ..training import FitResult, TrainConfig, fit
from .data import DataConfig, build_vocabs, detect_format, dlfs2_split, encode_pairs, read_pairs, split_indices
from .arch import build_seq2seq, share_when_possible
from .model import KIND, Seq2Seq, Seq2SeqConfig, vocabs_payload
from .subword import pair_vocabulary, train_pair_tokenizer
from .transformer import TransformerSeq2SeqConfig
from .task import Seq2SeqTask
from .translator import Translator

log = logging.getLogger(__name__)

#: ``--arch`` name → model config class (a new architecture adds one line)
ARCHITECTURES: dict[str, type] = {"rnn": Seq2SeqConfig, "transformer": TransformerSeq2SeqConfig}

#: the training defaults of a translator (a :class:`TrainConfig` over these): Adam 1e-3, clip 5 (DLfS-2's)
TRAIN_DEFAULTS: dict = {"clip": 5.0}

SPLITS = ("test", "valid", "train", "all")


@dataclass(frozen=True)
class PairsConfig:
    """How the pairs are split and batched: held-out fractions (tsv; DLfS-2 files: its fixed 10 %
    test split), the vocabulary cut-off, and pairs per batch. The split's seed is the training seed."""

    valid: float = field(default=0.0, metadata={"help": "fraction of pairs held out for validation (tsv)"})
    test: float = field(default=0.1, metadata={"help": "fraction of pairs held out for test (tsv; dlfs2: 10%)"})
    min_count: int = field(default=1, metadata={"help": "rarer words become <unk>"})
    batch_size: int = field(default=128, metadata={"help": "pairs per batch", "deprecated": ("--batch",)})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        for name in ("valid", "test"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be a fraction in [0, 1), got {getattr(self, name)}")
        if self.valid + self.test >= 1.0:
            raise ConfigError(f"valid + test must leave pairs to train on, got {self.valid} + {self.test}")
        if self.min_count < 1 or self.batch_size < 1:
            raise ConfigError(f"min_count and batch_size must be >= 1, got {self.min_count} and {self.batch_size}")


@dataclass
class Seq2SeqTrainResult:
    """What :func:`train_seq2seq` returns: the trained (best) translator, the loop's result and the sizes."""

    translator: Translator
    fit: FitResult
    sizes: dict[str, int]


def split_pairs(n: int, data: DataConfig, valid: float = 0.0, test: float = 0.1, seed: int = 0) -> dict:
    """{"train", "valid", "test"} index lists of ``n`` pairs: DLfS-2's fixed split, or a seeded shuffle."""
    return dlfs2_split(n) if data.format == "dlfs2" else split_indices(n, valid=valid, test=test, seed=seed)


def train_seq2seq(pairs_file: str | os.PathLike, model_cfg: Seq2SeqConfig | None = None,
                  train_cfg: TrainConfig | None = None, *, data: DataConfig | None = None,
                  pairs: PairsConfig | None = None, out: str | os.PathLike | None = None, resume: bool = False,
                  device: str = "auto", progress: bool | None = None) -> Seq2SeqTrainResult:
    """Read ``pairs_file``, split it, build the vocabularies and train a :class:`Seq2Seq` on the training part.

    With ``data.tokenizer == "bpe"`` one BPE model of ``data.vocab_size`` tokens is learnt from both
    sides of the training pairs (see :mod:`wordlab.seq2seq.subword` for why one, not one per side),
    both vocabularies are its pieces, and the checkpoint stores it.

    Validation (loss, and exact match / BLEU of greedy decoding on up to 2,000 pairs) runs each
    epoch when ``pairs.valid > 0``; the best model is written to ``out`` with its vocabularies, the
    :class:`DataConfig` and the split, and restored at the end. ``model_cfg``'s vocabulary sizes
    (0) are taken from the data; ``train_cfg`` defaults to ``TrainConfig(**TRAIN_DEFAULTS)``.
    """
    model_cfg = model_cfg or Seq2SeqConfig()
    train_cfg = train_cfg or TrainConfig(**TRAIN_DEFAULTS)
    data = data or DataConfig()
    pairs = pairs or PairsConfig()
    if out is not None:
        check_output(out, [pairs_file], binary=True, what="model file")
    dev = get_device(device)
    if data.format == "tsv" and detect_format(pairs_file) == "dlfs2":  # no tab anywhere: tsv could not read it
        log.info("%s: no tabs, '_' on every line: reading it as a DLfS-2 pair file (--format dlfs2)", pairs_file)
        data = replace(data, format="dlfs2")
    all_pairs = read_pairs(pairs_file, data)
    if data.format == "dlfs2":
        data = replace(data, source_width=max(len(s) for s, _ in all_pairs))
    sp = split_pairs(len(all_pairs), data, pairs.valid, pairs.test, train_cfg.seed)
    train_pairs = [all_pairs[i] for i in sp["train"]]
    valid_pairs = [all_pairs[i] for i in sp["valid"]]
    if not train_pairs:
        raise ConfigError(f"{pairs_file}: no training pairs left after holding out valid/test; lower them")
    bpe = None
    if data.tokenizer == "bpe":
        bpe = train_pair_tokenizer(train_pairs, data.vocab_size)
        src = tgt = pair_vocabulary(bpe)
        log.info("BPE: %d tokens learnt from both sides of %d training pairs (--vocab-size %d)", len(bpe),
                 len(train_pairs), data.vocab_size)
    else:
        src, tgt = build_vocabs(train_pairs, min_count=pairs.min_count)
    model_cfg = replace(model_cfg, src_vocab=model_cfg.src_vocab or len(src), tgt_vocab=model_cfg.tgt_vocab or len(tgt))
    if (model_cfg.src_vocab, model_cfg.tgt_vocab) != (len(src), len(tgt)):
        raise ConfigError(f"the config's vocabulary sizes ({model_cfg.src_vocab}, {model_cfg.tgt_vocab}) are not "
                          f"the data's ({len(src)}, {len(tgt)}); leave them 0")
    sizes = {"pairs": len(all_pairs), "train": len(train_pairs), "valid": len(valid_pairs), "test": len(sp["test"]),
             "src_vocab": len(src), "tgt_vocab": len(tgt)}
    log.info("pairs %d (train %d, valid %d, test %d); vocabulary source %d, target %d (%s tokens)",
             *sizes.values(), data.tokenizer)
    set_seed(train_cfg.seed)
    model_cfg = share_when_possible(model_cfg, src, tgt)  # one vocabulary on both sides: one embedding matrix
    width = getattr(model_cfg, "hidden", 0) or getattr(model_cfg, "dim", 0)
    check_model_memory(lambda: build_seq2seq(model_cfg), "the translation model",
                       activations=4 * 4 * pairs.batch_size * 64 * (model_cfg.tgt_vocab + 8 * width))
    model = build_seq2seq(model_cfg).to(dev)
    translator = Translator(model, src, tgt, data, tokenizer=bpe)

    def metrics(m: Any) -> dict:
        if not valid_pairs:
            return {}
        r = translator.evaluate(valid_pairs[:2000], bleu=not data.is_char, examples=0)
        return {"valid_accuracy": r["accuracy"], **({"valid_bleu": r["bleu"]} if "bleu" in r else {})}

    task = Seq2SeqTask(encode_pairs(translator.model_pairs(train_pairs), src, tgt),
                       encode_pairs(translator.model_pairs(valid_pairs), src, tgt),
                       batch_size=pairs.batch_size, seed=train_cfg.seed, metrics=metrics)
    train_cfg = replace(train_cfg, monitor="valid_loss" if valid_pairs else "loss", mode="min")
    extra = {"data": asdict(data), "split": {"valid": pairs.valid, "test": pairs.test, "seed": train_cfg.seed}}
    if bpe is not None:  # the checkpoint carries its tokenizer (validated when loaded)
        extra["tokenizer"] = bpe.to_json()
    res = fit(model, task, train_cfg, out=out, kind=KIND, model_config=model_cfg, vocab=vocabs_payload(src, tgt),
              extra=extra, resume=resume, restore_best=True, progress=progress)
    return Seq2SeqTrainResult(translator, res, sizes)


def evaluation_pairs(model_file: str | os.PathLike, pairs_file: str | os.PathLike, data: DataConfig,
                     split: str = "test") -> list:
    """The pairs of ``pairs_file`` in ``split`` of the training run that wrote ``model_file`` (or ``"all"``)."""
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    pairs = read_pairs(pairs_file, data)
    if split == "all":
        return pairs
    s = (load_checkpoint(model_file, kind=KIND).get("extra") or {}).get("split") or {}
    if not isinstance(s, dict):
        s = {}
    chosen = [pairs[i] for i in split_pairs(len(pairs), data, s.get("valid", 0.0), s.get("test", 0.1),
                                            s.get("seed", 0))[split]]
    if not chosen:
        raise ConfigError(f"{pairs_file}: the {split} split is empty for this model; choose another split "
                          f"(--split all scores every pair)")
    return chosen


def evaluate_seq2seq(model_file: str | os.PathLike, pairs_file: str | os.PathLike, *, split: str = "test",
                     format: str | None = None, beam: int = 1, max_len: int = 50, length_penalty: float = 1.0,
                     examples: int = 5, device: str = "cpu", progress: bool | None = None) -> dict:
    """Exact match, corpus BLEU (word-level models) and a per-length table of a checkpoint on ``split``.

    ``split`` defaults to the held-out test split the training run recorded; ``format`` overrides
    the pair format the model was trained on. Returns :meth:`Translator.evaluate`'s dict plus ``split``.
    """
    translator = Translator.load(model_file, get_device(device))
    if format and format != translator.data.format:
        translator.data = replace(translator.data, format=format)
    pairs = evaluation_pairs(model_file, pairs_file, translator.data, split)
    r = translator.evaluate(pairs, beam=beam, max_len=max_len, length_penalty=length_penalty,
                            bleu=not translator.data.is_char, examples=examples, progress=progress)
    return {**r, "split": split}
