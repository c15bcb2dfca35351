"""BPE tokens for translation (`seq2seq train --tokenizer bpe`): one byte-level BPE model learnt from both sides of
the training pairs, stored in and validated from the checkpoint, words in and clean words out."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import torch

from fuzzing import FAST_CASES, fuzz_loader
from wordlab import artifacts
from wordlab.checkpoint import config_from_dict, load_checkpoint
from wordlab.cli import main
from wordlab.errors import CheckpointError, ConfigError
from wordlab.seq2seq import DataConfig, Seq2SeqConfig, Translator, read_pairs
from wordlab.seq2seq.subword import (decode_pieces, encode_words, pair_vocabulary, piece_labels,
                                     train_pair_tokenizer)
from wordlab.seq2seq.train import PairsConfig, train_seq2seq
from wordlab.seq2seq.transformer import TransformerSeq2SeqConfig
from wordlab.text import SPECIALS
from wordlab.training import TrainConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DATES = Path(__file__).resolve().parents[1] / "corpora" / "dlfs2-date.txt.gz"
ARTEFACTS = ("Ġ", "▁", "Ċ", "\ufffd")


def _dates_tsv(path: Path, n: int = 300) -> Path:
    """The first ``n`` questions of corpora/dlfs2-date.txt.gz as a tsv pair file: "september 27, 1994<TAB>1994-09-27"."""
    lines = []
    with gzip.open(DATES, "rt", encoding="utf-8") as f:
        for line in f:
            q, a = line.rstrip("\n").split("_", 1)
            lines.append(f"{q.strip()}\t{a.strip()}")
            if len(lines) == n:
                break
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def dates(tmp_path):
    return _dates_tsv(tmp_path / "dates.tsv")


def test_pair_tokenizer_round_trips_words_and_shares_one_vocabulary(dates):
    pairs = read_pairs(dates, DataConfig(tokenizer="bpe")) + [
        ("je suis très fatiguée , naïve café <unk> 戦場".split(), "i am very tired , naive cafe <unk> ☃".split())]
    bpe = train_pair_tokenizer(pairs, vocab_size=320)
    vocab = pair_vocabulary(bpe)
    assert tuple(vocab.itos[:4]) == SPECIALS and len(vocab) == len(bpe) + 2
    assert vocab.itos[4:] == [bpe.tokenizer.id_to_token(i) for i in range(2, len(bpe))]
    for side in (0, 1):
        sentences = [p[side] for p in pairs]
        pieces = encode_words(bpe, sentences)
        assert any(p.startswith("Ġ") for s in pieces for p in s)            # byte-level pieces inside ...
        for words, ps in zip(sentences, pieces):
            text = decode_pieces(bpe, ps)
            assert text == " ".join(words)                                    # ... clean words outside
            assert not any(a in text for a in ARTEFACTS[:3])
            assert all(p in vocab for p in ps)                                # byte-level: nothing unknown
    labels = piece_labels(bpe, encode_words(bpe, [["septembre", "1994"]])[0])
    assert " ".join(labels).replace(" ##", "").replace("␣", "").split() == ["septembre", "1994"]
    assert not any("Ġ" in lab for lab in labels)
    assert encode_words(bpe, [[]]) == [[]]


def test_data_config_tokenizer_and_the_char_alias():
    assert DataConfig(char=True).tokenizer == "char" and DataConfig(tokenizer="char").char
    assert DataConfig(char=True).is_char and not DataConfig(tokenizer="bpe").is_char
    assert DataConfig(format="dlfs2").is_char
    with pytest.raises(ConfigError, match="two kinds of tokens"):
        DataConfig(char=True, tokenizer="bpe")
    with pytest.raises(ConfigError, match="character level"):
        DataConfig(format="dlfs2", tokenizer="bpe")
    with pytest.raises(ConfigError, match=">= 258"):
        DataConfig(tokenizer="bpe", vocab_size=100)
    with pytest.raises(ConfigError, match="tokenizer must be one of"):
        DataConfig(tokenizer="sentencepiece")
    old = config_from_dict(DataConfig, {"format": "tsv", "char": True, "swap": False, "tutorial": False,
                                        "max_length": 10, "source_width": 0})  # a checkpoint from before --tokenizer
    assert old.tokenizer == "char" and old.is_char


def test_transformer_bpe_train_save_load_translate(tmp_path, dates):
    out = tmp_path / "tf.pt"
    cfg = TransformerSeq2SeqConfig(layers=1, dim=32, heads=2, dropout=0.0, attn_dropout=0.0)
    res = train_seq2seq(dates, cfg, TrainConfig(epochs=8, lr=1e-2, clip=1.0, seed=0),
                        data=DataConfig(tokenizer="bpe", vocab_size=300), pairs=PairsConfig(batch_size=32),
                        out=out, device="cpu", progress=False)
    assert res.translator.model.cfg.share_embeddings                  # one BPE model: one embedding matrix
    assert res.sizes["src_vocab"] == res.sizes["tgt_vocab"] == len(res.translator.tokenizer) + 2
    assert "tokenizer" in load_checkpoint(out)["extra"]

    tr = Translator.load(out)
    assert tr.tokenizer is not None and tr.tokenizer.to_json() == res.translator.tokenizer.to_json()
    assert isinstance(artifacts.load(out), Translator)                  # the registry goes through the same check
    pairs = read_pairs(dates, tr.data)[:60]                             # training pairs: the model has seen them
    ts = tr.translate([" ".join(s) for s, _ in pairs], beam=2)
    for t in ts:
        assert any(p.startswith("Ġ") for p in t.output)                 # the model speaks pieces ...
        assert not any(a in t.text for a in ARTEFACTS)                  # ... the user reads text
        assert t.text == decode_pieces(tr.tokenizer, t.output) == " ".join(tr.output_words(t.output))
    right = sum(t.text == " ".join(r) for t, (_, r) in zip(ts, pairs))
    shaped = sum(bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t.text)) for t in ts)
    assert shaped >= 48 and right >= 3, [t.text for t in ts[:5]]       # it learnt dates (60 and 11 when written)
    r = tr.evaluate(pairs, beam=2, examples=2)                          # scored on words: same as translate's text
    assert r["accuracy"] == right / len(pairs) and 0.0 < r["bleu"] <= 1.0
    assert r["examples"][0]["reference"] == " ".join(pairs[0][1])


def test_cli_rnn_bpe_train_eval_translate_attention_labels(tmp_path, dates, capsys, monkeypatch):
    model = tmp_path / "rnn.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(dates), "--arch", "rnn", "--tokenizer", "bpe",
                 "--vocab-size", "300", "--attention", "dot", "--hidden", "16", "--dim", "8", "--epochs", "1",
                 "--dry-run", "--valid", "0.1", "--threads", "1", "-o", str(model)]) == 0
    assert "BPE vocabulary 302 (shared by both sides)" in capsys.readouterr().err
    assert main(["-q", "seq2seq", "eval", str(model), "--pairs", str(dates), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 30 and "bleu" in r                                 # BLEU on words, as for a word model
    assert not any(a in ex["output"] for ex in r["examples"] for a in ARTEFACTS[:3])

    drawn = {}

    def heatmap(weights, source, output, path, title=None):
        drawn.update(weights=weights, source=list(source), output=list(output))
        Path(path).write_bytes(b"png")

    monkeypatch.setattr("wordlab.plots.attention_heatmap", heatmap)
    png = tmp_path / "att.png"
    assert main(["-q", "translate", str(model), "september 27, 1994", "--show-attention", str(png)]) == 0
    out = capsys.readouterr()
    assert "not in the model's source vocabulary" not in out.err       # byte-level: no <unk> warnings
    text = out.out.strip()
    assert not any(a in text for a in ARTEFACTS[:3])
    src = drawn["source"]                                               # the axes: readable subword pieces
    assert " ".join(src).replace(" ##", "").replace("␣", "").split() == "september 27, 1994".split()
    assert len(src) > 4
    assert not any("Ġ" in s for s in src + drawn["output"])
    assert drawn["weights"].shape == (len(drawn["output"]), len(src))


def test_char_flag_is_an_alias_and_bad_combinations_are_one_line(tmp_path, dates, capsys):
    model = tmp_path / "c.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(dates), "--char", "--hidden", "8", "--dim", "4",
                 "--epochs", "1", "--dry-run", "--threads", "1", "-o", str(model)]) == 0
    assert Translator.load(model).data.tokenizer == "char"
    capsys.readouterr()
    assert main(["-q", "seq2seq", "train", "--pairs", str(dates), "--char", "--tokenizer", "bpe",
                 "-o", str(tmp_path / "x.pt")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--char and --tokenizer bpe" in err
    dl = tmp_path / "d.txt"
    dl.write_text("".join(f"{a}+{b}   _{a + b}\n" for a in range(5) for b in range(5)), encoding="utf-8")
    assert main(["-q", "seq2seq", "train", "--pairs", str(dl), "--tokenizer", "bpe", "-o", str(tmp_path / "y.pt")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--tokenizer bpe needs a tsv pair file" in err


def test_resume_relearns_the_same_tokenizer(tmp_path, dates, capsys):
    model = tmp_path / "r.pt"
    args = ["-q", "seq2seq", "train", "--pairs", str(dates), "--tokenizer", "bpe", "--vocab-size", "300", "--hidden",
            "8", "--dim", "4", "--threads", "1", "-o", str(model)]
    assert main(args + ["--epochs", "1"]) == 0
    first = load_checkpoint(model)["extra"]["tokenizer"]
    assert main(args + ["--epochs", "2", "--resume"]) == 0
    assert "trained 2 epoch(s)" in capsys.readouterr().out
    assert load_checkpoint(model)["extra"]["tokenizer"] == first        # BPE training is deterministic
    assert Translator.load(model).tokenizer is not None


def _bpe_model(tmp_path, dates) -> Path:
    out = tmp_path / "m.pt"
    train_seq2seq(dates, Seq2SeqConfig(emb=4, hidden=8), TrainConfig(epochs=1, dry_run=1),
                  data=DataConfig(tokenizer="bpe", vocab_size=280), out=out, device="cpu", progress=False)
    return out


def _rewrite(path: Path, change) -> None:
    payload = load_checkpoint(path)
    change(payload["extra"])
    torch.save(payload, path)


@pytest.mark.parametrize("damage, message", [
    (lambda e: e.update(tokenizer=e["tokenizer"][: len(e["tokenizer"]) // 2]), "not valid tokenizers JSON"),
    (lambda e: e.pop("tokenizer"), "without its tokenizer"),
    (lambda e: e.update(tokenizer=json.dumps({"version": "1.0", "model": {"type": "BPE"}})),
     "not valid tokenizers JSON"),
    (lambda e: e.update(tokenizer=train_pair_tokenizer([("a b".split(), "c d".split())] * 3, 300).to_json()),
     "do not match the model's vocabularies"),
    (lambda e: e.update(tokenizer=12), "not a JSON string"),
])
def test_damaged_tokenizer_in_checkpoint_is_one_line(tmp_path, dates, capsys, damage, message):
    model = _bpe_model(tmp_path, dates)
    _rewrite(model, damage)
    with pytest.raises(CheckpointError, match=message):
        Translator.load(model)
    assert main(["-q", "translate", str(model), "july 4, 2001"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message.split()[0] in err and str(model) in err


def test_fuzzed_tokenizer_inside_a_checkpoint_fails_with_wordlab_errors_only(tmp_path, dates):
    model = _bpe_model(tmp_path, dates)
    payload = load_checkpoint(model)
    seed = payload["extra"]["tokenizer"].encode("utf-8")

    def write(path, data):  # the mutant tokenizer JSON goes back into an otherwise intact checkpoint
        payload["extra"]["tokenizer"] = data.decode("utf-8", "replace")
        torch.save(payload, path)

    def load(path):
        Translator.load(path).translate(["july 4, 2001"], max_len=5)  # what loads must also translate

    stats = fuzz_loader(load, [seed], FAST_CASES // 4, tmp_path, name="model.pt", seed=16, max_mutations=2,
                        write=write)
    assert stats["rejected"] > 0


def test_serve_translates_a_bpe_model_with_readable_pieces(tmp_path, dates):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from wordlab.serve import create_app

    model = _bpe_model(tmp_path, dates)
    with TestClient(create_app([str(model)])) as c:
        r = c.post(f"/api/translate/{model.stem}", json={"text": "september 27, 1994", "beam": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    labels = body["source"] + body["output"]
    assert body["source"] and not any("Ġ" in p for p in labels), labels      # no byte-level marks
    assert "".join(p.lstrip("#") for p in body["source"]).replace("␣", "") == "september27,1994"
    if body["attention"] is not None:  # the rows of the heat-map are the same readable pieces
        assert body["attention_rows"] == (body["output"] + ["<eos>"])[:len(body["attention"])]
