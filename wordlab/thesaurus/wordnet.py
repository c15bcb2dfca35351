"""WordNet 3.0 through nltk's ``WordNetCorpusReader``, from a folder prepared once in the cache.

nltk's downloader cannot be used here, so the data is Debian/Ubuntu's ``wordnet-base`` package
(``/usr/share/wordnet``). Two things stop nltk from reading that folder as it is (measured with
nltk 3.10): its path sandbox refuses a folder outside ``nltk.data.path`` (and a symbolic link whose
target leaves the folder), and the package lacks ``lexnames``, the list of WordNet's 45
lexicographer files the reader opens first. nltk's sandbox also refuses symbolic links and hard
links (``st_nlink > 1``), so :func:`prepare_wordnet` makes ``<cache>/nltk_data/corpora/wordnet-<id>/``
with *copies* of the package's files (28 MB, once; redone when a source file's size changes) plus
``lexnames`` (fixed by WordNet 3.0's ``lexnames(5WN)``), and puts the cache folder on ``nltk.data.path``. Where to look: ``wordnet=`` argument / ``--wordnet DIR``, then
``$WORDLAB_WORDNET``, then ``/usr/share/wordnet``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import warnings
from pathlib import Path

from ..errors import DataError

log = logging.getLogger(__name__)

DEFAULT_WORDNET = "/usr/share/wordnet"
HOW_TO_GET = ("install WordNet 3.0 (Debian/Ubuntu: apt-get install wordnet-base) or point --wordnet / "
              "WORDLAB_WORDNET at a folder holding its index.* and data.* files")
# WordNet 3.0 lexnames(5WN): number, lexicographer file, syntactic category (1 noun, 2 verb, 3 adj, 4 adv)
LEXNAMES = """adj.all 3
adj.pert 3
adv.all 4
noun.Tops 1
noun.act 1
noun.animal 1
noun.artifact 1
noun.attribute 1
noun.body 1
noun.cognition 1
noun.communication 1
noun.event 1
noun.feeling 1
noun.food 1
noun.group 1
noun.location 1
noun.motive 1
noun.object 1
noun.person 1
noun.phenomenon 1
noun.plant 1
noun.possession 1
noun.process 1
noun.quantity 1
noun.relation 1
noun.shape 1
noun.state 1
noun.substance 1
noun.time 1
verb.body 2
verb.change 2
verb.cognition 2
verb.communication 2
verb.competition 2
verb.consumption 2
verb.contact 2
verb.creation 2
verb.emotion 2
verb.motion 2
verb.perception 2
verb.possession 2
verb.social 2
verb.stative 2
verb.weather 2
adj.ppl 3
""".splitlines()
REQUIRED = tuple(f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv"))
OPTIONAL = ("noun.exc", "verb.exc", "adj.exc", "adv.exc", "cntlist.rev", "index.sense")

_lock = threading.Lock()
_readers: dict[str, object] = {}


def lexnames_text() -> str:
    """The ``lexnames`` file: ``NN<TAB>name<TAB>category`` for WordNet 3.0's 45 lexicographer files."""
    return "".join(f"{i:02d}\t{name}\t{cat}\n" for i, (name, cat) in
                   enumerate(line.split() for line in LEXNAMES))


def find_wordnet(wordnet: str | os.PathLike | None = None) -> Path:
    """The WordNet folder to use (argument, ``$WORDLAB_WORDNET``, ``/usr/share/wordnet``); one-line error if absent."""
    given = wordnet or os.environ.get("WORDLAB_WORDNET") or DEFAULT_WORDNET
    p = Path(given)
    missing = [f for f in REQUIRED if not (p / f).is_file()]
    if not p.is_dir() or missing:
        what = "no such folder" if not p.is_dir() else f"missing {', '.join(missing)}"
        raise DataError(f"WordNet not found at {p} ({what}); {HOW_TO_GET}")
    return p


def _cache_root() -> Path:
    from ..text.cache import default_cache_dir
    return default_cache_dir() / "nltk_data"


def prepare_wordnet(wordnet: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """A reader-ready copy of the WordNet folder: ``<cache>/corpora/wordnet-<id>/`` (copies + ``lexnames``)."""
    src = find_wordnet(wordnet).resolve()
    root = Path(cache_dir) if cache_dir is not None else _cache_root()
    tag = hashlib.sha256(str(src).encode("utf-8")).hexdigest()[:10]
    dst = root / "corpora" / f"wordnet-{tag}"
    stamp = dst / ".source"
    want = f"{src}\n" + "".join(f"{f} {(src / f).stat().st_size}\n" for f in REQUIRED + OPTIONAL if (src / f).is_file())
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == want and (dst / "lexnames").is_file():
        return dst
    dst.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED + OPTIONAL:
        f, target = src / name, dst / name
        if not f.is_file():
            continue
        if target.exists() or target.is_symlink():
            target.unlink()
        shutil.copyfile(f, target)  # nltk refuses symbolic and hard links
    lex = src / "lexnames"
    (dst / "lexnames").write_text(lex.read_text(encoding="utf-8") if lex.is_file() else lexnames_text(),
                                  encoding="utf-8")
    stamp.write_text(want, encoding="utf-8")
    log.info("prepared WordNet for nltk in %s (from %s)", dst, src)
    return dst


def load_wordnet(wordnet: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None):
    """nltk's ``WordNetCorpusReader`` over the prepared folder (one per folder per process)."""
    folder = prepare_wordnet(wordnet, cache_dir)
    key = str(folder)
    with _lock:
        if key not in _readers:
            import nltk
            from nltk.corpus.reader.wordnet import WordNetCorpusReader

            allowed = str(folder.parent.parent)
            if allowed not in nltk.data.path:
                nltk.data.path.append(allowed)
            class Reader(WordNetCorpusReader):
                def map_wn(self, version="wordnet"):  # nltk maps to a downloaded "corpora/wordnet"; this IS 3.0
                    return None

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "multilingual functions are not available": no OMW here
                try:
                    _readers[key] = Reader(str(folder), None)
                except (OSError, ValueError, AssertionError) as e:
                    raise DataError(f"{folder}: nltk cannot read this WordNet ({type(e).__name__}: {e}); "
                                    f"{HOW_TO_GET}") from None
        return _readers[key]
