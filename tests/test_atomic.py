"""Output paths never destroy anything: links, devices, FIFOs, stdout, same-as-input, stale temps."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from wordlab.atomic import atomic_write, atomic_write_text, check_output
from wordlab.errors import ConfigError


def test_symlink_target_is_written_and_link_kept(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_fifo_is_streamed_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo) as f:
            got["text"] = f.read()

    t = threading.Thread(target=reader)
    t.start()
    atomic_write_text(fifo, "through the pipe")
    t.join(5)
    assert got["text"] == "through the pipe"
    assert os.path.exists(fifo) and not os.path.isfile(fifo)


def test_dev_null_stays_a_device():
    atomic_write_text("/dev/null", "x" * 1000)
    assert not os.path.isfile("/dev/null")


def test_dash_writes_text_to_stdout():
    code = "from wordlab.atomic import atomic_write_text; atomic_write_text('-', 'hello stdout\\n')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "hello stdout\n"


def test_dash_refused_for_binary_output():
    with pytest.raises(ConfigError, match="binary"):
        check_output("-", binary=True)


def test_output_equal_to_input_is_refused(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    with pytest.raises(ConfigError, match="destroy the input"):
        check_output(corpus, [corpus])
    link = tmp_path / "alias.txt"
    link.symlink_to(corpus)
    with pytest.raises(ConfigError, match="destroy the input"):
        check_output(link, [corpus])
    check_output(tmp_path / "other.txt", [corpus])  # a different name is fine


def test_unwritable_or_bad_directory_refused_before_work(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        check_output(afile / "out.bin")
    with pytest.raises(ConfigError, match="is a directory"):
        check_output(tmp_path)
    check_output(tmp_path / "new" / "deeper" / "out.bin")  # can be made
    if os.geteuid() != 0:  # root can write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(ConfigError, match="not writable"):
            check_output(ro / "out.bin")


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(p, "w", encoding="utf-8") as f:
            f.write("half")
            raise RuntimeError("killed")
    assert p.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["v.txt"]


def test_stale_temp_of_a_dead_writer_is_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".v.txt.{dead}.abc123.tmp"
    stale.write_text("left by kill -9")
    live = tmp_path / f".v.txt.{os.getppid()}.def456.tmp"  # a living process's temp is kept
    live.write_text("in progress")
    atomic_write_text(tmp_path / "v.txt", "new")
    assert not stale.exists()
    assert live.exists()
