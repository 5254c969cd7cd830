"""The wheel installs into a clean virtual environment and paints."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = dist.glob("nststudy-*.whl")
    return found


def test_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nststudy/__init__.py" in names and "nststudy/cli.py" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/")) or n.endswith(".h5")]


def test_wheel_installs_and_paints(wheel: Path, weights: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = {**os.environ, "NSTSTUDY_VGG19_WEIGHTS": str(weights), "PYTHONPATH": ""}
    version = subprocess.run(
        [str(venv / "bin" / "nststudy"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert version.returncode == 0 and version.stdout.startswith("nststudy 0.")
    script = (
        "import nststudy, numpy as np; from nststudy import samples;"
        "r = nststudy.stylize(samples.content_photo('coffee'), samples.make_style('swirl', 32),"
        " nststudy.PRESETS['default'].replace(sizes=(32,), steps=(3,)));"
        "assert r.image.shape[2] == 3 and max(r.image.shape) == 32, r.image.shape;"
        f"assert nststudy.__file__.startswith({str(venv)!r}), nststudy.__file__; print('ok')"
    )
    run = subprocess.run(
        [str(py), "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
