"""Benchmark: ``wordlab serve`` under load, on loopback only, bounded in time.

A server process (this file with ``--server``) writes ``--words`` × ``--dim`` random vectors (native ``.npz``) and
two randomly initialised language models (checkpoints) to a temporary folder, loads them through
``wordlab.artifacts.load`` as ``wordlab serve FILE...`` does, and serves them twice from one uvicorn event
loop over the *same* matrices: on one port with micro-batching of neighbour queries, on another with one scan
per request. The client (this process: a minimal keep-alive
HTTP client for the neighbour load, httpx for the event streams) measures

* **open loop**: ``--rate`` neighbour requests/s (64 keep-alive connections) for ``--seconds`` s, sent on
  schedule whatever the answers do (latency counted from the scheduled send time, so queueing is not
  hidden) → p50 / p99 / max latency and errors; target p99 ≤ 50 ms, zero errors;
* **saturation**: ``--clients`` closed-loop clients for ``--sat-seconds`` s each, batching on and off →
  requests/s and the ratio (target ≥ 2×);
* **generation**: one stream alone, then ``--streams`` concurrent streams (server-sent events) of
  ``--gen-tokens`` tokens from each LM → tokens/s per stream;
* the server's resident memory (VmRSS) after loading and after the runs;
* where the CPU goes: for each neighbour run, CPU milliseconds per answered request of each server thread
  (``MainThread``: the event loop, i.e. HTTP, FastAPI and JSON; ``wordlab-batch``: the batched passes;
  ``wordlab-search``: the numba kernel's threads; ``asyncio``: ``to_thread`` workers) and of the load client,
  with the number of passes over the vectors and the mean queries per pass (the server's ``/bench/stats``).

The load client is a minimal asyncio keep-alive HTTP/1.1 client (about 0.2-0.4 ms of CPU per request, see
the table): a real client would be another machine, so the client should take as little of these two cores
as it can; httpx costs more per request than the server does.

Prints a table and writes ``benchmarks/results/serve.json``.

    nice -n 10 python benchmarks/serve.py [--words 300000] [--dim 300] [--rate 200] [--seconds 30]
                                          [--clients 32] [--sat-seconds 10] [--streams 4] [--gen-tokens 100]
                                          [--window-ms 5] [--only open,saturation,generation]
                                          [--neighbours-only]

Every figure is from one run on whatever machine runs it; on a shared machine the client and the
server compete for the same cores as everything else, so read the ratios rather than the absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "serve.json"


# ---------------------------------------------------------------------------------------- server side
def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _write_lm(arch: str, vocab_words: int, path: Path) -> Path:
    """A randomly initialised LM (2×650 tied LSTM, or a 4×256 Transformer) saved as a real checkpoint."""
    import torch

    from wordlab.checkpoint import save_checkpoint
    from wordlab.text import EOS, UNK, Vocabulary

    words = [UNK, EOS] + [f"w{i}" for i in range(vocab_words - 2)]
    vocab = Vocabulary(words, np.ones(len(words), dtype=np.int64), specials=(UNK, EOS))
    torch.manual_seed(0)
    if arch == "lstm":
        from wordlab.lm import LMConfig, RNNLanguageModel

        cfg = LMConfig(vocab_size=len(vocab), cell="lstm", layers=2, emb_size=650, hidden_size=650, dropout=0.0,
                       emb_dropout=0.0, tie_weights=True)
        model = RNNLanguageModel(cfg)
    else:
        from wordlab.lm.transformer import TransformerLanguageModel, TransformerLMConfig

        cfg = TransformerLMConfig(vocab_size=len(vocab), layers=4, dim=256, heads=4, context=256)
        model = TransformerLanguageModel(cfg)
    save_checkpoint(path, kind="lm", config=cfg, state_dict=model.state_dict(), vocab=vocab)
    return path


def _write_artifacts(args: argparse.Namespace, d: Path) -> list[Path]:
    """Random unit-norm vectors (wordlab's native .npz) and the LMs, written to ``d`` as a user's files are."""
    from wordlab.vectors import KeyedVectors

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((args.words, args.dim), dtype=np.float32)
    paths = [d / "vecs.npz"]
    KeyedVectors([f"w{i}" for i in range(args.words)], vecs).save(paths[0])
    for arch in () if args.neighbours_only else ("lstm", "transformer"):
        paths.append(_write_lm(arch, args.lm_vocab, d / f"{arch}.pt"))
    return paths


def _thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of ``pid``, by thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _cpu_split(before: dict, after: dict, requests: int, client_s: float) -> dict:
    """CPU milliseconds per answered request: the server's threads by name, and the load client."""
    per = {k: round(1000 * (v - before.get(k, 0.0)) / max(requests, 1), 2) for k, v in sorted(after.items())}
    per = {k: v for k, v in per.items() if v > 0}
    return {"server_ms_per_request": per, "server_total_ms": round(sum(per.values()), 2),
            "client_ms_per_request": round(1000 * client_s / max(requests, 1), 2)}


def _rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stats_route(state):
    def stats() -> dict:
        import threading

        names = {t.native_id: t.name.rstrip("_0123456789") for t in threading.enumerate()}
        cpu = _thread_cpu(os.getpid())
        return {"batchers": {n: {"passes": b.passes, "answered": b.answered} for n, b in state.batchers.items()},
                "cpu": {names.get(tid, "ended threads"): 0.0 for tid in cpu} | _by_name(cpu, names)}
    return stats


def _by_name(cpu: dict[int, float], names: dict[int, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for tid, s in cpu.items():
        name = names.get(tid, "other")
        out[name] = out.get(name, 0.0) + s
    return out


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    import tempfile

    from wordlab.serve import ServeLimits
    from wordlab.serve.app import create_app
    from wordlab.serve.registry import load_artifacts

    rss0 = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="wordlab-serve-bench-") as tmp:
        paths = _write_artifacts(args, Path(tmp))
        served = load_artifacts(paths)  # through wordlab.artifacts.load, as `wordlab serve FILE...` does
    limits = ServeLimits(max_generations=max(4, args.streams), max_tokens=max(500, args.gen_tokens))
    apps = [create_app(served, limits=limits, batching=True, batch_window=args.window_ms / 1000),
            create_app(served, limits=limits, batching=False)]
    for app in apps:  # the benchmark's own probe: how many matrix passes answered how many queries
        app.add_api_route("/bench/stats", _stats_route(app.state.wordlab), include_in_schema=False)
    ports = [_free_port(), _free_port()]
    servers = [uvicorn.Server(uvicorn.Config(a, host="127.0.0.1", port=p, log_level="warning", access_log=False))
               for a, p in zip(apps, ports)]

    async def main() -> None:
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):
            await asyncio.sleep(0.05)
        print(json.dumps({"ports": ports, "rss_loaded_mb": _rss_mb(), "rss_start_mb": rss0,
                          "lms": [n for n, s in served.items() if s.kind == "lm"]}), flush=True)
        await asyncio.gather(*tasks)

    # the event loop `wordlab serve` gets from uvicorn.run: uvloop when it is installed (the serve extra)
    factory = servers[0].config.get_loop_factory()
    loop = factory() if factory is not None else asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main())


