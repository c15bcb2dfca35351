"""The JSON API: vectors (neighbours, analogy, similarity, odd one out, completion, map), generation as
server-sent events, translation with attention, classification, each model's config and history."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from typing import Any, Iterator

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from ..errors import WordlabError
from .limits import ServeLimits
from .registry import Served
from .schemas import (AnalogyRequest, ClassifyRequest, GenerateRequest, NeighboursRequest, OddOneOutRequest,
                      SimilarityRequest, TranslateRequest)
from .vectors import MicroBatcher, UnknownWord, VectorIndex


class ServerState:
    """What the routes share: the served artifacts, vector indexes and batchers, the limits, a generation count."""

    def __init__(self, served: dict[str, Served], limits: ServeLimits, batching: bool = True,
                 batch_window: float = 0.005) -> None:
        self.served, self.limits = served, limits
        self.indexes = {n: VectorIndex(s.obj, gemm=batching) for n, s in served.items() if s.kind == "vectors"}
        self.batchers = {n: MicroBatcher(ix, limits.max_batch, batching, batch_window)
                         for n, ix in self.indexes.items()}
        self.generating = 0
        self._gen_lock = threading.Lock()

    def get(self, name: str, kind: str) -> Served:
        s = self.served.get(name)
        if s is None or s.kind != kind:
            names = [n for n, x in self.served.items() if x.kind == kind]
            raise HTTPException(404, f"no {kind} model named {name!r}; served: {', '.join(names) or 'none'}")
        return s

    def try_start_generation(self) -> bool:
        with self._gen_lock:
            if self.generating >= self.limits.max_generations:
                return False
            self.generating += 1
            return True

    def end_generation(self) -> None:
        with self._gen_lock:
            self.generating -= 1


def _cap(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise HTTPException(400, f"{name} must be between {low} and {high}, got {value}")


def _text(name: str, value: str, limits: ServeLimits, empty: bool = False) -> str:
    if len(value) > limits.max_text:
        raise HTTPException(413, f"{name} has {len(value):,} characters; the limit is {limits.max_text:,}")
    if not empty and not value.strip():
        raise HTTPException(400, f"{name} is empty")
    return value


def _words(name: str, words: list[str], limits: ServeLimits, low: int = 1) -> list[str]:
    if not low <= len(words) <= limits.max_words:
        raise HTTPException(400, f"{name} must have between {low} and {limits.max_words} words, got {len(words)}")
    for w in words:
        _text(name, w, limits)
    return words


def _finite(name: str, value: float, low: float, high: float, low_open: bool = False) -> None:
    if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
        raise HTTPException(400, f"{name} must be in {'(' if low_open else '['}{low}, {high}], got {value}")


def _pairs(rows: list[tuple[str, float]]) -> list[dict]:
    return [{"word": w, "similarity": round(float(s), 6)} for w, s in rows]


def make_router(state: ServerState) -> APIRouter:
    r = APIRouter(prefix="/api")
    L = state.limits

    def index(name: str) -> VectorIndex:
        state.get(name, "vectors")
        return state.indexes[name]

    def vec(ix: VectorIndex, word: str) -> np.ndarray:
        try:
            return ix.vector(word)
        except UnknownWord as e:
            raise HTTPException(404, str(e)) from None

    @r.get("/models", summary="The served models")
    def models() -> dict:
        return {"models": [s.describe() for s in state.served.values()],
                "limits": dict(L.__dict__)}

    @r.get("/models/{name}", summary="A model's configuration, provenance and training history")
    def model_info(name: str) -> dict:
        s = state.served.get(name)
        if s is None:
            raise HTTPException(404, f"no model named {name!r}; served: {', '.join(state.served)}")
        return {**s.describe(), "config": s.config, "provenance": s.provenance, "history": s.history}

    @r.get("/vectors/{name}/complete", summary="Vocabulary words starting with a prefix, most frequent first")
    def complete(name: str, prefix: str = Query(..., max_length=200), limit: int = 10) -> dict:
        _cap("limit", limit, 1, L.max_topn)
        return {"words": index(name).complete(prefix, limit) if prefix else []}

    @r.post("/vectors/{name}/neighbours", summary="Nearest words by cosine (micro-batched)")
    async def neighbours(name: str, req: NeighboursRequest) -> dict:
        ix = index(name)
        _cap("topn", req.topn, 1, L.max_topn)
        _text("word", req.word, L)
        v = vec(ix, req.word)
        own = ix.index(req.word)
        rows = await state.batchers[name].query(v, req.topn, {own} if own is not None else set())
        return {"word": req.word, "neighbours": _pairs(rows)}

    @r.post("/vectors/{name}/analogy", summary="Analogy: 3CosAdd or 3CosMul over positive and negative words")
    async def analogy(name: str, req: AnalogyRequest) -> dict:
        ix = index(name)
        _cap("topn", req.topn, 1, L.max_topn)
        _words("positive", req.positive, L)
        _words("negative", req.negative, L, low=0)
        vs = [vec(ix, w) for w in req.positive + req.negative]
        exclude = {i for i in (ix.index(w) for w in req.positive + req.negative) if i is not None}
        if req.method == "3cosmul":
            rows = await asyncio.to_thread(ix.cosmul, req.positive, req.negative, req.topn)
        else:
            w = np.array([1.0] * len(req.positive) + [-1.0] * len(req.negative), dtype=np.float32)
            mean = (w[:, None] * np.stack(vs)).sum(0) / np.abs(w).sum()
            n = float(np.linalg.norm(mean))
            if n == 0:
                raise HTTPException(400, "the positive and negative words cancel out; no direction to search")
            rows = await state.batchers[name].query(mean / n, req.topn, exclude)
        return {"positive": req.positive, "negative": req.negative, "method": req.method, "answers": _pairs(rows)}

    @r.post("/vectors/{name}/similarity", summary="Cosine similarity of two words")
    def similarity(name: str, req: SimilarityRequest) -> dict:
        ix = index(name)
        a, b = vec(ix, _text("a", req.a, L)), vec(ix, _text("b", req.b, L))
        return {"a": req.a, "b": req.b, "similarity": round(float(a @ b), 6)}

    @r.post("/vectors/{name}/odd-one-out", summary="The word least like the others (farthest from their mean)")
    def odd_one_out(name: str, req: OddOneOutRequest) -> dict:
        ix = index(name)
        words = _words("words", req.words, L, low=3)
        m = np.stack([vec(ix, w) for w in words])
        mean = m.mean(0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        scores = m @ mean
        return {"odd": words[int(np.argmin(scores))],
                "scores": [{"word": w, "similarity": round(float(s), 6)} for w, s in zip(words, scores)]}

    @r.get("/vectors/{name}/map", summary="2-D coordinates of the first N words (PCA; t-SNE with scikit-learn)")
    async def vector_map(name: str, n: int | None = None, method: str = Query("pca", pattern="^(pca|tsne)$")) -> dict:
        ix = index(name)
        n = min(500, L.max_map) if n is None else n
        _cap("n", n, 2, L.max_map)
        try:
            return await asyncio.to_thread(ix.coordinates, n, method)
        except WordlabError as e:
            raise HTTPException(400, str(e)) from None

    @r.post("/lm/{name}/generate", summary="Generated text streamed as server-sent events",
            response_description="text/event-stream: 'token' events {text}, then 'done' {tokens} or 'error' {error}")
    async def generate(name: str, req: GenerateRequest, request: Request) -> StreamingResponse:
        s = state.get(name, "lm")
        max_tokens = min(50, L.max_tokens) if req.max_tokens is None else req.max_tokens
        _cap("max_tokens", max_tokens, 1, L.max_tokens)
        _text("prompt", req.prompt, L, empty=True)
        _words("banned", req.banned, L, low=0)
        _finite("temperature", req.temperature, 0.0, 100.0, low_open=True)
        _finite("top_p", req.top_p, 0.0, 1.0, low_open=True)
        _cap("top_k", req.top_k, 0, 1_000_000)
        if req.seed is not None:
            _cap("seed", req.seed, 0, 2**32 - 1)
        from ..decoding import SamplingConfig
        from ..lm.subword import stream_lm_text

        try:
            cfg = SamplingConfig(max_tokens=max_tokens, temperature=req.temperature, top_k=req.top_k,
                                 top_p=req.top_p, banned=tuple(req.banned), greedy=req.greedy, seed=req.seed)
            pieces = stream_lm_text(s.obj.model, s.obj.vocab, s.obj.payload, req.prompt, cfg)
        except WordlabError as e:
            raise HTTPException(400, str(e)) from None
        if not state.try_start_generation():
            pieces.close()
            raise HTTPException(429, f"{L.max_generations} generations are already running; try again shortly")
        return StreamingResponse(_events(pieces, request, state), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @r.post("/translate/{name}", summary="Translate a sentence; the attention matrix comes with it")
    async def translate(name: str, req: TranslateRequest) -> dict:
        s = state.get(name, "translator")
        _text("text", req.text, L)
        _cap("beam", req.beam, 1, L.max_beam)
        max_len = min(50, L.max_tokens) if req.max_len is None else req.max_len
        _cap("max_len", max_len, 1, L.max_tokens)
        try:
            t = (await asyncio.to_thread(s.obj.translate, [req.text], req.beam, max_len))[0]
        except WordlabError as e:
            raise HTTPException(400, str(e)) from None
        att = None if t.attention is None else np.round(np.asarray(t.attention, dtype=np.float64), 5).tolist()
        labels = getattr(s.obj, "token_labels", list)  # readable pieces for a BPE model (no byte-level marks)
        source, output = labels(t.source), labels(t.output)
        return {"source": source, "output": output, "text": t.text, "score": round(float(t.score), 6),
                "attention": att, "attention_rows": None if att is None else (output + ["<eos>"])[:len(att)]}

    @r.post("/classify/{name}", summary="Class probabilities of a text")
    async def classify(name: str, req: ClassifyRequest) -> dict:
        s = state.get(name, "classifier")
        _text("text", req.text, L)
        try:
            probs = (await asyncio.to_thread(s.obj.predict_proba, [req.text]))[0]
        except WordlabError as e:
            raise HTTPException(400, str(e)) from None
        order = np.argsort(-probs, kind="stable")
        return {"label": s.obj.labels[int(order[0])],
                "probabilities": [{"label": s.obj.labels[int(k)], "probability": round(float(probs[k]), 6)}
                                  for k in order]}

    return r


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


_END = object()


async def _events(pieces: Iterator[str], request: Request, state: ServerState):
    """One ``token`` event per text piece as it is drawn; stops (and frees the slot) when the client goes."""
    count = 0
    try:
        while True:
            if await request.is_disconnected():
                return
            try:
                piece = await asyncio.to_thread(next, pieces, _END)
            except WordlabError as e:
                yield _sse("error", {"error": str(e)})
                return
            if piece is _END:
                break
            count += 1
            yield _sse("token", {"text": piece})
        yield _sse("done", {"tokens": count})
    finally:
        state.end_generation()
        try:
            await asyncio.to_thread(pieces.close)   # gives the model its training flag back
        except ValueError:  # still running in its thread (the client left mid-token): it ends with that token
            pass
