"""Loading, resizing, the VGG transform and atomic saving."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nststudy.images import (
    IMAGENET_MEAN_BGR,
    ImageError,
    from_vgg,
    load_image,
    resize_longest,
    save_image,
    to_uint8,
    to_vgg,
)


def _gradient(w: int = 300, h: int = 200) -> np.ndarray:
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
    return np.concatenate([x + 0 * y, y + 0 * x, 255 - (x + y) / 2], axis=2).astype(np.uint8)


def test_aspect_ratio_kept(tmp_path: Path) -> None:
    p = tmp_path / "wide.png"
    Image.fromarray(_gradient(300, 200)).save(p)
    img = load_image(p, max_dim=128)
    assert img.shape == (85, 128, 3)
    assert img.dtype == np.float32 and img.min() >= 0 and img.max() <= 1


def test_max_dim_never_enlarges(tmp_path: Path) -> None:
    p = tmp_path / "small.png"
    Image.fromarray(_gradient(60, 40)).save(p)
    assert load_image(p, max_dim=512).shape == (40, 60, 3)


def test_exif_rotated_jpeg_loads_upright(tmp_path: Path) -> None:
    # Stored landscape 60×40 with a red left half, EXIF says "rotate 90° CW to display".
    arr = np.zeros((40, 60, 3), np.uint8)
    arr[:, :30] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    p = tmp_path / "rotated.jpg"
    Image.fromarray(arr).save(p, exif=exif, quality=95)
    img = load_image(p)
    assert img.shape == (60, 40, 3)  # portrait once upright
    assert img[:25, :, 0].mean() > 0.9 and img[35:, :, 0].mean() < 0.1  # red now on top


@pytest.mark.parametrize(
    "mode", ["CMYK", "P_alpha", "I;16", "L", "LA", "RGBA", "1"], ids=lambda m: m
)
def test_modes_load_as_rgb(tmp_path: Path, mode: str) -> None:
    rgb = Image.fromarray(_gradient(48, 32))
    if mode == "P_alpha":
        im = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        im.info["transparency"] = 0
        suffix = ".png"
    elif mode == "I;16":
        im = Image.fromarray(np.asarray(rgb.convert("L"), np.uint16) * 257)
        suffix = ".png"
    elif mode == "CMYK":
        im, suffix = rgb.convert("CMYK"), ".jpg"
    else:
        im, suffix = rgb.convert(mode), ".png"
    p = tmp_path / f"img{suffix}"
    im.save(p)
    img = load_image(p)
    assert img.shape == (32, 48, 3) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert img.std() > 0.05  # not a blank image


def test_sixteen_bit_png_uses_full_range(tmp_path: Path) -> None:
    arr = np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)
    p = tmp_path / "deep.png"
    Image.fromarray(arr).save(p)
    img = load_image(p)
    # the whole ramp, not just its ends: read on the 8-bit scale and clipped, min 0 and max 1
    # would still hold while nearly every pixel came out white
    np.testing.assert_allclose(img[..., 0], arr / 65535, atol=3e-3)


def test_transparency_composited_on_white(tmp_path: Path) -> None:
    arr = np.zeros((16, 16, 4), np.uint8)  # fully transparent black
    p = tmp_path / "clear.png"
    Image.fromarray(arr, "RGBA").save(p)
    assert load_image(p).min() == pytest.approx(1.0)


def test_a_16_bit_grey_colour_key_is_transparent_on_white(tmp_path: Path) -> None:
    """A 16-bit grey PNG whose tRNS marks the value 1000 transparent: those pixels are white,
    as in 8-bit files (they kept their near-black grey)."""
    arr = np.full((20, 20), 30000, np.uint16)
    arr[:5] = 1000
    Image.fromarray(arr).save(tmp_path / "g16.png", transparency=1000)
    img = load_image(tmp_path / "g16.png")
    assert np.all(img[:5] == 1.0)
    np.testing.assert_allclose(img[5:], 30000 / 65535, rtol=1e-6)


def test_text_file_named_jpg_raises_naming_file(tmp_path: Path) -> None:
    p = tmp_path / "holiday.jpg"
    p.write_text("this is not a picture")
    with pytest.raises(ValueError, match=r"holiday\.jpg"):
        load_image(p)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        load_image(tmp_path / "nope.png")


@pytest.mark.parametrize(
    "arr", [np.zeros((4, 4, 5)), np.zeros((2, 4, 4, 3)), np.full((4, 4, 3), np.nan)]
)
def test_bad_arrays_raise(arr: np.ndarray) -> None:
    with pytest.raises(ValueError):
        load_image(arr)


def test_vgg_round_trip_and_keras_agreement() -> None:
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    ref = keras.applications.vgg19.preprocess_input(x * 255.0)
    np.testing.assert_allclose(to_vgg(x), ref, atol=1e-4)
    np.testing.assert_allclose(from_vgg(to_vgg(x)), x, atol=1e-4)
    import tensorflow as tf

    np.testing.assert_allclose(from_vgg(to_vgg(tf.constant(x))).numpy(), x, atol=1e-4)


def test_to_vgg_scales_a_float16_image_in_float32() -> None:
    """float16 holds 0.999 well, but not 0.999·255 (its step is 0.125 there)."""
    half = np.full((2, 2, 3), 0.999, np.float16)
    exact = float(np.float32(half[0, 0, 0])) * 255.0 - IMAGENET_MEAN_BGR
    np.testing.assert_allclose(to_vgg(half)[0, 0], exact, atol=1e-4)
    assert to_vgg(half).dtype == np.float32


def test_vgg_space_is_bgr_mean_subtracted() -> None:
    red = np.zeros((1, 1, 3), np.float32)
    red[..., 0] = 1.0
    np.testing.assert_allclose(to_vgg(red)[0, 0], [0, 0, 255] - IMAGENET_MEAN_BGR, atol=1e-4)


def test_resize_longest() -> None:
    img = np.random.default_rng(1).uniform(0, 1, (50, 100, 3)).astype(np.float32)
    assert resize_longest(img, 40).shape == (20, 40, 3)
    assert resize_longest(img, 200).shape == (100, 200, 3)
    with pytest.raises(ValueError):
        resize_longest(img, 0)


def test_save_image_round_trip(tmp_path: Path) -> None:
    img = load_image(_gradient(30, 20))
    p = save_image(tmp_path / "out.png", img)
    np.testing.assert_array_equal(np.asarray(Image.open(p)), to_uint8(img))
    assert [f.name for f in tmp_path.iterdir()] == ["out.png"]  # no temp file left
    mask = os.umask(0)
    os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask  # a normal file (mkstemp's is 0600)


def test_save_image_refuses_data_on_another_scale(tmp_path: Path) -> None:
    """A 0–255 float or a 16-bit image was clipped to an all-white file; now nothing is
    written and the message says how to scale it."""
    img = load_image(_gradient(30, 20))
    with pytest.raises(ImageError, match=r"not \[0, 1\]; divide by 255"):
        save_image(tmp_path / "f.png", img * 255.0)
    with pytest.raises(ImageError, match=r"uint16 image; .* img / 65535"):
        save_image(tmp_path / "u.png", (img * 65535).astype(np.uint16))
    assert list(tmp_path.iterdir()) == []
    save_image(tmp_path / "ok.png", np.clip(img * 1.2 - 0.1, -0.1, 1.1))  # a little over: clipped


def test_save_image_failure_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "out.png"
    p.write_bytes(b"old work")

    def broken_save(self: Image.Image, fp: io.BufferedWriter, *a: object, **k: object) -> None:
        fp.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ImageError, match="disk is full"):
        save_image(p, np.zeros((4, 4, 3), np.float32))
    assert p.read_bytes() == b"old work"
    assert os.listdir(tmp_path) == ["out.png"]


def test_save_image_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        save_image(tmp_path / "nope" / "out.png", np.zeros((4, 4, 3), np.float32))


def test_save_image_refuses_a_result_or_objects_in_words(tmp_path: Path) -> None:
    """save_image(path, stylize(...)) was NumPy's TypeError from isfinite, not an ImageError."""
    from types import SimpleNamespace

    result = SimpleNamespace(image=np.zeros((4, 4, 3)), raw=np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"a stylize\(\) result; pass its picture: result.image"):
        save_image(tmp_path / "a.png", result)
    with pytest.raises(ValueError, match="a <U1 image; pass uint8"):
        save_image(tmp_path / "a.png", np.full((4, 4, 3), "x"))
    assert os.listdir(tmp_path) == []


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path: Path) -> None:
    """Path.exists raises ENAMETOOLONG instead of answering: reading, writing and masks say so
    in one shortened line, and nothing is written."""
    from nststudy.masks import read_mask

    long = tmp_path / ("x" * 300 + ".png")  # 255 bytes is the usual limit of one name
    calls = [
        lambda: load_image(long),
        lambda: save_image(long, np.zeros((4, 4, 3), np.float32)),
        lambda: save_image(long / "out.png", np.zeros((4, 4, 3), np.float32)),
        lambda: read_mask(long),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="name in this path is too long") as err:
            call()
        assert "\n" not in str(err.value) and len(str(err.value)) < 200
    assert os.listdir(tmp_path) == []


