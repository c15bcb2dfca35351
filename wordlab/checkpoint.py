"""Model checkpoints: ``state_dict`` + config (JSON-able dict) + vocabulary, never pickled code.

A checkpoint is a dict of tensors and plain Python values written with ``torch.save``
through :func:`wordlab.atomic.atomic_write` and read back with
``torch.load(..., weights_only=True)``, so loading a file can never run code::

    {"format": "wordlab.checkpoint/1", "kind": "lm", "config": {...},
     "vocab": {...} | None, "state_dict": {...}, "optimizer": {...} | None,
     "scheduler": {...} | None, "progress": {...} | None, "rng": {...} | None, "extra": {...},
     "provenance": {...}}   # wordlab version, command, config, data hashes (wordlab.provenance)

Models rebuild themselves from ``config`` (a dataclass's ``asdict``), the way nanoGPT does.
:func:`load_checkpoint` checks the payload against :data:`PAYLOAD` (a schema: each field's type)
and :func:`build_model` checks the stored weights' shapes against a model built on the ``meta``
device (no memory) before allocating the real one, so a file claiming ``hidden_size=200000``
fails with one line instead of filling memory. Checkpoints older than provenance load as before.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

import torch

from . import schema
from .atomic import atomic_write
from .errors import CheckpointError, DataError
from .text.vocab import Vocabulary

log = logging.getLogger(__name__)

FORMAT = "wordlab.checkpoint/1"
_FORMAT_PREFIX, FORMAT_VERSION = "wordlab.checkpoint/", 1

#: the payload's fields and their types (``None`` allowed for the optional ones)
PAYLOAD = schema.Record({
    "format": str, "kind": str, "config": schema.DictOf(), "vocab": schema.Optional(dict),
    "state_dict": schema.DictOf(schema.Tensor()), "optimizer": schema.Optional(dict),
    "scheduler": schema.Optional(dict), "progress": schema.Optional(dict), "rng": schema.Optional(dict),
    "extra": schema.Optional(dict), "provenance": schema.Optional(dict),
}, required=("format", "kind", "config", "state_dict"))

#: a vocabulary as checkpoints embed it (:meth:`Vocabulary.to_dict`)
VOCAB = schema.VOCABULARY


def config_dict(config: Any) -> dict:
    """A dataclass instance (or dict) → plain dict."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    raise TypeError(f"config must be a dataclass instance or a dict, not {type(config).__name__}")


def config_from_dict(cls: type, d: dict, source: str = "checkpoint") -> Any:
    """Rebuild dataclass ``cls`` from ``d``; unknown keys are an error naming ``source``."""
    schema.check_config_types(cls, d, source, CheckpointError)  # a mapping whose values fit the annotations
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise CheckpointError(f"{source}: config has fields {unknown} that {cls.__name__} does not know")
    try:
        return cls(**d)
    except (TypeError, ValueError, OverflowError) as e:
        raise CheckpointError(f"{source}: bad {cls.__name__} config: {str(e).splitlines()[0] if str(e) else e!r}") \
            from None


def save_checkpoint(
    path: str | os.PathLike,
    *,
    kind: str,
    config: Any,
    state_dict: dict[str, torch.Tensor],
    vocab: Vocabulary | dict | None = None,
    optimizer: dict | None = None,
    scheduler: dict | None = None,
    progress: dict | None = None,
    rng: dict | None = None,
    extra: dict | None = None,
    provenance: dict | None = None,
) -> None:
    """Write a checkpoint atomically (temp file + rename). Tensors are moved to the CPU.

    ``provenance`` defaults to :func:`wordlab.provenance.record` of ``config`` (version, command,
    calling function, hashes of the data files this process read).
    """
    if provenance is None:
        from .provenance import record

        provenance = record(config=config)
    payload = {
        "format": FORMAT,
        "kind": kind,
        "config": config_dict(config),
        "vocab": vocab.to_dict() if isinstance(vocab, Vocabulary) else vocab,
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "optimizer": optimizer,
        "scheduler": scheduler,
        "progress": progress,
        "rng": rng,
        "extra": extra or {},
        "provenance": provenance,
    }
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)


def _other_kind(path: Path) -> str | None:
    """What a file that is not a checkpoint holds, in words, when the artifact registry recognises it."""
    from .artifacts import _sniff_torch_zip, detect, read_head

    if getattr(_probing, "active", False):  # detect() reads checkpoints through load_checkpoint: no recursion
        return None
    _probing.active = True
    try:
        if _sniff_torch_zip(path, read_head(path, 64)):  # a damaged checkpoint, not another kind of file
            return None
        return detect(path).describe
    except Exception:  # noqa: BLE001 -- unrecognised (or the registry failed): the caller says 'not readable'
        return None
    finally:
        _probing.active = False


_probing = threading.local()


