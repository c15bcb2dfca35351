"""``wordlab.cli.configargs``: flags generated from dataclass fields, layered values, config files."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import pytest

from wordlab.cli.configargs import (DefaultsHelpFormatter, add_config_arguments, add_config_file_argument,
                                    add_deprecated_option, config_from_arguments, defaults_of, explicitly_set)
from wordlab.errors import ConfigError


@dataclass(frozen=True)
class Toy:
    dim: int = field(default=100, metadata={"help": "vector size", "aliases": ("--vector-size", "--size"),
                                            "deprecated": ("--emb",)})
    cell: str = field(default="lstm", metadata={"help": "recurrent cell", "choices": ("rnn", "lstm", "gru")})
    tie: bool = field(default=True, metadata={"help": "tie weights", "deprecated": ("--tie-weights",)})
    clip: float | None = field(default=None, metadata={"help": "gradient clip"})
    widths: tuple[int, ...] = field(default=(3, 4, 5), metadata={"help": "filter widths"})
    sg: int = field(default=0, metadata={"help": "architecture", "switch": {"--cbow": 0, "--sg": 1}})
    dry_run: int | None = field(default=None, metadata={"help": "a few steps", "const": 3})
    vocab_size: int = field(default=0, metadata={"cli": False})
    lr: float = field(default=0.1, metadata={"help": "learning rate", "flag": "--learning-rate"})

    def __post_init__(self) -> None:
        if self.dim < 1:
            raise ConfigError(f"dim must be >= 1, got {self.dim}")


@dataclass(frozen=True)
class Other:  # a second architecture sharing --dim
    dim: int = field(default=64, metadata={"help": "model width"})
    heads: int = field(default=4, metadata={"help": "attention heads"})


def parser(overrides=None, presets=None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter)
    add_config_arguments(p, Toy, overrides=overrides)
    add_config_file_argument(p, presets=presets)
    return p


def test_defaults_come_from_the_dataclass_or_the_declared_override():
    p = parser(overrides={"dim": 50})
    assert config_from_arguments(Toy, p.parse_args([])) == Toy(dim=50)
    assert defaults_of(p, Toy) == {"dim": 50, "cell": "lstm", "tie": True, "clip": None, "widths": (3, 4, 5),
                                   "sg": 0, "dry_run": None, "lr": 0.1}
    with pytest.raises(ValueError, match="unknown fields"):
        add_config_arguments(argparse.ArgumentParser(), Toy, overrides={"nope": 1})


def test_types_bools_optionals_tuples_switches_and_consts():
    args = parser().parse_args(["--dim", "7", "--cell", "GRU", "--no-tie", "--clip", "none", "--widths", "1,2",
                                "--sg", "--dry-run", "--learning-rate", "0.5"])
    assert config_from_arguments(Toy, args) == Toy(dim=7, cell="gru", tie=False, clip=None, widths=(1, 2), sg=1,
                                                   dry_run=3, lr=0.5)
    args = parser().parse_args(["--clip", "2.5", "--dry-run", "9", "--tie", "--cbow"])
    assert config_from_arguments(Toy, args) == Toy(clip=2.5, dry_run=9, tie=True, sg=0)
    assert config_from_arguments(Toy, args, vocab_size=12).vocab_size == 12  # fixed values from the caller


@pytest.mark.parametrize("argv", [["--dim", "x"], ["--cell", "transformer"], ["--widths", "a,b"],
                                  ["--vocab-size", "3"]])
def test_bad_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as e:
        parser().parse_args(argv)
    assert e.value.code == 2 and "error:" in capsys.readouterr().err


def test_aliases_are_silent_and_deprecated_spellings_warn_once(capsys):
    p = parser()
    assert config_from_arguments(Toy, p.parse_args(["--size", "9"])).dim == 9
    assert capsys.readouterr().err == ""
    args = p.parse_args(["--emb", "8", "--no-tie-weights"])
    assert config_from_arguments(Toy, args) == Toy(dim=8, tie=False)
    err = capsys.readouterr().err.splitlines()
    assert err == ["wordlab: warning: --emb is deprecated; use --dim",
                   "wordlab: warning: --no-tie-weights is deprecated; use --no-tie"]
    help_text = p.format_help()
    assert "--emb" not in help_text and "--tie-weights" not in help_text  # hidden
    assert "--vector-size" in help_text


def test_help_shows_every_default():
    text = " ".join(parser(overrides={"dim": 50}).format_help().split())
    for shown in ("vector size (default: 50)", "recurrent cell (default: lstm)", "tie weights (default: on)",
                  "gradient clip (default: none)", "filter widths (default: 3,4,5)", "(the default)"):
        assert shown in text, shown


def test_config_file_layers_under_typed_flags(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('[model]\ndim = 11\ncell = "GRU"\ntie = false\n[train]\nlearning-rate = 2\n', encoding="utf-8")
    p = parser(presets={"big": {"dim": 500, "clip": 1.0}})
    args = p.parse_args(["--config", str(toml), "--cell", "rnn"])
    assert config_from_arguments(Toy, args) == Toy(dim=11, cell="rnn", tie=False, lr=2.0)
    js = tmp_path / "c.json"
    js.write_text('{"vector-size": 3, "widths": [2, 5], "clip": null}', encoding="utf-8")  # a flag alias works too
    args = p.parse_args(["--config", str(js), "--preset", "BIG"])
    assert config_from_arguments(Toy, args) == Toy(dim=3, widths=(2, 5), clip=None)  # file beats preset
    assert config_from_arguments(Toy, p.parse_args(["--preset", "big"])) == Toy(dim=500, clip=1.0)


@pytest.mark.parametrize("text, message", [
    ('{"dimm": 3}', "unknown option 'dimm' (did you mean 'dim'?)"),
    ('{"dim": "many"}', "dim: expected an integer"),
    ('{"cell": "lstmx"}', "'lstmx' is not one of rnn, lstm, gru"),
    ('{"dim": 0}', "dim must be >= 1"),
    ('{"dim": 3', "not valid JSON"),
    ("[1, 2]", "expected an object"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config_from_arguments(Toy, parser().parse_args(["--config", str(path)]))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_flag_shared_by_two_architectures_keeps_each_default():
    p = argparse.ArgumentParser()
    add_config_arguments(p, Toy)
    add_config_arguments(p, Other)
    assert config_from_arguments(Other, p.parse_args([])) == Other()  # 64, not Toy's 100
    args = p.parse_args(["--dim", "32"])
    assert config_from_arguments(Other, args).dim == 32 and config_from_arguments(Toy, args).dim == 32
    assert explicitly_set(args, "dim") and not explicitly_set(args, "heads")
    assert defaults_of(p, Other) == {"dim": 64, "heads": 4} and defaults_of(p, Toy)["dim"] == 100
    # the help says what the flag means and defaults to for the second architecture too
    assert "vector size (default: 100; Other: model width, default 64)" in " ".join(p.format_help().split())


def test_hand_written_deprecated_option(capsys):
    p = argparse.ArgumentParser()
    p.add_argument("--max-vocab", type=int, default=None)
    add_deprecated_option(p, "--max-size", dest="max_vocab", use="--max-vocab", type=int)
    assert p.parse_args(["--max-size", "5"]).max_vocab == 5
    assert "--max-size is deprecated; use --max-vocab" in capsys.readouterr().err
    assert p.parse_args([]).max_vocab is None
