"""tools/grade_exercises.py: saved outputs cannot be faked with --execute; a bad file or an
empty batch does not cost the teacher the class's CSV."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade_exercises.py")
grade_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grade_tool)


def _notebook(path: Path, source: str, saved: str, kind: str = "execute_result") -> Path:
    """A notebook whose one code cell runs ``source`` and whose saved output says ``saved``
    (a checker's displayed result, or with ``kind="stream"`` printed text)."""
    cell = nbformat.v4.new_code_cell(source)
    if kind == "stream":
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=saved)]
    else:
        cell.outputs = [nbformat.v4.new_output(kind, {"text/plain": saved}, execution_count=1)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def test_execute_counts_only_what_runs_now(tmp_path: Path) -> None:
    faked = _notebook(tmp_path / "mei__04.ipynb", "x = 1", "✓ gram: all 3 checks passed\n")
    nb = nbformat.read(faked, as_version=4)
    nb.cells[0].metadata["tags"] = ["skip-execution"]  # nbclient's default tag to skip a cell
    nbformat.write(nb, faked)
    assert grade_tool.grade(faked)["passed"] == 1  # the saved output, as handed in
    again = grade_tool.grade(faked, execute=True, timeout=120)
    assert again["passed"] == 0 and again["error"] == ""  # cleared, and nothing printed a ✓


def test_bad_files_and_empty_batches_keep_the_csv(tmp_path: Path) -> None:
    csv_file = tmp_path / "grades.csv"
    csv_file.write_text("learner,notebook\nmei,04\n")
    assert grade_tool.main([str(tmp_path / "missing.ipynb"), "--csv", str(csv_file)]) == 2
    assert csv_file.read_text() == "learner,notebook\nmei,04\n"  # not wiped
    (tmp_path / "empty__05.ipynb").write_text("{}")  # JSON, but not a notebook
    good = _notebook(tmp_path / "li__04.ipynb", "x = 1", "✓ gram: ok\n✗ style_loss: no\n")
    args = [str(tmp_path / "empty__05.ipynb"), str(good), "--csv", str(csv_file)]
    assert grade_tool.main(args) == 0
    assert "li,04,1,1" in csv_file.read_text()
    assert not list(tmp_path.glob(".*.part"))


def test_each_exercise_counts_once_at_its_last_verdict_and_missing_ones_are_not_run(
    tmp_path: Path,
) -> None:
    """Lines were counted: the same ✓ pasted five times gave 5, a failure fixed later gave
    1 ✓ 1 ✗, and an exercise whose checker never ran (deleted, or an error before it) gave
    nothing at all; and a print() could fake a ✓."""
    shown = "✗ gram: case 1 is wrong\n✓ gram: all 3 checks passed\n✓ gram: all 3 checks passed\n"
    nb = _notebook(tmp_path / "mei__04_gram_matrices_and_style.ipynb", "x = 1", shown)
    r = grade_tool.grade(nb)
    assert (r["passed"], r["failed"], r["not_run"]) == (1, 0, 3)  # notebook 04 has 4
    assert r["checks"] == "✓gram"
    printed = _notebook(tmp_path / "li__04_gram_matrices_and_style.ipynb", "x = 1",
                        "✓ gram: all 3 checks passed\n", kind="stream")  # fmt: skip
    assert grade_tool.grade(printed)["passed"] == 0
    other = _notebook(tmp_path / "li__my_own.ipynb", "x = 1", "✓ mine: ok\n")
    assert grade_tool.grade(other)["not_run"] == 0  # not a course notebook: nothing expected
    assert grade_tool.exercises_in("08_diy_oil_painting") == 3
