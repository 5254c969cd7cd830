"""Binder proof without Docker: repo2docker's plan, and every import declared."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# import name -> distribution name, where they differ (or where one package brings another)
DISTRIBUTION = {
    "PIL": "pillow",
    "skimage": "scikit-image",
    "yaml": "pyyaml",
    "keras": "tensorflow-cpu",  # Keras 3 comes with TensorFlow 2.16+
    "tensorflow": "tensorflow-cpu",
    "IPython": "jupyterlab",  # through ipykernel
    "ipykernel": "jupyterlab",
    "nbformat": "jupyterlab",
    "traitlets": "ipywidgets",
}


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _code_of_notebook(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            lines.append("\n".join(ln for ln in src.splitlines() if not ln.startswith(("%", "!"))))
    return "\n".join(lines)


def _used_distributions() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    sources = [(p, p.read_text(encoding="utf-8")) for p in (ROOT / "nststudy").rglob("*.py")]
    sources += [(p, _code_of_notebook(p)) for p in (ROOT / "notebooks").rglob("*.ipynb")]
    for path, code in sources:
        if ".ipynb_checkpoints" in path.parts:
            continue
        for name in _imports(code) - set(sys.stdlib_module_names) - {"nststudy", "__future__"}:
            used.setdefault(DISTRIBUTION.get(name, name).lower(), set()).add(path.name)
    return used


def _binder_packages() -> set[str]:
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return {re.split(r"[<>=!~;\s\[]", r, maxsplit=1)[0].lower() for r in pip}


def test_every_import_is_declared_for_binder() -> None:
    declared = _binder_packages()
    missing = {d: sorted(files) for d, files in _used_distributions().items() if d not in declared}
    assert not missing, f"imported but not in binder/environment.yml: {missing}"


@pytest.mark.skipif(
    shutil.which("repo2docker") is None
    and not (Path(sys.executable).parent / "repo2docker").exists(),
    reason="pip install jupyter-repo2docker",
)
def test_repo2docker_plan_uses_binder_folder() -> None:
    exe = shutil.which("repo2docker") or str(Path(sys.executable).parent / "repo2docker")
    out = subprocess.run(
        [exe, "--no-build", "--debug", str(ROOT)], capture_output=True, text=True, timeout=300
    )
    dockerfile = out.stdout + out.stderr
    assert "binder/environment.yml" in dockerfile
    assert "./binder/postBuild" in dockerfile
    assert "src/environment.yml" not in dockerfile  # binder/ wins over the top-level file


def test_readme_binder_badge_opens_the_notebooks_in_lab() -> None:
    assert "urlpath=lab/tree/notebooks)" in (ROOT / "README.md").read_text()
