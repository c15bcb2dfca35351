"""The CLI's flags are generated from the configs: default parity, one name per idea, old spellings, --config."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from wordlab.cli import build_parser, main
from wordlab.cli.configargs import defaults_of


def subparser(*verbs: str) -> argparse.ArgumentParser:
    p = build_parser(list(verbs))
    for verb in verbs:
        action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
        p = action.choices[verb]
    return p


def _verbs():
    from wordlab.classify import ClassifierConfig, ClassifierTrainingConfig
    from wordlab.classify.run import TRAIN_DEFAULTS as CLASSIFY_TRAIN
    from wordlab.count import PPMIConfig
    from wordlab.lm.config import ARCHITECTURES as LM_ARCHS
    from wordlab.lm.config import TRAIN_DEFAULTS as LM_TRAIN
    from wordlab.lm.config import LMDataConfig
    from wordlab.seq2seq import DataConfig, PairsConfig
    from wordlab.seq2seq.train import ARCHITECTURES as S2S_ARCHS
    from wordlab.seq2seq.train import TRAIN_DEFAULTS as S2S_TRAIN
    from wordlab.training import TrainConfig
    from wordlab.word2vec import Word2VecConfig

    from wordlab.cli import train_ppmi, train_word2vec

    return [
        (("train", "word2vec"), Word2VecConfig, train_word2vec.OVERRIDES),
        (("train", "ppmi"), PPMIConfig, train_ppmi.OVERRIDES),
        *[(("lm", "train"), arch, {}) for arch in dict.fromkeys(LM_ARCHS.values())],  # every --arch
        (("lm", "train"), LMDataConfig, {}),
        (("lm", "train"), TrainConfig, LM_TRAIN),
        *[(("seq2seq", "train"), arch, {}) for arch in dict.fromkeys(S2S_ARCHS.values())],
        (("seq2seq", "train"), DataConfig, {}),
        (("seq2seq", "train"), PairsConfig, {}),
        (("seq2seq", "train"), TrainConfig, S2S_TRAIN),
        (("classify", "train"), ClassifierConfig, {}),
        (("classify", "train"), ClassifierTrainingConfig, {}),
        (("classify", "train"), TrainConfig, CLASSIFY_TRAIN),
    ]


def test_every_generated_default_is_the_config_default_or_a_declared_override():
    checked = 0
    for verbs, config, overrides in _verbs():
        shown = defaults_of(subparser(*verbs), config)
        flagged = {f.name: f.default for f in dataclasses.fields(config) if f.metadata.get("cli", True)}
        assert set(shown) == set(flagged), (verbs, config.__name__)  # every CLI field has a flag
        for name, default in flagged.items():
            assert shown[name] == overrides.get(name, default), (verbs, config.__name__, name)
            checked += 1
    assert checked > 80


@pytest.mark.parametrize("verbs", [("train", "word2vec"), ("train", "ppmi"), ("lm", "train"), ("seq2seq", "train"),
                                   ("classify", "train")])
def test_every_train_verb_takes_a_config_file_and_shows_every_default(verbs):
    p = subparser(*verbs)
    assert "--config" in p._option_string_actions
    formatter = p._get_formatter()
    shown = 0
    for action in p._actions:
        if action.help == argparse.SUPPRESS or not action.option_strings or action.nargs == 0:
            continue
        if action.default not in (None, False) and action.default is not argparse.SUPPRESS:
            assert "default" in formatter._get_help_string(action).lower(), action.option_strings
            shown += 1
    assert shown >= 8


def test_one_name_per_idea_across_train_verbs():
    for verbs in [("train", "word2vec"), ("train", "ppmi"), ("lm", "train"), ("seq2seq", "train"),
                  ("classify", "train")]:
        options = subparser(*verbs)._option_string_actions
        assert "--dim" in options, verbs
        assert "--config" in options, verbs
    for verbs in [("lm", "train"), ("seq2seq", "train"), ("classify", "train")]:
        options = subparser(*verbs)._option_string_actions
        for flag in ("--arch", "--epochs", "--lr", "--optimizer", "--batch-size", "--threads", "--dry-run"):
            assert flag in options, (verbs, flag)
        assert "adadelta" in options["--optimizer"].choices
        assert options["--dry-run"].const == 3  # the same type everywhere: steps, bare flag = 3
    for verbs in [("lm", "train"), ("seq2seq", "train")]:
        assert "--cell" in subparser(*verbs)._option_string_actions
    w2v = subparser("train", "word2vec")._option_string_actions
    for flag in ("--vector-size", "--size", "--lr", "--alpha", "--threads", "--workers", "--iter", "--max-vocab"):
        assert flag in w2v, flag
    ppmi = subparser("train", "ppmi")._option_string_actions
    assert ppmi["--cds-alpha"].dest == "alpha" and ppmi["--alpha"].help == argparse.SUPPRESS


@pytest.fixture()
def clusters(tmp_path):
    lines = [" ".join(f"{c}{(i * 7 + j) % 5}" for j in range(30)) for i in range(40) for c in "ab"]
    p = tmp_path / "c.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_old_spellings_work_with_a_one_line_notice(tmp_path, clusters, capsys):
    out = tmp_path / "v.txt"
    rc = main(["train", "ppmi", str(clusters), "-o", str(out), "--min-count", "1", "--dim", "3", "--no-cache",
               "--alpha", "1.0", "--max-size", "8", "--harmonic", "-q"])
    assert rc == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["wordlab: warning: --alpha is deprecated; use --cds-alpha",
                   "wordlab: warning: --max-size is deprecated; use --max-vocab",
                   "wordlab: warning: --harmonic is deprecated; use --weighting harmonic"]
    meta = json.loads((tmp_path / "v.txt.json").read_text())["config"]
    assert meta["alpha"] == 1.0 and meta["max_size"] == 8 and meta["weighting"] == "harmonic"


def test_config_file_with_flag_override_quiet_after_the_verb_and_case_insensitive_choices(tmp_path, clusters,
                                                                                          capsys):
    cfg = tmp_path / "w2v.toml"
    cfg.write_text('vector_size = 7\nwindow = 2\nmin-count = 1\nepochs = 1\nthreads = 1\ntrainer = "FAST"\n',
                   encoding="utf-8")
    out = tmp_path / "v.txt"
    rc = main(["train", "word2vec", str(clusters), "-o", str(out), "--config", str(cfg), "--dim", "6", "--no-cache",
               "--TRAINER".lower(), "Fast", "-q"])
    assert rc == 0
    captured = capsys.readouterr()
    assert "dim 6, window 2" in captured.out and captured.err == ""  # the flag beats the file; -q after the verb
    bad = tmp_path / "bad.json"
    bad.write_text('{"windw": 2}', encoding="utf-8")
    assert main(["train", "word2vec", str(clusters), "-o", str(out), "--config", str(bad), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wordlab: error: ") and "unknown option 'windw' (did you mean 'window'?)" in err
    assert len(err.strip().splitlines()) == 1


def test_verbose_and_quiet_before_or_after_the_verb():
    for argv in (["-q", "vocab", "x"], ["vocab", "x", "-q"], ["vocab", "-q", "x"]):
        assert build_parser(argv).parse_args(argv).quiet is True
    for argv in (["-v", "vocab", "x"], ["vocab", "x", "-v"]):
        assert build_parser(argv).parse_args(argv).verbose == 1
    assert build_parser(["vocab", "x"]).parse_args(["vocab", "x"]).quiet is False


def test_lm_presets_and_case_insensitive_cell():
    from wordlab.cli.configargs import config_from_arguments
    from wordlab.lm import LMConfig
    from wordlab.lm.config import LMDataConfig
    from wordlab.training import TrainConfig

    p = subparser("lm", "train")
    args = p.parse_args(["--train", "t.txt", "-o", "m.pt", "--preset", "zaremba-medium", "--cell", "LSTM",
                         "--epochs", "2"])
    model = config_from_arguments(LMConfig, args)
    train = config_from_arguments(TrainConfig, args)
    assert (model.emb_size, model.hidden_size, model.dropout, model.tie_weights) == (650, 650, 0.5, False)
    assert (train.optimizer, train.lr, train.clip, train.epochs) == ("sgd", 1.0, 5.0, 2)  # the flag wins
    args = p.parse_args(["--train", "t.txt", "-o", "m.pt"])
    model, data = config_from_arguments(LMConfig, args), config_from_arguments(LMDataConfig, args)
    # the CLI default: a small tied model that trains in minutes
    assert (model.layers, model.emb_size, model.hidden_size, model.dropout, model.tie_weights) == (2, 200, 200, 0.2,
                                                                                                   True)
    assert (data.batch_size, data.bptt) == (20, 35)
    assert config_from_arguments(TrainConfig, args).optimizer == "sgd"
    args = p.parse_args(["--train", "t.txt", "-o", "m.pt", "--preset", "ptb-650-bf16"])
    assert config_from_arguments(TrainConfig, args).precision == "bf16"
    assert config_from_arguments(LMDataConfig, args).batch_size == 64


def test_seq2seq_eval_defaults_to_the_held_out_test_split(tmp_path, capsys):
    pairs = tmp_path / "p.tsv"
    rows = [f"w{i} w{i + 1} .\tv{i} v{i + 1} ." for i in range(20)]
    pairs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = tmp_path / "m.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(pairs), "--cell", "GRU", "--hidden", "8", "--dim", "4",
                 "--test", "0.25", "--dry-run", "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["seq2seq", "eval", str(model), "--pairs", str(pairs), "--json", "-q"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["split"] == "test" and r["n"] == 5  # 25 % of 20, never the 15 training pairs
    assert main(["seq2seq", "eval", str(model), "--pairs", str(pairs), "--json", "--split", "ALL", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 20


def test_arch_comes_from_the_flag_the_config_file_or_the_preset(tmp_path):
    from wordlab.cli.configargs import layered_value
    from wordlab.errors import ConfigError
    from wordlab.lm.config import ARCHITECTURES

    p = subparser("lm", "train")
    base = ["--train", "t.txt", "-o", "m.pt"]
    assert layered_value(p.parse_args(base + ["--preset", "zaremba-small"]), "arch", ARCHITECTURES) == "rnn"
    cfg = tmp_path / "c.json"
    cfg.write_text('{"arch": "RNN", "dim": 8}', encoding="utf-8")
    assert layered_value(p.parse_args(base + ["--config", str(cfg)]), "arch", ARCHITECTURES) == "rnn"
    cfg.write_text('{"arch": "cnn"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="arch: 'cnn' is not one of"):
        layered_value(p.parse_args(base + ["--config", str(cfg)]), "arch", ARCHITECTURES)
    assert layered_value(p.parse_args(base + ["--config", str(cfg), "--arch", "RNN"]), "arch", ARCHITECTURES) == "rnn"


def test_hand_written_choices_are_case_insensitive_too():
    argv = ["vocab", "x.txt", "--tokenizer", "WhiteSpace", "--encoding-errors", "REPLACE"]
    args = build_parser(argv).parse_args(argv)
    assert (args.tokenizer, args.encoding_errors) == ("whitespace", "replace")
    argv = ["analogy", "v.bin", "a", "b", "c", "--method", "3CosMul"]
    assert build_parser(argv).parse_args(argv).method == "3cosmul"
    argv = ["lm", "train", "--train", "t", "-o", "m", "--model", "LSTM", "--optimizer", "AdaDelta"]
    args = build_parser(argv).parse_args(argv)
    assert (args.cell, args.optimizer) == ("lstm", "adadelta")


def test_every_registered_trainer_takes_a_config_file():
    from wordlab.cli import TRAIN_COMMANDS

    for method in TRAIN_COMMANDS:
        options = subparser("train", method)._option_string_actions
        assert "--config" in options and "--dim" in options, method
