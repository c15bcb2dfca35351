"""Reference tools as test oracles: skipped where missing on a developer's machine, required in CI.

CI runs with ``CI=true`` in its environment; there a missing oracle fails the module instead of
skipping it, so the comparison tests cannot silently stop running.
"""

from __future__ import annotations

import importlib
import os

import pytest


def in_ci() -> bool:
    """True when the environment says CI (``CI=true`` or ``CI=1``, as GitHub Actions, GitLab and others set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(module: str, extra: str = "test"):
    """Import ``module`` for an oracle test: skip when it is missing, fail instead under CI."""
    if not in_ci():
        return pytest.importorskip(module)
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.fail(f"{module} is required for the oracle tests under CI=true ({e}); "
                    f"install the {extra!r} extra: pip install -e .[{extra}]", pytrace=False)