def test_vgg_conversions_refuse_a_0_255_image_and_take_any_float_tensor() -> None:
    import tensorflow as tf

    from nststudy.images import from_vgg, to_vgg

    with pytest.raises(ValueError, match=r"to_vgg expects RGB in \[0, 1\], got uint8; divide"):
        to_vgg(np.full((4, 4, 3), 200, np.uint8))  # was: values up to 64,921, no error
    with pytest.raises(ValueError, match="values from 200 to 200; a 0–255 image: divide"):
        to_vgg(np.full((4, 4, 3), 200.0))
    with pytest.raises(ValueError, match=r"\(\.\.\., H, W, 3\) images, got shape \(4, 4\)"):
        to_vgg(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="from_vgg expects floats, got uint8"):
        from_vgg(np.zeros((4, 4, 3), np.uint8))
    x64 = np.random.default_rng(0).uniform(0, 1, (1, 4, 4, 3))  # float64, e.g. image / 255.0
    out = to_vgg(tf.constant(x64))  # was: TensorFlow's "cannot compute Sub" (double vs float)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), to_vgg(x64), atol=1e-4)
    back = from_vgg(tf.cast(out, tf.float64))
    assert back.dtype == tf.float32
    np.testing.assert_allclose(back.numpy(), x64, atol=1e-5)


