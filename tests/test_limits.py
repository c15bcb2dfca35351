"""Caps and memory checks refuse before allocating; --force lifts them; non-finite numbers never pass."""

from __future__ import annotations

import pytest

from wordlab import limits
from wordlab.errors import ConfigError


def test_caps_refuse_and_force_allows():
    limits.check_cap("beam", 256)
    with pytest.raises(ConfigError, match=r"--beam 1,000,000 is over the limit of 256"):
        limits.check_cap("beam", 1_000_000)
    with limits.allow_over_limits():
        limits.check_cap("beam", 1_000_000)
    with pytest.raises(ConfigError):  # the override ends with its block
        limits.check_cap("window", 100_000)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_never_passes(bad):
    with pytest.raises(ConfigError, match="finite"):
        limits.check_finite("lr", bad)
    with limits.allow_over_limits(), pytest.raises(ConfigError, match="finite"):
        limits.check_cap("max_len", bad)


def test_memory_estimate_refused_with_figure(monkeypatch):
    monkeypatch.setenv("WORDLAB_MEMORY_LIMIT", str(2**30))
    need = limits.estimate_embedding_memory(1_000, 1_000_000)  # 8 GB: --dim 1000000 on a 1k vocabulary
    with pytest.raises(ConfigError, match=r"needs about 7\.5 GiB but only 1\.0 GiB"):
        limits.check_memory(need, "word2vec")
    limits.check_memory(2**20, "word2vec")
    with limits.allow_over_limits():
        limits.check_memory(need, "word2vec")


def test_available_memory_is_positive():
    avail = limits.available_memory()
    assert avail is None or avail > 0
