"""Device resolution, seeding, RNG state round trip, threads, numpy⇄torch."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
import torch

from wordlab.errors import ConfigError
from wordlab.tensor import device, num_threads, rng_state, set_rng_state, set_seed, set_threads, to_numpy


def test_device_resolution():
    assert device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert device(None) == device("auto")
    assert device("CPU") == torch.device("cpu")
    assert device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_config_error():
    with pytest.raises(ConfigError, match="CUDA is not available"):
        device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device():  # pragma: no cover - GPU machines
    assert device("cuda:0").type == "cuda"
    t = torch.from_numpy(np.arange(3)).to(device("cuda"))
    assert t.is_cuda and to_numpy(t).tolist() == [0, 1, 2]


def draw():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_set_seed_makes_every_generator_repeat():
    set_seed(1234)
    a = draw()
    set_seed(1234)
    assert draw() == a
    set_seed(1235)
    assert draw() != a


def test_rng_state_round_trip_through_a_weights_only_file():
    set_seed(7)
    draw()
    np.random.randn(5)  # leaves a cached gaussian in numpy's legacy state
    state = rng_state()
    expected = draw()
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    restored = torch.load(buf, weights_only=True)
    draw()  # move every generator on
    set_rng_state(restored)
    assert draw() == expected


def test_threads():
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
        assert set_threads(None) == num_threads() >= 1
        with pytest.raises(ConfigError):
            set_threads(-2)
    finally:
        torch.set_num_threads(before)


def test_numpy_torch_helpers():
    g = torch.ones(2, requires_grad=True) * 2
    out = to_numpy(g)
    assert isinstance(out, np.ndarray) and out.tolist() == [2.0, 2.0]
