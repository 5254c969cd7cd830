"""Post-processing: colour preservation, NL-means strokes, crops, print sizes; stylize wiring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import color, data

from nststudy.config import PRESETS, Config
from nststudy.images import load_image
from nststudy.postprocess import (
    crop_to_ratio,
    enhance_strokes,
    noise_sigma,
    parse_ratio,
    preserve_colors,
    print_pixels,
    resize_to,
)


def _chroma_error(img: np.ndarray, photo: np.ndarray) -> float:
    """Mean |ΔI| + |ΔQ| / 2 in YIQ: how far the colours are from the photo's."""
    photo = resize_to(photo, img.shape[:2])
    return float(np.abs(color.rgb2yiq(img)[..., 1:] - color.rgb2yiq(photo)[..., 1:]).mean())


def _luma(img: np.ndarray) -> np.ndarray:
    return color.rgb2yiq(img)[..., 0]


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    """(painting, photo): coffee plays a 'painting' of the cat photo, with other colours."""
    photo = load_image(data.chelsea())
    return resize_to(load_image(data.coffee()), (150, 225)), photo


@pytest.mark.parametrize(("space", "limit"), [("yiq", 0.01), ("ycbcr", 0.01), ("lab", 0.02)])
def test_luminance_transfer_keeps_photo_chroma(pair: tuple, space: str, limit: float) -> None:
    painting, photo = pair
    out = preserve_colors(painting, photo, space=space)
    assert out.shape == painting.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    # Measured: 0.077 without preservation; 0.0053 (yiq, ycbcr) and 0.010 (lab) with it.
    assert _chroma_error(painting, photo) > 0.05
    assert _chroma_error(out, photo) < limit
    # ...while the brightness stays the painting's (measured 0.0023 yiq, 0.018 lab).
    assert np.abs(_luma(out) - _luma(painting)).mean() < 2 * limit


def test_histogram_matching_takes_photo_palette(pair: tuple) -> None:
    painting, photo = pair
    out = preserve_colors(painting, photo, method="histogram")
    for c in range(3):  # measured: means 0.04–0.14 apart before, within 0.0001 after
        assert abs(painting[..., c].mean() - photo[..., c].mean()) > 0.03
        assert abs(out[..., c].mean() - photo[..., c].mean()) < 0.01
    assert _chroma_error(out, photo) < 0.5 * _chroma_error(painting, photo)


def test_preserve_colors_rejects_bad_choices(pair: tuple) -> None:
    painting, photo = pair
    with pytest.raises(ValueError, match="method"):
        preserve_colors(painting, photo, method="hue")
    with pytest.raises(ValueError, match="space"):
        preserve_colors(painting, photo, space="hsv")


def _gradient_energy(img: np.ndarray) -> float:
    return float(np.abs(np.diff(img, axis=0)).mean() + np.abs(np.diff(img, axis=1)).mean())


def test_enhance_strokes_smooths_more_with_strength() -> None:
    rng = np.random.default_rng(0)
    clean = load_image(data.astronaut(), max_dim=128)
    noisy = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
    np.testing.assert_array_equal(enhance_strokes(noisy, 0.0), noisy)
    energy = [_gradient_energy(enhance_strokes(noisy, s)) for s in (0.0, 0.5, 1.0)]
    # Measured on this image: 0.174, 0.108, 0.081 — each step removes a clear share of detail.
    assert energy[0] > 1.3 * energy[1] and energy[1] > 1.15 * energy[2]
    out = enhance_strokes(noisy, 1.0)
    assert out.dtype == np.float32 and out.shape == noisy.shape
    assert np.abs(out - clean).mean() < np.abs(noisy - clean).mean()  # it removed noise
    with pytest.raises(ValueError, match="strength"):
        enhance_strokes(noisy, 1.5)


def test_noise_sigma_reads_added_noise() -> None:
    rng = np.random.default_rng(1)
    flat = np.full((128, 128, 3), 0.5) + rng.normal(0, 0.04, (128, 128, 3))
    assert noise_sigma(flat) == pytest.approx(0.04, rel=0.1)


@pytest.mark.parametrize(
    ("shape", "ratio", "expected"),
    [
        ((300, 451), "4:5", (300, 375)),  # landscape → 5 wide × 4 high
        ((451, 300), "4:5", (375, 300)),  # portrait → 4 wide × 5 high
        ((451, 300), "5:4", (375, 300)),  # orientation follows the image, not the order
        ((100, 100), "4:5", (100, 80)),  # square: as written (width:height)
        ((300, 451), "1:1", (300, 300)),
        ((300, 451), "3x4", (300, 400)),
        ((200, 400), (2, 3), (200, 300)),
        ((400, 300), "3:4", (400, 300)),  # already 3:4: unchanged
    ],
)
def test_crop_to_ratio(shape: tuple, ratio: object, expected: tuple) -> None:
    img = np.random.default_rng(0).random((*shape, 3)).astype(np.float32)
    out = crop_to_ratio(img, ratio)
    assert out.shape[:2] == expected
    top, left = (shape[0] - expected[0]) // 2, (shape[1] - expected[1]) // 2
    np.testing.assert_array_equal(out, img[top : top + expected[0], left : left + expected[1]])


def test_crop_to_ratio_keeps_greyscale_masks() -> None:
    mask = np.zeros((100, 200), np.float32)
    assert crop_to_ratio(mask, "1:1").shape == (100, 100)


@pytest.mark.parametrize("bad", ["abc", "0:5", "4:-5", "100:1", "4:5:6", ""])
def test_bad_ratios(bad: str) -> None:
    with pytest.raises(ValueError, match="ratio"):
        parse_ratio(bad)


