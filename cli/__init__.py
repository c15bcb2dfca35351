"""``wordlab`` command line: one root parser, one module per verb group.

Each module in :data:`COMMANDS` has ``register(subparsers)`` that adds its parser(s)
and sets ``func(args) -> int``; each module in :data:`TRAIN_COMMANDS` registers under
``wordlab train`` (with ``register_train(subparsers)`` if it has one, else ``register``).
A new verb is one line in :data:`VERBS` (and :data:`COMMANDS` for a new module); a new trainer
one line in :data:`TRAIN_COMMANDS`. ``-q`` / ``-v`` work before or after the verb. Exit status: 0 success, 1 bad data or options (one-line message on
stderr, no traceback), 2 usage errors (argparse), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import traceback
from typing import Sequence

from wordlab import __version__
from wordlab.errors import WordlabError

from .common import IntermixedParser, check_outputs, intermixable
from .configargs import DefaultsHelpFormatter, case_insensitive_choices

# verb-group modules of this package (cli/<name>.py), each with register(subparsers)
COMMANDS = ["vocab", "vectors", "train", "lm", "seq2seq", "classify", "phrases", "thesaurus", "retrofit", "tune", "serve"]
# trainers under `wordlab train`: method -> module of this package
TRAIN_COMMANDS: dict[str, str] = {"word2vec": "train_word2vec", "ppmi": "train_ppmi", "fasttext": "train_fasttext",
                                  "glove": "train_glove"}
# which module registers each verb: a run imports only the module of its verb (torch is slow to import)
VERBS = {
    "vocab": "vocab", "similar": "vectors", "analogy": "vectors", "eval": "vectors", "convert": "vectors",
    "query": "vectors", "train": "train", "lm": "lm", "seq2seq": "seq2seq", "translate": "seq2seq",
    "classify": "classify",
    "phrases": "phrases", "thesaurus": "thesaurus", "retrofit": "retrofit",
    "tune": "tune", "serve": "serve",
}


def _register_train(sub: argparse._SubParsersAction, only: str | None = None) -> None:
    train = sub.add_parser("train", help="train word vectors from a corpus (word2vec, ppmi)",
                           description="Train word vectors from a corpus.")
    train_sub = train.add_subparsers(dest="method", metavar="METHOD")
    train_sub.required = True
    for name, module_name in TRAIN_COMMANDS.items():
        if only is None or only == name:
            module = importlib.import_module(f"{__name__}.{module_name}")
            (getattr(module, "register_train", None) or module.register)(train_sub)


def _global_options(parser: argparse.ArgumentParser, root: bool) -> None:
    """-v / -q on ``parser``; below the root they default to SUPPRESS so they do not undo the root's."""
    default = {} if root else {"default": argparse.SUPPRESS}
    parser.add_argument("-v", "--verbose", action="count", help="more log output (-vv for debug)",
                        **({"default": 0} if root else default))
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only",
                        **({"default": False} if root else default))
    parser.add_argument("--force", action="store_true", help="run even over the size caps and the memory estimate",
                        **({"default": False} if root else default))
    parser.add_argument("--progress", action="store_true", help="progress bars even when stderr is not a terminal",
                        **({"default": False} if root else default))


def _finish(parser: argparse.ArgumentParser, root: bool = True) -> None:
    """Every parser shows its defaults in --help and takes -v / -q, however deep."""
    parser.formatter_class = DefaultsHelpFormatter
    case_insensitive_choices(parser)
    if not root:
        _global_options(parser, root=False)
    leaf = True
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            leaf = False
            for child in dict.fromkeys(action.choices.values()):
                _finish(child, root=False)
    if leaf and not root and intermixable(parser):
        parser.__class__ = IntermixedParser  # options may follow positionals: `translate m.pt --beam 3 "x"`


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The root parser; with ``argv`` naming a verb, only that verb's module is imported."""
    parser = argparse.ArgumentParser(
        prog="wordlab",
        description="Word vectors (PPMI-SVD, word2vec), their evaluation, language models and translation.",
    )
    parser.add_argument("--version", action="version", version=f"wordlab {__version__}")
    _global_options(parser, root=True)
    parser.add_argument("--nproc", type=int, metavar="N", help="run the verb in N local processes (torch.distributed "
                        "with torchrun's agent; anywhere on the command line; see README 'Several processes')")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    words = [a for a in (argv or []) if not a.startswith("-")]
    verb = words[0] if words and words[0] in VERBS else None
    modules = [VERBS[verb]] if verb else ([] if "--version" in (argv or []) else COMMANDS)
    for name in modules:
        if name == "train":
            method = words[1] if verb == "train" and len(words) > 1 and words[1] in TRAIN_COMMANDS else None
            _register_train(sub, method)
        else:
            importlib.import_module(f"{__name__}.{name}").register(sub)
    _finish(parser)
    return parser


