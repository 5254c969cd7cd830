"""Servers the tests start for real (JupyterLab, Voilà): a free port, start, wait, always stop.

:func:`serve` starts a command in its own process group with its output in a log file, waits
until a URL answers HTTP 200 and yields that first answer; whatever happens in the ``with``
block (a failed assertion, Ctrl-C), the whole process group is stopped afterwards, kernels
included: SIGTERM first, SIGKILL if it has not ended within the grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

__all__ = ["free_port", "serve", "stop"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM the process group led by ``proc``; SIGKILL it after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):  # the whole group has already ended
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def _wait_for(
    proc: subprocess.Popen, url: str, log: Path, timeout: float, request_timeout: float
) -> str:
    """The body of ``url``'s first HTTP 200 answer; fails the test if ``proc`` ends first or
    nothing answers within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=request_timeout) as resp:
                if resp.status == 200:
                    return resp.read().decode(errors="replace")
        except OSError:  # not listening yet, an HTTP error, a timed-out request
            pass
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited ({proc.returncode}); see {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {timeout:.0f} s; see {log}:\n{_tail(log)}")
        time.sleep(0.5)


@contextlib.contextmanager
def serve(
    cmd: Sequence[str],
    url: str,
    log: Path,
    *,
    timeout: float,
    request_timeout: float = 5.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    grace: float = 30.0,
) -> Iterator[str]:
    """Run ``cmd`` (stdout and stderr to ``log``) until the block ends; yields ``url``'s page.

    Args:
        cmd: the server's command line.
        url: what to poll until it answers HTTP 200 (a status endpoint, or the page itself).
        log: file for the server's output, quoted when it does not start.
        timeout: seconds the server has to answer.
        request_timeout: seconds one request may take (long when the first answer runs a
            notebook, as Voilà's does).
        env, cwd: the server's environment and working directory.
        grace: seconds between SIGTERM and SIGKILL when stopping it.
    """
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(cmd),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,  # its own process group: stop() reaches its kernels too
        )
        try:
            yield _wait_for(proc, url, log, timeout, request_timeout)
        finally:
            stop(proc, grace)