def test_a_dark_16_bit_pgm_stays_dark(tmp_path: Path) -> None:
    """Pillow opens a 16-bit PGM as mode "I"; one whose values are all under 256 (a dark
    frame) was read on the 8-bit scale, up to 257× too bright."""
    Image.fromarray(np.full((8, 8), 200, np.uint16)).save(tmp_path / "dark.pgm")
    img = load_image(tmp_path / "dark.pgm")
    np.testing.assert_allclose(img, 200 / 65535, atol=1e-6)


def test_save_image_writes_grey_as_rgb_and_says_how_to_drop_alpha(tmp_path: Path) -> None:
    grey = np.linspace(0, 1, 6 * 8, dtype=np.float32).reshape(6, 8)  # a mask, say
    for shape in ((6, 8), (6, 8, 1)):
        p = save_image(tmp_path / "grey.png", grey.reshape(shape))
        np.testing.assert_array_equal(np.asarray(Image.open(p)), to_uint8(np.dstack([grey] * 3)))
    with pytest.raises(ValueError, match=r"rgba\.png: .*drop its alpha channel: img\[\.\.\., :3\]"):
        save_image(tmp_path / "rgba.png", np.zeros((6, 8, 4), np.uint8))
    assert not (tmp_path / "rgba.png").exists()


def test_a_camera_raw_file_is_refused_not_read_as_its_thumbnail(tmp_path: Path) -> None:
    """A NEF or DNG is a TIFF whose first image is a small preview: it loaded as a 160×120
    'photo' (or, for others, was called damaged)."""
    from nststudy._decode import open_bytes

    raw = tmp_path / "DSC_0001.NEF"
    Image.new("RGB", (160, 120), (90, 90, 90)).save(raw, "TIFF")  # what Pillow would see
    with pytest.raises(ValueError, match=r"DSC_0001\.NEF: is a camera RAW file.*export it as JPEG"):
        load_image(raw)
    with pytest.raises(ValueError, match=r"up\.dng: is a camera RAW file"):
        open_bytes(raw.read_bytes(), "up.dng", None, False)  # a studio upload
