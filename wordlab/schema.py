"""Schemas for the structured files wordlab reads: checkpoint payloads, ``.npz`` metadata, configs.

A loaded structure (a dict from ``torch.load`` or ``json.loads``) is checked against a small
declarative spec before any field is used, so a file with a field of the wrong type or shape
fails with one line naming the file and the field::

    model.pt: field 'config.hidden_size': expected an integer, found str ('big')
    vectors.npz: field 'meta.keys[3]': expected a string, found int (7)

Specs: a Python type (``int`` never accepts ``bool``; ``float`` accepts ``int``), :class:`Optional`,
:class:`ListOf`, :class:`DictOf`, :class:`Record` (named fields, some required), :class:`Tensor`,
:class:`Array` and :data:`ANY`. :func:`check_config_types` checks a config dict against the
annotations of its dataclass.
"""

from __future__ import annotations

import dataclasses
import json
import tokenize
import types
import typing
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .errors import DataError, WordlabError

#: what reading a damaged ``.npz`` (a zip of ``.npy`` members) can raise, besides MemoryError
NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, NotImplementedError, RuntimeError, UnicodeDecodeError,
              OverflowError, TypeError, SyntaxError, MemoryError, tokenize.TokenError, zipfile.BadZipFile, zlib.error)

_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true/false", dict: "a mapping",
          list: "a list", bytes: "bytes", type(None): "null"}


def _shown(value: Any) -> str:
    kind = type(value).__name__
    if isinstance(value, (int, float, str, bool)) or value is None:
        text = repr(value)
        return f"{kind} ({text[:40]}{'...' if len(text) > 40 else ''})"
    if hasattr(value, "shape"):
        return f"{kind} of shape {tuple(value.shape)}"
    return kind


class Spec:
    """A check of one value; ``describe`` completes "expected ..."."""

    describe = "a value"

    def check(self, value: Any, where: str, fail: Callable[[str, str], WordlabError]) -> None:  # pragma: no cover
        raise NotImplementedError


class _Any(Spec):
    describe = "any value"

    def check(self, value, where, fail):
        return


ANY = _Any()


class _Type(Spec):
    def __init__(self, *types_: type) -> None:
        self.types = types_
        self.describe = " or ".join(_NAMES.get(t, t.__name__) for t in types_)

    def check(self, value, where, fail):
        for t in self.types:
            if t is int and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                return
            if t is float and isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                return
            if t not in (int, float) and isinstance(value, t):
                return
        raise fail(where, f"expected {self.describe}, found {_shown(value)}")


def as_spec(spec: Any) -> Spec:
    """A type (or tuple of types) → its :class:`Spec`; a spec is returned as is."""
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, tuple):
        return _Type(*spec)
    if isinstance(spec, type):
        return _Type(spec)
    raise TypeError(f"not a spec: {spec!r}")


class Int(Spec):
    """An integer (not a bool) in ``[lo, hi]``."""

    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.describe = "an integer" + (f" in [{lo}, {hi}]" if lo is not None and hi is not None else "")

    def check(self, value, where, fail):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise fail(where, f"expected {self.describe}, found {_shown(value)}")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise fail(where, f"expected {self.describe}, found {value}")


#: an int64 count (what numpy arrays of counts hold)
COUNT = Int(0, 2**63 - 1)


class Optional(Spec):
    """``None`` or ``spec``."""

    def __init__(self, spec: Any) -> None:
        self.spec = as_spec(spec)
        self.describe = f"{self.spec.describe} or null"

    def check(self, value, where, fail):
        if value is not None:
            self.spec.check(value, where, fail)


class ListOf(Spec):
    """A list (or tuple) whose items all match ``item``; at most ``max_len`` items."""

    def __init__(self, item: Any = ANY, max_len: int | None = None) -> None:
        self.item, self.max_len = as_spec(item), max_len
        self.describe = f"a list of {self.item.describe.removeprefix('a ').removeprefix('an ')}s" \
            if item is not ANY else "a list"

    def check(self, value, where, fail):
        if not isinstance(value, (list, tuple)):
            raise fail(where, f"expected {self.describe}, found {_shown(value)}")
        if self.max_len is not None and len(value) > self.max_len:
            raise fail(where, f"has {len(value)} items, at most {self.max_len} allowed")
        if self.item is ANY:
            return
        if isinstance(self.item, _Type) and self.item.types == (str,):  # fast path: word lists
            if all(type(v) is str for v in value):
                return
        if self.item is COUNT and all(type(v) is int for v in value) \
                and (not value or (min(value) >= 0 and max(value) < 2**63)):
            return  # fast path: counts
        for i, v in enumerate(value):
            self.item.check(v, f"{where}[{i}]", fail)


