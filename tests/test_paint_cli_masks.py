"""``nststudy paint --mask / --background-only`` end to end: real subprocesses, tiny images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nststudy import metadata
from nststudy.images import load_image
from nststudy.postprocess import resize_to

from ._cli import paint_here, refuse_paint, run_paint

FAST = ["--style", "swirl", "--size", "32", "--steps", "3"]


def _photo(folder: Path) -> Path:
    Image.fromarray(data.astronaut()).resize((48, 32)).save(folder / "p.png")
    return folder / "p.png"


def _half_mask(path: Path, size: tuple[int, int] = (48, 32)) -> Path:
    """Black (keep) on the left half, white (paint) on the right; ``size`` is (W, H)."""
    m = np.zeros(size[::-1], np.uint8)
    m[:, size[0] // 2 :] = 255
    Image.fromarray(m).save(path)
    return path


def _sides(out: Path, photo: Path) -> tuple[float, float, float]:
    """Mean |painting − photo| on the left third, the right third, and in all."""
    painted = load_image(out)
    with Image.open(out) as im:
        im.verify()  # a complete, valid file
    ref = resize_to(load_image(photo), painted.shape[:2])
    diff = np.abs(painted - ref).mean(axis=2)
    third = diff.shape[1] // 3
    return float(diff[:, :third].mean()), float(diff[:, -third:].mean()), float(diff.mean())


@pytest.mark.slow
def test_mask_keeps_the_photo_where_black_at_print_size(tmp_path: Path, weights: Path) -> None:
    _photo(tmp_path)
    _half_mask(tmp_path / "m.png")
    assert paint_here("p.png", *FAST, "--mask", "m.png", "--print-size", "96", "--tile", "48",
                      cwd=tmp_path) == 0  # fmt: skip
    painted = tmp_path / "out" / "p__swirl.png"
    with Image.open(painted) as im:
        assert im.format == "PNG" and im.size == (96, 64)  # the 48 × 32 photo's shape
        text = im.info[metadata.KEY]
    settings = metadata.read_settings(painted)
    assert settings["mask"] == "file" and settings["background_only"] is False
    assert settings["print_size"] == 96 and settings["tile"] == 48
    assert "m.png" not in text and str(tmp_path) not in text  # no input path recorded
    kept, painted_side, _ = _sides(painted, tmp_path / "p.png")
    # Measured: 0.001 on the kept (black) side, 0.06 on the painted side.
    assert kept < 0.01 and painted_side > 0.03


@pytest.mark.slow
def test_background_only_inverts_a_stretched_mask(tmp_path: Path, weights: Path) -> None:
    """A 64 × 64 mask on a 48 × 32 photo: stretched to fit, with a warning; inverted."""
    _photo(tmp_path)
    _half_mask(tmp_path / "square.png", (64, 64))
    out = run_paint("p.png", *FAST, "--mask", "square.png", "--background-only", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    note = "nststudy: note: square.png: the mask is 64×64 px but the photo is 48×32"
    assert note in out.stderr and "warnings.warn" not in out.stderr  # one line, not Python's two
    painted = tmp_path / "out" / "p__swirl.png"
    assert metadata.read_settings(painted)["background_only"] is True
    painted_side, kept, _ = _sides(painted, tmp_path / "p.png")
    # Measured: 0.001 on the kept (white) side, 0.024 on the painted side (no refinement).
    assert kept < 0.01 and painted_side > 0.012


@pytest.mark.slow
def test_background_only_guesses_the_subject(tmp_path: Path, weights: Path) -> None:
    """A red disk on a noisy blue gradient: the disk is kept, the background painted."""
    yy, xx = np.mgrid[0:32, 0:48]
    img = np.stack([0.3 + 0.2 * xx / 48, 0.4 + 0.1 * yy / 32, 0.6 + 0 * xx], axis=2)
    img = np.clip(img + np.random.default_rng(0).normal(0, 0.08, img.shape), 0, 1)
    disk = (yy - 16) ** 2 + (xx - 24) ** 2 < 10**2
    img[disk] = (0.85, 0.1, 0.1)
    Image.fromarray((img * 255).astype(np.uint8)).save(tmp_path / "p.png")
    assert paint_here("p.png", *FAST, "--size", "48", "--background-only", cwd=tmp_path) == 0
    painted = load_image(tmp_path / "out" / "p__swirl.png")
    diff = np.abs(painted - load_image(tmp_path / "p.png")).mean(axis=2)
    inner = (yy - 16) ** 2 + (xx - 24) ** 2 < 6**2
    outer = (yy - 16) ** 2 + (xx - 24) ** 2 > 14**2
    # Measured: 0.0001 inside the disk, 0.009 around it (3 steps: the texture has only begun).
    assert diff[inner].mean() < 0.002 and diff[outer].mean() > 0.004


@pytest.mark.parametrize("kind", ["missing", "text", "truncated", "folder"])
def test_bad_mask_is_one_line_and_writes_nothing(tmp_path: Path, kind: str) -> None:
    _photo(tmp_path)
    name = {"missing": "nope.png", "text": "notes.png", "truncated": "cut.png", "folder": "dir"}
    mask = tmp_path / name[kind]
    if kind == "text":
        mask.write_text("not an image")
    elif kind == "truncated":
        _half_mask(tmp_path / "whole.png", (200, 150))
        mask.write_bytes((tmp_path / "whole.png").read_bytes()[:120])
    elif kind == "folder":
        mask.mkdir()
    out = refuse_paint("p.png", *FAST, "--mask", mask.name, "--print-size", "96", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stderr.count("\n") == 1 and mask.name in out.stderr
    assert not (tmp_path / "out").exists()


def test_a_big_photo_and_its_mask_are_fitted_to_the_largest_output(tmp_path: Path) -> None:
    """No output uses more than the largest output's size: the photo is shrunk to it once, and
    a mask drawn on the whole photo follows (left half kept, right half painted)."""
    from types import SimpleNamespace

    from nststudy.batch import _mask
    from nststudy.images import shrink_longest
    from nststudy.masks import read_mask

    photo = np.random.default_rng(0).random((300, 480, 3), dtype=np.float32)
    small = shrink_longest(photo, 64)  # what the job does to it
    assert small.shape == (40, 64, 3) and shrink_longest(small, 64) is small
    args = SimpleNamespace(mask="m.png", crop=None, background_only=False)
    job = SimpleNamespace(
        args=args, mask_image=read_mask(_half_mask(tmp_path / "m.png", (480, 300)))
    )
    mask = _mask(job, small, photo.shape)
    assert mask.shape == (40, 64) and mask[:, :28].max() < 0.05 and mask[:, 36:].min() > 0.95
    args.background_only = True  # the same mask, inverted
    assert np.allclose(_mask(job, small, photo.shape), 1.0 - mask)
