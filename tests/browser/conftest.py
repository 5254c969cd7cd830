"""A real JupyterLab server and a headless Chromium for the browser tests.

The server runs from this project's environment on 127.0.0.1, on a free port with a random
token, with notebook windowing off (so every cell renders) and a throw-away settings and
workspace folder; ``tests/_servers.py`` always shuts it down, also when a test fails.
Chromium is Debian's (`/usr/bin/chromium`, driven by Playwright's Python package); without
it the tests skip.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .._servers import free_port, serve

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("NSTSTUDY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Lab:
    url: str
    token: str
    log: Path

    def notebook_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def wait_for_kernel(self, path: str, timeout: float) -> None:
        """Block until the server has an idle kernel attached to the notebook at ``path``."""
        deadline = time.monotonic() + timeout
        state = "no session"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"{self.url}/api/sessions?token={self.token}", timeout=5
                ) as r:
                    sessions = json.load(r)
            except OSError:
                sessions = []
            for s in sessions:
                if s.get("path", "").endswith(path.split("/")[-1]):
                    state = (s.get("kernel") or {}).get("execution_state", "no kernel")
                    if state == "idle":
                        return
            time.sleep(1)
        pytest.fail(f"{path}: no idle kernel after {timeout:.0f} s ({state}):\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if shutil.which("jupyter-lab", path=os.path.dirname(sys.executable)) is None:
        pytest.skip("JupyterLab is not installed in this environment (pip install -e '.[lab]')")
    tmp = tmp_path_factory.mktemp("lab")
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.news_url=",
        "--ServerApp.open_browser=False",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = {**os.environ, "NSTSTUDY_FAST": "1", "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    url = f"http://127.0.0.1:{port}"
    log = tmp / "lab.log"
    with serve(cmd, f"{url}/api/status?token={token}", log, timeout=90, request_timeout=2, env=env):
        yield Lab(url, token, log)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
