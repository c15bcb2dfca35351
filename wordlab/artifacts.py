"""One loader for every file wordlab reads or writes: a registry of artifact kinds, detected by content.

    from wordlab.artifacts import load, detect
    kv = load("vectors.bin")                 # KeyedVectors (word2vec binary, found from its bytes)
    lm = load("lm.pt", expect="lm")          # LanguageModel(model, vocab, payload)
    load("vectors.bin", expect="lm")         # CheckpointError: vectors.bin holds word vectors
                                             #   (word2vec binary), not a language-model checkpoint

A kind is registered with :func:`register` (a ``sniff(path, head)`` predicate on the file's first
bytes, a ``load(path, **kw)`` function, a one-line description and a priority); sniffers run from
the highest priority down and the first that answers yes names the kind. wordlab's checkpoints
(:func:`wordlab.checkpoint.save_checkpoint`) are one container kind dispatched on the ``kind``
stored in them, registered with :func:`register_checkpoint_kind`.

A package adds its kinds by holding a module ``wordlab/<package>/artifact_kinds.py`` that calls
:func:`register` at import; this module imports every such module the first time a kind is needed,
so there is no central list to edit. ``expect`` names a kind (``"lm"``, ``"word2vec-binary"``) or a
group of kinds (``"vectors"``: every word-vector file; ``"checkpoint"``: every checkpoint).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pkgutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import CheckpointError, DataError, WordlabError

log = logging.getLogger(__name__)

HEAD_BYTES = 4096  # what a sniffer sees of the file (the contract promises at least the first 64)

Sniff = Callable[[Path, bytes], bool]


@dataclass(frozen=True)
class ArtifactKind:
    """A registered kind of file: how to recognise it and how to load it."""

    name: str
    describe: str                      # "word vectors (word2vec binary)": completes "x holds ..."
    sniff: Sniff | None                # None for checkpoint kinds (found by their stored kind)
    load: Callable[..., Any]
    priority: int = 0
    groups: tuple[str, ...] = ()       # e.g. ("vectors",): expect="vectors" accepts this kind
    checkpoint: bool = False           # load(path, payload, **kw) instead of load(path, **kw)
    module: str = field(default="", compare=False)


_lock = threading.RLock()
_KINDS: dict[str, ArtifactKind] = {}
_CHECKPOINT_KINDS: dict[str, ArtifactKind] = {}
_GROUPS: dict[str, str] = {"vectors": "word vectors", "checkpoint": "a wordlab checkpoint",
                           "model": "a trained model"}
_discovered = False


def register(name: str, *, describe: str, sniff: Sniff, load: Callable[..., Any], priority: int = 0,
             groups: Iterable[str] = (), replace: bool = False) -> ArtifactKind:
    """Add a kind of file: ``sniff(path, head) -> bool`` recognises it, ``load(path, **kw)`` reads it.

    ``describe`` completes "FILE holds ..." (e.g. ``"a fastText model (Facebook .bin)"``);
    ``priority`` orders the sniffers (higher first; a specific magic number above a loose text test);
    ``groups`` are broader names ``expect=`` accepts (``"vectors"``). Registering a name twice is an
    error unless ``replace``.
    """
    kind = ArtifactKind(name, describe, sniff, load, priority, tuple(groups), False, _caller_module())
    with _lock:
        if name in _KINDS and not replace and _KINDS[name].module != kind.module:
            raise ValueError(f"artifact kind {name!r} is already registered by {_KINDS[name].module}")
        _KINDS[name] = kind
    return kind


def register_checkpoint_kind(kind: str, *, describe: str, load: Callable[..., Any], groups: Iterable[str] = (),
                             replace: bool = False) -> ArtifactKind:
    """Add a checkpoint kind: files whose payload says ``"kind": kind`` load with ``load(path, payload, **kw)``."""
    entry = ArtifactKind(kind, describe, None, load, 0, ("checkpoint", *groups), True, _caller_module())
    with _lock:
        if kind in _CHECKPOINT_KINDS and not replace and _CHECKPOINT_KINDS[kind].module != entry.module:
            raise ValueError(f"checkpoint kind {kind!r} is already registered by {_CHECKPOINT_KINDS[kind].module}")
        _CHECKPOINT_KINDS[kind] = entry
    return entry


def register_group(name: str, describe: str) -> None:
    """Name a group of kinds for ``expect=`` messages (``"vectors"`` → ``"word vectors"``)."""
    with _lock:
        _GROUPS[name] = describe


def kinds() -> list[ArtifactKind]:
    """Every registered kind (file kinds by priority, then checkpoint kinds)."""
    _discover()
    with _lock:
        files = sorted(_KINDS.values(), key=lambda k: -k.priority)
        return files + list(_CHECKPOINT_KINDS.values())


def _caller_module() -> str:
    frame = sys._getframe(2)
    return frame.f_globals.get("__name__", "") if frame else ""


def _discover() -> None:
    """Import ``wordlab.<package>.artifact_kinds`` for every subpackage that has one (once)."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        import wordlab

        for info in sorted(pkgutil.iter_modules(wordlab.__path__), key=lambda m: m.name):
            if not info.ispkg:
                continue
            name = f"wordlab.{info.name}.artifact_kinds"
            pkg_dir = Path(info.module_finder.path) / info.name  # type: ignore[union-attr]
            if not (pkg_dir / "artifact_kinds.py").is_file():
                continue
            try:
                _import_alone(name, pkg_dir / "artifact_kinds.py")
            except Exception as e:  # one package's broken registration must not hide every other kind
                log.warning("could not register the artifact kinds of %s: %s: %s", name, type(e).__name__, e)
        _discovered = True


