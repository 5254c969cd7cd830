"""Tiled print refinement: tiling maths, whole-image Grams, seams, determinism, style scale."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from nststudy import tiles
from nststudy.config import PRESETS, Config
from nststudy.images import load_image, resize_longest
from nststudy.tiles import (
    AUTO_TILE_BUDGET,
    AUTO_TILES,
    auto_tile,
    count_tiles,
    estimate_memory,
    feather_weights,
    print_shortfall,
    refine_tiled,
    same_aspect,
    tile_starts,
)

TILE, OVERLAP, SIZE = 48, 12, 96
SEAM_LIMIT = 1.07  # see test_feathering_hides_seams


@pytest.mark.parametrize(
    ("length", "tile", "overlap", "starts"),
    [(100, 48, 12, [0, 36, 52]), (48, 48, 12, [0]), (40, 48, 12, [0]), (96, 48, 0, [0, 48])],
)
def test_tile_starts(length: int, tile: int, overlap: int, starts: list[int]) -> None:
    assert tile_starts(length, tile, overlap) == starts


@pytest.mark.parametrize("length", [49, 97, 200, 513, 2048])
def test_tiles_cover_with_overlap(length: int) -> None:
    starts = tile_starts(length, 64, 16)
    assert starts[0] == 0 and starts[-1] + min(64, length) == length  # same size, inside
    assert all(0 < b - a <= 64 - 16 for a, b in itertools.pairwise(starts))


def test_tile_starts_rejects_bad_overlap() -> None:
    with pytest.raises(ValueError, match="overlap"):
        tile_starts(100, 48, 24)
    with pytest.raises(ValueError, match="tile"):
        tile_starts(100, 16, 0)


def test_feather_weights() -> None:
    w = feather_weights((10, 12), 4, top=True, left=True)
    assert w.shape == (10, 12) and w[-1, -1] == 1.0 and w[4:, 4:].min() == 1.0
    np.testing.assert_allclose(w[5, :4], [0.125, 0.375, 0.625, 0.875])
    assert w[0, 0] == pytest.approx(0.125**2)
    assert feather_weights((10, 12), 4, top=False, left=False).min() == 1.0
    assert feather_weights((10, 12), 0, top=True, left=True).min() == 1.0


def _tile_pixels(shape: tuple[int, int], size: int, tile: int) -> int:
    return count_tiles(shape, size, tile) * min(tile, shape[0]) * min(tile, shape[1])


def test_auto_tile_needs_less_work_than_512_px_tiles() -> None:
    landscape = (1536, 2048)  # a 4:3 photo printed at 2048 px
    tile = auto_tile(landscape, 2048, budget=AUTO_TILE_BUDGET)
    assert tile == 560 and count_tiles(landscape, 2048, 560) == 12  # 512 px tiles: 20
    assert _tile_pixels(landscape, 2048, tile) < 0.75 * _tile_pixels(landscape, 2048, 512)
    assert _tile_pixels(landscape, 2048, tile) < 0.95 * _tile_pixels(landscape, 2048, 576)
    for shape in [(1536, 2048), (2048, 2048), (2250, 3000), (1365, 2048)]:
        best = auto_tile(shape, max(shape), budget=AUTO_TILE_BUDGET)
        assert _tile_pixels(shape, max(shape), best) <= _tile_pixels(shape, max(shape), 512)


@pytest.mark.parametrize("budget", [2.7e9, 3.0e9, 3.2e9])
def test_auto_tile_stays_within_the_memory_budget(budget: float) -> None:
    tile = auto_tile((1536, 2048), 2048, budget=budget)
    assert estimate_memory(2048, tile, 0.75) <= budget
    assert auto_tile((1536, 2048), 2048, budget=1e9) == AUTO_TILES[0]  # nothing fits: smallest
    # ... that allows the overlap (under half the side); none does: refused, not returned
    assert auto_tile((1536, 2048), 2048, overlap=200, budget=1e9) == 416
    with pytest.raises(ValueError, match="overlap 400 px"):
        auto_tile((1536, 2048), 2048, overlap=400)


def test_auto_tile_does_not_count_the_loaded_tensorflow_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the painting stage the process holds TensorFlow and VGG19: the free memory no
    longer includes them, while the estimate does (as print_shortfall corrects for)."""
    import sys

    import nststudy._tile_grid as grid

    held = grid.PRINT_BASE_BYTES
    free = estimate_memory(2048, 560, 0.75) - held + 10**7  # 560 px fits with what is held
    monkeypatch.setattr(grid, "available_memory", lambda: free)
    monkeypatch.setattr(grid, "resident_bytes", lambda: held)
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    assert auto_tile((1536, 2048), 2048) == 560  # was the 384 px fallback (35 tiles, not 12)


