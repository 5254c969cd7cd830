"""Tiled refinement with a mask, Ctrl-C between tiles, and continuing from a stopped canvas."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from nststudy import tiles
from nststudy.config import PRESETS
from nststudy.images import resize_longest
from nststudy.postprocess import resize_to
from nststudy.tiles import TilingStopped, count_tiles, print_shape, refine_tiled

# A 48 × 32 painting refined to 128 × 85 in 48 px tiles with 8 px overlap: columns start at
# 0, 40, 80 and rows at 0, 37 — six tiles. With the left 64 columns black, the mask's
# feather (σ = 2 % of 128 px ≈ 2.6 px) has died out 17 px before the first column ends, so
# that column is never optimised; the middle column straddles the border.
SIZE, TILE, OVERLAP, BORDER = 128, 48, 8, 64


@pytest.fixture(scope="module")
def job(photo: np.ndarray, texture: np.ndarray) -> dict:
    cfg = PRESETS["default"].replace(sizes=(48,), steps=(1,), style_weight=1.0)
    painting = resize_longest(photo, 48)
    shape = print_shape(painting.shape, SIZE)
    mask = np.ones(shape, np.float32)
    mask[:, :BORDER] = 0.0  # black = keep
    return {"painting": painting, "photo": photo, "style": texture, "cfg": cfg, "mask": mask}


def _counting(monkeypatch: pytest.MonkeyPatch, fake=None) -> list[tuple[int, int]]:
    """Wrap (or fake) the tile optimiser; returns the shapes it was called with, one per call."""
    calls: list[tuple[int, int]] = []
    real = tiles.run_lbfgs

    def runner(stage, init, steps, *args, **kwargs):
        calls.append(init.shape)
        return (fake or real)(stage, init, steps, *args, **kwargs)

    monkeypatch.setattr(tiles, "run_lbfgs", runner)
    return calls


@pytest.mark.slow
def test_mask_keeps_black_tiles_and_skips_them(
    weights: Path, job: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    seen: list[tuple[int, int]] = []
    before = tiles._traces[0]
    out = refine_tiled(
        job["painting"], job["photo"], job["style"], job["cfg"], SIZE, TILE, OVERLAP, steps=5,
        callback=lambda done, total, canvas: seen.append((done, total)), mask=job["mask"],
    )  # fmt: skip
    assert out.shape == (85, 128, 3)
    assert count_tiles(job["painting"].shape, SIZE, TILE, OVERLAP) == 6
    assert seen == [(n, 6) for n in range(1, 7)]  # every tile reported, skipped ones too
    assert len(calls) == 4  # the two black tiles were not optimised
    assert tiles._traces[0] - before == 1  # masked tiles share one trace (masks are arguments)
    upscaled = resize_to(job["painting"], out.shape[:2], "lanczos")
    diff = np.abs(out - upscaled).mean(axis=2)
    # Measured: exactly 0 left of column 52, 3e-5 at most left of 56 (the feather's tail);
    # the white side moves by 0.037 on average.
    assert diff[:, : BORDER - 12].max() < 1e-3
    assert diff[:, BORDER + 8 :].mean() > 0.015


class _Outcome:
    def __init__(self, image: np.ndarray, stopped: str | None) -> None:
        self.image, self.stopped, self.lbfgs_scale = image, stopped, None


@pytest.mark.slow
def test_ctrl_c_returns_the_canvas_so_far_and_start_continues(
    weights: Path, job: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake optimiser paints each tile black; Ctrl-C arrives during the second tile."""

    def fake(stage, init, steps, *args, **kwargs):
        stopped = "interrupt" if len(calls) == 2 else None
        return _Outcome(np.zeros(init.shape[1:], np.float32), stopped)

    calls = _counting(monkeypatch, fake)
    args = (job["painting"], job["photo"], job["style"], job["cfg"], SIZE, TILE, OVERLAP, 1)
    with pytest.warns(TilingStopped) as caught:
        canvas = refine_tiled(*args)
    stop = caught[0].message
    assert (stop.complete, stop.total, stop.reason) == (1, 6, "interrupt")
    assert "stopped after 1 of 6 tiles" in str(stop)
    upscaled = resize_to(job["painting"], canvas.shape[:2], "lanczos")
    assert canvas[:37, :40].max() == 0.0  # tile 1, refined
    assert canvas[:37, 48:80].max() == 0.0  # tile 2: pasted as far as it got
    np.testing.assert_array_equal(canvas[48:], upscaled[48:])  # below the first row: untouched

    calls.clear()
    with pytest.warns(TilingStopped) as caught:  # Ctrl-C again, now in the resumed 3rd tile
        again = refine_tiled(*args, start=(canvas, stop.complete))
    assert len(calls) == 2 and caught[0].message.complete == 2
    assert again[:48].max() == 0.0  # tile 2 redone, tile 3 pasted as far as it got
    np.testing.assert_array_equal(again[48:], upscaled[48:])
    with pytest.raises(ValueError, match="canvas"):
        refine_tiled(*args, start=(canvas[:40], 1))
    # resumed after the last tile (Ctrl-C came during the print's post-processing): no work,
    # not even the style's Gram targets
    monkeypatch.setattr(tiles, "FeatureExtractor", lambda *a: pytest.fail("refined again"))
    np.testing.assert_array_equal(refine_tiled(*args, start=(again, 6)), again)


