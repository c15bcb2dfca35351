"""The step protocol: what a model gives so that sampling, greedy and beam search work on it.

Decoding is written once (:mod:`.sampling`, :mod:`.search`) against three methods, so an RNN's
hidden state and a Transformer's KV cache are both just an opaque ``state``:

.. code-block:: python

    logits, state = model.step(tokens, state)   # tokens (B, T) LongTensor → logits (B, V) of the LAST position
    state = model.reorder_state(state, index)    # index (B',) LongTensor: row i of the result = row index[i]
    state = model.start(src, lengths)            # seq2seq only: encode once; memory + mask live in the state

``step``
    Feeds ``T`` new tokens per row and returns the next-token logits after the last one. A language
    model starts from ``state=None``; ``T > 1`` on the first call reads a whole prompt at once
    (prefill), later calls usually feed one token. A translator starts from ``start(src, lengths)``.
    The search never looks inside ``state``, never mutates it, and feeds the returned one back.
``reorder_state``
    Gathers batch rows: beam search calls it once with ``arange(B).repeat_interleave(K)`` to give
    each sentence ``K`` rows, then after every step with the rows the surviving beams extend (always
    rows of the same sentence's group, so per-sentence constants such as encoder memory may be kept
    once per sentence, as :class:`wordlab.seq2seq.Seq2Seq` does). Any index must work (e.g. dropping
    finished sentences); ``None`` stays ``None``.
``start`` (:class:`Seq2SeqStepModel`)
    Encodes a padded source batch ``src`` (B, S) with real lengths ``lengths`` (B,) and returns the
    decoder's initial state. Such a model also names its special ids: ``bos_id`` (the first decoder
    input), ``eos_id`` (ends a hypothesis) and ``pad_id`` (fed after the end).

Attention for heat-maps (optional)
    A model whose step attends over a source may define ``step_attention(state) -> Tensor | None``:
    the weights the step that produced ``state`` used, shaped ``(B, S)`` or ``(B, …, S)`` (e.g.
    ``(B, layers, heads, S)`` for a Transformer's cross-attention; callers pick a layer/head). The
    state carries them (``Seq2Seq`` keeps the last step's weights in its state); the searches call
    :func:`step_attention` right after each step, before any reordering, and return one row per
    produced token. Models without it (language models) simply do not define the method.

Logits may be any float dtype; the searches work in float32 log-probabilities.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

State = Any  # opaque to decoding: an RNN state, a KV cache, a NamedTuple of both, or None


@runtime_checkable
class StepModel(Protocol):
    """A model decoding can drive one step at a time (language model or decoder)."""

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """Feed ``tokens`` (B, T); return next-token logits (B, V) after the last one, and the new state."""
        ...

    def reorder_state(self, state: State, index: torch.Tensor) -> State:
        """Rows ``index`` (B',) of ``state`` (``None`` stays ``None``)."""
        ...


@runtime_checkable
class Seq2SeqStepModel(StepModel, Protocol):
    """A translator: :class:`StepModel` plus an encoder entry point and its special target ids."""

    bos_id: int
    eos_id: int
    pad_id: int

    def start(self, src: torch.Tensor, lengths: torch.Tensor) -> State:
        """Encode ``src`` (B, S) with real lengths ``lengths`` (B,): the decoder's initial state."""
        ...


def step_attention(model: Any, state: State) -> torch.Tensor | None:
    """The attention weights ``(B, [...,] S)`` of the step that produced ``state``, or ``None``.

    ``None`` when the model does not define ``step_attention`` (see the module docstring).
    """
    fn = getattr(model, "step_attention", None)
    return None if fn is None else fn(state)


def model_device(model: Any) -> torch.device:
    """The device of the model's first parameter (CPU for a parameter-free model)."""
    params = getattr(model, "parameters", None)
    if params is not None:
        for p in params():
            return p.device
    return torch.device("cpu")