# ---------------------------------------------------------------------------------------- client side
def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


class Conn:
    """One keep-alive HTTP/1.1 connection speaking just enough to POST JSON and read the answer.

    The load generator must cost far less than the server it measures; httpx's async client spends
    more CPU per request than the server does, so the neighbour load goes through these instead.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _stats(url: str) -> dict:
    """The batcher's pass and query counters (the benchmark server's ``/bench/stats``)."""
    import urllib.request

    with urllib.request.urlopen(url + "/bench/stats", timeout=30) as r:
        return json.loads(r.read())


def _body(rng: np.random.Generator, words: int) -> bytes:
    return json.dumps({"word": f"w{int(rng.integers(words))}", "topn": 10}).encode()


async def open_loop(url: str, rate: float, seconds: float, words: int, connections: int = 64) -> dict:
    host, port = url.split("//")[1].split(":")
    rng = np.random.default_rng(1)
    lat: list[float] = []
    errors: dict[str, int] = {}
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Conn(host, int(port)))

    async def one(t_sched: float, body: bytes) -> None:
        conn = await pool.get()  # waiting for a free connection counts in the latency
        try:
            status, _ = await asyncio.wait_for(conn.post("/api/vectors/vecs/neighbours", body), 30)
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
                return
            lat.append(time.perf_counter() - t_sched)
        except Exception as e:  # counted, not raised: the load keeps its schedule
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            conn.close()
        finally:
            pool.put_nowait(conn)

    n = int(rate * seconds)
    start = time.perf_counter() + 0.2
    tasks = []
    for i in range(n):
        t = start + i / rate
        delay = t - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(t, _body(rng, words))))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    return {"rate": rate, "seconds": seconds, "sent": n, "ok": len(lat), "errors": errors, "connections": connections,
            "achieved_rate": round(n / wall, 1), "p50_ms": round(1000 * _pct(lat, 50), 1),
            "p99_ms": round(1000 * _pct(lat, 99), 1), "max_ms": round(1000 * max(lat, default=float("nan")), 1)}


async def closed_loop(url: str, clients: int, seconds: float, words: int) -> dict:
    host, port = url.split("//")[1].split(":")
    rng = np.random.default_rng(2)
    done = 0
    errors = 0
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        conn = Conn(host, int(port))
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.post("/api/vectors/vecs/neighbours", _body(rng, words)), 60)
                ok = status == 200
            except Exception:
                conn.close()
                ok = False
            if ok:
                done += 1
                lat.append(time.perf_counter() - t0)
            else:
                errors += 1
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    return {"clients": clients, "seconds": round(wall, 1), "requests": done, "errors": errors,
            "req_per_s": round(done / wall, 1), "p50_ms": round(1000 * _pct(lat, 50), 1)}


async def stream_once(client, lm: str, tokens: int, seed: int) -> tuple[int, float]:
    body = {"prompt": "w1 w2 w3", "max_tokens": tokens, "temperature": 1.0, "seed": seed}
    t0 = time.perf_counter()
    n = 0
    async with client.stream("POST", f"/api/lm/{lm}/generate", json=body) as r:
        if r.status_code != 200:
            raise RuntimeError(f"generate: HTTP {r.status_code}: {(await r.aread()).decode()[:200]}")
        async for line in r.aiter_lines():
            if line.startswith("event: token"):
                n += 1
    return n, time.perf_counter() - t0


async def generation(url: str, lm: str, streams: int, tokens: int) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        await stream_once(client, lm, 5, 0)  # warm-up
        n, t = await stream_once(client, lm, tokens, 1)
        alone = n / t
        res = await asyncio.gather(*(stream_once(client, lm, tokens, 10 + i) for i in range(streams)))
    per = [n / t for n, t in res]
    return {"lm": lm, "tokens": tokens, "alone_tok_s": round(alone, 1), "streams": streams,
            "concurrent_tok_s_per_stream": round(float(np.mean(per)), 1),
            "concurrent_tok_s_total": round(float(sum(n for n, _ in res) / max(t for _, t in res)), 1)}


def client(args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--server", "--words", str(args.words), "--dim", str(args.dim),
           "--window-ms", str(args.window_ms),
           "--lm-vocab", str(args.lm_vocab), "--streams", str(args.streams), "--gen-tokens", str(args.gen_tokens)]
    if args.neighbours_only or "generation" not in args.only:
        cmd.append("--neighbours-only")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise SystemExit("the server process ended before it started serving")
        info = json.loads(line)
        batched, single = (f"http://127.0.0.1:{p}" for p in info["ports"])
        out: dict = {"words": args.words, "dim": args.dim, "rss_start_mb": round(info["rss_start_mb"], 1),
                     "rss_loaded_mb": round(info["rss_loaded_mb"], 1)}
        print(f"server up: {args.words:,} x {args.dim} vectors, RSS {info['rss_loaded_mb']:.0f} MB", file=sys.stderr)

        def measured(url: str, coro) -> dict:
            stats0, t0 = _stats(url), time.process_time()
            res = asyncio.run(coro)
            client_s = time.process_time() - t0
            stats1 = _stats(url)
            res.update(_cpu_split(stats0["cpu"], stats1["cpu"], res.get("ok", res.get("requests", 0)), client_s))
            b0, b1 = stats0["batchers"]["vecs"], stats1["batchers"]["vecs"]
            res["passes"] = passes = b1["passes"] - b0["passes"]
            res["mean_batch"] = round((b1["answered"] - b0["answered"]) / max(passes, 1), 2)
            return res

        if "open" in args.only:
            out["open_loop"] = measured(batched, open_loop(batched, args.rate, args.seconds, args.words))
            print("open loop:", out["open_loop"], file=sys.stderr)
        if "saturation" in args.only:
            out["saturation"] = {
                "batching": measured(batched, closed_loop(batched, args.clients, args.sat_seconds, args.words)),
                "one_scan_per_request": measured(single, closed_loop(single, args.clients, args.sat_seconds,
                                                                     args.words))}
            b, s = out["saturation"]["batching"]["req_per_s"], out["saturation"]["one_scan_per_request"]["req_per_s"]
            out["saturation"]["ratio"] = round(b / s, 2) if s else None
            print("saturation:", out["saturation"], file=sys.stderr)
        out["generation"] = [asyncio.run(generation(batched, lm, args.streams, args.gen_tokens))
                             for lm in info["lms"] if "generation" in args.only]
        print("generation:", out["generation"], file=sys.stderr)
        out["rss_after_mb"] = round(_rss_mb(proc.pid), 1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def _cpu_cell(x: dict) -> str:
    threads = ", ".join(f"{k} {v}" for k, v in x["server_ms_per_request"].items())
    return (f"server {x['server_total_ms']} ({threads}); client {x['client_ms_per_request']}; "
            f"{x['passes']} passes, {x['mean_batch']} queries each")


def table(r: dict) -> str:
    rows = [f"wordlab serve, {r['words']:,} x {r['dim']} random vectors (loopback, client and server on one machine)",
            "",
            "| measure | value | target |", "|---|---|---|"]
    if "open_loop" in r:
        o = r["open_loop"]
        rows += [f"| open loop {o['rate']:.0f} req/s x {o['seconds']:.0f} s: p50 / p99 / max | {o['p50_ms']} / "
                 f"{o['p99_ms']} / {o['max_ms']} ms | p99 <= 50 ms |",
                 f"| open loop: sent / ok / errors (achieved rate) | {o['sent']} / {o['ok']} / "
                 f"{sum(o['errors'].values())} {o['errors'] or ''} ({o['achieved_rate']}/s) | 0 errors |",
                 f"| open loop: CPU ms per request | {_cpu_cell(o)} | |"]
    if "saturation" in r:
        s = r["saturation"]
        for key, label in (("batching", "micro-batching"), ("one_scan_per_request", "one scan per request")):
            x = s[key]
            rows += [f"| saturation, {x['clients']} closed-loop clients: {label} | {x['req_per_s']} req/s "
                     f"(p50 {x['p50_ms']} ms) | |",
                     f"| saturation, {label}: CPU ms per request | {_cpu_cell(x)} | |"]
        rows.append(f"| saturation ratio batching / one scan | {s['ratio']}x | >= 2x |")
        cpu = [s[key]["server_total_ms"] + s[key]["client_ms_per_request"] for key in ("one_scan_per_request",
                                                                                     "batching")]
        rows.append(f"| CPU per request (server + client), one scan / batching: less sensitive to other load "
                    f"| {cpu[0]:.2f} / {cpu[1]:.2f} ms = {cpu[0] / max(cpu[1], 1e-9):.2f}x | |")
    for g in r.get("generation", []):
        rows.append(f"| {g['lm']} LM: tokens/s one stream alone / per stream with {g['streams']} concurrent "
                    f"(total) | {g['alone_tok_s']} / {g['concurrent_tok_s_per_stream']} "
                    f"({g['concurrent_tok_s_total']}) | |")
    rows.append(f"| server RSS: start / vectors+models loaded / after the runs | {r['rss_start_mb']} / "
                f"{r['rss_loaded_mb']} / {r['rss_after_mb']} MB | |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--words", type=int, default=300_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--sat-seconds", type=float, default=10.0)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--gen-tokens", type=int, default=100)
    ap.add_argument("--lm-vocab", type=int, default=10_000)
    ap.add_argument("--neighbours-only", action="store_true",
                    help="skip the language models and the generation rows (neighbour load and memory only)")
    ap.add_argument("--window-ms", type=float, default=5.0,
                    help="how long the oldest neighbour query waits for others to share its pass")
    ap.add_argument("--only", default="open,saturation,generation",
                    help="comma-separated sections to run: open, saturation, generation (default: all)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.server:
        return serve(args)
    args.only = {x.strip() for x in args.only.split(",") if x.strip()}
    if args.only - {"open", "saturation", "generation"}:
        ap.error(f"--only: unknown sections {sorted(args.only - {'open', 'saturation', 'generation'})}")
    t0, load0 = time.time(), os.getloadavg()
    r = client(args)
    r["command"] = "python benchmarks/serve.py " + " ".join(sys.argv[1:])
    r["machine"] = {"cpus": os.cpu_count(), "loadavg_at_start": load0, "python": platform.python_version()}
    r["wall_s"] = round(time.time() - t0, 1)
    print(table(r))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
