"""The wheel installs into a clean virtual environment, its requirements are met, and it paints."""

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
    """A clean virtual environment gets the wheel alone (``--no-deps``); its requirements come
    from this environment's packages, put on its path after its own, and ``pip check`` proves
    the wheel's metadata asks for nothing they do not satisfy. (Installing them anew copied
    600 MB of TensorFlow for 80 s; ``.ci/run`` resolves the same requirements from the index.)"""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    quiet = ["--quiet", "--disable-pip-version-check"]
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", *quiet, "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    inner = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = dict.fromkeys([sysconfig.get_paths()["purelib"], *site.getsitepackages()])
    (Path(inner) / "zz_outer_packages.pth").write_text("\n".join(outer) + "\n")
    env = {**os.environ, "NSTSTUDY_VGG19_WEIGHTS": str(weights), "PYTHONPATH": ""}
    check = subprocess.run(  # from tmp_path: the checkout's egg-info must not stand in for it
        [str(py), "-m", "pip", "check", *quiet],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    problems = [line for line in check.stdout.splitlines() if line.startswith("nststudy ")]
    assert not problems, problems  # the wheel's own requirements are all met
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
