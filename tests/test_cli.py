"""The command line, run as a user would: real subprocesses and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nststudy import __version__


def _run(
    *args: str, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nststudy", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


def test_version() -> None:
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"nststudy {__version__}"


def test_weights_verify_ok(weights: Path) -> None:
    out = _run("weights", "verify")
    assert out.returncode == 0 and "253f8cb515780f3b799900260a226db6" in out.stdout


def test_weights_verify_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "w.h5"
    bad.write_bytes(b"nope")
    out = _run("weights", "verify", str(bad))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "w.h5" in out.stderr and "Traceback" not in out.stderr


def test_weights_install_copies_into_keras_cache(weights: Path, tmp_path: Path) -> None:
    out = _run("weights", "install", str(weights), env={"KERAS_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "models" / weights.name).stat().st_size == weights.stat().st_size


@pytest.mark.slow
def test_demo_writes_a_painting(
    weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("demo", "--size", "64", "--out", str(tmp_path / "demo.png"))
    assert out.returncode == 0, out.stderr
    assert str(tmp_path / "demo.png") in out.stdout and " s)" in out.stdout
    img = np.asarray(Image.open(tmp_path / "demo.png"))
    assert img.shape[2] == 3 and max(img.shape[:2]) == 64 and img.std() > 10
    from nststudy.cli import main  # again, in-process (a child's TensorFlow start-up: ≈ 6 s)

    assert main(["demo", "--size", "64", "--out", str(tmp_path / "demo.png")]) == 0
    assert str(tmp_path / "demo__2.png") in capsys.readouterr().out
    assert np.array_equal(np.asarray(Image.open(tmp_path / "demo.png")), img)  # not replaced


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("art.psd", "a format that can be read, not written: '.psd'"),
        ("art.xbm", "'.xbm' cannot hold an RGB painting"),
        ("art", "unknown image format ''"),
        ("folder", "is a folder"),
        ("a_file/demo.png", "is a file, not a folder"),
    ],
)
def test_demo_checks_its_output_before_painting(tmp_path: Path, out: str, expected: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "a_file").write_text("x")
    # refused before the weights are looked for: with none to be found, a check made only
    # after painting would end in "weights not found" instead
    none = {"KERAS_HOME": str(tmp_path / "k"), "NSTSTUDY_VGG19_WEIGHTS": str(tmp_path / "no.h5")}
    result = _run("demo", "--out", out, cwd=tmp_path, env=none)
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_demo_checks_its_options_before_fetching_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo is said as such: it was "weights not found" offline (or an 80 MB download)."""
    import nststudy.cli
    import nststudy.weights

    def no_weights() -> None:
        raise nststudy.weights.WeightsError("weights not found")

    monkeypatch.setattr(nststudy.weights, "ensure_weights", no_weights)
    out = str(tmp_path / "d.png")
    assert nststudy.cli.main(["demo", "--style", "swirll", "--out", out]) == 2
    assert "Did you mean 'swirl'" in capsys.readouterr().err
    assert nststudy.cli.main(["demo", "--size", "8", "--out", out]) == 2
    assert "--size 8: size must be at least 32 px" in capsys.readouterr().err
    assert nststudy.cli.main(["demo", "--size", "5000", "--out", out]) == 2
    assert "--size 5000: size must be between 16 and 4096" in capsys.readouterr().err
    assert nststudy.cli.main(["demo", "--out", out]) == 2
    assert "weights not found" in capsys.readouterr().err


def test_demo_interrupted_keeps_the_best_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import nststudy
    from nststudy import cli
    from nststudy.config import Config
    from nststudy.stylize import Result

    def interrupted(photo: object, style: object, config: Config) -> Result:
        best = np.full((48, 64, 3), 128, np.uint8)
        return Result(best, [], 1.0, config, stopped="interrupt")

    monkeypatch.setattr(nststudy, "stylize", interrupted)
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: None)
    (tmp_path / "demo.png").write_bytes(b"an earlier painting")
    assert cli.main(["demo", "--size", "64", "--out", str(tmp_path / "demo.png")]) == 130
    err = capsys.readouterr().err
    assert f"interrupted; the best image so far is in {tmp_path / 'demo__2.png'}" in err
    assert (tmp_path / "demo.png").read_bytes() == b"an earlier painting"
    assert np.asarray(Image.open(tmp_path / "demo__2.png")).shape == (48, 64, 3)


def test_tensorflows_out_of_memory_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A GPU's (or TensorFlow's allocator's) out-of-memory is no traceback either."""
    import tensorflow as tf

    import nststudy.cli

    def exhausted(args: object) -> int:
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(nststudy.cli, "_cmd_styles", exhausted)
    assert nststudy.cli.main(["styles"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err and "--tile" in err

    def gpu_copy(args: object) -> int:  # how some GPU out-of-memory errors arrive
        raise tf.errors.InternalError(
            None, None, "Failed copying input tensor: Dst tensor is not initialized."
        )

    monkeypatch.setattr(nststudy.cli, "_cmd_styles", gpu_copy)
    assert nststudy.cli.main(["styles"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err

    def internal(args: object) -> int:
        raise tf.errors.InternalError(None, None, "a kernel failed")

    monkeypatch.setattr(nststudy.cli, "_cmd_styles", internal)
    with pytest.raises(tf.errors.InternalError):  # other internal errors stay tracebacks
        nststudy.cli.main(["styles"])

    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(nststudy.cli, "_cmd_styles", broken)
    with pytest.raises(RuntimeError):  # any other error stays a traceback to report
        nststudy.cli.main(["styles"])


def test_a_full_disk_is_told_to_free_space(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OSError that reaches the command line: one line naming the file, and for a full disk
    the fix is space, not the path or permissions (they were fine)."""
    import errno

    from nststudy import cli

    def full(args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "out/.nststudy/p.npz")

    monkeypatch.setattr(cli, "_cmd_styles", full)
    assert cli.main(["styles"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out/.nststudy/p.npz: No space left on device" in err
    assert "free some space" in err and "may write there" not in err


def test_notices_are_one_line_each_and_said_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """nststudy's warnings reach a terminal as ``nststudy: note: …`` (not Python's two lines
    pointing into the package), once per text even when re-raised per tile; a warning from
    another package keeps Python's own form."""
    import warnings

    import nststudy
    from nststudy import cli

    inside = str(Path(nststudy.__file__).parent / "tiles.py")

    def noisy(args: object) -> int:
        for _ in range(3):  # as print_tiles passes each tile's on (no registry: not deduplicated)
            warnings.warn_explicit("the mask is 64×64 px", UserWarning, inside, 10)
        warnings.warn_explicit("from elsewhere", UserWarning, "/elsewhere/lib.py", 5)
        return 0

    monkeypatch.setattr(cli, "_cmd_styles", noisy)
    with pytest.warns(UserWarning, match="from elsewhere") as caught:  # passed on as it was
        assert cli.main(["styles"]) == 0
    assert [str(w.message) for w in caught] == ["from elsewhere"]
    err = capsys.readouterr().err
    assert err == "nststudy: note: the mask is 64×64 px\n"
