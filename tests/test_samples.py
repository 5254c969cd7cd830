"""Tests for nststudy.samples: procedural style images, bundled textures and content photos.

The "not flat" and "distinct" thresholds are about half of the smallest value measured over
seeds 0-19 at sizes 64, 128 and 256 (numbers in the comments), so a regression that
blurs, flattens or merges the styles fails for real.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import resize

from nststudy import samples
from nststudy.samples import (
    CONTENT_PHOTOS,
    STYLES,
    StyleInfo,
    content_photo,
    list_styles,
    make_style,
)

PROCEDURAL = ("swirl", "brush", "drip", "mosaic")
TEXTURES = ("bricks", "grass", "gravel")

# Smallest per-channel std measured: 0.106 (brush, 128 px). A flat image has 0.
MIN_CHANNEL_STD = 0.05
# Mean |image - Gaussian(sigma=1) blur| measured >= 0.035 (mosaic, 128 px), >= 0.044 at 64 px.
# For comparison: the chelsea photo at 128 px gives 0.018, a 3-px-blurred swirl 0.005.
MIN_HIGH_FREQ = 0.02
# Mean absolute difference between two styles, same size and seed: >= 0.24 (brush/drip).
MIN_STYLE_DIFF = 0.12
# Mean absolute difference between seeds of one style: >= 0.156 (brush).
MIN_SEED_DIFF = 0.07
# Scale invariance: |256 px - 128 px| (both shrunk to 64) over |seed 0 - seed 1| measured
# <= 0.36 (drip); an image that changed with size would give about 1.
MAX_SCALE_RATIO = 0.6


def _high_freq(img: np.ndarray) -> float:
    return float(np.abs(img - ndimage.gaussian_filter(img, (1, 1, 0))).mean())


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).mean())


@pytest.fixture(scope="module")
def style_128() -> dict[str, np.ndarray]:
    return {name: make_style(name, 128, seed=0) for name in PROCEDURAL}


def test_registry_lists_every_style_once() -> None:
    infos = list_styles()
    assert [s.name for s in infos] == list(STYLES) == [*PROCEDURAL, *TEXTURES]
    assert all(isinstance(s, StyleInfo) for s in infos)
    assert {s.name for s in infos if s.procedural} == set(PROCEDURAL)
    for info in infos:
        assert info.movement and info.description and "\n" not in info.description
    assert "Van Gogh" in STYLES["swirl"].movement
    assert "Monet" in STYLES["brush"].movement
    assert "Pollock" in STYLES["drip"].movement
    assert "Cubism" in STYLES["mosaic"].movement


def test_style_info_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        STYLES["swirl"].name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("size", [64, 128])
@pytest.mark.parametrize("name", [*PROCEDURAL, *TEXTURES])
def test_shape_dtype_range(name: str, size: int) -> None:
    img = make_style(name, size)
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3
    assert img.flags.c_contiguous
    assert np.isfinite(img).all() and img.min() >= 0.0 and img.max() <= 1.0
    if name in PROCEDURAL:
        assert img.shape == (size, size, 3)
    else:
        assert max(img.shape[:2]) == size  # the bundled textures are square: (size, size)


@pytest.mark.parametrize("name", PROCEDURAL)
def test_smallest_and_odd_sizes(name: str) -> None:
    for size in (16, 17, 33):
        img = make_style(name, size, seed=3)
        assert img.shape == (size, size, 3) and 0 <= img.min() <= img.max() <= 1


@pytest.mark.parametrize("name", [*PROCEDURAL, *TEXTURES])
def test_deterministic(name: str) -> None:
    np.testing.assert_array_equal(make_style(name, 64, seed=7), make_style(name, 64, seed=7))


@pytest.mark.parametrize("name", PROCEDURAL)
def test_seed_changes_the_picture(name: str) -> None:
    assert _mad(make_style(name, 128, seed=0), make_style(name, 128, seed=1)) > MIN_SEED_DIFF


def test_textures_ignore_the_seed() -> None:
    np.testing.assert_array_equal(make_style("grass", 64, seed=0), make_style("grass", 64, seed=5))


@pytest.mark.parametrize("name", PROCEDURAL)
def test_same_seed_same_picture_at_any_size(name: str) -> None:
    def small(img: np.ndarray) -> np.ndarray:
        return resize(img, (64, 64, 3), anti_aliasing=True)

    same = _mad(small(make_style(name, 256, seed=0)), small(make_style(name, 128, seed=0)))
    other = _mad(small(make_style(name, 128, seed=1)), small(make_style(name, 128, seed=0)))
    assert same < MAX_SCALE_RATIO * other


@pytest.mark.parametrize("size", [64, 128])
@pytest.mark.parametrize("name", PROCEDURAL)
def test_procedural_styles_are_textured(name: str, size: int) -> None:
    for seed in (0, 1):
        img = make_style(name, size, seed=seed)
        assert img.reshape(-1, 3).std(axis=0).min() > MIN_CHANNEL_STD
        assert _high_freq(img) > MIN_HIGH_FREQ


def test_texture_threshold_rejects_smooth_images(style_128: dict[str, np.ndarray]) -> None:
    blurred = ndimage.gaussian_filter(style_128["swirl"], (3, 3, 0))
    assert _high_freq(blurred) < MIN_HIGH_FREQ
    # a washed-out style (a faint grey ramp, std ≈ 0.03 per channel) must be refused too
    ramp = np.linspace(0.45, 0.55, 128, dtype=np.float32)
    washed = np.repeat(np.repeat(ramp[None, :, None], 128, 0), 3, 2)
    assert washed.reshape(-1, 3).std(axis=0).min() < MIN_CHANNEL_STD


def test_procedural_styles_differ(style_128: dict[str, np.ndarray]) -> None:
    for a, b in itertools.combinations(PROCEDURAL, 2):
        assert _mad(style_128[a], style_128[b]) > MIN_STYLE_DIFF, (a, b)


def test_palettes_match_their_movements(style_128: dict[str, np.ndarray]) -> None:
    # Measured over seeds 0-19 at 128 px: swirl blue - red >= 0.15 and yellow share >= 0.067;
    # brush mean >= 0.68; mosaic red - blue >= 0.099 and mean <= 0.46.
    swirl, brush, mosaic = style_128["swirl"], style_128["brush"], style_128["mosaic"]
    assert swirl[..., 2].mean() - swirl[..., 0].mean() > 0.07  # Van Gogh: a blue night sky
    assert ((swirl[..., 0] > 0.7) & (swirl[..., 2] < 0.45)).mean() > 0.03  # ... yellow stars
    assert brush.mean() > 0.55  # Monet: light pastels
    assert mosaic[..., 0].mean() - mosaic[..., 2].mean() > 0.04  # cubism: ochre and brown
    assert mosaic.mean() < 0.6  # ... muted


def test_generation_at_512() -> None:
    for name in PROCEDURAL:
        img = make_style(name)
        assert img.shape == (512, 512, 3) and img.dtype == np.float32
        assert img.min() >= 0 and img.max() <= 1


@pytest.mark.parametrize(
    ("bad", "suggestion"), [("swril", "swirl"), ("mosiac", "mosaic"), ("brick", "bricks")]
)
def test_unknown_style_lists_names_and_suggests(bad: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match="Valid names") as err:
        make_style(bad)
    message = str(err.value)
    assert all(name in message for name in STYLES)
    assert f"Did you mean {suggestion!r}?" in message


@pytest.mark.parametrize("bad", [None, 3, ["swirl"]])
def test_non_string_style_name_raises_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="Unknown style"):
        make_style(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [15, 4097, 0, -64, 64.0, "64", True, None])
def test_bad_size_raises(size: object) -> None:
    with pytest.raises(ValueError, match="size"):
        make_style("swirl", size)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed_raises(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        make_style("drip", 32, seed)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted() -> None:
    img = make_style("mosaic", np.int64(32), np.uint8(2))  # type: ignore[arg-type]
    np.testing.assert_array_equal(img, make_style("mosaic", 32, 2))


def test_content_photo_names() -> None:
    assert {"astronaut", "coffee", "chelsea", "rocket"} <= set(CONTENT_PHOTOS)
    assert len(set(CONTENT_PHOTOS)) == len(CONTENT_PHOTOS)


@pytest.mark.parametrize("name", CONTENT_PHOTOS)
def test_content_photo_keeps_aspect(name: str) -> None:
    full = content_photo(name)
    assert full.dtype == np.float32 and full.ndim == 3 and full.shape[2] == 3
    assert full.min() >= 0 and full.max() <= 1 and full.std() > 0.05
    h, w = full.shape[:2]
    for max_dim in (100, 1000):
        small = content_photo(name, max_dim=max_dim)
        assert small.dtype == np.float32 and max(small.shape[:2]) == max_dim
        scale = max_dim / max(h, w)
        assert abs(small.shape[0] - h * scale) <= 0.5 + 1e-9
        assert abs(small.shape[1] - w * scale) <= 0.5 + 1e-9
        assert small.min() >= 0 and small.max() <= 1


def test_content_photo_default_is_chelsea() -> None:
    np.testing.assert_array_equal(content_photo(), content_photo("chelsea"))
    assert content_photo().shape == (300, 451, 3)


def test_unknown_content_photo_lists_names() -> None:
    with pytest.raises(ValueError, match="Valid names") as err:
        content_photo("astronot")
    assert all(name in str(err.value) for name in CONTENT_PHOTOS)
    assert "Did you mean 'astronaut'?" in str(err.value)


@pytest.mark.parametrize("max_dim", [0, 8, 5000, 100.0, "100"])
def test_bad_max_dim_raises(max_dim: object) -> None:
    with pytest.raises(ValueError, match="max_dim"):
        content_photo("coffee", max_dim=max_dim)  # type: ignore[arg-type]


@pytest.mark.parametrize("module", ["samples.py", "_procedural.py", "_canvas.py"])
def test_samples_modules_do_not_use_tensorflow(module: str) -> None:
    source = (Path(samples.__file__).parent / module).read_text(encoding="utf-8")
    assert "tensorflow" not in source and "keras" not in source
