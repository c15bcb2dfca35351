"""Stop strings over streamed text: end the output before the first occurrence of any of them.

Tokens become text piece by piece (a word and its space, a subword, a line break), and a stop
string may span several pieces. :func:`cut_at_stops` therefore holds back only the tail of the
text that could still be the start of a stop string, and releases everything before it at once:
the output streams with at most ``max(len(stop)) - 1`` characters of delay, and never shows any
part of a stop string that ends up matching. Closing the generator closes the source generator,
so the model stops computing as soon as a stop string appears.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence


def _held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of some stop string."""
    best = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), best, -1):
            if text.endswith(s[:k]):
                best = k
                break
    return best


def cut_at_stops(pieces: Iterable[str], stops: Sequence[str]) -> Iterator[str]:
    """Yield the text of ``pieces`` up to (not including) the first stop string, as it becomes safe.

    With no ``stops`` the pieces pass through unchanged. The source is closed when a stop matches.
    """
    stops = [s for s in stops if s]
    if not stops:
        yield from pieces
        return
    it = iter(pieces)
    pending = ""
    try:
        for piece in it:
            pending += piece
            hits = [i for i in (pending.find(s) for s in stops) if i >= 0]
            if hits:
                if min(hits):
                    yield pending[:min(hits)]
                return
            keep = _held_back(pending, stops)
            if len(pending) > keep:
                yield pending[:len(pending) - keep]
                pending = pending[len(pending) - keep:]
        if pending:
            yield pending
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