@pytest.mark.slow
def test_ctrl_c_outside_the_optimiser_is_caught_too(
    weights: Path, job: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake(stage, init, steps, *args, **kwargs):
        raise KeyboardInterrupt  # e.g. while the tile's content features are computed

    _counting(monkeypatch, fake)
    with pytest.warns(TilingStopped, match="stopped after 0 of 6"):
        out = refine_tiled(
            job["painting"], job["photo"], job["style"], job["cfg"], SIZE, TILE, OVERLAP
        )
    np.testing.assert_array_equal(out, resize_to(job["painting"], out.shape[:2], "lanczos"))


@pytest.mark.slow
def test_each_tile_sizes_its_first_step_by_the_last_tiles_curvature(
    weights: Path, job: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[float | None, float | None]] = []  # (scale passed in, scale returned)
    real = tiles.run_lbfgs

    def spy(stage, init, steps, *args, **kwargs):
        outcome = real(stage, init, steps, *args, **kwargs)
        seen.append((kwargs.get("initial_scale"), outcome.lbfgs_scale))
        return outcome

    monkeypatch.setattr(tiles, "run_lbfgs", spy)
    refine_tiled(
        job["painting"], job["photo"], job["style"], job["cfg"], SIZE, TILE, OVERLAP, steps=3
    )
    assert len(seen) == 6 and seen[0][0] is None  # the first tile has nothing to go by
    for (_, returned), (passed, _) in itertools.pairwise(seen):
        assert returned is not None and returned > 0 and passed == returned


def test_paint_print_crops_the_mask_with_the_photo() -> None:
    """The mask is drawn on the whole photo; ``crop`` must cut the same frame out of it."""
    photo = np.zeros((120, 160, 3), np.float32)  # black photo, white painting
    mask = np.ones((120, 160), np.float32)
    mask[:, :40] = 0.0  # keep the photo's left quarter
    cfg = PRESETS["default"].replace(strokes=0.0, preserve_colors=None)
    out = tiles.paint_print(
        photo, photo, cfg, 120, crop="1:1", mask=mask, painting=np.ones((120, 120, 3), np.float32)
    )
    # the 1:1 crop starts 20 px in: the kept band is 20 px wide (a stretched mask: 30)
    assert out[:, :12].max() < 0.05 and out[:, 25:].min() > 0.9


def test_print_masks_read_integer_arrays_as_masks() -> None:
    """A 0–255 mask given to refine_tiled keeps its greys (it was clipped: 128 became 1)."""
    from nststudy.tiles import _print_masks

    grey = np.full((20, 30), 128, np.uint8)
    hard, soft = _print_masks(grey, (40, 60))
    assert hard.shape == soft.shape == (40, 60) and np.allclose(hard, 128 / 255, atol=1e-3)
    hard, _ = _print_masks((grey > 0).astype(np.int64), (40, 60))  # 0/1 integers
    assert np.allclose(hard, 1.0)
