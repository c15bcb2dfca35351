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


# -- options after positionals --------------------------------------------------------------------------------
class IntermixedParser(argparse.ArgumentParser):
    """A verb's parser that takes options anywhere, also after positionals (``translate m.pt --beam 3 "x"``).

    Plain argparse stops filling a ``nargs="*"`` positional at the first option and then refuses the words
    after it; :meth:`argparse.ArgumentParser.parse_known_intermixed_args` parses the options first and
    the positionals from what is left. (Its own inner calls come back here and take the plain path.)
    """

    _inside = False

    def parse_known_args(self, args=None, namespace=None):  # noqa: D102
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def intermixable(parser: argparse.ArgumentParser) -> bool:
    """Whether argparse's intermixed parsing supports ``parser`` (no REMAINDER / sub-parser positionals, and no
    positional inside a mutually exclusive group)."""
    if any(a.nargs in (argparse.PARSER, argparse.REMAINDER) for a in parser._actions if not a.option_strings):
        return False
    return not any(not a.option_strings for g in parser._mutually_exclusive_groups for a in g._group_actions)


# -- outputs checked before any work --------------------------------------------------------------------------
#: argument names (dests) that name files a verb writes, and files or folders it reads
OUTPUT_DESTS = ("output", "save_model", "save_table", "vectors_out", "show_attention")
INPUT_DESTS = ("corpus", "train", "valid", "test", "pairs", "vectors", "model", "input", "table", "phrases",
               "config", "pos", "neg", "tsv", "text", "analogies", "eval")
#: suffixes of outputs that are binary (never written to standard output)
BINARY_SUFFIXES = (".bin", ".npz", ".pt", ".ftz", ".png", ".pdf", ".gz", ".bz2", ".xz")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, every output of the verb that would overwrite one of its inputs (a link to it
    included), that is a directory, or whose folder cannot be written (:func:`wordlab.atomic.check_output`).
    ``-`` (standard output) only where the verb writes text there: its parser sets ``text_outputs``, or
    ``text_format_of={dest: (format_option, text_formats)}`` when a format option makes the output text."""
    from wordlab.atomic import check_output

    inputs: list[str] = []
    for name in INPUT_DESTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            inputs.append(value)
        elif isinstance(value, (list, tuple)):
            inputs.extend(v for v in value if isinstance(v, str))
    text_outputs = getattr(args, "text_outputs", ())
    text_format_of = getattr(args, "text_format_of", {})  # output -> (format option, its text values)
    for name in OUTPUT_DESTS:
        value = getattr(args, name, None)
        if not isinstance(value, str) or not value:
            continue
        flag = getattr(args, "output_labels", {}).get(name) or (
            "-o" if name in ("output", "vectors_out") else "--" + name.replace("_", "-"))
        option, text_formats = text_format_of.get(name, (None, ()))
        text = name in text_outputs or (option is not None and getattr(args, option, None) in text_formats)
        binary = not text or value.lower().endswith(BINARY_SUFFIXES)
        check_output(value, inputs, binary=binary, what=flag)


def check_at_least(args: argparse.Namespace, **lows: int) -> None:
    """Hand-written integer options checked before any work: ``check_at_least(args, batch_size=1, top=0)``."""
    from wordlab.errors import ConfigError

    for name, low in lows.items():
        value = getattr(args, name, None)
        if value is not None and value < low:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= {low}, got {value}")
