"""``wordlab similar | analogy | eval | convert | query``: query, evaluate and convert word vectors."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from wordlab.errors import ConfigError, DataError
from wordlab.evaluation import METHODS, evaluate_word_analogies, evaluate_word_pairs
from wordlab.vectors import KeyedVectors
from wordlab.vectors.formats import format_from_path

from .common import print_json, print_table

QUERY_HELP = """commands (one per line):
  king - man + woman            vector arithmetic: closest words to king - man + woman
  similar paris [N]             the N (default 10) closest words to paris
  analogy man king woman        man is to king as woman is to ? (3CosAdd)
  cosmul man king woman         the same with 3CosMul
  similarity cat dog            cosine similarity of two words
  doesnt_match breakfast cereal dinner lunch   the word that does not fit
  help                          this text
  quit                          leave (also: exit, Ctrl-D)"""


def _add_vectors_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("vectors", metavar="VECTORS",
                   help="word vectors: word2vec binary or text, GloVe-style text without header, wordlab .npz "
                        "or a word2vec model file (found from the content, whatever the suffix)")
    p.add_argument("--format", choices=VECTOR_FORMATS, default=None,
                   help="file format, to override what the content says (default: from the content)")
    p.add_argument("--limit", type=int, default=None, help="load only the first N vectors")
    _add_nonfinite_arg(p)


VECTOR_FORMATS = ("bin", "text", "glove", "npz")


def _add_nonfinite_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-nonfinite", action="store_true",
                   help="load vectors holding NaN or infinite values (refused by default)")


def load_vectors(path: str, format: str | None = None, limit: int | None = None, progress: bool | None = None,
                 allow_nonfinite: bool = False) -> KeyedVectors:
    """Any vector file, or the vectors of a model file (word2vec, fastText, GloVe ...): :func:`artifacts.load_vectors`."""
    from wordlab import artifacts

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be positive, got {limit}")
    return artifacts.load_vectors(path, format=format, limit=limit, progress=progress, allow_nonfinite=allow_nonfinite)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("similar", help="words closest to the given words (cosine)",
                       description="Print the words closest by cosine to the mean of the given words.")
    _add_vectors_arg(p)
    p.add_argument("words", nargs="+", metavar="WORD", help="positive words")
    p.add_argument("--negative", nargs="+", default=[], metavar="W", help="words to subtract")
    p.add_argument("--topn", type=int, default=10, help="how many words to print (default: 10)")
    p.add_argument("--restrict", type=int, default=None, help="search only the first N (most frequent) words")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_similar)

    p = sub.add_parser("analogy", help="A is to B as C is to ?",
                       description="Solve the analogy A : B :: C : ? (3CosAdd: closest to B - A + C).")
    _add_vectors_arg(p)
    p.add_argument("a", metavar="A", help="first word of the known pair (e.g. man)")
    p.add_argument("b", metavar="B", help="second word of the known pair (e.g. king)")
    p.add_argument("c", metavar="C", help="first word of the question pair (e.g. woman)")
    p.add_argument("--method", choices=METHODS, default="3cosadd", help="3cosadd (default) or 3cosmul")
    p.add_argument("--topn", type=int, default=5, help="how many answers to print (default: 5)")
    p.add_argument("--restrict", type=int, default=None, help="search only the first N (most frequent) words")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_analogy)

    p = sub.add_parser("eval", help="analogy accuracy and word-pair correlations",
                       description="Evaluate word vectors on an analogy file and/or word-pair similarity files.")
    _add_vectors_arg(p)
    p.add_argument("--analogies", metavar="FILE", help="Google-style analogy file (': section' headers)")
    p.add_argument("--pairs", nargs="+", default=[], metavar="FILE",
                   help="word-pair files (word1 word2 score; tab or space separated, '#' comments)")
    p.add_argument("--restrict", type=int, default=300000,
                   help="use only the first N words as vocabulary and answers (default: 300000, as gensim)")
    p.add_argument("--method", choices=METHODS, default="3cosadd", help="analogy method (default: 3cosadd)")
    p.add_argument("--case-sensitive", action="store_true", help="do not upper-case words before lookup")
    p.add_argument("--oov", action="store_true", help="word pairs: score out-of-vocabulary words with the vectors a "
                   "subword model (fastText) gives them instead of skipping the pair")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=run_eval)

    p = sub.add_parser("convert", help="convert word vectors between .bin, .txt and .npz",
                       description="Read word vectors in one format and write them in another (atomically).")
    p.add_argument("input", metavar="IN", help="input vectors (.bin, .txt, .vec, .npz)")
    p.add_argument("output", metavar="OUT", help="output file")
    p.add_argument("--to", choices=("text", "bin", "npz"), default=None,
                   help="output format (default: from OUT's suffix)")
    p.add_argument("--format", choices=VECTOR_FORMATS, default=None,
                   help="input format, to override what the content says")
    p.add_argument("--limit", type=int, default=None, help="keep only the first N vectors")
    _add_nonfinite_arg(p)
    p.set_defaults(func=run_convert, text_format_of={"output": ("to", ("text",))}, output_labels={"output": "OUT"})

    p = sub.add_parser("query", help="interactive prompt: king - man + woman, similar, doesnt_match",
                       description="Load vectors once and answer queries read line by line from stdin.\n\n"
                                   + QUERY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_vectors_arg(p)
    p.add_argument("--topn", type=int, default=10, help="how many words to print per answer (default: 10)")
    p.set_defaults(func=run_query)


def _load(args: argparse.Namespace) -> KeyedVectors:
    return load_vectors(args.vectors, format=args.format, limit=args.limit, progress=args.progress,
                        allow_nonfinite=args.allow_nonfinite)


def _check_topn(topn: int) -> None:
    if topn < 1:
        raise ConfigError(f"--topn must be at least 1, got {topn}")


def _print_neighbours(result: list[tuple[str, float]], as_json: bool, query: dict) -> None:
    if as_json:
        print_json({**query, "results": [{"word": w, "similarity": round(s, 6)} for w, s in result]})
    else:
        print_table([[i + 1, w, round(s, 4)] for i, (w, s) in enumerate(result)], ["rank", "word", "similarity"])


def run_similar(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    kv = _load(args)
    result = kv.most_similar(positive=args.words, negative=args.negative, topn=args.topn,
                             restrict_vocab=args.restrict)
    _print_neighbours(result, args.json, {"positive": args.words, "negative": args.negative})
    return 0


def run_analogy(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    kv = _load(args)
    solve = kv.most_similar if args.method == "3cosadd" else kv.most_similar_cosmul
    result = solve(positive=[args.b, args.c], negative=[args.a], topn=args.topn, restrict_vocab=args.restrict)
    if not args.json:
        print(f"{args.a} : {args.b} :: {args.c} : {result[0][0] if result else '?'}   ({args.method})")
    _print_neighbours(result, args.json, {"a": args.a, "b": args.b, "c": args.c, "method": args.method})
    return 0


def run_eval(args: argparse.Namespace) -> int:
    if not args.analogies and not args.pairs:
        raise ConfigError("nothing to evaluate: give --analogies FILE and/or --pairs FILE...")
    if args.restrict is not None and args.restrict < 1:
        raise ConfigError(f"--restrict must be positive, got {args.restrict}")
    kv = _load(args)
    report: dict = {"vectors": args.vectors, "keys": len(kv), "vector_size": kv.vector_size,
                    "restrict_vocab": args.restrict}
    ci = not args.case_sensitive
    if args.analogies:
        t0 = time.perf_counter()
        score, sections = evaluate_word_analogies(kv, args.analogies, restrict_vocab=args.restrict,
                                                  case_insensitive=ci, method=args.method, progress=args.progress)
        report["analogies"] = {
            "file": args.analogies, "method": args.method, "accuracy": score,
            "seconds": round(time.perf_counter() - t0, 3),
            "sections": [{"section": s["section"], "correct": len(s["correct"]),
                          "total": len(s["correct"]) + len(s["incorrect"]), "accuracy": s["accuracy"],
                          "skipped": s["skipped"]} for s in sections],
        }
    if args.pairs:
        report["pairs"] = []
        for path in args.pairs:
            pearson, spearman, oov = evaluate_word_pairs(kv, path, restrict_vocab=args.restrict, case_insensitive=ci,
                                                         oov=args.oov)
            report["pairs"].append({"file": path, "pearson": float(pearson[0]), "spearman": float(spearman[0]),
                                    "spearman_p": float(spearman[1]), "oov_percent": oov})
    if args.json:
        print_json(report)
        return 0
    if "analogies" in report:
        a = report["analogies"]
        print(f"analogies: {a['file']} ({a['method']}, restrict_vocab={args.restrict}, {a['seconds']:.2f} s)")
        print_table([[s["section"], s["correct"], s["total"], f"{100 * s['accuracy']:.2f}%", s["skipped"]]
                     for s in a["sections"]], ["section", "correct", "total", "accuracy", "skipped"])
    if "pairs" in report:
        if "analogies" in report:
            print()
        print_table([[p["file"], round(p["pearson"], 4), round(p["spearman"], 4), f"{p['oov_percent']:.1f}%"]
                     for p in report["pairs"]], ["pairs", "pearson", "spearman", "oov"])
    return 0


def run_convert(args: argparse.Namespace) -> int:
    kv = load_vectors(args.input, format=args.format, limit=args.limit, progress=args.progress,
                      allow_nonfinite=args.allow_nonfinite)
    if str(args.output) == "-" and args.to != "text":
        raise DataError("OUT '-' (standard output) takes text vectors only; add --to text")
    if str(args.output) != "-" and not format_from_path(args.output, args.to):
        raise DataError(f"{args.output}: cannot tell the format from the suffix; name it .bin, .txt/.vec or .npz, "
                        "or pass --to")
    kv.save(args.output, format=args.to, progress=args.progress)
    print(f"wrote {args.output}: {len(kv):,} vectors of {kv.vector_size}", file=sys.stderr)
    return 0


def run_query(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    kv = _load(args)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{len(kv):,} vectors of {kv.vector_size} loaded; type 'help' for commands", file=sys.stderr)
    session = QuerySession(kv, topn=args.topn, out=sys.stdout)
    edit = interactive and sys.stdout.isatty() and _readline()  # line editing and history (stdlib readline)
    while True:
        try:
            if edit:
                try:
                    line = input("> ") + "\n"
                except EOFError:  # Ctrl-D
                    print(file=sys.stderr)
                    break
            else:
                if interactive:
                    print("> ", end="", file=sys.stderr, flush=True)
                line = sys.stdin.readline()
        except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line; elsewhere it stops the run
            if not interactive:
                raise
            print("^C", file=sys.stderr)
            continue
        if not line or not session.handle(line):
            break
    return 0


def _readline() -> bool:
    """Load stdlib ``readline`` (line editing, history within the session); False where it is missing."""
    try:
        import readline  # noqa: F401 -- importing it makes input() edit lines
    except ImportError:
        return False
    return True


class QuerySession:
    """Parses and answers one query line at a time (the ``wordlab query`` prompt)."""

    def __init__(self, kv: KeyedVectors, topn: int = 10, out: TextIO = sys.stdout) -> None:
        self.kv, self.topn, self.out = kv, topn, out

    def handle(self, line: str) -> bool:
        """Answer ``line``; False means quit. Errors are printed as one line and the session goes on."""
        words = line.split()
        if not words:
            return True
        cmd = words[0].lower()
        if cmd in ("quit", "exit", "q"):
            return False
        try:
            if cmd in ("help", "?"):
                print(QUERY_HELP, file=self.out)
            elif cmd == "similar":
                n = int(words.pop()) if len(words) > 2 and words[-1].isdigit() else self.topn
                if len(words) < 2:
                    raise ValueError("'similar' needs a word, e.g. 'similar paris'")
                self._show(self.kv.most_similar(positive=words[1:], topn=max(1, n)))
            elif cmd in ("analogy", "cosmul") and len(words) == 4:
                solve = self.kv.most_similar if cmd == "analogy" else self.kv.most_similar_cosmul
                self._show(solve(positive=[words[2], words[3]], negative=[words[1]], topn=self.topn))
            elif cmd == "similarity" and len(words) == 3:
                print(f"{self.kv.similarity(words[1], words[2]):.4f}", file=self.out)
            elif cmd == "doesnt_match" and len(words) >= 3:
                print(self.kv.doesnt_match(words[1:]), file=self.out)
            elif cmd in ("analogy", "cosmul", "similarity", "doesnt_match"):
                print(f"error: wrong number of words for {cmd!r}; type 'help'", file=self.out)
            else:
                positive, negative = self._parse_expression(words)
                self._show(self.kv.most_similar(positive=positive, negative=negative, topn=self.topn))
        except KeyError as e:
            print(f"error: {e.args[0] if e.args else e}", file=self.out)
        except ValueError as e:
            print(f"error: {e}", file=self.out)
        self.out.flush()
        return True

    @staticmethod
    def _parse_expression(words: list[str]) -> tuple[list[str], list[str]]:
        positive, negative, sign = [], [], 1
        if words[-1] in ("+", "-"):
            raise ValueError(f"'{' '.join(words)}' ends with '{words[-1]}'; add the word it applies to")
        for i, w in enumerate(words):
            if w in ("+", "-"):
                if i and words[i - 1] in ("+", "-"):
                    raise ValueError(f"two operators in a row ('{words[i - 1]} {w}'); put a word between them")
                sign = 1 if w == "+" else -1
                continue
            if len(w) > 1 and w[0] in "+-":  # "-man" / "+woman" written without a space
                sign, w = (1 if w[0] == "+" else -1), w[1:]
            (positive if sign > 0 else negative).append(w)
            sign = 1
        if not positive:
            raise ValueError("an expression needs at least one word with a + sign")
        return positive, negative

    def _show(self, result: list[tuple[str, float]]) -> None:
        for w, s in result:
            print(f"{s:8.4f}  {w}", file=self.out)
