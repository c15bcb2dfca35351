"""Language-model architectures: config class → model class → training task, one table.

An ``lm`` checkpoint stores its model config; a config with ``"arch": "transformer"`` is a
:class:`~wordlab.lm.transformer.TransformerLMConfig`, one without ``arch`` (every RNN checkpoint,
old ones included) an :class:`~wordlab.lm.config.LMConfig`. Training, loading, evaluation and
generation go through this table, so ``lm eval`` / ``lm generate`` work on either unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checkpoint import config_from_dict
from ..errors import CheckpointError
from .config import LMConfig
from .model import RNNLanguageModel
from .transformer import TransformerLanguageModel, TransformerLMConfig

#: ``arch`` name → (config class, model class)
MODELS: dict[str, tuple[type, type]] = {
    "rnn": (LMConfig, RNNLanguageModel),
    "transformer": (TransformerLMConfig, TransformerLanguageModel),
}


def arch_of(cfg) -> str:
    """The architecture name of a model config instance."""
    for name, (config_cls, _) in MODELS.items():
        if isinstance(cfg, config_cls):
            return name
    raise TypeError(f"not a language-model config: {type(cfg).__name__}")


def build_language_model(cfg) -> nn.Module:
    """A fresh model for a config of any architecture."""
    return MODELS[arch_of(cfg)][1](cfg)


def lm_config_from_dict(d: dict, source: str = "checkpoint"):
    """The model config a checkpoint stores (``arch`` picks the class; none = ``rnn``)."""
    arch = d.get("arch", "rnn")
    if arch not in MODELS:
        raise CheckpointError(f"{source}: unknown language-model architecture {arch!r} "
                              f"(this wordlab knows {', '.join(MODELS)}); a newer wordlab wrote it?")
    return config_from_dict(MODELS[arch][0], d, source=source)


def _rnn_task(model, train, valid, *, batch_size, bptt, eval_batch_size, eval_limit, seed, device):
    from .train import LMTask

    return LMTask(train, valid, batch_size=batch_size, bptt=bptt, eval_batch_size=eval_batch_size,
                  eval_limit=eval_limit, lstm=model.is_lstm, device=device)


def _transformer_task(model, train, valid, *, batch_size, bptt, eval_batch_size, eval_limit, seed, device):
    from .transformer import TransformerLMTask

    return TransformerLMTask(train, valid, batch_size=batch_size, context=model.config.context,
                             eval_batch_size=eval_batch_size, eval_limit=eval_limit, seed=seed, device=device)


TASKS = {"rnn": _rnn_task, "transformer": _transformer_task}


def make_lm_task(model: nn.Module, train, valid, *, batch_size: int, bptt: int, eval_batch_size: int,
                 eval_limit: int | None, seed: int, device: torch.device):
    """The training :class:`~wordlab.training.Task` of ``model``'s architecture.

    RNN: BPTT windows of ``bptt`` with the state carried; Transformer: windows of its ``context``
    (``bptt`` is not used), nothing carried, validation by sliding windows.
    """
    return TASKS[arch_of(model.config)](model, train, valid, batch_size=batch_size, bptt=bptt,
                                        eval_batch_size=eval_batch_size, eval_limit=eval_limit, seed=seed,
                                        device=device)
