"""Translation metrics: exact-match accuracy, corpus BLEU (nltk), per-length breakdown."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from ..errors import ConfigError

Tokens = Sequence[str]


def exact_match(hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> float:
    """Fraction of hypotheses identical to their reference (DLfS-2's accuracy for dates / addition)."""
    _check(hypotheses, references)
    if not hypotheses:
        return 0.0
    return sum(list(h) == list(r) for h, r in zip(hypotheses, references)) / len(hypotheses)


def corpus_bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens] | Sequence[Sequence[Tokens]],
                smoothing: int = 1, max_n: int = 4) -> float:
    """Corpus BLEU in [0, 1] (Papineni et al. 2002) via ``nltk.translate.bleu_score.corpus_bleu``.

    ``references`` holds one reference per hypothesis (a token list) or several (a list of token
    lists). ``smoothing`` picks ``SmoothingFunction().method<k>`` (Chen & Cherry 2014; 0 = none);
    n-gram weights are uniform up to ``max_n``.

    Note nltk's counting: a hypothesis shorter than ``n`` tokens adds one to the n-gram
    denominator (``max(1, count)`` in ``modified_precision``), so a corpus scores exactly 1
    against itself only when every sentence has at least ``max_n`` tokens; short-sentence
    corpora (the tutorial's "i m ok") score somewhat lower than with multi-bleu/sacrebleu.
    Compare systems with the same function.
    """
    from nltk.translate.bleu_score import SmoothingFunction
    from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu

    _check(hypotheses, references)
    if not hypotheses:
        return 0.0
    refs = [[list(r) for r in ref] if ref and not isinstance(ref[0], str) else [list(ref)] for ref in references]
    fn = getattr(SmoothingFunction(), f"method{smoothing}", None) if smoothing else None
    if smoothing and fn is None:
        raise ConfigError(f"nltk has no BLEU smoothing method{smoothing}; use 0–7")
    weights = tuple(1.0 / max_n for _ in range(max_n))
    return float(nltk_corpus_bleu(refs, [list(h) for h in hypotheses], weights=weights, smoothing_function=fn))


def per_length(hypotheses: Sequence[Tokens], references: Sequence[Tokens], sources: Sequence[Tokens],
               buckets: Sequence[int] = (5, 10, 20, 40), bleu: bool = True) -> list[dict]:
    """Accuracy (and BLEU) by source length: rows ``{"lengths": "1-5", "n": …, "accuracy": …, "bleu": …}``."""
    _check(hypotheses, references)
    edges = sorted(buckets)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sources):
        k = next((j for j, e in enumerate(edges) if len(s) <= e), len(edges))
        groups[k].append(i)
    rows = []
    for k in sorted(groups):
        lo = 1 if k == 0 else edges[k - 1] + 1
        label = f"{lo}-{edges[k]}" if k < len(edges) else f"{lo}+"
        idx = groups[k]
        h = [hypotheses[i] for i in idx]
        r = [references[i] for i in idx]
        row = {"lengths": label, "n": len(idx), "accuracy": exact_match(h, r)}
        if bleu:
            row["bleu"] = corpus_bleu(h, r)
        rows.append(row)
    return rows


def _check(hypotheses, references) -> None:
    if len(hypotheses) != len(references):
        raise ConfigError(f"{len(hypotheses)} hypotheses but {len(references)} references")
