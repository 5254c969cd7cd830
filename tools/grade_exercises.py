"""Tally the exercise checks in learners' handed-in notebooks: one line per notebook, and a CSV.

Every exercise of the course ends in a checker (``check_gram(my_gram)`` …) whose result shows
as ``✓ name: …`` or ``✗ name: …``. This reads the *saved outputs* of handed-in notebooks
(learners run them and save; File → Download), or re-runs them first with ``--execute``
(NSTSTUDY_FAST=1 sizes, so it takes a minute per notebook, not an hour), with every saved
output cleared first, so nobody can hand in edited outputs; a run cut short (a dead kernel, a
timeout) is marked "incomplete" in the error column.

Only checker results count (a cell's displayed result, not text a cell prints: ``print("✓
gram: …")`` fakes nothing), each exercise once, at its last verdict (a failed attempt fixed
later is a pass). Exercises of the course notebook that show no verdict at all (deleted, or
stopped by an error before their checker ran) are counted as "not run".

    python tools/grade_exercises.py handed_in/*.ipynb --csv grades.csv
    python tools/grade_exercises.py handed_in/*.ipynb --execute

Name the files ``<learner>__<notebook>.ipynb`` (``mei__04_gram_matrices_and_style.ipynb``) and
the learner column fills itself. The CSV stays on the teacher's machine: it holds names.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from pathlib import Path

MARK = re.compile(r"^([✓✗]) ([^:\n]+):", re.MULTILINE)


COURSE = Path(__file__).resolve().parents[1] / "notebooks"
CHECK_CALL = re.compile(r"^(?!from |import ).*?\bcheck_\w+\(", re.MULTILINE)


def _outputs_text(nb: dict) -> str:
    """The text of the results cells displayed (not of what they printed: streams)."""
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") not in ("execute_result", "display_data"):
                continue
            text = out.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(parts)


def exercises_in(notebook: str) -> int | None:
    """How many checker calls the course notebook ``notebook`` (a stem such as
    ``04_gram_matrices_and_style``) has; ``None`` when it is not one of the course's."""
    import json

    path = COURSE / f"{notebook}.ipynb"
    if not path.is_file():
        return None
    cells = json.loads(path.read_text("utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return sum(len(CHECK_CALL.findall(src)) for src in code)


def grade(path: Path, execute: bool = False, timeout: int = 600) -> dict:
    """``{"learner", "notebook", "passed", "failed", "checks"}`` for one notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    error = ""
    if execute:
        import secrets

        from nbclient import NotebookClient

        os.environ.setdefault("NSTSTUDY_FAST", "1")
        for cell in nb.cells:  # only what runs now counts: no saved output survives
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client = NotebookClient(
            nb,
            timeout=timeout,
            allow_errors=True,
            skip_cells_with_tag=secrets.token_hex(8),  # no tag can keep a cell from running
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        except Exception as err:  # a dead kernel or a timeout: grade what ran, say it stopped
            error = f"incomplete: {type(err).__name__}: {err}"[:200]
    last = {name: mark for mark, name in MARK.findall(_outputs_text(nb))}  # the last wins
    learner, _, notebook = path.stem.rpartition("__")
    expected = exercises_in(notebook)
    return {
        "learner": learner,
        "notebook": notebook,
        "passed": sum(m == "✓" for m in last.values()),
        "failed": sum(m == "✗" for m in last.values()),
        "not_run": max(0, expected - len(last)) if expected is not None else 0,
        "checks": " ".join(f"{m}{name}" for name, m in last.items()),
        "error": error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--execute", action="store_true", help="re-run each notebook first")
    parser.add_argument("--csv", type=Path, help="write the table here")
    args = parser.parse_args(argv)
    rows = []
    for path in args.notebooks:
        try:
            rows.append(grade(path, args.execute))
        except Exception as err:  # one bad file must not stop the class's batch
            print(f"{path}: cannot read it as a notebook ({type(err).__name__})", file=sys.stderr)
            continue
        r = rows[-1]
        who = r["learner"] or "-"
        missing = f"{r['not_run']:3} not run" if r["not_run"] else ""
        print(
            f"{who:16} {r['notebook']:40} {r['passed']:3} ✓ {r['failed']:3} ✗ {missing} "
            f"{r['error']}".rstrip()
        )
    if args.csv and rows:  # no notebook graded: an earlier CSV is left as it was
        tmp = args.csv.with_name(f".{args.csv.name}.part")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, args.csv)  # complete or not at all
    return 0 if rows else 2


if __name__ == "__main__":
    sys.exit(main())