@pytest.mark.parametrize(
    ("spec", "dpi", "pixels"),
    [
        ("30x40cm", 300, 4724),  # 40 cm = 15.75 in × 300
        ("40x30cm", 300, 4724),
        ("8x10in", 200, 2000),
        ("8 X 10 IN", 300, 3000),
        ('8x10"', 300, 3000),
        ("210x297mm", 300, 3508),  # A4
        ("29.7 x 42 cm", 150, 2480),
        ("13x18cm", 300, 2126),
    ],
)
def test_print_pixels(spec: str, dpi: float, pixels: int) -> None:
    assert print_pixels(spec, dpi=dpi) == pixels


@pytest.mark.parametrize(
    ("spec", "dpi", "match"),
    [
        ("30x40", 300, "cannot read"),
        ("30cm", 300, "cannot read"),
        ("30x40ft", 300, "cannot read"),
        ("-3x4cm", 300, "cannot read"),
        ("0x10cm", 300, "positive"),
        ("30x40cm", 0, "dpi"),
        ("30x40cm", 5000, "dpi"),
        ("1x1mm", 10, "only"),
    ],
)
def test_print_pixels_errors(spec: str, dpi: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        print_pixels(spec, dpi=dpi)


def test_config_fields_validated() -> None:
    assert Config().preserve_colors is None and Config().strokes == 0.0
    assert Config(preserve_colors="histogram", strokes=0.5).strokes == 0.5
    with pytest.raises(ValueError, match="preserve_colors"):
        Config(preserve_colors="colour")
    with pytest.raises(ValueError, match="strokes"):
        Config(strokes=1.5)


@pytest.fixture(scope="module")
def small_cfg() -> Config:
    return PRESETS["default"].replace(sizes=(64,), steps=(10,), style_weight=0.1)


@pytest.mark.slow
def test_stylize_blend_weight_zero_equals_single_style(
    weights: Path, photo: np.ndarray, texture: np.ndarray, small_cfg: Config
) -> None:
    from nststudy.stylize import stylize

    single = stylize(photo, texture, small_cfg).image
    blend = stylize(photo, [(texture, 1.0), (load_image(data.astronaut(), 96), 0.0)], small_cfg)
    np.testing.assert_array_equal(blend.image, single)


@pytest.mark.slow
def test_strokes_at_print_size_are_the_paintings_strokes() -> None:
    """NL-means works in pixels: at 4× the painting's size it hardly touches the painting's
    texture; with ``work_size`` it takes it down as much as at the painting's own size."""
    from nststudy.images import resize_longest
    from nststudy.postprocess import resize_to

    rng = np.random.default_rng(0)
    painting = np.clip(0.5 + 0.12 * rng.standard_normal((48, 64, 3)), 0, 1).astype(np.float32)
    big = resize_to(painting, (192, 256), "bicubic")  # its print, upscaled

    def texture(img: np.ndarray) -> float:  # what is left at the painting's scale
        return float(resize_longest(img, 64).std())

    plain = enhance_strokes(big, 0.8)
    scaled = enhance_strokes(big, 0.8, work_size=64)
    assert texture(plain) > 0.9 * texture(big)  # pixel-sized neighbourhoods: barely a change
    assert texture(scaled) < 0.4 * texture(big)
    assert np.array_equal(
        enhance_strokes(painting, 0.8, work_size=64), enhance_strokes(painting, 0.8)
    )


def test_stylize_applies_preserve_colors_and_strokes(
    weights: Path, photo: np.ndarray, texture: np.ndarray, small_cfg: Config
) -> None:
    from nststudy.stylize import stylize

    plain = stylize(photo, texture, small_cfg).image
    kept = stylize(photo, texture, small_cfg, preserve_colors="luminance").image
    plain_err, kept_err = (
        _chroma_error(load_image(plain), photo),
        _chroma_error(load_image(kept), photo),
    )
    # Measured (chelsea + coffee, 64 px, 10 steps): 0.030 without, 0.0009 with preservation.
    assert kept_err < 0.5 * plain_err
    stroked = stylize(photo, texture, small_cfg, strokes=1.0).image
    # Measured gradient energy: 0.153 plain, 0.088 with strokes=1.
    assert _gradient_energy(load_image(stroked)) < 0.8 * _gradient_energy(load_image(plain))


def test_colours_from_a_photo_of_another_shape_are_refused(pair: tuple) -> None:
    painting, photo = pair  # 150×225 painting of a 300×451 photo: the same shape
    square = painting[:, :150]  # cropped afterwards
    with pytest.raises(ValueError, match=r"preserve_colors: the painting is 150×150 px"):
        preserve_colors(square, photo)
    out = preserve_colors(square, photo, method="histogram")  # a palette: any shape will do
    assert out.shape == square.shape


def test_a_print_of_a_painting_keeps_its_photo_despite_rounding() -> None:
    from nststudy.postprocess import _photo_for

    # a 1536×2048 print and a 301×400 photo (1541 rows at that width): 5 px apart at print
    # size but 0.3 % in aspect — what rounding at a small working size does, not a crop
    assert _photo_for((1536, 2048, 3), np.zeros((301, 400, 3)), "print").shape == (1536, 2048, 3)
    # the thinnest working size: 1987×64 painted at 512 px is 512×16 (16.49 rounded), its
    # 2048 px print 2048×64 — 3.0 % off the photo, 2 px at print size either way
    assert _photo_for((64, 2048, 3), np.zeros((64, 1987, 3)), "print").shape == (64, 2048, 3)
    with pytest.raises(ValueError, match="print: the painting is 2048×1638 px"):  # a 4:5 crop
        _photo_for((1638, 2048, 3), np.zeros((300, 400, 3)), "print")
