"""``wordlab serve``: a local web page and JSON API over trained artifacts (vectors, LMs, translators, classifiers).

Parse → check host/token → :func:`wordlab.serve.create_app` (each file loaded once) → uvicorn.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

from wordlab.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    from wordlab.serve.limits import ServeLimits

    p = sub.add_parser("serve", help="explore vectors, language models and translators in a web page",
                       description="Serve a web page and a JSON API (/openapi.json) over the given artifacts, each "
                                   "recognised by its content and loaded once. Binds 127.0.0.1 unless told; another "
                                   "address needs --token, checked on every API call.")
    p.add_argument("artifacts", nargs="+", metavar="ARTIFACT",
                   help="word vectors (any format, fastText included), lm / seq2seq / classifier checkpoints")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (anything but loopback needs --token)")
    p.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    p.add_argument("--token", help="secret every API call must send as 'Authorization: Bearer TOKEN'")
    p.add_argument("--no-batching", dest="batching", action="store_false",
                   help="answer each neighbour query with its own pass (no micro-batching)")
    defaults = ServeLimits()
    for name, value in defaults.__dict__.items():
        p.add_argument("--" + name.replace("_", "-"), type=int, default=value, metavar="N", help="limit: " + name)
    p.set_defaults(func=run)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("wordlab serve needs FastAPI and uvicorn: pip install 'wordlab[serve]'") from None
    from wordlab.serve import ServeLimits, create_app

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be in 0..65535, got {args.port}")
    if args.token is not None and not args.token.strip():
        raise ConfigError("--token is empty")
    if not _loopback(args.host):
        if not args.token:
            raise ConfigError(f"--host {args.host} makes the server reachable from other machines; give --token "
                              "SECRET too (every API call must then send it)")
        print(f"warning: serving on {args.host}: anyone who can reach this port and knows the token can use "
              "the models; traffic is not encrypted", file=sys.stderr)
    if args.port == 0:  # pick the free port here, so the address printed is the one served
        import socket

        with socket.socket() as sock:
            sock.bind((args.host, 0))
            args.port = sock.getsockname()[1]
    limits = ServeLimits(**{k: getattr(args, k) for k in ServeLimits().__dict__})
    app = create_app(args.artifacts, limits=limits, token=args.token, batching=args.batching)
    for m in app.state.wordlab.served.values():
        print(f"serving     {m.name:<16} {m.kind:<11} {m.path}")
    shown = "localhost" if _loopback(args.host) else args.host
    print(f"open        http://{shown}:{args.port}/" + (f"#token={args.token}" if args.token else ""), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", server_header=False)
    return 0