def _split_nproc(argv: list[str]) -> tuple[int | None, list[str]]:
    """``--nproc N`` / ``--nproc=N`` taken out of ``argv`` (anywhere): (N or None, the rest)."""
    for i, a in enumerate(argv):
        if a == "--nproc" or a.startswith("--nproc="):
            value, rest = (a.split("=", 1)[1], argv[:i] + argv[i + 1:]) if "=" in a else \
                (argv[i + 1] if i + 1 < len(argv) else "", argv[:i] + argv[i + 2:])
            if not value.isdigit() or int(value) < 1:
                return -1, rest  # refused with one line by distributed.launch
            return int(value), rest
    return None, argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    nproc, argv = _split_nproc(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version (0) and usage errors (2) return instead of exiting
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # bars only when stderr is a terminal (or with --progress), never with -q
    args.progress = False if args.quiet else (True if args.progress else None)
    from wordlab.limits import allow_over_limits
    with allow_over_limits(args.force), _logging_beside_bars():
        return _run(args, argv, nproc)


def _logging_beside_bars():
    """Log lines go through tqdm.write while a bar is shown, so they never land on the bar's line."""
    from tqdm.contrib.logging import logging_redirect_tqdm

    return logging_redirect_tqdm()


def _run(args: argparse.Namespace, argv: list[str], nproc: int | None) -> int:
    """Check the outputs, run the verb, turn every failure into one line and an exit status."""
    try:
        return _run_verb(args, argv, nproc)
    except WordlabError as e:
        print(f"wordlab: error: {e}", file=sys.stderr)
        return 1
    except KeyError as e:  # e.g. an out-of-vocabulary query word
        msg = e.args[0] if e.args else str(e)
        print(f"wordlab: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wordlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `wordlab ... | head`
        with contextlib.suppress(OSError):  # no second "Broken pipe" when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print("wordlab: error: out of memory; make the job smaller (--dim, --hidden, --batch-size, --max-vocab)",
              file=sys.stderr)
        return 1
    except Exception as e:  # a bug, or a case not yet turned into a WordlabError at its source
        if args.verbose:
            traceback.print_exc()
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
        print(f"wordlab: error: {type(e).__name__}{': ' + first if first else ''}"
              + " (unexpected; run with -v for details)", file=sys.stderr)
        return 1


def _run_verb(args: argparse.Namespace, argv: list[str], nproc: int | None) -> int:
    try:
        check_outputs(args)  # before any work: an output that would destroy an input or cannot be written
        if nproc is not None or os.environ.get("WORLD_SIZE", "1") not in ("", "1"):
            from wordlab import distributed  # imports torch: only for multi-process runs
            if nproc is not None and nproc != 1 and distributed.env_world_size() == 1:
                return distributed.launch(argv, nproc)
            distributed.init_from_env()
            if not distributed.is_main():  # results are printed once, by rank 0
                sys.stdout = open(os.devnull, "w")
            with distributed.translate_errors():
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except BaseException:
        _close_bars()  # an error line never lands on a progress bar's line
        raise


def _close_bars() -> None:
    """Close the progress bars a failing verb left open (their line is cleared)."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ()) or ()):
        with contextlib.suppress(Exception):
            bar.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
