"""``wordlab serve``: a local web explorer (JSON API + one static page) over trained artifacts.

    from wordlab.serve import create_app, ServeLimits
    app = create_app(["vectors.bin", "lm.pt", "translator.pt"])     # each file loaded once, by content

The API (``/openapi.json`` is the contract) answers neighbour, analogy, similarity, odd-one-out and
2-D map queries on word vectors (neighbour queries micro-batched into one matrix pass), streams
generated text as server-sent events, translates with the attention matrix, classifies, and gives
each model's configuration and training history. FastAPI and uvicorn come with the ``serve`` extra.
"""

from .limits import ServeLimits

__all__ = ["ServeLimits", "create_app"]


def create_app(*args, **kwargs):
    """See :func:`wordlab.serve.app.create_app` (imported lazily: FastAPI is an optional extra)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
