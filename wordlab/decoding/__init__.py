"""Decoding written once for every neural generator: sampling, greedy search, beam search.

A model implements the step protocol (:mod:`.protocol`): ``step(tokens, state) -> (logits, state)``,
``reorder_state(state, index)``, and for a translator ``start(src, lengths)`` plus ``bos_id`` /
``eos_id`` / ``pad_id``; optionally ``step_attention(state)`` for attention heat-maps.

* :mod:`.sampling` — :class:`SamplingConfig`, :func:`stream` (a generator of token ids: temperature,
  top-k, top-p, banned ids, repetition penalty, stop tokens), :func:`sample` (the same as a list);
* :mod:`.search` — :func:`greedy_search`, :func:`beam_search` (batched over sentences × beams, length
  penalty, max length), :func:`search` (either), :func:`translate_batch` (start + search);
* :mod:`.stopping` — :func:`cut_at_stops`: stop strings over streamed text.
"""

from .protocol import Seq2SeqStepModel, State, StepModel, step_attention
from .sampling import (SamplingConfig, draw, filter_logits, next_token_distribution, sample, stream,
                       top_p_mask)
from .search import Hypothesis, beam_search, greedy_search, search, translate_batch
from .stopping import cut_at_stops

__all__ = [
    "StepModel", "Seq2SeqStepModel", "State", "step_attention",
    "SamplingConfig", "stream", "sample", "filter_logits", "next_token_distribution", "top_p_mask", "draw",
    "Hypothesis", "greedy_search", "beam_search", "search", "translate_batch", "cut_at_stops",
]
