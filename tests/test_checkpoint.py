"""Atomic writes and checkpoints (state_dict + config + vocabulary, weights_only loading)."""

from __future__ import annotations

import dataclasses
import os

import pytest
import torch

from wordlab.atomic import atomic_write, atomic_write_bytes, atomic_write_text
from wordlab.checkpoint import (checkpoint_vocab, config_dict, config_from_dict, load_checkpoint,
                                save_checkpoint)
from wordlab.errors import CheckpointError
from wordlab.tensor import rng_state
from wordlab.text import Vocabulary


# ---------------------------------------------------------------- atomic_write
def test_exception_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("old content\n")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write("new content that never lands" * 1000)
            f.flush()
            raise RuntimeError("disk on fire")
    assert path.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.txt"]  # no temp file left


def test_interrupt_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.pt"
    atomic_write_bytes(path, b"v1")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"v1" and len(list(tmp_path.iterdir())) == 1


def test_atomic_write_creates_dirs_replaces_and_keeps_a_normal_mode(tmp_path):
    path = tmp_path / "a" / "b" / "out.txt"
    atomic_write_text(path, "één\n")
    assert path.read_text(encoding="utf-8") == "één\n"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    os.chmod(path, 0o640)
    atomic_write_text(path, "second\n")
    assert path.read_text() == "second\n" and path.stat().st_mode & 0o777 == 0o640
    with pytest.raises(ValueError):
        with atomic_write(path, "rb"):
            pass


# ---------------------------------------------------------------- checkpoints
@dataclasses.dataclass(frozen=True)
class TinyConfig:
    n_in: int = 4
    n_out: int = 3
    dropout: float = 0.1
    name: str = "tiny"


def make_model(cfg: TinyConfig) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(cfg.n_in, 8), torch.nn.ReLU(), torch.nn.Linear(8, cfg.n_out))


def trained(tmp_path):
    torch.manual_seed(0)
    cfg = TinyConfig(n_in=5)
    model = make_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(2, 5)).sum().backward()
    opt.step()
    vocab = Vocabulary(["<unk>", "the", "cat"], [0, 10, 3], specials=["<unk>"], total_words=14)
    path = tmp_path / "ckpt" / "model.pt"
    save_checkpoint(path, kind="tiny", config=cfg, state_dict=model.state_dict(), vocab=vocab,
                    optimizer=opt.state_dict(), progress={"step": 1, "history": [0.5]}, rng=rng_state(),
                    extra={"note": "x"})
    return cfg, model, opt, vocab, path


def test_round_trip(tmp_path):
    cfg, model, opt, vocab, path = trained(tmp_path)
    payload = load_checkpoint(path, kind="tiny")
    cfg2 = config_from_dict(TinyConfig, payload["config"])
    assert cfg2 == cfg and payload["config"] == dataclasses.asdict(cfg)
    model2 = make_model(cfg2)
    model2.load_state_dict(payload["state_dict"])
    x = torch.randn(3, 5)
    assert torch.equal(model2(x), model(x))
    assert checkpoint_vocab(payload) == vocab
    assert checkpoint_vocab(payload).specials == ("<unk>",)
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2)
    opt2.load_state_dict(payload["optimizer"])
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    assert payload["progress"] == {"step": 1, "history": [0.5]} and payload["extra"] == {"note": "x"}
    assert set(payload["rng"]) >= {"python", "numpy", "torch"}


def test_loading_is_weights_only(tmp_path):
    """A pickle that would run code (here: a dataclass instance) is refused, not executed."""
    path = tmp_path / "evil.pt"
    torch.save({"format": "wordlab.checkpoint/1", "kind": "tiny", "config": TinyConfig()}, path)
    with pytest.raises(CheckpointError, match=r"evil\.pt: not a readable wordlab checkpoint"):
        load_checkpoint(path)


def test_truncated_checkpoint_is_one_line(tmp_path):
    _, _, _, _, path = trained(tmp_path)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(cut)
    msg = str(e.value)
    assert "cut.pt" in msg and "truncated or corrupt" in msg and "\n" not in msg


def test_wrong_kind_foreign_and_missing(tmp_path):
    _, _, _, _, path = trained(tmp_path)
    with pytest.raises(CheckpointError, match=r"is a 'tiny' checkpoint, expected 'lm'"):
        load_checkpoint(path, kind="lm")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weight": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="not a wordlab checkpoint"):
        load_checkpoint(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.txt"):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_config_helpers():
    assert config_dict(TinyConfig()) == {"n_in": 4, "n_out": 3, "dropout": 0.1, "name": "tiny"}
    assert config_dict({"a": 1}) == {"a": 1}
    with pytest.raises(TypeError):
        config_dict(TinyConfig)
    with pytest.raises(CheckpointError, match=r"fields \['hidden'\] that TinyConfig does not know"):
        config_from_dict(TinyConfig, {"n_in": 2, "hidden": 9})
    assert config_from_dict(TinyConfig, {"n_in": 2}) == TinyConfig(n_in=2)


def test_saving_a_checkpoint_over_an_old_one_is_atomic(tmp_path, monkeypatch):
    _, _, _, _, path = trained(tmp_path)
    before = path.read_bytes()

    def broken_save(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError("no space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, kind="tiny", config=TinyConfig(), state_dict={})
    assert path.read_bytes() == before
