"""The artifacts a server was started with: each loaded once through :func:`wordlab.artifacts.load`."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import DataError

log = logging.getLogger(__name__)

KINDS = ("vectors", "lm", "translator", "classifier")


@dataclass
class Served:
    """One artifact as the API sees it: a name (from the file name), a kind, the loaded object."""

    name: str
    kind: str                       # one of KINDS
    obj: Any                        # KeyedVectors | LanguageModel | Translator | Classifier
    path: Path
    artifact: str = ""              # the registry's kind name ("word2vec-text", "lm", ...)
    config: dict = field(default_factory=dict)
    provenance: dict | None = None
    history: list = field(default_factory=list)

    def describe(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "artifact": self.artifact,
                               "file": self.path.name, "has_history": bool(self.history)}
        if self.kind == "vectors":
            out.update(words=len(self.obj), dim=int(self.obj.vector_size))
        elif self.kind == "lm":
            out.update(words=len(self.obj.vocab))
        elif self.kind == "translator":
            out.update(source_words=len(self.obj.src_vocab), target_words=len(self.obj.tgt_vocab))
        elif self.kind == "classifier":
            out.update(labels=list(self.obj.labels))
        return out


def _kind_of(obj: Any) -> tuple[str, Any]:
    if hasattr(obj, "wv") and hasattr(obj.wv, "index_to_key"):       # Word2Vec / FastText / GloVe model
        return "vectors", obj.wv
    if hasattr(obj, "index_to_key") and hasattr(obj, "get_normed_vectors"):
        return "vectors", obj
    if hasattr(obj, "vocab") and hasattr(obj, "payload") and hasattr(obj, "model"):
        return "lm", obj
    if hasattr(obj, "translate") and hasattr(obj, "src_vocab"):
        return "translator", obj
    if hasattr(obj, "predict_proba") and hasattr(obj, "labels"):
        return "classifier", obj
    raise DataError(f"cannot serve a {type(obj).__name__}: wordlab serve shows word vectors, language models, "
                    "translators and sentence classifiers")


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _config(kind: str, obj: Any, payload_config: Any) -> dict:
    cfg: Any = payload_config
    if cfg is None:
        model = getattr(obj, "model", None)
        cfg = getattr(obj, "config", None) or getattr(model, "cfg", None) or getattr(model, "config", None)
        if kind == "translator" and getattr(obj, "data", None) is not None:
            cfg = {"model": _jsonable(cfg), "data": _jsonable(obj.data)}
    out = _jsonable(cfg) if cfg is not None else {}
    return out if isinstance(out, dict) else {"value": out}


def _history(path: Path, payload: dict | None) -> list:
    from ..loop import history_path

    side = history_path(path)
    rows: Any = None
    if side.is_file():
        try:
            rows = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("%s: unreadable training history (%s)", side, e)
    if rows is None and payload:
        rows = payload.get("history") or (payload.get("extra") or {}).get("history")
    if not isinstance(rows, list):
        return []
    return [{k: v for k, v in r.items() if isinstance(v, (int, float, str, bool))} for r in rows if isinstance(r, dict)]


def load_artifacts(paths: Sequence[str | os.PathLike]) -> dict[str, Served]:
    """Load every file once (kind from its content); names are file stems, made unique with ``-2``, ``-3``."""
    from .. import artifacts

    served: dict[str, Served] = {}
    if not paths:
        raise DataError("give at least one artifact to serve (word vectors, an LM, a translator or a classifier)")
    for p in paths:
        path = Path(p)
        kind_entry = artifacts.detect(path)
        kwargs = {"device": "cpu"} if kind_entry.checkpoint else {}
        obj = artifacts.load(path, **kwargs)
        kind, obj = _kind_of(obj)
        payload = getattr(obj, "payload", None) if kind == "lm" else None
        try:
            prov = artifacts.provenance(path)
        except Exception as e:  # provenance is a nicety; the model itself loaded
            log.debug("%s: no provenance (%s)", path, e)
            prov = None
        name, n = path.stem or "model", 2
        base = name
        while name in served:
            name, n = f"{base}-{n}", n + 1
        cfg_src = (payload or {}).get("config") if payload else None
        if cfg_src is None and prov:
            cfg_src = prov.get("config")
        served[name] = Served(name, kind, obj, path, kind_entry.name, _config(kind, obj, cfg_src), prov,
                              _history(path, payload))
        log.debug("serving %s (%s) as %r", path, kind_entry.describe, name)
    return served
