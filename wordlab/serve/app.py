"""The application: ``create_app(paths)`` loads each artifact once and returns a FastAPI app (API + page)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import WordlabError
from .api import ServerState, make_router
from .limits import GuardMiddleware, ServeLimits
from .registry import Served, load_artifacts

STATIC = Path(__file__).with_name("static")


def create_app(artifacts: Sequence[str | os.PathLike] | dict[str, Served], *, limits: ServeLimits | None = None,
               token: str | None = None, batching: bool = True, batch_window: float = 0.005) -> FastAPI:
    """An app serving ``artifacts`` (paths, each loaded once by content; or already loaded ``Served``).

    ``token``: every ``/api/`` call must carry it (``Authorization: Bearer TOKEN``). ``batching=False``
    answers each neighbour query with its own pass (the benchmark's baseline); ``batch_window``: how long
    (seconds) the oldest neighbour query may wait for others to share its pass. No route takes a file
    path: only the artifacts given here are ever read. CORS is off (no CORS middleware).
    """
    limits = limits or ServeLimits()
    served = artifacts if isinstance(artifacts, dict) else load_artifacts(artifacts)
    state = ServerState(served, limits, batching, batch_window)
    app = FastAPI(title="wordlab serve", version=__version__, docs_url=None, redoc_url=None,
                  description="Explore word vectors, language models, translators and classifiers. "
                              "Errors are JSON objects {\"error\": \"one line\"} with a 4xx status.")
    app.state.wordlab = state
    app.include_router(make_router(state))

    @app.exception_handler(HTTPException)
    async def http_error(request: Any, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Any, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Any, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}",
                             "detail": [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg"))}
                                        for e in errors[:10]]}, status_code=422)

    @app.exception_handler(WordlabError)
    async def wordlab_error(request: Any, exc: WordlabError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(GuardMiddleware, token=token, max_body=limits.max_body)
    return app
