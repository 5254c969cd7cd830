"""Shared helpers for the `nststudy paint` end-to-end tests: run it, or run it and Ctrl-C it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PAINT = [sys.executable, "-m", "nststudy", "paint"]


def run_paint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``nststudy paint ARGS`` to the end; text output captured."""
    return subprocess.run([*PAINT, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def paint_here(*args: str, cwd: Path) -> int:
    """Run ``nststudy paint ARGS`` in this process and return its exit code: for tests about
    files, names and formats, where a child's TensorFlow start-up (≈ 6 s) would be most of
    the time. Exit codes, Ctrl-C and refusals are tested on real children (above, below)."""
    from nststudy.cli import main

    here = os.getcwd()
    os.chdir(cwd)  # (contextlib.chdir is Python 3.11+; the package supports 3.10)
    try:
        return main(["paint", *args])
    finally:
        os.chdir(here)


#: Runs ``nststudy paint`` with TensorFlow and Keras unimportable: bad input must be refused
#: before they start (≈ 5 s here), so a typo costs a second, not a TensorFlow start-up.
_NO_TF = (
    "import runpy, sys; sys.modules['tensorflow'] = sys.modules['keras'] = None; "
    "sys.argv = ['nststudy', 'paint', *sys.argv[1:]]; runpy.run_module('nststudy', "
    "run_name='__main__', alter_sys=True)"
)


def refuse_paint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``nststudy paint ARGS`` where importing TensorFlow fails (see ``_NO_TF``): for
    inputs that must be refused before any work. An ImportError would end with a traceback
    or another message, so the callers' checks (exit 2, the one line they expect) catch it."""
    cmd = [sys.executable, "-c", _NO_TF, *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)


def default_sigint() -> None:
    """``preexec_fn`` for a child that must feel Ctrl-C: a shell started in the background
    (``nohup make test &``) ignores SIGINT, its children inherit that, and Python then never
    raises KeyboardInterrupt. Restoring the default lets Python install its own handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_paint(
    args: list[str], cwd: Path, when: bytes, poll: float = 0.2
) -> tuple[subprocess.Popen, bytes]:
    """Start ``nststudy paint ARGS``, send SIGINT once its stderr matches the regex ``when``,
    check that it exits with 130, and return the process (stdout still readable) and its
    stderr. tqdm redraws with "\\r", so stderr is read as it arrives, in a thread."""
    proc = subprocess.Popen(
        [*PAINT, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    err = bytearray()

    def read() -> None:
        while chunk := os.read(proc.stderr.fileno(), 4096):
            err.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while not re.search(when, bytes(err)):
            assert time.monotonic() < deadline and proc.poll() is None, bytes(err)[-2000:]
            time.sleep(poll)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130, bytes(err)[-2000:]
    finally:
        proc.kill()
        reader.join()
    return proc, bytes(err)
