"""Write the repository URL from pyproject.toml into README badges and notebook cells.

The URL lives in one place, ``[project.urls] Repository``; this script generates every badge
and install line from it. ``python tools/sync_links.py --check`` exits 1 when something is stale
(a test runs that).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BADGE_PREFIX = "[![Open in Binder]"


def repo_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["urls"]["Repository"].rstrip("/")


def badges(notebook: str | None = None) -> str:
    """Binder and Colab badges; ``notebook`` is a path under ``notebooks/`` or None (folder)."""
    url = repo_url()
    slug = url.removeprefix("https://github.com/")
    path = f"notebooks/{notebook}" if notebook else "notebooks"
    binder = f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/{path}"
    line = f"{BADGE_PREFIX}(https://mybinder.org/badge_logo.svg)]({binder})"
    if notebook:
        colab = f"https://colab.research.google.com/github/{slug}/blob/main/{path}"
        line += f" [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})"
    return line


def _sync_readme(text: str) -> str:
    block = f"<!-- links:start -->\n{badges()}\n<!-- links:end -->"
    return re.sub(r"<!-- links:start -->.*?<!-- links:end -->", block, text, flags=re.S)


def _sync_notebook(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT / "notebooks").as_posix()
    for cell in nb["cells"]:
        lines = "".join(cell["source"]).split("\n")
        for i, line in enumerate(lines):
            if cell["cell_type"] == "markdown" and line.startswith(BADGE_PREFIX):
                lines[i] = badges(rel)
            elif cell["cell_type"] == "code" and line.startswith("REPO_URL = "):
                lines[i] = f'REPO_URL = "{repo_url()}"'
        joined = "\n".join(lines)
        if joined != "".join(cell["source"]):  # only what changed: the rest as Jupyter wrote it
            cell["source"] = joined.splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="report stale files, change none")
    args = parser.parse_args(argv)
    stale = []
    targets = [(ROOT / "README.md", lambda p: _sync_readme(p.read_text(encoding="utf-8")))]
    targets += [(p, _sync_notebook) for p in sorted((ROOT / "notebooks").rglob("*.ipynb"))]
    for path, sync in targets:
        if not path.exists() or ".ipynb_checkpoints" in path.parts:
            continue
        new = sync(path)
        if new != path.read_text(encoding="utf-8"):
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for p in stale:
        print(f"{'stale' if args.check else 'updated'}: {p}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
