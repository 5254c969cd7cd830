"""Store the expected outputs of ``# NBVAL_CHECK_OUTPUT`` cells, and nothing else.

Notebooks are committed without outputs, except the few cells whose printed numbers must never
drift (shapes, a Gram checksum to 3 significant digits). nbval compares those cells with the
stored text, so they need it. This script runs each notebook in fast mode (the marked cells
print the same in fast and full mode), keeps the plain-text outputs of the marked cells, marks
them ``keep_output`` (what nbstripout honours) and clears everything else.

    python tools/store_checked_outputs.py notebooks/02_vgg19_feature_maps.ipynb ...
    python tools/store_checked_outputs.py --check   # fail if any marked cell has no output
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "".join(cell["source"]).lstrip().startswith(MARK)


def _text_only(outputs: list[dict], number: int) -> list[dict]:
    kept = []
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            kept.append({"output_type": "stream", "name": "stdout", "text": out["text"]})
        elif out["output_type"] == "execute_result" and "text/plain" in out["data"]:
            kept.append(
                {
                    "output_type": "execute_result",
                    "execution_count": None,
                    "metadata": {},
                    "data": {"text/plain": out["data"]["text/plain"]},
                }
            )
    return kept


def store(path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    os.environ["NSTSTUDY_FAST"] = "1"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    raw = json.loads(path.read_text(encoding="utf-8"))
    number = 0
    for cell, ran in zip(raw["cells"], nb.cells, strict=True):
        if cell["cell_type"] != "code":
            continue
        number += 1
        cell["execution_count"] = None
        if is_checked(cell):
            cell["outputs"] = _text_only(ran.get("outputs", []), number)
            # nbval compares only cells that were run: keep this cell's number
            cell["execution_count"] = number if cell["outputs"] else None
            cell.setdefault("metadata", {})["keep_output"] = True
        else:
            cell["outputs"] = []
            cell.get("metadata", {}).pop("keep_output", None)
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--check", action="store_true", help="only report marked cells without output"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").rglob("*.ipynb"))
    missing = []
    for path in paths:
        if ".ipynb_checkpoints" in path.parts:
            continue
        if not args.check:
            store(path)
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        missing += [
            f"{path.name}: cell {i}"
            for i, c in enumerate(cells)
            if is_checked(c) and not c["outputs"]
        ]
    for line in missing:
        print(f"no stored output: {line}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
