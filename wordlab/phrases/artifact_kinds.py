"""Artifact kind of :mod:`wordlab.phrases`: the frozen phrase table (JSON, ``wordlab.phrases/1``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import register


def _sniff(path: Path, head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] == b"{" and b'"wordlab.phrases/' in text[:200]


def _load(path: Path, **kwargs: Any):
    from .table import PhraseTable

    return PhraseTable.load(path)


register(name="phrase-table", describe="a phrase table (wordlab phrases --save-table)", priority=30,
         sniff=_sniff, load=_load)