def test_auto_tile_default_budget_lets_a_big_print_use_more_than_the_smallest_tile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 30x40 cm print at 300 dpi (3543×4724) is past the cap on its canvas alone: with the
    memory there it still gets the side with the least work, not the 384 px fallback."""
    import nststudy._tile_grid as grid

    shape = (3543, 4724)
    monkeypatch.setattr(grid, "available_memory", lambda: 64 * 2**30)
    big = auto_tile(shape, 4724)
    assert big == 656  # the README's 48 tiles (the style's term must not widen the cap: 768)
    assert big > AUTO_TILES[0] and _tile_pixels(shape, 4724, big) < 0.9 * _tile_pixels(
        shape, 4724, AUTO_TILES[0]
    )
    # 2048 px prints choose as before; larger ones may add their larger canvas to the cap, so
    # that the choice does not jump at the size where the canvas alone would fill it
    assert auto_tile((1536, 2048), 2048) == 560
    assert auto_tile((2250, 3000), 3000) == 656  # 20 tiles, not 48 of 432
    works = [
        _tile_pixels((3 * s // 4, s), s, auto_tile((3 * s // 4, s), s))
        for s in range(3400, 4100, 40)
    ]
    assert all(b >= a for a, b in itertools.pairwise(works))  # larger prints, never less work
    # little memory: the smallest side's need. At 4724 px the style resized to the print
    # (4724² × 36 B) sets that need up to 464 px tiles, which then cost no more memory
    small = estimate_memory(4724, AUTO_TILES[0], 0.75) + 10**7
    monkeypatch.setattr(grid, "available_memory", lambda: small)
    monkeypatch.setattr(grid, "resident_bytes", lambda: 0)  # (nothing of the base held yet)
    assert auto_tile(shape, 4724) == 464 < big
    assert estimate_memory(4724, 464, 0.75) == small - 10**7 < estimate_memory(4724, 480, 0.75)
    monkeypatch.setattr(grid, "available_memory", lambda: small - 2 * 10**7)  # none fits
    assert auto_tile(shape, 4724) == AUTO_TILES[0]


def test_auto_tile_takes_one_tile_when_the_print_is_small() -> None:
    tile = auto_tile((450, 600), 600, budget=AUTO_TILE_BUDGET)
    assert count_tiles((450, 600), 600, tile) == 1 and tile == min(
        t for t in AUTO_TILES if t >= 600
    )


def test_print_shortfall_is_the_one_memory_check() -> None:
    assert print_shortfall(2048, None, available=10**12) is None
    need, have, tile = print_shortfall(2048, None, available=10**9)
    assert tile == AUTO_TILES[0] and have == 10**9 and need == estimate_memory(2048, tile) > have
    need, _, tile = print_shortfall(2048, 640, aspect=0.75, available=10**9)
    assert tile == 640 and need == estimate_memory(2048, 640, 0.75)


def test_estimate_memory() -> None:
    tiled, direct = estimate_memory(2048, 512), estimate_memory(2048, None)
    assert tiled < 4e9 < direct  # the target, and why tiles are needed
    assert estimate_memory(3000, 512) > tiled
    assert estimate_memory(2048, 256) < tiled
    assert estimate_memory(512, 512) == estimate_memory(512, None)
    with pytest.raises(ValueError, match="aspect"):
        estimate_memory(2048, 512, aspect=2.0)


def test_estimate_memory_counts_the_style_resized_to_the_print() -> None:
    """The style is resized to print size × style_scale before any tile (≈ 36 bytes a pixel
    at the peak, measured): a 4724 px print at style_scale 2 needs the style's 9448² pixels,
    not a tile's; at 1 the tiles set the peak, as fitted; a smaller tile does not help."""
    from nststudy.resources import PRINT_BASE_BYTES

    tiles_only = estimate_memory(4724, 576, 0.75)
    assert tiles_only == int(PRINT_BASE_BYTES + 3.5e3 * 576**2 + 150.0 * 4724**2 * 0.75)
    assert not tiles.style_bound(4724, 576, 0.75, 1.0)
    assert tiles.style_bound(4724, 384, 0.75, 1.0)  # 4724² × 36 B > a 384 px tile's 0.5 GB
    doubled = estimate_memory(4724, 576, 0.75, style_scale=2.0)
    assert doubled - tiles_only > 2e9  # 9448² × 36 B ≈ 3.2 GB against the tile's 1.2 GB
    assert tiles.style_bound(4724, 576, 0.75, 2.0) and tiles.style_bound(4724, None, 0.75, 2.0)
    assert estimate_memory(4724, 384, 0.75, style_scale=2.0) == doubled
    need, _, _ = print_shortfall(4724, 576, 0.75, available=tiles_only, style_scale=2.0)
    assert need == doubled
    assert print_shortfall(4724, 576, 0.75, available=tiles_only) is None
    with pytest.raises(ValueError, match="style_scale"):
        estimate_memory(2048, 512, style_scale=0.0)


