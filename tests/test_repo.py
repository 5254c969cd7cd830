"""Repository hygiene: generated links are current, notebooks carry no outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


def test_links_generated_from_pyproject() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_links.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"run `python tools/sync_links.py`:\n{out.stdout}"


def test_sync_links_leaves_cells_it_does_not_change_as_jupyter_wrote_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_links", ROOT / "tools" / "sync_links.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    monkeypatch.setattr(sync, "ROOT", tmp_path)
    cells = [
        {"cell_type": "code", "id": "a", "metadata": {}, "outputs": [], "source": []},
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": ["text\n", "more\n"]},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "notebooks" / "x.ipynb"
    path.parent.mkdir()
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text)
    assert sync._sync_notebook(path) == text  # an empty cell, a trailing newline: untouched


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path: Path) -> None:
    # Only `# NBVAL_CHECK_OUTPUT` cells keep their (plain-text) expected output, for nbval to
    # compare; tools/store_checked_outputs.py writes them.
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code":
            continue
        checked = "".join(c["source"]).lstrip().startswith("# NBVAL_CHECK_OUTPUT")
        text_only = all(o["output_type"] in ("stream", "execute_result") for o in c["outputs"])
        if (c.get("execution_count") or c["outputs"]) and not (checked and text_only):
            dirty.append(i)
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them (nbstripout)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_have_expected_output(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    empty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
        and "".join(c["source"]).lstrip().startswith("# NBVAL_CHECK_OUTPUT")
        and not c["outputs"]
    ]
    assert not empty, f"{path.name}: run tools/store_checked_outputs.py (cells {empty})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_its_own_id(path: Path) -> None:
    # nbformat 4.5 cells need an id (nbformat warns in every nbval run now, and will refuse
    # such notebooks); JupyterLab keys cells on them, so they must also be unique.
    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [c.get("id") for c in nb["cells"]]
    missing = [i for i, cid in enumerate(ids) if not cid]
    assert not missing, f"{path.name}: cells {missing} have no id (nbformat.validator.normalize)"
    assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_import_is_light() -> None:
    # `nststudy --version`, samples and the CLI's error paths must not wait for TensorFlow.
    code = "import sys, nststudy, nststudy.samples; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
