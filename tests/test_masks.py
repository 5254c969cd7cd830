"""Masks: loading any image mode, the automatic foreground guess, blends, feature-level masking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nststudy.images import load_image
from nststudy.masks import auto_foreground_mask, blend_with_mask, load_mask


def _half(shape: tuple[int, int]) -> np.ndarray:
    """Left half white (stylize), right half black (keep)."""
    m = np.zeros(shape, np.float32)
    m[:, : shape[1] // 2] = 1.0
    return m


def test_load_mask_from_files_of_any_mode(tmp_path: Path) -> None:
    grey = (_half((40, 60)) * 255).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "l.png")
    Image.fromarray(grey).convert("RGB").save(tmp_path / "rgb.png")
    Image.fromarray(grey).convert("1").save(tmp_path / "bits.png")
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[:, :30] = 255  # white & opaque on the left; transparent white on the right
    rgba[:, 30:, :3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    white = np.full((40, 60), 255, np.uint8)
    white[:, 30:] = 254  # the right half white too, but marked transparent (PNG tRNS)
    Image.fromarray(white).save(tmp_path / "trns.png", transparency=254)
    Image.fromarray(white).convert("RGB").save(tmp_path / "trns_rgb.png", transparency=(254,) * 3)
    for name in ("l.png", "rgb.png", "bits.png", "rgba.png", "trns.png", "trns_rgb.png"):
        m = load_mask(tmp_path / name, (80, 120, 3))
        assert m.shape == (80, 120) and m.dtype == np.float32, name
        assert m[:, :50].min() > 0.99 and m[:, 70:].max() < 0.01, name


@pytest.mark.parametrize(
    "arr",
    [
        _half((20, 30)).astype(bool),
        (_half((20, 30)) * 255).astype(np.uint8),
        _half((20, 30)),
        np.repeat(_half((20, 30))[..., None], 3, axis=2),
        _half((20, 30))[..., None],
        _half((20, 30)).astype(np.int64),  # 0/1 integers: a mask, not nearly-black grey
        _half((20, 30)).astype(np.uint8),
    ],
)
def test_load_mask_from_arrays(arr: np.ndarray) -> None:
    m = load_mask(arr, (20, 30))
    np.testing.assert_allclose(m, _half((20, 30)), atol=1e-6)


def test_load_mask_warns_on_other_aspect_and_rejects_junk(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="stretched"):
        assert load_mask(np.ones((10, 10)), (20, 40)).shape == (20, 40)
    with pytest.raises(ValueError, match="no such mask"):
        load_mask(tmp_path / "missing.png", (10, 10))
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        load_mask(tmp_path / "notes.txt", (10, 10))
    with pytest.raises(ValueError, match="shape"):
        load_mask(np.ones((2, 10, 10, 3)), (10, 10))


def test_a_mask_turned_by_90_degrees_is_named_as_such(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "m.png")  # portrait
    with pytest.warns(UserWarning, match=r"m\.png: the mask is 30×40 px .* turned by 90°"):
        load_mask(tmp_path / "m.png", (30, 40))  # a landscape photo


def test_blend_with_mask_ends_and_feather() -> None:
    rng = np.random.default_rng(0)
    painting = rng.random((50, 80, 3)).astype(np.float32)
    photo = rng.random((50, 80, 3)).astype(np.float32)
    np.testing.assert_allclose(blend_with_mask(painting, photo, np.zeros((50, 80))), photo)
    np.testing.assert_allclose(blend_with_mask(painting, photo, np.ones((50, 80))), painting)
    hard = blend_with_mask(painting, photo, _half((50, 80)), feather=0)
    np.testing.assert_allclose(hard[:, :40], painting[:, :40])
    np.testing.assert_allclose(hard[:, 40:], photo[:, 40:])
    soft = blend_with_mask(painting, photo, _half((50, 80)), feather=0.02)  # σ = 1.6 px
    np.testing.assert_allclose(soft[:, :30], painting[:, :30], atol=1e-4)
    np.testing.assert_allclose(soft[:, 50:], photo[:, 50:], atol=1e-4)
    seam = soft[:, 39:41]  # a mix of both at the seam
    assert np.abs(seam - painting[:, 39:41]).mean() > 0.05
    assert np.abs(seam - photo[:, 39:41]).mean() > 0.05
    inverted = blend_with_mask(painting, photo, _half((50, 80)), feather=0, invert=True)
    np.testing.assert_allclose(inverted[:, :40], photo[:, :40])
    with pytest.raises(ValueError, match="feather"):
        blend_with_mask(painting, photo, _half((50, 80)), feather=-1)


def test_blend_resizes_photo_and_mask() -> None:
    painting = np.zeros((40, 60, 3), np.float32)
    photo = np.ones((80, 120, 3), np.float32)
    out = blend_with_mask(painting, photo, np.zeros((20, 30)), feather=0)
    assert out.shape == (40, 60, 3) and out.min() > 0.99


def test_auto_foreground_finds_a_disk() -> None:
    rng = np.random.default_rng(0)
    h, w = 120, 160
    img = np.empty((h, w, 3), np.float32)
    img[:] = (0.2, 0.4, 0.8)
    img += rng.normal(0, 0.03, img.shape).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    disk = (yy - 60) ** 2 + (xx - 80) ** 2 < 35**2
    img[disk] = (0.9, 0.3, 0.1)
    mask = auto_foreground_mask(np.clip(img, 0, 1))
    assert mask.shape == (h, w) and set(np.unique(mask)) <= {0.0, 1.0}
    iou = (mask.astype(bool) & disk).sum() / (mask.astype(bool) | disk).sum()
    assert iou > 0.8  # measured 0.87 (superpixels straddling the rim blur it)


def test_auto_foreground_on_a_photo() -> None:
    photo = load_image(data.astronaut())
    mask = auto_foreground_mask(photo)
    # Measured 0.54 of the picture, the astronaut; her suit (orange) is foreground.
    assert 0.3 < mask.mean() < 0.8
    assert mask[400, 150] == 1.0  # orange suit


def test_auto_foreground_falls_back_on_a_flat_picture() -> None:
    with pytest.warns(UserWarning, match="ellipse"):
        mask = auto_foreground_mask(np.full((60, 80, 3), 0.5, np.float32))
    assert mask[30, 40] == 1.0 and mask[0, 0] == 0.0


@pytest.mark.slow
def test_stylize_mask_keeps_the_photo_outside(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    from nststudy.config import PRESETS
    from nststudy.stylize import stylize

    cfg = PRESETS["default"].replace(sizes=(64,), steps=(15,), style_weight=0.1)
    mask = _half(photo.shape[:2])
    out = load_image(stylize(photo, texture, cfg, mask=mask).image)
    ref = load_image(photo, max_dim=64)
    w = ref.shape[1]
    keep = np.abs(out[:, w // 2 + 6 :] - ref[:, w // 2 + 6 :]).mean()
    paint = np.abs(out[:, : w // 2 - 6] - ref[:, : w // 2 - 6]).mean()
    # Measured: 0.001 (uint8 rounding) on the kept side, 0.068 on the painted side.
    assert keep < 0.01 and paint > 0.04


@pytest.mark.slow
def test_feature_mask_confines_the_style(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    """Before any pixel blend: with a feature mask the kept half moves far less."""
    from nststudy.config import PRESETS
    from nststudy.images import resize_longest
    from nststudy.train import Stage, make_targets, run_lbfgs
    from nststudy.vgg import FeatureExtractor

    cfg = PRESETS["default"].replace(sizes=(64,), steps=(15,), style_weight=0.1)
    work = resize_longest(photo, 64)
    ex = FeatureExtractor(cfg.content_layers, cfg.style_layers)
    style = [(resize_longest(texture, 64), 1.0)]
    w = work.shape[1]
    moved = []
    for mask in (None, _half(work.shape[:2])):
        stage = Stage(ex, make_targets(ex, work, style, mask), cfg)
        img = run_lbfgs(stage, stage.from_pixels(work), 15).image
        moved.append(float(np.abs(img[:, w // 2 + 6 :] - work[:, w // 2 + 6 :]).mean()))
    # Measured: the kept half moves 0.067 unmasked, 0.021 with the mask (painted half 0.069).
    assert moved[1] < 0.5 * moved[0]


def test_a_subject_cut_off_by_the_frame_is_masked_up_to_the_edge() -> None:
    photo = np.zeros((256, 256, 3), np.float32)
    photo[...] = (0.2, 0.4, 0.9)  # sky
    photo[96:, 80:176] = (0.9, 0.3, 0.1)  # a figure standing on the bottom edge
    mask = auto_foreground_mask(photo)
    assert mask[200, 128] == 1 and mask[40, 20] == 0
    # scipy's closing erodes from an empty outside: the two bottom rows were lost (0)
    assert mask[-3:, 100:156].min() == 1


def test_photo_of_another_shape_is_refused_not_stretched() -> None:
    painting = np.zeros((40, 40, 3), np.float32)  # a square crop of a 40×60 painting
    photo = np.ones((40, 60, 3), np.float32)
    with pytest.raises(ValueError, match=r"painting is 40×40 px but the photo 60×40.*crop"):
        blend_with_mask(painting, photo, np.ones((40, 40)))
    rounded = np.ones((81, 121, 3), np.float32)  # the same shape give or take a pixel: fine
    assert blend_with_mask(np.zeros((40, 60, 3)), rounded, np.zeros((40, 60))).min() > 0.99


@pytest.mark.parametrize("feather", [10, float("nan"), float("inf"), -1])
def test_feather_is_a_fraction_of_the_side(feather: float) -> None:
    with pytest.raises(ValueError, match="fraction of the longest side"):
        blend_with_mask(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), np.ones((8, 8)), feather)


def test_a_thin_strip_rounded_to_whole_pixels_is_not_called_stretched() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 2000×65 at 512 px is 512×17 (2.1 % off, rounding)
        assert load_mask(np.ones((65, 2000)), (17, 512)).shape == (17, 512)


def test_mask_with_damaged_exif_is_read_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "m.png"
    Image.fromarray((_half((20, 30)) * 255).astype(np.uint8)).save(
        path, exif=b"Exif\x00\x00not-a-tiff-header"
    )
    with pytest.warns(UserWarning, match=r"m\.png: unreadable EXIF orientation"):
        mask = load_mask(path, (20, 30))
    assert mask[:, :15].min() == 1 and mask[:, 15:].max() == 0


def test_mask_that_cannot_be_read_says_why_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nststudy.masks as masks

    path = tmp_path / "m.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)

    def denied(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(masks.Image, "open", denied)
    with pytest.raises(ValueError, match=r"m\.png: cannot be read \(permission denied\)"):
        load_mask(path, (4, 4))


def test_a_huge_mask_obeys_the_huge_image_opt_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mask drawn at a huge photo's size: refused in one line that names the opt-in (not
    "save the mask as PNG" for a PNG), and read once the photo's opt-in is given."""
    from nststudy.masks import read_mask

    path = tmp_path / "m.png"
    Image.fromarray(np.full((30, 40), 255, np.uint8)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1200 px is then over twice the limit
    monkeypatch.delenv("NSTSTUDY_ALLOW_HUGE_IMAGES", raising=False)
    with pytest.raises(ValueError, match=r"decompression bomb.*NSTSTUDY_ALLOW_HUGE_IMAGES=1") as e:
        read_mask(path)
    assert "save the mask as PNG" not in str(e.value) and "allow_huge" not in str(e.value)
    monkeypatch.setenv("NSTSTUDY_ALLOW_HUGE_IMAGES", "1")
    assert read_mask(path).shape == (30, 40)
