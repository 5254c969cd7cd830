"""Make the nbgitpuller link that opens the course on a school's JupyterHub.

A learner who clicks the link signs in to the hub; nbgitpuller clones the course repository
into their home folder (or, the next time, merges the teacher's updates without touching the
learner's own edits) and opens the notebook in JupyterLab. The hub needs nbgitpuller installed
(``pip install nbgitpuller`` in the user image) and nststudy with its dependencies.

    python tools/nbgitpuller_link.py https://hub.example.edu
    python tools/nbgitpuller_link.py https://hub.example.edu \
        --notebook notebooks/zh-CN/00_setup_and_tour.ipynb

The repository defaults to ``[project.urls] Repository`` in pyproject.toml. The link has the
same form as nbgitpuller's own link generator
(https://nbgitpuller.readthedocs.io/en/latest/link.html):

    https://HUB/hub/user-redirect/git-pull?repo=<repo>
        &urlpath=lab/tree/<repo name>/<notebook>&branch=main      (one line)

with every value form-encoded (``/`` → ``%2F``, ``:`` → ``%3A``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOK = "notebooks/00_setup_and_tour.ipynb"
APPS = {"lab": "lab/tree/", "classic": "tree/"}


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The ``Repository`` URL of ``[project.urls]`` in ``pyproject``."""
    urls = tomllib.loads(pyproject.read_text())["project"].get("urls", {})
    if "Repository" not in urls:
        raise ValueError(f"{pyproject}: no [project.urls] Repository; pass --repo URL")
    return urls["Repository"]


def make_link(
    hub: str,
    repo: str,
    notebook: str = DEFAULT_NOTEBOOK,
    branch: str = "main",
    app: str = "lab",
) -> str:
    """The nbgitpuller URL that clones ``repo`` on ``hub`` and opens ``notebook``.

    Args:
        hub: the JupyterHub's address, ``https://hub.example.edu`` (a path prefix is kept).
        repo: the git URL of the course (``https://github.com/owner/name``).
        notebook: the file to open, relative to the repository root.
        branch: the branch to pull.
        app: ``"lab"`` (JupyterLab) or ``"classic"`` (the classic notebook).

    Raises:
        ValueError: a hub or repository that is not an http(s) URL, an unknown app, or an
            absolute notebook path.
    """
    for name, url in (("hub", hub), ("repo", repo)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{name} {url!r} is not an http(s) address; e.g. https://host/path")
    if app not in APPS:
        raise ValueError(f"unknown app {app!r}; choose one of {', '.join(APPS)}")
    if notebook.startswith("/") or ".." in Path(notebook).parts:
        raise ValueError(f"notebook {notebook!r} must be a path inside the repository")
    name = urlsplit(repo).path.rstrip("/").split("/")[-1].removesuffix(".git")
    query = urlencode({"repo": repo, "urlpath": f"{APPS[app]}{name}/{notebook}", "branch": branch})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hub", help="the JupyterHub address, e.g. https://hub.example.edu")
    parser.add_argument("--repo", help="git URL of the course (default: pyproject's Repository)")
    parser.add_argument("--notebook", default=DEFAULT_NOTEBOOK, help="notebook to open")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--app", choices=sorted(APPS), default="lab")
    args = parser.parse_args(argv)
    try:
        if not (ROOT / args.notebook).is_file():
            raise ValueError(f"{args.notebook} is not a file of this repository")
        print(
            make_link(args.hub, args.repo or repository_url(), args.notebook, args.branch, args.app)
        )
    except ValueError as err:
        print(f"nbgitpuller_link: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