def _import_alone(name: str, path: Path) -> None:
    """Import ``wordlab.<package>.artifact_kinds`` without importing ``wordlab.<package>`` itself.

    A package's ``__init__`` may import torch or compile kernels (seconds); registering its kinds must
    not, or ``wordlab similar vectors.bin`` would pay for every model package. The module's own
    loaders import what they need when they run.
    """
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    module.__package__ = name.rpartition(".")[0]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise


# ---- the checkpoint container (wordlab.checkpoint) ---------------------------------------------------
def _sniff_torch_zip(path: Path, head: bytes) -> bool:
    """torch.save's zip: the first member is ``<archive>/data.pkl`` (or ``.data/version``, ``byteorder``)."""
    if head[:4] != b"PK\x03\x04" or len(head) < 30:
        return False
    name_len = int.from_bytes(head[26:28], "little")
    first = head[30:30 + name_len]
    return first.endswith((b"/data.pkl", b"/.format_version", b"/byteorder", b"/version", b"/.data/version"))


def _sniff_legacy_torch(path: Path, head: bytes) -> bool:
    """torch's pre-1.6 (non-zip) format starts with a pickled magic number; protocol 2 pickle."""
    return head[:2] == b"\x80\x02" and b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19" in head[:32]


def _load_checkpoint_container(path: Path, **kw: Any) -> Any:  # never called: dispatch happens in load()
    raise AssertionError("checkpoint container is dispatched by its stored kind")


_CONTAINER = ArtifactKind("wordlab-checkpoint", "a wordlab checkpoint", _sniff_torch_zip,
                          _load_checkpoint_container, 100, ("checkpoint",), False, __name__)
_LEGACY = ArtifactKind("torch-legacy", "a PyTorch file in the pre-1.6 format (not a wordlab checkpoint)",
                       _sniff_legacy_torch, _load_checkpoint_container, 100, (), False, __name__)