class DictOf(Spec):
    """A dict with string keys whose values all match ``value``."""

    def __init__(self, value: Any = ANY) -> None:
        self.value = as_spec(value)
        self.describe = "a mapping"

    def check(self, value, where, fail):
        if not isinstance(value, dict):
            raise fail(where, f"expected {self.describe}, found {_shown(value)}")
        for k, v in value.items():
            if not isinstance(k, str):
                raise fail(where, f"has a key of type {type(k).__name__} ({k!r:.40}); keys must be strings")
            self.value.check(v, f"{where}.{k}" if where else k, fail)


class Record(Spec):
    """A dict with named fields: ``fields`` maps a name to its spec; ``required`` must be present."""

    def __init__(self, fields: dict[str, Any], required: tuple[str, ...] = (), describe: str = "a mapping") -> None:
        self.fields = {k: as_spec(v) for k, v in fields.items()}
        self.required, self.describe = required, describe

    def check(self, value, where, fail):
        if not isinstance(value, dict):
            raise fail(where, f"expected {self.describe}, found {_shown(value)}")
        for name in self.required:
            if name not in value:
                raise fail(f"{where}.{name}" if where else name, "is missing")
        for name, spec in self.fields.items():
            if name in value:
                spec.check(value[name], f"{where}.{name}" if where else name, fail)


class Tensor(Spec):
    """A ``torch.Tensor`` (any dtype unless ``floating``), optionally of ``ndim`` dimensions."""

    def __init__(self, ndim: int | None = None, floating: bool = False) -> None:
        self.ndim, self.floating = ndim, floating
        self.describe = "a tensor"

    def check(self, value, where, fail):
        import torch

        if not isinstance(value, torch.Tensor):
            raise fail(where, f"expected a tensor, found {_shown(value)}")
        if self.ndim is not None and value.dim() != self.ndim:
            raise fail(where, f"expected a {self.ndim}-D tensor, found shape {tuple(value.shape)}")
        if self.floating and not value.is_floating_point():
            raise fail(where, f"expected a floating-point tensor, found {value.dtype}")


class Array(Spec):
    """A NumPy array of dtype kind(s) ``kinds`` (``"f"``, ``"iu"``) and ``ndim`` dimensions."""

    def __init__(self, kinds: str, ndim: int) -> None:
        self.kinds, self.ndim = kinds, ndim
        self.describe = f"a {ndim}-D {'float' if kinds == 'f' else 'integer'} array"

    def check(self, value, where, fail):
        if not isinstance(value, np.ndarray):
            raise fail(where, f"expected {self.describe}, found {_shown(value)}")
        if value.dtype.kind not in self.kinds or value.ndim != self.ndim:
            raise fail(where, f"expected {self.describe}, found dtype {value.dtype} of shape {value.shape}")


def validate(value: Any, spec: Any, source: str, where: str = "", error: type[WordlabError] = DataError) -> Any:
    """Check ``value`` against ``spec``; raise ``error("SOURCE: field 'WHERE': ...")`` on the first mismatch."""

    def fail(at: str, what: str) -> WordlabError:
        return error(f"{source}: field {at!r}: {what}" if at else f"{source}: {what}")

    as_spec(spec).check(value, where, fail)
    return value


#: a vocabulary as saved and as checkpoints embed it (:meth:`wordlab.text.Vocabulary.to_dict`)
VOCABULARY = Record({"format": str, "words": ListOf(str), "counts": ListOf(COUNT), "specials": ListOf(str),
                     "total_words": Optional(COUNT)}, required=("format", "words", "counts"))


# ---- configs: dict against the annotations of a dataclass ------------------------------------------
def _annotation_spec(tp: Any) -> Spec:
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return ANY
    if tp in (int, float, str, bool):
        return _Type(tp)
    if origin is typing.Literal:
        values = typing.get_args(tp)
        return _Type(*sorted({type(v) for v in values}, key=lambda t: t.__name__))
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        non_none = [a for a in args if a is not type(None)]
        inner = [_annotation_spec(a) for a in non_none]
        if any(s is ANY for s in inner):
            return ANY
        spec: Spec = _Union(inner) if len(inner) > 1 else inner[0]
        return Optional(spec) if len(non_none) < len(args) else spec
    if origin in (tuple, list) or tp in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item = _annotation_spec(args[0]) if len(set(args)) == 1 else ANY
        return ListOf(item)
    if origin is dict or tp is dict:
        return _Type(dict)
    return ANY


