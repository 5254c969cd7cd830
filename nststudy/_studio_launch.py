"""``nststudy studio``: Voilà serving the studio notebook from this Python's environment.

The studio itself is :mod:`nststudy.studio`; this module only starts and stops its server.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["UPLOAD_BYTES", "add_parser", "studio_command"]


#: The largest websocket message the studio accepts: a photo of up to ≈ 150 MB, base64.
UPLOAD_BYTES = 200 * 2**20


def studio_command(port: int = 8866, ip: str = "127.0.0.1", browser: bool = True) -> list[str]:
    """The command ``nststudy studio`` runs: Voilà serving the studio notebook, both from this
    Python's environment (a ``voila`` found elsewhere on PATH would start a kernel that cannot
    import nststudy).

    Raises:
        ValueError: Voilà or the kernel (ipykernel) is not installed here.
    """
    import importlib.util
    from importlib.resources import files

    missing = [m for m in ("voila", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(
            f"{' and '.join(missing)} not installed for {sys.executable}; install the studio "
            "with: pip install 'nststudy[studio]'"
        )
    notebook = Path(str(files("nststudy") / "app" / "studio.ipynb"))
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={ip}"]
    cmd.append("--Voila.port_retries=0")  # the address printed is the one served, or none
    # a phone photo reaches the kernel as one websocket message, base64: tornado's default
    # limit (10 MiB) would drop anything over ≈ 7 MB without a word (ipywidgets#2522)
    cmd.append(f'--Voila.tornado_settings={{"websocket_max_message_size": {UPLOAD_BYTES}}}')
    return cmd + ([] if browser else ["--no-browser"])


def _url(ip: str, port: int) -> str:
    return f"http://[{ip}]:{port}/" if ":" in ip else f"http://{ip}:{port}/"


def _port_free(ip: str, port: int) -> None:
    """Refuse, in one line, an address Voilà could not serve: a port another program (an
    earlier studio, say) listens on — Voilà would quietly move to the next one, away from the
    address printed — a port below 1024 without the right, an address this machine lacks."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(ip, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family) as probe:
            if os.name != "nt":  # as tornado binds: a port in TIME_WAIT after a stop is free
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((ip, port))
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise ValueError(
                f"port {port} on {ip} is in use (is the studio already open at {_url(ip, port)}"
                " ?); stop that program or choose another --port"
            ) from None
        raise ValueError(
            f"cannot serve on {ip} port {port} ({err.strerror or err}); choose another --ip "
            "(127.0.0.1: this computer only) or a --port from 1024 up"
        ) from None


def _loopback(ip: str) -> bool:
    """Whether ``ip`` serves this computer only (127.0.0.1, ::1, localhost)."""
    import ipaddress

    try:
        return ip == "localhost" or ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name: it may be any interface
        return False


class _Terminated(Exception):
    """SIGTERM reached ``nststudy studio`` (a service manager, ``kill``): Voilà did not get it."""


def _stop(server: subprocess.Popen, signalled: bool = True) -> bool:
    """After Ctrl-C (which reached Voilà too): wait for its own shutdown, then terminate, then
    kill, up to 10 s each; more Ctrl-Cs only move on to the next. ``signalled=False`` (a
    SIGTERM that only this process got) starts at terminate. True when it has ended."""
    for stop in (None, server.terminate, server.kill)[0 if signalled else 1 :]:
        try:
            if stop is not None:
                stop()
            server.wait(timeout=10)
            return True
        except (subprocess.TimeoutExpired, KeyboardInterrupt, _Terminated):
            continue
    return server.poll() is not None


def _cmd_studio(args: argparse.Namespace) -> int:
    cmd = studio_command(args.port, args.ip, browser=not args.no_browser)
    _port_free(args.ip, args.port)
    print(f"starting the studio: {_url(args.ip, args.port)}  (Ctrl-C stops it)", flush=True)
    if not _loopback(args.ip):
        print(
            f"nststudy: note: --ip {args.ip}: anyone who can reach this computer on port "
            f"{args.port} can use the studio (it has no password); 127.0.0.1 keeps it to you",
            file=sys.stderr,
            flush=True,
        )
    env = None if args.lang is None else {**os.environ, "NSTSTUDY_LANG": args.lang}
    server = subprocess.Popen(cmd, env=env)

    def terminated(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)  # Voilà must not outlive us
    try:
        return server.wait()
    except (KeyboardInterrupt, _Terminated) as why:
        if _stop(server, signalled=isinstance(why, KeyboardInterrupt)):
            print("studio stopped", flush=True)
            return 0 if isinstance(why, KeyboardInterrupt) else 128 + signal.SIGTERM
        print(f"nststudy: the studio (process {server.pid}) did not stop", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _port(text: str) -> int:
    """``--port``: a TCP port number, 1–65535."""
    port = int(text) if text.isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1–65535)")
    return port


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``nststudy studio [--port N] [--ip IP] [--no-browser] [--lang L]``."""
    studio = sub.add_parser("studio", help="open the no-code painting studio (Voilà)")
    studio.add_argument("--port", type=_port, default=8866, help="default 8866")
    studio.add_argument("--ip", default="127.0.0.1")
    studio.add_argument("--no-browser", action="store_true")
    studio.add_argument(
        "--lang",
        choices=("en", "zh-CN"),
        default=None,
        help="the studio's language (default: $NSTSTUDY_LANG, else English)",
    )
    studio.set_defaults(func=_cmd_studio)