# ---- detection ---------------------------------------------------------------------------------------
def read_head(path: str | os.PathLike, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of ``path``; a one-line :class:`DataError` when it is not a readable file."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, not a file")
    try:
        with open(p, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise DataError(f"{p}: cannot read ({e.strerror or e})") from None


def npz_format(path: Path, head: bytes) -> str | None:
    """For a sniffer: the ``format`` string of a wordlab ``.npz``'s JSON ``meta`` (``None`` for any other file)."""
    if head[:4] != b"PK\x03\x04":
        return None
    from .schema import npz_meta

    try:
        fmt = npz_meta(path).get("format")
    except DataError:
        return None
    return fmt if isinstance(fmt, str) else None


def _checkpoint_payload(path: Path) -> dict:
    from .checkpoint import load_checkpoint

    return load_checkpoint(path, mmap=True)


def detect(path: str | os.PathLike) -> ArtifactKind:
    """The registered kind of the file at ``path``, read from its content; :class:`DataError` if none fits."""
    kind, _ = _detect(Path(path))
    return kind


def _detect(path: Path) -> tuple[ArtifactKind, dict | None]:
    _discover()
    head = read_head(path)
    if not head:
        raise DataError(f"{path}: is empty")
    with _lock:
        candidates = sorted([_CONTAINER, _LEGACY, *_KINDS.values()], key=lambda k: -k.priority)
    for kind in candidates:
        try:
            hit = kind.sniff(path, head) if kind.sniff else False
        except (WordlabError, OSError, ValueError, EOFError, UnicodeError) as e:
            log.debug("sniffer %s failed on %s: %s", kind.name, path, e)
            hit = False
        if not hit:
            continue
        if kind is _LEGACY:
            raise CheckpointError(f"{path}: holds {kind.describe}; wordlab reads only its own zip checkpoints "
                                  "(torch.save of a dict, loaded with weights_only=True)")
        if kind is _CONTAINER:
            payload = _checkpoint_payload(path)
            stored = payload.get("kind")
            with _lock:
                entry = _CHECKPOINT_KINDS.get(stored) if isinstance(stored, str) else None
                known = sorted(_CHECKPOINT_KINDS)
            if entry is None:
                raise CheckpointError(f"{path}: holds a wordlab checkpoint of kind {stored!r}, which this wordlab "
                                      f"does not know (known kinds: {', '.join(known) or 'none'})")
            return entry, payload
        return kind, None
    raise DataError(f"{path}: not a file wordlab recognises (first bytes {head[:16]!r}); expected one of: "
                    + "; ".join(k.describe for k in kinds()))


def _matches(kind: ArtifactKind, expect: str) -> bool:
    return expect == kind.name or expect in kind.groups


def describe_expected(expect: str | Iterable[str]) -> str:
    """What ``expect`` names, in words ("a language-model checkpoint", "word vectors")."""
    names = [expect] if isinstance(expect, str) else list(expect)
    _discover()
    words = []
    with _lock:
        for name in names:
            k = _CHECKPOINT_KINDS.get(name) or _KINDS.get(name)
            words.append(k.describe if k else _GROUPS.get(name, repr(name)))
    return " or ".join(words)


def load(path: str | os.PathLike, expect: str | Iterable[str] | None = None, **kwargs: Any) -> Any:
    """Load any artifact: detect its kind from its content and call that kind's loader with ``kwargs``.

    ``expect`` (a kind or group name, or several): a file of another kind raises a one-line
    :class:`CheckpointError` (a checkpoint was expected) or :class:`DataError` naming what the file
    holds and what was expected. Returns what the kind's loader returns (``KeyedVectors``,
    ``Word2Vec``, ``LanguageModel``, ``Translator``, ``Classifier``, ...).
    """
    path = Path(path)
    kind, payload = _detect(path)
    if expect is not None:
        wanted = [expect] if isinstance(expect, str) else list(expect)
        if not any(_matches(kind, w) for w in wanted):
            checkpoint_wanted = any(w == "checkpoint" or w in _CHECKPOINT_KINDS for w in wanted)
            cls = CheckpointError if checkpoint_wanted else DataError
            raise cls(f"{path} holds {kind.describe}, not {describe_expected(wanted)}")
    if kind.checkpoint:
        return kind.load(path, payload, **kwargs)
    return kind.load(path, **kwargs)


_OWN_VECTOR_KINDS = ("word2vec-text", "word2vec-binary", "glove-text", "vectors-npz")


def load_vectors(path: str | os.PathLike, format: str | None = None, limit: int | None = None,
                 progress: bool | None = None, allow_nonfinite: bool = False) -> Any:
    """``KeyedVectors`` from any vector file, or from a model file that has them (``.wv``: word2vec,
    fastText, GloVe ...). ``format`` overrides what the content says; ``limit`` keeps the first rows;
    NaN or infinite values are refused unless ``allow_nonfinite``. Anything else is a one-line error
    ("lm.pt holds a language-model checkpoint, not word vectors")."""
    from .vectors import KeyedVectors
    from .vectors.words import check_finite

    if limit is not None and limit < 1:
        raise DataError(f"limit must be positive, got {limit}")
    if format:
        return KeyedVectors.load(path, format=format, limit=limit, progress=progress, allow_nonfinite=allow_nonfinite)
    kind = detect(path)
    if kind.name in _OWN_VECTOR_KINDS:
        return load(path, limit=limit, progress=progress, allow_nonfinite=allow_nonfinite)
    if kind.checkpoint or not ({"vectors", "model"} & set(kind.groups)):
        load(path, expect="vectors")  # raises: "PATH holds ..., not word vectors"
    got = load(path)
    kv = got if isinstance(got, KeyedVectors) else getattr(got, "wv", None)
    if not isinstance(kv, KeyedVectors):
        raise DataError(f"{path} holds {kind.describe}, not word vectors")
    if limit is not None:
        kv = KeyedVectors(kv.index_to_key[:limit], kv.vectors[:limit],
                          counts=None if kv.counts is None else kv.counts[:limit])
    if not allow_nonfinite:
        check_finite(path, kv.index_to_key, kv.vectors, "row")
    return kv


def provenance(path: str | os.PathLike) -> dict | None:
    """The provenance record stored with an artifact (payload, ``.npz`` metadata or sidecar), or ``None``."""
    import json

    from .provenance import sidecar_path

    path = Path(path)
    kind, payload = _detect(path)
    if payload is not None:
        rec = payload.get("provenance")
        return rec if isinstance(rec, dict) else None
    if read_head(path, 4) == b"PK\x03\x04":
        from .schema import npz_meta

        rec = npz_meta(path).get("provenance")
        return rec if isinstance(rec, dict) else None
    side = sidecar_path(path)
    if side.is_file():
        try:
            rec = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise DataError(f"{side}: unreadable provenance sidecar ({e})") from None
        return rec if isinstance(rec, dict) else None
    return None
