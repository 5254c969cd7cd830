"""Every command in docs/teachers.md works: cheap ones are run, expensive ones dry-run or parsed.

Each line of each ```bash block must match one of the handlers below; a new command in the
guide without a handler fails ``test_every_command_has_a_handler``, so nothing goes untested.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "teachers.md"
WEIGHTS_NAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def _commands() -> list[str]:
    commands = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


COMMANDS = _commands()


def _run(argv: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{shlex.join(argv)} failed:\n{proc.stderr[-2000:]}"
    return proc


def _has_gallery_command() -> bool:
    from nststudy.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return "gallery" in sub.choices


@pytest.fixture
def room(tmp_path: Path) -> Path:
    """A classroom folder: handed-in paintings and notebooks, and the repository's tools/."""
    from nststudy.config import Config
    from nststudy.metadata import save_painting, settings_for

    handed_in = tmp_path / "handed_in"
    handed_in.mkdir()
    for i, (who, style) in enumerate([("mei", "swirl"), ("tom", "brush"), ("ana", "drip")]):
        img = np.random.default_rng(i).integers(0, 256, (24, 32, 3), dtype=np.uint8)
        settings = settings_for(Config(), [{"name": style, "weight": 1.0}])
        save_painting(handed_in / f"{who}__cat__{style}.png", img, settings)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("check_gram(my_gram)")
    text = "✓ gram: all 3 checks passed\n✗ style_loss: case 1 is wrong\n"
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": text}, execution_count=1)
    ]
    nb.cells = [cell]
    nbformat.write(nb, handed_in / "mei__04_gram_matrices_and_style.ipynb")
    (tmp_path / "tools").symlink_to(ROOT / "tools")
    return tmp_path


def _nststudy(cmd: str, room: Path, weights_path: Path | None) -> None:
    from nststudy.cli import build_parser

    argv = shlex.split(cmd)[1:]
    if not argv[0].startswith("-") and (argv[0] != "gallery" or _has_gallery_command()):
        build_parser().parse_args(argv)  # argparse exits on an unknown option
    if argv[0] == "demo":
        return  # a TensorFlow run: parsed only (tests/test_cli.py paints for real)
    if argv[0] == "weights":
        if weights_path is None:
            pytest.skip("VGG19 weights not available here")
        env = {"KERAS_HOME": str(room / "keras"), "NSTSTUDY_VGG19_WEIGHTS": str(weights_path)}
        if argv[1] == "install":
            src = room / argv[2]
            src.parent.mkdir(parents=True, exist_ok=True)
            src.symlink_to(weights_path)  # the copy on the USB stick
            env.pop("NSTSTUDY_VGG19_WEIGHTS")
        out = _run([sys.executable, "-m", "nststudy", *argv], room, env).stdout
        assert "MD5" in out
        if argv[1] == "install":
            assert (room / "keras" / "models" / WEIGHTS_NAME).is_file()
        return
    if argv[0] == "gallery" and not _has_gallery_command():
        # cli.py does not register the command yet: run it through its own parser
        import argparse

        from nststudy import gallery

        parser = argparse.ArgumentParser(prog="nststudy")
        gallery.add_parser(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(argv)
        cwd = Path.cwd()
        os.chdir(room)
        try:
            assert args.func(args) == 0
        finally:
            os.chdir(cwd)
    else:
        out = _run([sys.executable, "-m", "nststudy", *argv], room).stdout
        assert out.strip()
    if argv[0] == "gallery":
        args = build_parser().parse_args(argv) if _has_gallery_command() else args
        out_dir = room / (args.out or Path(args.folder) / "gallery")
        page = (out_dir / "index.html").read_text(encoding="utf-8")
        assert page.count("<figure>") == 3 and (out_dir / "contact_sheet.png").is_file()
        assert ("mei" in page) == args.names


def _python_tool(cmd: str, room: Path) -> None:
    argv = shlex.split(cmd)
    script = Path(argv[1]).name
    out = _run(["bash", "-c", shlex.quote(sys.executable) + cmd[len("python") :]], room).stdout
    if script == "nbgitpuller_link.py":
        url = urlsplit(out.strip())
        query = parse_qs(url.query)
        assert url.path == "/hub/user-redirect/git-pull"
        assert query["repo"] == ["https://github.com/nststudy/nststudy"] and query["branch"] == [
            "main"
        ]
        notebook = argv[argv.index("--notebook") + 1] if "--notebook" in argv else None
        expected = notebook or "notebooks/00_setup_and_tour.ipynb"
        assert query["urlpath"] == [f"lab/tree/nststudy/{expected}"]
        assert (ROOT / expected).is_file() or "zh-CN" in expected  # the translation may lag
    elif script == "grade_exercises.py":
        assert "1 ✓" in out and "1 ✗" in out
        assert "mei,04_gram_matrices_and_style,1,1" in (room / "grades.csv").read_text()
    elif script == "notebook_memory.py":
        assert "--full" in out
    else:
        raise AssertionError(f"no check for {script}")


def _wheelhouse(cmd: str, room: Path) -> str:
    argv = shlex.split(cmd)
    argv += [] if "--dry-run" in argv else ["--dry-run"]
    out = _run(argv, room).stdout
    pip = next(line for line in out.splitlines() if " -m pip download " in line)
    pyver = argv[argv.index("--python-version") + 1] if "--python-version" in argv else "3.11"
    assert f"--python-version {pyver}" in pip and "--only-binary=:all:" in pip
    assert "nststudy" in pip and "x86_64" in pip
    assert " -m build --wheel " in out
    return out


def _make(cmd: str, room: Path) -> None:
    target = shlex.split(cmd)[1]
    if not re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.M):
        pytest.skip(f"the Makefile has no `{target}` target yet")
    _run(["make", "-n", "-C", str(ROOT), target], room)


