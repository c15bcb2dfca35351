"""A read-only install (package directory and $HOME not writable) still runs word2vec, vocab and ppmi.

numba caches kernels next to their source or in ``~/.cache``; with neither writable it used to
fail at import with ``RuntimeError: cannot cache function``. The end-to-end test copies the
package, turns every ``__pycache__`` into a plain file and puts ``$HOME`` under a plain file
(unwritable even for root, which ignores permission bits), then runs the CLI in a fresh process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from wordlab import jitcache

ROOT = Path(__file__).resolve().parent.parent


def _blocked(tmp_path: Path) -> Path:
    """A path no one can create: its parent is a regular file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    return blocker / "home"


def _read_only_package(tmp_path: Path) -> Path:
    """A copy of wordlab (with its CLI) whose directories cannot hold a ``__pycache__``."""
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "wordlab", site / "wordlab", ignore=ignore)
    shutil.copytree(ROOT / "cli", site / "wordlab" / "cli", ignore=ignore)
    for d in [p for p in (site / "wordlab").rglob("*") if p.is_dir()] + [site / "wordlab"]:
        (d / "__pycache__").write_text("a file where the cache directory would go")
    return site


def test_fallback_order(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    writable_pkg = tmp_path / "pkg"
    assert jitcache.numba_cache_dir(writable_pkg) == ("default", None)
    read_only_pkg = _blocked(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert jitcache.numba_cache_dir(read_only_pkg) == ("dir", tmp_path / "xdg" / "wordlab" / "numba")
    monkeypatch.setenv("XDG_CACHE_HOME", str(_blocked(tmp_path)))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(jitcache.tempfile, "tempdir", None)  # re-read TMPDIR
    kind, path = jitcache.numba_cache_dir(read_only_pkg)
    assert kind == "dir" and path.parent == tmp_path / "tmp" and path.name.startswith("wordlab-numba-")
    assert path.stat().st_mode & 0o777 == 0o700
    path.chmod(0o777)  # a directory others may write to is never used for code
    assert jitcache.numba_cache_dir(read_only_pkg) == ("none", None)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert jitcache.configure_numba_cache(read_only_pkg) == "env"


def test_nothing_writable_turns_caching_off_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(jitcache, "numba_cache_dir", lambda package_dir: ("none", None))
    from numba.core import dispatcher

    monkeypatch.setattr(dispatcher.Dispatcher, "enable_caching", dispatcher.Dispatcher.enable_caching)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert jitcache.configure_numba_cache(tmp_path) == "off"
    assert any("NUMBA_CACHE_DIR" in str(w.message) for w in caught)
    from numba import njit

    @njit(cache=True)
    def twice(x):  # pragma: no cover - jit
        return 2 * x

    assert twice(21) == 42  # defined and run without a cache


@pytest.mark.slow  # compiles every kernel afresh (~20 s of CPU)
def test_read_only_install_runs_vocab_word2vec_and_ppmi(tmp_path):
    site = _read_only_package(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the king and the queen . the man and the woman . a dog and a cat .\n" * 40)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_", "PYTHON", "WORDLAB_CACHE"))}
    env.update(HOME=str(_blocked(tmp_path)), TMPDIR=str(tmp), PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1",
               WORDLAB_CACHE=str(tmp_path / "idcache"))
    script = (
        "import sys, wordlab, os\n"
        f"assert wordlab.__file__.startswith({str(site)!r}), wordlab.__file__\n"
        "from wordlab.cli import main\n"
        f"c = {str(corpus)!r}\n"
        "assert main(['-q', 'vocab', c, '-o', os.path.join(os.environ['TMPDIR'], 'v.txt')]) == 0\n"
        "assert main(['-q', 'train', 'word2vec', c, '-o', os.path.join(os.environ['TMPDIR'], 'w.txt'),"
        " '--dim', '8', '--epochs', '1', '--min-count', '1', '--threads', '1']) == 0\n"
        "assert main(['-q', 'train', 'ppmi', c, '-o', os.path.join(os.environ['TMPDIR'], 'p.txt'),"
        " '--dim', '4', '--min-count', '1']) == 0\n"
        "print('cache', os.environ['NUMBA_CACHE_DIR'])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "cannot cache function" not in run.stderr
    cache = Path(run.stdout.split("cache ", 1)[1].strip())
    assert cache.parent == tmp and any(cache.rglob("*.nbi"))  # kernels were cached in the private temp dir
