"""wordlab serve: every API endpoint, every limit, the token, and seeded fuzzing of request bodies."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import oracle

oracle.require("fastapi", extra="serve")
oracle.require("httpx", extra="test")
from fastapi.testclient import TestClient  # noqa: E402

from bad_inputs import tiny_model  # noqa: E402
from fuzzing import mutate  # noqa: E402
from serve_fixtures import WORDS, cached, write_vectors  # noqa: E402
from wordlab.serve import ServeLimits, create_app  # noqa: E402

@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve")
    path, vecs = write_vectors(d)
    return {"vectors": path, "lm": tiny_model("lm"), "translator": cached("translator", d),
            "classifier": cached("classifier", d), "matrix": vecs}


LIMITS = ServeLimits(max_topn=50, max_tokens=40, max_text=300, max_words=6, max_generations=2, max_body=4096,
                     max_map=150)


@pytest.fixture(scope="module")
def client(artifacts):
    app = create_app([artifacts["vectors"], artifacts["lm"], artifacts["translator"], artifacts["classifier"]],
                     limits=LIMITS)
    with TestClient(app) as c:
        yield c


def test_models_lists_each_artifact_once_by_kind(client):
    r = client.get("/api/models")
    assert r.status_code == 200
    kinds = {m["name"]: m["kind"] for m in r.json()["models"]}
    assert kinds == {"vecs": "vectors", "lm": "lm", "translator": "translator", "clf": "classifier"}
    info = client.get("/api/models/lm").json()
    assert info["config"] and isinstance(info["history"], list) and info["history"], info
    assert "train_loss" in info["history"][0] or "loss" in json.dumps(info["history"][0])
    assert client.get("/api/models/nope").status_code == 404


def test_neighbours_match_a_brute_force_cosine(client, artifacts):
    r = client.post("/api/vectors/vecs/neighbours", json={"word": "w3", "topn": 5})
    assert r.status_code == 200, r.text
    got = [n["word"] for n in r.json()["neighbours"]]
    m = artifacts["matrix"] / np.linalg.norm(artifacts["matrix"], axis=1, keepdims=True)
    cos = m @ m[3]
    cos[3] = -9
    assert got == [WORDS[k] for k in np.argsort(-cos)[:5]]
    sims = [n["similarity"] for n in r.json()["neighbours"]]
    assert sims == sorted(sims, reverse=True) and abs(sims[0] - cos.max()) < 1e-4


def test_analogy_both_methods_find_the_planted_answer(client):
    for method in ("3cosadd", "3cosmul"):
        r = client.post("/api/vectors/vecs/analogy", json={"positive": ["king", "woman"], "negative": ["man"],
                                                           "method": method, "topn": 3})
        assert r.status_code == 200, r.text
        assert r.json()["answers"][0]["word"] == "queen", (method, r.json())


def test_similarity_odd_one_out_completion_and_map(client, artifacts):
    r = client.post("/api/vectors/vecs/similarity", json={"a": "king", "b": "king"})
    assert r.json()["similarity"] == pytest.approx(1.0, abs=1e-5)
    r = client.post("/api/vectors/vecs/odd-one-out", json={"words": ["king", "queen", "w7"]})
    assert r.status_code == 200 and r.json()["odd"] in {"king", "queen", "w7"} and len(r.json()["scores"]) == 3
    assert client.get("/api/vectors/vecs/complete", params={"prefix": "w1", "limit": 4}).json()["words"] == \
        ["w1", "w10", "w11", "w12"]
    m = client.get("/api/vectors/vecs/map", params={"n": 100}).json()
    assert m["words"] == WORDS[:100] and len(m["x"]) == len(m["y"]) == 100 and m["method"] == "pca"
    x = artifacts["matrix"][:100] / np.linalg.norm(artifacts["matrix"][:100], axis=1, keepdims=True)
    var = np.var(x - x.mean(0), axis=0).sum()
    assert 0 < np.var(m["x"]) <= var  # the first principal axis carries part of the variance
    r = client.get("/api/vectors/vecs/map", params={"n": 50, "method": "tsne"})
    assert r.status_code in (200, 400) and (r.status_code == 200 or "scikit-learn" in r.json()["error"])


def test_unknown_word_and_model_are_json_4xx(client):
    r = client.post("/api/vectors/vecs/neighbours", json={"word": "zzzz"})
    assert r.status_code == 404 and "zzzz" in r.json()["error"]
    r = client.post("/api/vectors/lm/neighbours", json={"word": "king"})
    assert r.status_code == 404 and "vecs" in r.json()["error"]
    r = client.post("/api/translate/vecs", json={"text": "a i"})
    assert r.status_code == 404


def _events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_generation_streams_token_events_then_done(client):
    body = {"prompt": "the", "max_tokens": 7, "temperature": 0.8, "top_k": 5, "top_p": 0.9, "seed": 3}
    with client.stream("POST", "/api/lm/lm/generate", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        ev = _events(r.read().decode())
    tokens = [d["text"] for e, d in ev if e == "token"]
    assert ev[-1] == ("done", {"tokens": len(tokens)}) and 1 <= len(tokens) <= 7
    with client.stream("POST", "/api/lm/lm/generate", json=body) as r:
        again = [d["text"] for e, d in _events(r.read().decode()) if e == "token"]
    assert again == tokens  # seeded
    greedy = {"prompt": "the", "max_tokens": 5, "greedy": True}
    first = client.post("/api/lm/lm/generate", json=greedy).text
    assert client.post("/api/lm/lm/generate", json=greedy).text == first


def test_generation_banned_word_never_appears(client):
    vocab = client.app.state.wordlab.served["lm"].obj.vocab
    common = [w for w in vocab.itos if not w.startswith("<")][:3]
    r = client.post("/api/lm/lm/generate", json={"max_tokens": 30, "banned": common, "seed": 1})
    words = "".join(d["text"] for e, d in _events(r.text) if e == "token").split()
    assert words and not set(words) & set(common)
    r = client.post("/api/lm/lm/generate", json={"banned": ["notaword123"], "max_tokens": 5})
    assert r.status_code == 400 and "notaword123" in r.json()["error"]


def test_translation_has_its_attention_matrix(client):
    r = client.post("/api/translate/translator", json={"text": "a i", "beam": 2})
    assert r.status_code == 200, r.text
    j = r.json()
    att = np.array(j["attention"])
    assert att.shape[1] == len(j["source"]) == 2 and len(j["attention_rows"]) == att.shape[0]
    assert att.shape[0] in (len(j["output"]), len(j["output"]) + 1)  # + <eos> unless max_len cut it
    np.testing.assert_allclose(att.sum(1), 1.0, atol=1e-3)


@pytest.mark.parametrize("path,body,status,words", [
    ("/api/vectors/vecs/neighbours", {"word": "king", "topn": 51}, 400, "topn"),
    ("/api/vectors/vecs/neighbours", {"word": "king", "topn": 0}, 400, "topn"),
    ("/api/vectors/vecs/neighbours", {"word": "k" * 301}, 413, "limit"),
    ("/api/vectors/vecs/analogy", {"positive": ["king"] * 7}, 400, "positive"),
    ("/api/vectors/vecs/analogy", {"positive": []}, 400, "positive"),
    ("/api/vectors/vecs/odd-one-out", {"words": ["king", "queen"]}, 400, "words"),
    ("/api/lm/lm/generate", {"max_tokens": 41}, 400, "max_tokens"),
    ("/api/lm/lm/generate", {"prompt": "x" * 301}, 413, "prompt"),
    ("/api/lm/lm/generate", {"temperature": 0}, 400, "temperature"),
    ("/api/lm/lm/generate", {"top_p": 1.5}, 400, "top_p"),
    ("/api/lm/lm/generate", {"top_k": -1}, 400, "top_k"),
    ("/api/translate/translator", {"text": "a", "beam": 9}, 400, "beam"),
    ("/api/translate/translator", {"text": "a " * 200}, 413, "text"),
    ("/api/translate/translator", {"text": "  "}, 400, "empty"),
    ("/api/vectors/vecs/neighbours", {"word": "king", "path": "/etc/passwd"}, 422, "path"),
    ("/api/vectors/vecs/neighbours", {"topn": 3}, 422, "word"),
])
def test_every_limit_is_a_4xx_json_error(client, path, body, status, words):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]


def test_map_and_completion_limits(client):
    r = client.get("/api/vectors/vecs/map", params={"n": 151})
    assert r.status_code == 400 and "n must be" in r.json()["error"]
    assert client.get("/api/vectors/vecs/map", params={"method": "umap"}).status_code == 422
    assert client.get("/api/vectors/vecs/complete", params={"prefix": "w", "limit": 51}).status_code == 400


def test_body_size_limit_by_header_and_by_stream(client):
    r = client.post("/api/vectors/vecs/neighbours", content=b'{"word": "' + b"a" * 5000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["error"]

    def chunks():
        yield b'{"word": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'
    r = client.post("/api/vectors/vecs/neighbours", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text


def test_concurrent_generation_limit_is_429(client):
    state = client.app.state.wordlab
    state.generating = LIMITS.max_generations  # both slots busy
    try:
        r = client.post("/api/lm/lm/generate", json={"max_tokens": 3})
        assert r.status_code == 429 and "already running" in r.json()["error"]
    finally:
        state.generating = 0
    assert client.post("/api/lm/lm/generate", json={"max_tokens": 3}).status_code == 200
    assert state.generating == 0  # the slot is given back when the stream ends


def test_token_is_checked_on_every_api_call(artifacts):
    served = None
    app = create_app([artifacts["vectors"]], token="s3cret", limits=LIMITS)
    with TestClient(app) as c:
        served = c
        for path in ("/api/models", "/api/models/vecs", "/api/vectors/vecs/map"):
            assert c.get(path).status_code == 401
            assert c.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
            assert c.get(path, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        r = c.post("/api/vectors/vecs/neighbours", json={"word": "king"}, headers={"X-Wordlab-Token": "nope"})
        assert r.status_code == 403 and r.json() == {"error": "wrong token"}
        assert c.get("/").status_code == 200  # the page holds no data; its API calls carry the token
    assert served is not None


def test_openapi_is_the_contract_and_docs_are_off(client):
    spec = client.get("/openapi.json").json()
    for p in ("/api/models", "/api/vectors/{name}/neighbours", "/api/vectors/{name}/analogy",
              "/api/lm/{name}/generate", "/api/translate/{name}", "/api/classify/{name}", "/api/vectors/{name}/map"):
        assert p in spec["paths"], p
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    r = client.options("/api/models", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers  # CORS off
    page = client.get("/")
    assert page.status_code == 200 and "<script" in page.text and "http" not in page.text.split("<script")[1][:200]


def test_no_request_can_name_a_file(client):
    for path in ("/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/api/models/..%2f..%2fetc%2fpasswd"):
        r = client.get(path)
        assert r.status_code == 404 and "root:" not in r.text


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_request_bodies_get_json_answers_never_500(client, seed):
    rng = random.Random(seed)
    values = [None, True, 0, -1, 1, 2**31, 2**70, 1e308, -1e308, 0.5, float("nan"), "", "king", "w1", "é" * 3,
              "\x00", "a\nb", "<script>", [], ["king"], ["king", "queen", "man"], ["x"] * 30, {}, {"a": 1}]
    fields = ["word", "topn", "positive", "negative", "method", "a", "b", "words", "prompt", "max_tokens",
              "temperature", "top_k", "top_p", "banned", "greedy", "seed", "text", "beam", "max_len", "extra"]
    paths = ["/api/vectors/vecs/neighbours", "/api/vectors/vecs/analogy", "/api/vectors/vecs/similarity",
             "/api/vectors/vecs/odd-one-out", "/api/lm/lm/generate", "/api/translate/translator", "/api/classify/clf"]
    for case in range(60):
        body = {f: rng.choice(values) for f in rng.sample(fields, rng.randint(0, 5))}
        raw = json.dumps(body, allow_nan=True).encode()
        if rng.random() < 0.4:  # the file fuzzer's byte mutations (flips, interesting bytes, splices, ...)
            raw, _ = mutate(raw, rng, json.dumps({"word": "king", "topn": 3}).encode())
        path = rng.choice(paths)
        r = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert r.status_code < 500, (seed, case, path, raw, r.text)
        if r.status_code >= 400:
            assert isinstance(r.json()["error"], str) and r.json()["error"], (path, raw, r.text)


def test_generation_stops_when_the_client_disconnects(artifacts):
    """A real server (uvicorn): the client reads one token and leaves; sampling stops and the slot is freed."""
    import time

    import httpx

    from serve_fixtures import running_server

    app = create_app([artifacts["lm"]], limits=ServeLimits(max_tokens=400))
    state = app.state.wordlab
    model = state.served["lm"].obj.model
    steps = []
    real_step = model.step

    def slow_step(*a, **k):  # 400 tokens would take 8 s
        steps.append(1)
        time.sleep(0.02)
        return real_step(*a, **k)

    model.step = slow_step

    try:
        with running_server(app, timeout=20) as url:  # the server keeps running while the client leaves
            with httpx.Client(base_url=url, timeout=20) as c:
                with c.stream("POST", "/api/lm/lm/generate", json={"max_tokens": 400, "seed": 0}) as r:
                    assert r.status_code == 200
                    for line in r.iter_lines():
                        if line.startswith("event: token"):
                            break
            deadline = time.monotonic() + 10
            while state.generating and time.monotonic() < deadline:
                time.sleep(0.05)
            assert state.generating == 0
            time.sleep(0.3)
            n = len(steps)
            time.sleep(0.5)
            assert len(steps) == n < 200, (n, len(steps))  # stopped, long before the 400 tokens
    finally:
        model.step = real_step


def test_cli_refuses_another_host_without_a_token_and_bad_options(artifacts, capsys):
    from wordlab.cli import main

    assert main(["serve", str(artifacts["vectors"]), "--host", "0.0.0.0"]) == 1
    err = capsys.readouterr().err
    assert "--token" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["serve", str(artifacts["vectors"]), "--port", "70000"]) == 1
    assert main(["serve", str(artifacts["vectors"]), "--max-topn", "0"]) == 1
    assert "max_topn" in capsys.readouterr().err


def test_classification_probabilities(client):
    r = client.post("/api/classify/clf", json={"text": "a very good fun film"})
    assert r.status_code == 200, r.text
    j = r.json()
    probs = [p["probability"] for p in j["probabilities"]]
    assert {p["label"] for p in j["probabilities"]} == {"pos", "neg"} and sum(probs) == pytest.approx(1, abs=1e-4)
    assert probs == sorted(probs, reverse=True) and j["label"] == j["probabilities"][0]["label"]
    assert client.post("/api/classify/clf", json={"text": "x" * 301}).status_code == 413
    assert client.post("/api/classify/vecs", json={"text": "good"}).status_code == 404