def test_tiled_grams_of_a_content_only_run_are_none() -> None:
    from types import SimpleNamespace

    nothing = SimpleNamespace(style_layers=())  # (no network is run: no layer to tap)
    assert tiles.tiled_grams(nothing, np.zeros((100, 80, 3), np.float32), tile=64) == {}


def test_tiled_grams_match_the_whole_image(weights: Path) -> None:
    from skimage import data

    from nststudy.images import to_vgg
    from nststudy.losses import gram_matrix
    from nststudy.vgg import FeatureExtractor

    cfg = PRESETS["default"]
    ex = FeatureExtractor(cfg.content_layers, cfg.style_layers)
    img = load_image(data.astronaut(), max_dim=160)
    whole = ex(to_vgg(img)[None])
    tiled = tiles.tiled_grams(ex, img, tile=64, margin=32)
    for name in cfg.style_layers:
        a, b = gram_matrix(whole[name]).numpy(), tiled[name].numpy()
        err = np.abs(a - b).mean() / np.abs(a).mean()
        # Measured: < 1e-6 for conv1–4 (32 px of context covers their receptive fields
        # near the data), 0.05 for conv5_1 (its field is wider than the margin).
        assert err < (0.15 if name.startswith("block5") else 1e-3), name


def test_tiled_grams_take_a_leftover_strip_thinner_than_a_stride(weights: Path) -> None:
    """A style image 9 px taller than its tiles (a print's odd size): the strip has no block5
    position and, with no margin, too few pixels for VGG19 alone."""
    from nststudy.images import to_vgg
    from nststudy.losses import gram_matrix
    from nststudy.vgg import FeatureExtractor

    cfg = PRESETS["default"]
    ex = FeatureExtractor(cfg.content_layers, cfg.style_layers)
    img = np.random.default_rng(0).uniform(0, 1, (64 + 9, 64, 3)).astype(np.float32)
    whole = ex(to_vgg(img)[None])
    # was: "features of shape (1, 0, 4, 512) have no positions" (and, with no margin, a 9 px
    # crop refused by VGG19); layers whose field the margin covers keep the whole image's sums
    for margin, layers in ((0, ("block1_conv1",)), (32, ("block1_conv1", "block3_conv1"))):
        tiled = tiles.tiled_grams(ex, img, tile=64, margin=margin)
        assert all(np.isfinite(g.numpy()).all() for g in tiled.values())
        for name in layers:
            a, b = gram_matrix(whole[name]).numpy(), tiled[name].numpy()
            assert np.abs(a - b).mean() / np.abs(a).mean() < 0.01, (margin, name)


def _seam_ratio(img: np.ndarray, tile: int, overlap: int) -> float:
    """Gradient energy across the visible tile edges ÷ the same 1–2 px beside them.

    In raster order each tile's left and top edges are where it was pasted over its
    neighbours; the visible part of a left edge runs down to the next row's start, of a top
    edge across to the next column's start. The energy there (mean squared pixel step) is
    compared with the steps 1 and 2 px to either side, in the same rows or columns, so the
    picture's own content cancels out: about 1 when the edges do not show.
    """
    h, w = img.shape[:2]
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    dx = (np.diff(img, axis=1) ** 2).mean(axis=2)  # dx[:, j]: between columns j and j+1
    dy = (np.diff(img, axis=0) ** 2).mean(axis=2)
    y_end, x_end = [*ys[1:], h], [*xs[1:], w]
    seams, beside = [], []
    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            for d in (0, -2, -1, 1, 2):
                if c > 0 and 0 <= x - 1 + d < dx.shape[1]:
                    (beside if d else seams).append(dx[y : y_end[r], x - 1 + d])
                if r > 0 and 0 <= y - 1 + d < dy.shape[0]:
                    (beside if d else seams).append(dy[y - 1 + d, x : x_end[c]])
    return float(np.concatenate(seams).mean() / np.concatenate(beside).mean())


@pytest.fixture(scope="module")
def job(photo: np.ndarray, texture: np.ndarray) -> dict:
    """A working-size 'painting' (the photo itself, to keep the test fast) and settings."""
    cfg = PRESETS["default"].replace(sizes=(48,), steps=(1,), style_weight=1.0)
    return {"painting": resize_longest(photo, 48), "photo": photo, "style": texture, "cfg": cfg}


def _refine(job: dict, cfg: Config | None = None, feather: bool = True) -> np.ndarray:
    return refine_tiled(
        job["painting"], job["photo"], job["style"], cfg or job["cfg"], size=SIZE,
        tile=TILE, overlap=OVERLAP, steps=8, feather=feather,
    )  # fmt: skip


@pytest.fixture(scope="module")
def feathered(weights: Path, job: dict) -> np.ndarray:
    return _refine(job)


