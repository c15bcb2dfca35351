"""Argument groups and helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import json
import resource
import sys
from typing import Any

from wordlab.text import TOKENIZERS, Corpus, read_corpus


def add_corpus_args(p: argparse.ArgumentParser, nargs: str = "+") -> None:
    """CORPUS... positional plus --tokenizer / --eos / --encoding-errors."""
    p.add_argument("corpus", nargs=nargs, metavar="CORPUS",
                   help="text files or directories (plain, .gz, .bz2, .xz)")
    p.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace",
                   help="how to split text into tokens (default: whitespace)")
    p.add_argument("--eos", action="store_true", help="sentence per line: append <eos> to every line (PTB style)")
    p.add_argument("--encoding-errors", choices=("strict", "replace", "ignore"), default="strict",
                   help="what to do with bytes that are not UTF-8 (default: strict, stop with the byte offset)")


def add_device_args(p: argparse.ArgumentParser, default: str = "auto", threads: bool = True) -> None:
    """``--device`` (resolved by :func:`wordlab.tensor.device`) and, with ``threads``, ``--threads``."""
    p.add_argument("--device", default=default, help=f"auto, cpu, cuda or cuda:N (default: {default})")
    if threads:
        p.add_argument("--threads", "--workers", type=int, default=None,
                       help="CPU threads for torch (default: all cores)")


def corpus_from_args(args: argparse.Namespace) -> Corpus:
    """The :class:`Corpus` that :func:`add_corpus_args` describes."""
    return read_corpus(args.corpus, tokenizer=args.tokenizer, eos=args.eos, encoding_errors=args.encoding_errors)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 2**20


def print_json(obj: Any) -> None:
    """Pretty JSON on stdout."""
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_table(rows: list[list[Any]], headers: list[str]) -> None:
    """A plain aligned text table on stdout."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for j, r in enumerate(cells):
        print("  ".join(c.rjust(w) if j and _numeric(c) else c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(c: Any) -> str:
    if isinstance(c, float):
        return f"{c:.4f}" if abs(c) < 100 else f"{c:,.1f}"
    if isinstance(c, int):
        return f"{c:,}"
    return str(c)


def _numeric(s: str) -> bool:
    return s.replace(",", "").replace(".", "", 1).replace("-", "", 1).replace("%", "").isdigit()
