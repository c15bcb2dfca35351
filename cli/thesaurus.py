"""``wordlab thesaurus``: the thesaurus method (DLfS-2 §2.2) — WordNet synonyms, similarity, word-pair scores.

Parse → one :mod:`wordlab.thesaurus` call → print. WordNet comes from ``--wordnet DIR``,
``$WORDLAB_WORDNET`` or ``/usr/share/wordnet`` (Debian's ``wordnet-base``).
"""

from __future__ import annotations

import argparse

from wordlab.errors import ConfigError

from .common import print_table


def _wordnet_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wordnet", metavar="DIR",
                   help="WordNet 3.0 folder (index.* and data.* files; default: $WORDLAB_WORDNET or /usr/share/wordnet)")


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("thesaurus", help="WordNet synonyms and similarity (the thesaurus method)",
                       description="The thesaurus method of DLfS-2 §2.2 with WordNet 3.0 through nltk.")
    ts = t.add_subparsers(dest="action", metavar="ACTION")
    ts.required = True
    p = ts.add_parser("synonyms", help="the synsets of a word: their lemmas and definitions")
    p.add_argument("word")
    p.add_argument("--pos", choices=("n", "v", "a", "r"), help="only this part of speech")
    _wordnet_arg(p)
    p.set_defaults(func=run_synonyms)
    p = ts.add_parser("similarity", help="WordNet similarity of two words (best over same-POS synset pairs)")
    p.add_argument("word1")
    p.add_argument("word2")
    p.add_argument("--measure", choices=("path", "wup", "lch"), default="path",
                   help="path: 1/(1+shortest is-a path); wup: Wu-Palmer; lch: Leacock-Chodorow (default: path)")
    _wordnet_arg(p)
    p.set_defaults(func=run_similarity)
    p = ts.add_parser("eval", help="Spearman of WordNet similarity against human scores of word-pair files")
    p.add_argument("pairs", nargs="+", metavar="PAIRS", help="word-pair files (word1 word2 score per line)")
    p.add_argument("--measure", choices=("path", "wup", "lch"), default="path", help="similarity (default: path)")
    _wordnet_arg(p)
    p.set_defaults(func=run_eval)


def run_synonyms(args: argparse.Namespace) -> int:
    from wordlab.thesaurus import load_wordnet, synonym_set, synonyms
    wn = load_wordnet(args.wordnet)
    found = synonyms(args.word, wn, pos=args.pos)
    if not found:
        raise ConfigError(f"{args.word!r} is not in WordNet")
    print(f"{args.word}: " + ", ".join(synonym_set(args.word, wn)[:20]))
    for name, definition, lemmas in found:
        print(f"  {name:24s} {', '.join(lemmas)} — {definition}")
    return 0


def run_similarity(args: argparse.Namespace) -> int:
    from wordlab.thesaurus import load_wordnet, similarity
    wn = load_wordnet(args.wordnet)
    s = similarity(args.word1, args.word2, args.measure, wn)
    if s is None:
        raise ConfigError(f"{args.word1!r} and {args.word2!r} share no part of speech in WordNet "
                          f"(or one is missing){' for lch (nouns and verbs only)' if args.measure == 'lch' else ''}")
    print(f"{args.measure}({args.word1}, {args.word2}) = {s:.4f}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from wordlab.evaluation.word_pairs import read_word_pairs
    from wordlab.thesaurus import load_wordnet, score_pairs
    wn = load_wordnet(args.wordnet)
    rows = []
    for path in args.pairs:
        r = score_pairs(read_word_pairs(path, case_insensitive=False), args.measure, wn)
        rows.append([path, f"{r['spearman']:.4f}", f"{r['covered']}/{r['total']}", f"{100 * r['coverage']:.1f}%"])
    print_table(rows, ["pairs", f"spearman ({args.measure})", "covered", "coverage"])
    return 0
