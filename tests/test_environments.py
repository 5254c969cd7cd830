"""environment.yml, binder/ and pyproject.toml declare the same packages and versions."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\s\[]", req.strip(), maxsplit=1)[0].lower()


def _spec(req: str) -> str:
    """The version part of a requirement, without markers and comments."""
    req = req.split("#")[0].split(";")[0].strip()
    return req[len(_name(req)) :].replace(" ", "")


def _pyproject(*extras: str) -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["lab"]
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return {_name(r): _spec(r) for r in reqs}


def _pip_section(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return {_name(r): _spec(r) for r in pip if not r.startswith("-e")}


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_conda_files_agree_with_pyproject(path: str) -> None:
    declared = _pip_section(ROOT / path)
    expected = _pyproject() if path.startswith("binder") else _pyproject("studio")
    if path.startswith("binder"):  # Binder is Linux x86_64: tensorflow-cpu only; no studio app
        expected.pop("tensorflow")
    assert declared == expected


def test_postbuild_installs_package_and_weights() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert "pip install" in text and "nststudy weights install" in text