def load_checkpoint(path: str | os.PathLike, kind: str | None = None,
                    map_location: str | torch.device = "cpu", mmap: bool = False) -> dict:
    """Read a checkpoint with ``weights_only=True``; check its format, its schema and (optionally) its kind.

    ``mmap=True`` maps the tensors instead of reading them (cheap when only the fields are needed).
    Raises :class:`CheckpointError` with a one-line message for a missing, truncated or
    foreign file, a field of the wrong type (naming the field), or one of another kind.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap or None)
    except Exception as e:  # torch.load on garbage raises anything (KeyError, EOFError, UnpicklingError, ...)
        other = _other_kind(path)
        if other:  # e.g. word vectors given where a model is expected
            raise CheckpointError(f"{path}: holds {other}, not a wordlab checkpoint") from None
        first = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}" if str(e).strip() else type(e).__name__
        if type(e).__name__ == "UnpicklingError":  # torch's text is a paragraph about torch 2.6 defaults
            first = "torch's weights-only reader refuses its content (a pickle or not a torch file)"
        raise CheckpointError(f"{path}: not a readable wordlab checkpoint (truncated or corrupt?): {first[:200]}") \
            from None
    fmt = payload.get("format") if isinstance(payload, dict) else None
    if isinstance(fmt, str) and fmt.startswith(_FORMAT_PREFIX) and fmt != FORMAT:
        version = fmt[len(_FORMAT_PREFIX):]
        newer = version.isdigit() and int(version) > FORMAT_VERSION
        raise CheckpointError(f"{path}: checkpoint format version {version[:20]!r} "
                              + ("is newer than this wordlab reads (1); upgrade wordlab" if newer
                                 else "is not one this wordlab knows (it reads version 1)"))
    if not isinstance(payload, dict) or fmt != FORMAT:
        raise CheckpointError(f"{path}: not a wordlab checkpoint (no {FORMAT!r} header)")
    schema.validate(payload, PAYLOAD, str(path), error=CheckpointError)
    if kind is not None and payload.get("kind") != kind:
        raise CheckpointError(f"{path}: is a {payload.get('kind')!r} checkpoint, expected {kind!r}")
    return payload


def build_model(factory: Callable[[], torch.nn.Module], state_dict: dict[str, torch.Tensor],
                source: str = "checkpoint") -> torch.nn.Module:
    """``factory()`` with ``state_dict`` loaded, after checking every name and shape on a ``meta`` model.

    The meta model costs no memory, so a config that disagrees with its weights (or claims a
    model larger than the memory) is refused with one line before anything is allocated.
    """
    budget = 2000 + 200 * len(state_dict)  # torch calls a model of these weights can need to be built
    try:
        with torch.device("meta"), _SkipRandomInit(budget):
            skeleton = factory()
    except _TooBig:
        raise CheckpointError(f"{source}: the stored config describes a model far larger than its {len(state_dict)} "
                              "weight tensors (building it took over {budget} tensor operations); the config is "
                              "damaged or does not belong to these weights".replace("{budget}", str(budget))) from None
    except (ValueError, TypeError, RuntimeError, OverflowError, MemoryError) as e:
        raise CheckpointError(f"{source}: cannot build the model its config describes: "
                              f"{str(e).splitlines()[0][:200] if str(e) else type(e).__name__}") from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    if missing or unexpected:
        what = (f"lacks weights {missing[:3]}" if missing else "") + (" and " if missing and unexpected else "") \
            + (f"has weights the config does not describe {unexpected[:3]}" if unexpected else "")
        raise CheckpointError(f"{source}: field 'state_dict' {what}; the weights do not fit the stored config")
    for k, shape in expected.items():
        if tuple(state_dict[k].shape) != shape:
            raise CheckpointError(f"{source}: field 'state_dict.{k}' has shape {tuple(state_dict[k].shape)} but the "
                                  f"stored config gives {shape}; the weights do not fit the config")
    need = sum(t.numel() * t.element_size() for t in [*skeleton.parameters(), *skeleton.buffers()])
    available = _available_memory()
    if available is not None and need > available:
        raise CheckpointError(f"{source}: the stored config describes a model of {need / 2**30:.1f} GiB, more than "
                              f"the {available / 2**30:.1f} GiB of memory available")
    del skeleton
    model = factory()
    try:
        model.load_state_dict(state_dict)
    except (RuntimeError, KeyError, TypeError) as e:
        raise CheckpointError(f"{source}: weights do not fit the stored config: {str(e).strip().splitlines()[0]}") \
            from None
    return model


class _TooBig(Exception):
    """Building the skeleton of a checkpoint's model needs more torch calls than its weights can explain."""


class _SkipRandomInit(torch.overrides.TorchFunctionMode):
    """Random initialisation is pointless on the ``meta`` device, and there it goes through torch's Python
    reference kernels, whose first use imports ``torch._dynamo`` and sympy (seconds): skip it. Counts the
    torch calls and stops after ``budget`` (a config claiming 10**12 layers would otherwise loop for ever)."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.left = budget

    SKIP = frozenset([
        torch.Tensor.normal_, torch.Tensor.uniform_, torch.Tensor.random_, torch.Tensor.bernoulli_,
        torch.Tensor.exponential_, torch.Tensor.geometric_, torch.Tensor.log_normal_, torch.Tensor.cauchy_,
        torch.nn.init.normal_, torch.nn.init.uniform_, torch.nn.init.trunc_normal_, torch.nn.init.xavier_normal_,
        torch.nn.init.xavier_uniform_, torch.nn.init.kaiming_normal_, torch.nn.init.kaiming_uniform_,
        torch.nn.init.orthogonal_, torch.nn.init.sparse_])

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.left -= 1
        if self.left < 0:
            raise _TooBig()
        if func in self.SKIP:
            return args[0] if args else next(iter(kwargs.values()))
        return func(*args, **kwargs)


def _available_memory() -> int | None:
    """MemAvailable (Linux), or ``None`` when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def checkpoint_vocab(payload: dict, source: str = "checkpoint") -> Vocabulary | None:
    """The :class:`Vocabulary` stored in a loaded checkpoint (``None`` when it has none)."""
    v = payload.get("vocab")
    if v is None:
        return None
    schema.validate(v, VOCAB, source, "vocab", error=CheckpointError)
    try:
        return Vocabulary.from_dict(v, source=source)
    except DataError as e:
        raise CheckpointError(str(e)) from None


def state_dict_bytes(state_dict: dict[str, torch.Tensor]) -> bytes:
    """Serialise a state dict to bytes (for tests and hashing)."""
    buf = io.BytesIO()
    torch.save(state_dict, buf)
    return buf.getvalue()
