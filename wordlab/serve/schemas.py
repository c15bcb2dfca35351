"""Request bodies of the JSON API (pydantic models: the types; the limits are checked by the routes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NeighboursRequest(_Body):
    word: str = Field(description="the query word")
    topn: int = Field(10, description="how many neighbours")


class AnalogyRequest(_Body):
    positive: list[str] = Field(description="words added (a : b :: c : ? is positive=[b, c], negative=[a])")
    negative: list[str] = Field(default_factory=list, description="words subtracted")
    method: Literal["3cosadd", "3cosmul"] = "3cosadd"
    topn: int = 10


class SimilarityRequest(_Body):
    a: str
    b: str


class OddOneOutRequest(_Body):
    words: list[str]


class GenerateRequest(_Body):
    prompt: str = ""
    max_tokens: int | None = Field(None, description="tokens to generate (default: 50, or the limit if lower)")
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    banned: list[str] = Field(default_factory=list, description="words never to sample")
    greedy: bool = False
    seed: int | None = None


class TranslateRequest(_Body):
    text: str
    beam: int = 1
    max_len: int | None = Field(None, description="longest output (default: 50, or the limit if lower)")


class ClassifyRequest(_Body):
    text: str