@pytest.mark.slow
def test_refine_shape_trace_and_determinism(job: dict, feathered: np.ndarray) -> None:
    assert feathered.shape == (64, 96, 3) and feathered.dtype == np.float32
    assert feathered.min() >= 0.0 and feathered.max() <= 1.0
    upscaled = resize_longest(job["painting"], SIZE)
    assert np.abs(feathered - upscaled).mean() > 0.02  # really refined (measured 0.063)
    before = tiles._traces[0]
    again = _refine(job)  # same shapes, new targets: 6 tiles share a single trace
    assert tiles._traces[0] - before == 1
    np.testing.assert_array_equal(again, feathered)  # same settings → identical, tiles too


@pytest.mark.slow
def test_feathering_hides_seams(job: dict, feathered: np.ndarray) -> None:
    hard = _refine(job, feather=False)
    soft_ratio, hard_ratio = _seam_ratio(feathered, TILE, OVERLAP), _seam_ratio(hard, TILE, OVERLAP)
    # Measured (chelsea + coffee, 48 → 96 px, 48 px tiles, 12 px overlap, 8 steps): feathered
    # 0.95, hard-pasted 1.15; the upscaled picture before refinement 1.02. Other runs: style
    # weight 10 → 0.88 / 1.11; 64 → 192 px, 64 px tiles → 1.03 / 1.48. Threshold between.
    assert soft_ratio < SEAM_LIMIT, soft_ratio
    assert hard_ratio > SEAM_LIMIT, hard_ratio


@pytest.mark.slow
def test_style_scale_changes_tiles(job: dict, feathered: np.ndarray) -> None:
    bigger = _refine(job, job["cfg"].replace(style_scale=0.5))
    # Measured: mean |difference| 0.078 between style_scale 1 and 0.5 (the refinement
    # itself moves pixels by 0.063 on average).
    assert np.abs(bigger - feathered).mean() > 0.02


def test_same_aspect_allows_the_rounding_of_a_resize_only() -> None:
    assert same_aspect((21, 32, 3), (32, 48, 3))  # 48×32 shrunk to 32 px wide: 21.3 → 21
    assert same_aspect((384, 512), (1536, 2048)) and same_aspect((383, 512), (1536, 2048))
    assert not same_aspect((380, 512), (1536, 2048))  # 4 px off: another crop
    assert not same_aspect((32, 32, 3), (32, 48, 3)) and not same_aspect((48, 32), (32, 48))


def test_the_print_has_the_photos_shape_not_the_rounded_paintings() -> None:
    """A 4:5 photo painted at 32 px is 32×26 (25.6 rounded up): the print's shape came from
    that, so a 100 px print was 100×81 instead of the photo's 100×80 (and an 8×10 in print at
    300 dpi 3000×2402)."""
    painting = np.full((26, 32, 3), 0.5, np.float32)
    photo = np.zeros((160, 200, 3), np.float32)
    cfg = PRESETS["default"].replace(sizes=(32,), steps=(1,))
    canvas = np.full((80, 100, 3), 0.25, np.float32)
    done = refine_tiled(painting, photo, painting, cfg, size=100, tile=64, overlap=16,
                        start=(canvas, 4))  # fmt: skip
    assert done.shape == (80, 100, 3)  # (every tile done: no network needed)
    assert tiles.count_tiles(photo.shape, 100, 64, 16) == 4


def test_refine_tiled_refuses_a_photo_of_another_shape_and_a_negative_start() -> None:
    painting = np.full((32, 48, 3), 0.5, np.float32)
    cfg = PRESETS["default"].replace(sizes=(48,), steps=(1,))
    square = np.zeros((40, 40, 3), np.float32)
    with pytest.raises(ValueError, match=r"refine_tiled: the painting is 96×64 px but the photo"):
        refine_tiled(painting, square, painting, cfg, size=96, tile=64, overlap=16)
    canvas = np.zeros((64, 96, 3), np.float32)
    with pytest.raises(ValueError, match="tiles done must be 0 or more, got -3"):
        refine_tiled(painting, painting, painting, cfg, size=96, tile=64, overlap=16,
                     start=(canvas, -3))  # fmt: skip


def test_a_print_that_would_not_fit_is_refused_as_bad_input_with_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tiles, "print_shortfall", lambda *a, **k: (8 << 30, 1 << 30, 512))
    photo = np.zeros((30, 40, 3), np.float32)
    needle = r"8\.0 GiB but 1\.0 GiB .*NSTSTUDY_IGNORE_MEMORY_LIMIT=1"
    with pytest.raises(ValueError, match=needle) as e:
        tiles.paint_print(photo, photo, PRESETS["preview"], 96)  # was: a bare MemoryError
    assert isinstance(e.value, MemoryError)  # (still one, for callers that caught it)
