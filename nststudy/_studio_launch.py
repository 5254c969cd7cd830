"""``nststudy studio``: Voilà serving the studio notebook from this Python's environment.

The studio itself is :mod:`nststudy.studio`; this module only starts and stops its server.
"""

from __future__ import annotations

import argparse
import os
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


def _port_free(ip: str, port: int) -> None:
    """Refuse a port another program (an earlier studio, say) already listens on: Voilà
    would quietly move to the next one, away from the address printed."""
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        try:
            probe.bind((ip, port))
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise
            raise ValueError(
                f"port {port} on {ip} is in use (is the studio already open at "
                f"http://{ip}:{port}/ ?); stop that program or choose another --port"
            ) from None


def _cmd_studio(args: argparse.Namespace) -> int:
    import subprocess

    cmd = studio_command(args.port, args.ip, browser=not args.no_browser)
    _port_free(args.ip, args.port)
    print(f"starting the studio: http://{args.ip}:{args.port}/  (Ctrl-C stops it)", flush=True)
    env = None if args.lang is None else {**os.environ, "NSTSTUDY_LANG": args.lang}
    server = subprocess.Popen(cmd, env=env)
    try:
        return server.wait()
    except KeyboardInterrupt:  # the terminal's Ctrl-C reached Voilà too: let it shut down
        for stop in (None, server.terminate, server.kill):
            if stop is not None:
                stop()
            try:
                server.wait(timeout=10)
                break
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                continue
        print("studio stopped", flush=True)
        return 0


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