class _Union(Spec):
    def __init__(self, specs: list[Spec]) -> None:
        self.specs = specs
        self.describe = " or ".join(s.describe for s in specs)

    def check(self, value, where, fail):
        for s in self.specs:
            try:
                s.check(value, where, fail)
                return
            except WordlabError:
                continue
        raise fail(where, f"expected {self.describe}, found {_shown(value)}")


def check_config_types(cls: type, d: dict, source: str, error: type[WordlabError] = DataError,
                       prefix: str = "config") -> None:
    """Each value of ``d`` must fit the annotation of the field of dataclass ``cls`` with its name."""
    if not isinstance(d, dict):
        raise error(f"{source}: field {prefix!r}: expected a mapping, found {_shown(d)}")
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation this Python cannot evaluate: check what we can
        hints = {}
    for f in dataclasses.fields(cls):
        if f.name in d and f.name in hints:
            validate(d[f.name], _annotation_spec(hints[f.name]), source, f"{prefix}.{f.name}", error)


# ---- .npy / .npz arrays: the header's claim is checked against the bytes before anything is allocated ----
def _checked_array(f, available: int, where: str) -> np.ndarray:
    """Read one ``.npy`` stream whose payload may take at most ``available`` bytes after its header."""
    start = f.tell()
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"{where}: unknown .npy version {version}")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    with warnings.catch_warnings():  # numpy's note on a header written by Python 2 says nothing to act on
        warnings.simplefilter("ignore", UserWarning)
        shape, fortran, dtype = read_header(f, max_header_size=10000)
    if dtype.hasobject:
        raise ValueError(f"{where}: holds Python objects (pickles are never loaded)")
    count = 1
    for n in shape:
        count *= int(n)
    need = count * dtype.itemsize
    if need > available - (f.tell() - start):
        raise ValueError(f"{where}: header claims {shape} {dtype} ({need} bytes), more than the file holds")
    data = f.read(need)
    if len(data) != need:
        raise EOFError(f"{where}: {len(data)} of {need} bytes")
    arr = np.frombuffer(data, dtype=dtype).copy()
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def load_npy(path: str | Path) -> np.ndarray:
    """``np.load`` of a ``.npy`` file, refusing a header that claims more data than the file has."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        return _checked_array(f, size, str(path))


def load_npz(path: str | Path, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Members ``names`` (default all) of a ``.npz``, each checked against its stored size before it is read."""
    out = {}
    with zipfile.ZipFile(path) as z:
        infos = {i.filename[:-4]: i for i in z.infolist() if i.filename.endswith(".npy")}
        for name in (names if names is not None else tuple(infos)):
            info = infos.get(name)
            if info is None:
                continue
            with z.open(info) as f:
                out[name] = _checked_array(_Seekless(f), info.file_size, f"member {name!r}")
    return out


class _Seekless:
    """A zip member stream with ``tell`` counting the bytes read (``read_magic`` needs only read)."""

    def __init__(self, f) -> None:
        self.f, self.pos = f, 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.pos += len(data)
        return data

    def tell(self) -> int:
        return self.pos


# ---- .npz metadata -----------------------------------------------------------------------------------
def npz_meta(path: str | Path, member: str = "meta") -> dict:
    """The JSON object stored as the uint8 member ``meta`` of a ``.npz`` (without loading other members)."""
    try:
        arrays = load_npz(path, (member,))
        if member not in arrays:
            raise DataError(f"{path}: .npz has no {member!r} member")
        raw = arrays[member]
    except DataError:
        raise
    except NPZ_ERRORS as e:
        raise DataError(f"{path}: cannot read as .npz ({type(e).__name__}: {str(e)[:80]}); "
                        "the file is damaged or truncated") from None
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise DataError(f"{path}: field {member!r}: expected UTF-8 JSON bytes (uint8, 1-D), "
                        f"found {raw.dtype} of shape {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise DataError(f"{path}: field {member!r}: not UTF-8 JSON ({type(e).__name__})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{path}: field {member!r}: expected a JSON object, found {_shown(meta)}")
    return meta