def _pip(cmd: str, room: Path) -> None:
    from packaging.requirements import Requirement

    argv = shlex.split(cmd)
    if "--no-index" in argv:  # must be what the wheelhouse script tells teachers to run
        last = _wheelhouse("tools/wheelhouse.sh --dest wheelhouse", room).splitlines()[-1]
        assert last.endswith(cmd), last
        return
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    for arg in argv[2:]:
        req = Requirement(arg)
        if req.name == "nststudy":
            assert req.url == f"git+{repo}" and "lab" in req.extras


def _jupyter(cmd: str, room: Path) -> None:
    """Opening the course from a copy of the checkout: JupyterLab comes with the lab extra."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    folder = shlex.split(cmd)[2]
    assert (ROOT / folder / "00_setup_and_tour.ipynb").is_file()
    lab = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("jupyterlab") for req in lab["lab"])
    # `make lab` runs the same command (from .venv), so the guide and the Makefile agree
    recipe = re.search(r"^lab:.*\n\t(.*)\n(\t.*)?$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and f"/jupyter lab {folder}" in recipe.group(1)
    settings = shlex.split(cmd)[3:]  # the upload limit, as make lab and Binder raise it
    assert settings and settings[0] in recipe.group(0).replace("'", "")
    assert "websocket_max_message_size" in (ROOT / "binder" / "postBuild").read_text()


def _apt(cmd: str, room: Path) -> None:
    package = shlex.split(cmd)[-1]
    assert package in (ROOT / "binder" / "apt.txt").read_text().split()
    # use_cjk_font's warning names the same command
    assert f"apt-get install {package}" in (ROOT / "nststudy" / "i18n.py").read_text()


HANDLERS = [
    (r"^nststudy ", "nststudy"),
    (r"^python tools/\w+\.py\b", "tool"),
    (r"^tools/wheelhouse\.sh\b", "wheelhouse"),
    (r"^make \w+$", "make"),
    (r"^pip install ", "pip"),
    (r"^sudo apt-get install -y [\w-]+$", "apt"),
    (r"^python3 -m venv \w+ && \. \w+/bin/activate$", "venv"),
    (r"^jupyter lab notebooks( --allow-root)?( --ServerApp\.tornado_settings=\S.*)?$", "jupyter"),
]


def _handler(cmd: str) -> str | None:
    return next((name for pattern, name in HANDLERS if re.search(pattern, cmd)), None)


def test_every_command_has_a_handler() -> None:
    assert len(COMMANDS) >= 15, COMMANDS
    assert [c for c in COMMANDS if _handler(c) is None] == []


def test_bash_blocks_are_valid_shell() -> None:
    for block in _blocks("bash"):
        subprocess.run(["bash", "-n"], input=block, text=True, check=True)


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c[:60] for c in COMMANDS])
def test_command(cmd: str, room: Path) -> None:
    kind = _handler(cmd)
    if kind == "nststudy":
        from nststudy.weights import WeightsError, ensure_weights

        try:
            weights = ensure_weights(download=False)
        except WeightsError:
            weights = None
        if cmd.startswith("nststudy weights verify") and weights is None:
            pytest.skip("VGG19 weights not available here")
        _nststudy(cmd, room, weights)
    elif kind == "tool":
        _python_tool(cmd, room)
    elif kind == "wheelhouse":
        _wheelhouse(cmd, room)
    elif kind == "make":
        _make(cmd, room)
    elif kind == "pip":
        _pip(cmd, room)
    elif kind == "apt":
        _apt(cmd, room)
    elif kind == "jupyter":
        _jupyter(cmd, room)
    elif kind == "venv":
        _run(["bash", "-c", cmd.replace("nst", str(room / "nst"))], room)


def test_python_snippets_run(room: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(room)
    for block in _blocks("python"):
        exec(compile(block, str(DOC), "exec"), {})
    assert (room / "handed_in" / "gallery" / "index.html").is_file()


def test_memory_report_is_current() -> None:
    """The Binder numbers in the guide come from benchmarks/results/notebook_memory.json."""
    report = ROOT / "benchmarks" / "results" / "notebook_memory.json"
    if not report.is_file():
        pytest.skip("no memory report yet: python tools/notebook_memory.py")
    data = json.loads(report.read_text())
    assert data["notebooks"] and all("kernel_peak_mb" in r for r in data["notebooks"])
    if data["mode"] != "fast":
        return
    row = re.search(r"^\| kernel peak \(MB\) \|(.*)\|$", DOC.read_text(), re.M)
    assert row, "docs/teachers.md lost its memory table"
    documented = [int(x) for x in row.group(1).split("|")]
    measured = [round(r["kernel_peak_mb"]) for r in data["notebooks"]]
    assert documented == measured, "update the table in docs/teachers.md from the JSON"


def test_nbgitpuller_link_format() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "nbgitpuller_link", ROOT / "tools" / "nbgitpuller_link.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    link = tool.make_link(
        "https://uni.example/jupyter/", "https://git.example/class/nst.git", branch="6b"
    )
    assert link == (
        "https://uni.example/jupyter/hub/user-redirect/git-pull?"
        "repo=https%3A%2F%2Fgit.example%2Fclass%2Fnst.git"
        "&urlpath=lab%2Ftree%2Fnst%2Fnotebooks%2F00_setup_and_tour.ipynb&branch=6b"
    )
    assert "urlpath=tree%2Fnst%2F" in tool.make_link(
        "https://h.example", "https://g.example/nst", app="classic"
    )
    for bad in [("hub.example.edu", "https://g.example/nst"), ("https://h.example", "nst")]:
        with pytest.raises(ValueError, match="not an http"):
            tool.make_link(*bad)
    with pytest.raises(ValueError, match="inside the repository"):
        tool.make_link("https://h.example", "https://g.example/nst", notebook="../secret.ipynb")
