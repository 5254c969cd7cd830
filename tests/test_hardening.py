"""A corpus of bad and awkward inputs, generated here (nothing downloaded), one case each.

Every refusal must be the library's own error type (a ``ValueError``) with one message that
names the file and says what to do, and must leave no output file behind or changed. Awkward
but valid inputs (CMYK, 16-bit, EXIF rotations, animated GIF, ...) must load correctly.
Tests run as root in CI containers: permission cases are mocked there (and real otherwise).
"""

from __future__ import annotations

import errno
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nststudy import images
from nststudy.images import ImageError, ImageNotice, load_image, save_image

from ._cli import default_sigint

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- corpus builders ---------------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png(width: int, height: int, depth: int, colour: int, rows: bytes | None) -> bytes:
    """A PNG written by hand (Pillow cannot write 16-bit RGB, nor a lying header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = _chunk(b"IDAT", zlib.compress(rows)) if rows is not None else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + idat + _chunk(b"IEND", b"")


def _quadrants(h: int = 32, w: int = 48) -> np.ndarray:
    """Upright test picture: red top-left, green top-right, blue bottom-left, white rest."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, : w // 2] = (255, 0, 0)
    img[: h // 2, w // 2 :] = (0, 255, 0)
    img[h // 2 :, : w // 2] = (0, 0, 255)
    img[h // 2 :, w // 2 :] = (255, 255, 255)
    return img


def _quadrant_means(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[0] // 2, img.shape[1] // 2
    return np.array([img[:h, :w].mean((0, 1)), img[:h, w:].mean((0, 1)), img[h:, :w].mean((0, 1))])


def _jpeg_bytes(arr: np.ndarray, **kw: object) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=95, **kw)
    return buf.getvalue()


def _noise(h: int = 40, w: int = 40) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data)
        return p

    return make


def _truncated(fmt: str, name: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        Image.fromarray(_noise(64, 64)).save(p, format=fmt)
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
        return p

    return make


def _folder(tmp: Path) -> Path:
    (tmp / "photos.jpg").mkdir()
    return tmp / "photos.jpg"


def _typo(tmp: Path) -> Path:
    Image.fromarray(_noise()).save(tmp / "Holiday.JPG")
    return tmp / "holiday.jpg"


# (case id, builder, words the message must contain besides the file name)
LOAD_ERRORS: list[tuple[str, Callable[[Path], Path], tuple[str, ...]]] = [
    ("zero_byte", _write("empty.jpg", b""), ("empty", "copy it again")),
    ("truncated_jpeg", _truncated("JPEG", "cut.jpg"), ("truncated", "copy")),
    ("truncated_png", _truncated("PNG", "cut.png"), ("truncated", "copy")),
    ("png_header_only", _write("head.png", b"\x89PNG\r\n\x1a\n\x00\x00"), ("truncated",)),
    ("text_named_jpg", _write("notes.jpg", b"shopping list: eggs\n"), ("text file", "right")),
    (
        "html_named_jpg",
        _write("starry.jpg", b"<!DOCTYPE html><html><body><img src=x></body></html>"),
        ("web page", "save"),
    ),
    ("svg_named_png", _write("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>'), ("SVG",)),
    ("heic_named_jpg", _write("IMG_0001.jpg", b"\x00\x00\x00\x18ftypheic" + b"\0" * 64), ("HEIC",)),
    ("random_bytes", _write("noise.png", bytes(range(256)) * 4), ("not an image", "JPEG")),
    ("directory", _folder, ("folder", "image inside")),
    ("missing", lambda tmp: tmp / "nope.png", ("no such file", "check the path")),
    ("missing_with_typo", _typo, ("did you mean 'Holiday.JPG'", "spelling")),
    ("missing_folder", lambda tmp: tmp / "no_dir" / "a.png", ("does not exist", "path")),
    (
        "decompression_bomb",
        _write("bomb.png", _png(40_000, 40_000, 8, 0, None)),
        ("decompression bomb", "allow_huge=True", "NSTSTUDY_ALLOW_HUGE_IMAGES=1"),
    ),
]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("builder", "words"), [c[1:] for c in LOAD_ERRORS], ids=[c[0] for c in LOAD_ERRORS]
)
def test_bad_file_gives_one_clear_error(
    tmp_path: Path, builder: Callable[[Path], Path], words: tuple[str, ...]
) -> None:
    path = builder(tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(ImageError) as info:
        load_image(path)
    message = str(info.value)
    assert type(info.value) is ImageError and isinstance(info.value, ValueError)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message, message
    err = info.value  # no Pillow traceback chained underneath
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    assert _snapshot(tmp_path) == before  # nothing written, nothing changed


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.png"
    Image.fromarray(_noise()).save(path)
    if IS_ROOT:  # root reads anything: simulate what a normal user meets

        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))

        monkeypatch.setattr(Image, "open", denied)
    else:
        path.chmod(0)
    with pytest.raises(ImageError, match=r"locked\.png: cannot be read \(permission denied\)"):
        load_image(path)


def test_huge_image_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(_noise(100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 10 000 px > 2 × 2000: refused
    with pytest.raises(ImageError, match="decompression bomb"):
        load_image(path)
    assert load_image(path, allow_huge=True).shape == (100, 100, 3)
    monkeypatch.setenv(images.ALLOW_HUGE_ENV, "1")
    assert load_image(path).shape == (100, 100, 3)
    assert Image.MAX_IMAGE_PIXELS == 2000  # the global limit is restored


# --- awkward but valid files ---------------------------------------------------------------


def _save(name: str, arr: np.ndarray | Image.Image, **kw: object) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        im = arr if isinstance(arr, Image.Image) else Image.fromarray(arr)
        im.save(tmp / name, **kw)
        return tmp / name

    return make


def _png16_rgb(tmp: Path) -> Path:
    q = _quadrants().astype(">u2") * 257
    rows = b"".join(b"\x00" + q[i].tobytes() for i in range(q.shape[0]))
    (tmp / "deep_rgb.png").write_bytes(_png(q.shape[1], q.shape[0], 16, 2, rows))
    return tmp / "deep_rgb.png"


def _palette_transparent() -> Image.Image:
    im = Image.fromarray(_quadrants()).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    white = next(i for i, c in enumerate(np.reshape(im.getpalette()[:12], (4, 3))) if min(c) > 200)
    im.info["transparency"] = white
    return im


def _gif(tmp: Path) -> Path:
    frames = [Image.fromarray(_quadrants())] + [
        Image.new("RGB", (48, 32), c) for c in ((0, 0, 0), (90, 90, 90))
    ]
    frames[0].save(tmp / "anim.gif", save_all=True, append_images=frames[1:], duration=50)
    return tmp / "anim.gif"


Q = _quadrants()
QUADS = _quadrant_means(Q.astype(np.float32) / 255.0)
VALID_FILES: list[tuple[str, Callable[[Path], Path], bool]] = [
    # (id, builder, True when the four quadrant colours must survive)
    ("cmyk_jpeg", _save("cmyk.jpg", Image.fromarray(Q).convert("CMYK"), quality=95), True),
    (
        "png16_grey",
        _save("deep.png", (np.asarray(Image.fromarray(Q).convert("L"), np.uint16) * 257)),
        False,
    ),
    ("png16_rgb", _png16_rgb, True),
    ("palette_transparency", _save("pal.png", _palette_transparent()), True),
    ("la_alpha", _save("la.png", Image.fromarray(Q).convert("LA")), False),
    ("rgba_alpha", _save("rgba.png", Image.fromarray(Q).convert("RGBA")), True),
    ("webp", _save("q.webp", Q, lossless=True), True),
    ("tiff", _save("q.tif", Q), True),
    ("bmp", _save("q.bmp", Q), True),
    ("grayscale_jpeg", _save("grey.jpg", Image.fromarray(Q).convert("L")), False),
    ("one_bit", _save("bits.png", Image.fromarray(Q).convert("1")), False),
    ("non_ascii_path", _save("Ölgemälde 東京.png", Q), True),
    ("space_in_path", _save("my photo (1).png", Q), True),
    ("tiny_1x1", _save("dot.png", Q[:1, :1]), False),
    ("thin_3x500", _save("strip.png", np.repeat(np.repeat(Q[:3, :1], 500, 1), 1, 0)), False),
]


@pytest.mark.parametrize(
    ("builder", "colours"), [c[1:] for c in VALID_FILES], ids=[c[0] for c in VALID_FILES]
)
def test_awkward_file_loads(tmp_path: Path, builder: Callable[[Path], Path], colours: bool) -> None:
    img = load_image(builder(tmp_path))
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3
    assert img.min() >= 0.0 and img.max() <= 1.0
    if colours:
        assert img.shape == (32, 48, 3)
        np.testing.assert_allclose(_quadrant_means(img), QUADS, atol=0.06)


def test_transparent_areas_become_white(tmp_path: Path) -> None:
    img = load_image(_save("pal.png", _palette_transparent())(tmp_path))
    np.testing.assert_allclose(img[20:, 30:], 1.0)  # the white quadrant was the transparent one
    rgba = np.dstack([Q, np.zeros(Q.shape[:2], np.uint8)])
    assert load_image(rgba).min() == 1.0


@pytest.mark.parametrize("orientation", range(2, 9))
def test_exif_orientation(tmp_path: Path, orientation: int) -> None:
    # Store the upright picture the way a camera would for each orientation tag.
    stored = {
        2: Q[:, ::-1],
        3: Q[::-1, ::-1],
        4: Q[::-1],
        5: Q.transpose(1, 0, 2),
        6: np.rot90(Q, 1),
        7: Q[::-1, ::-1].transpose(1, 0, 2),
        8: np.rot90(Q, -1),
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    path.write_bytes(_jpeg_bytes(np.ascontiguousarray(stored), exif=exif))
    img = load_image(path)
    assert img.shape == (32, 48, 3)
    np.testing.assert_allclose(_quadrant_means(img), QUADS, atol=0.06)


def test_animated_gif_first_frame_with_notice(tmp_path: Path) -> None:
    with pytest.warns(ImageNotice, match=r"anim\.gif: has 3 frames \(animated\); using the first"):
        img = load_image(_gif(tmp_path))
    np.testing.assert_allclose(_quadrant_means(img), QUADS, atol=0.06)


@pytest.mark.parametrize("name", ["x.png", "x.webp"])  # a JPEG's bad EXIF: Pillow ignores it
def test_corrupt_exif_is_ignored_with_notice(tmp_path: Path, name: str) -> None:
    # Pillow raises SyntaxError ("not a TIFF file") for an EXIF block without a TIFF header;
    # it must cost the orientation only, not refuse the photo as damaged
    path = _save(name, Q, exif=b"Exif\x00\x00not-a-tiff-header", quality=95)(tmp_path)
    with pytest.warns(ImageNotice, match="unreadable EXIF orientation"):
        img = load_image(path)
    np.testing.assert_allclose(_quadrant_means(img), QUADS, atol=0.06)


# --- arrays ------------------------------------------------------------------------------

ARRAY_ERRORS = [
    ("nan", np.full((8, 8, 3), np.nan, np.float32), "NaN or infinity"),
    ("inf", np.where(np.eye(8)[..., None] > 0, np.inf, 0.5).repeat(3, 2), "NaN or infinity"),
    ("float_0_255", np.full((8, 8, 3), 200.0), "divide 0–255 data by 255"),
    ("negative_int", np.full((8, 8, 3), -3, np.int32), "convert"),
    ("int_over_255", np.full((8, 8, 3), 4000, np.int64), "uint16"),
    ("complex", np.zeros((8, 8, 3), np.complex64), "unsupported dtype"),
    ("object", np.array([[None] * 8] * 8), "unsupported dtype"),
    ("strings", np.full((8, 8), "a"), "unsupported dtype"),
    ("batch", np.zeros((2, 8, 8, 3), np.float32), "not a batch"),
    ("five_channels", np.zeros((8, 8, 5), np.float32), "(H, W, 1|2|3|4)"),
    ("one_d", np.zeros(8, np.float32), "shape"),
    ("empty", np.zeros((0, 8, 3), np.uint8), "empty"),
]


@pytest.mark.parametrize(
    ("arr", "words"), [c[1:] for c in ARRAY_ERRORS], ids=[c[0] for c in ARRAY_ERRORS]
)
def test_bad_array(arr: np.ndarray, words: str) -> None:
    with pytest.raises(ImageError) as info:
        load_image(arr)
    assert type(info.value) is ImageError
    assert str(info.value).startswith("array: ") and words in str(info.value)


VALID_ARRAYS = [
    ("uint16", (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000), 63_000 / 65535),
    ("big_endian_uint16", np.full((8, 8, 3), 65535, ">u2"), 1.0),
    ("bool", np.eye(8, dtype=bool), 1.0),
    ("int64_0_255", np.full((8, 8, 3), 255, np.int64), 1.0),
    ("float16", np.full((8, 8, 3), 0.5, np.float16), 0.5),
    ("float64", np.full((8, 8), 0.25), 0.25),
    ("grey_alpha", np.zeros((8, 8, 2), np.uint8), 1.0),  # transparent black → white
    ("fortran_order", np.asfortranarray(np.full((8, 8, 3), 0.75, np.float32)), 0.75),
]


@pytest.mark.parametrize(
    ("arr", "top"), [c[1:] for c in VALID_ARRAYS], ids=[c[0] for c in VALID_ARRAYS]
)
def test_valid_array(arr: np.ndarray, top: float) -> None:
    img = load_image(arr)
    assert img.shape == (8, 8, 3) and img.dtype == np.float32 and img.flags.c_contiguous
    assert img.max() == pytest.approx(top, abs=1e-3) and img.min() >= 0.0


def test_wrong_source_type() -> None:
    with pytest.raises(ImageError, match="pass a path, a PIL image or a numpy array"):
        load_image(42)  # type: ignore[arg-type]
    with pytest.raises(ImageError, match="path is empty"):
        load_image("")


# --- output ------------------------------------------------------------------------------

OLD = b"earlier painting"


def _readonly(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp / "readonly"
    folder.mkdir()
    (folder / "out.png").write_bytes(OLD)
    if IS_ROOT:  # root may write anywhere: simulate the refusal a user meets

        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))

        monkeypatch.setattr(tempfile, "mkstemp", denied)
    else:
        folder.chmod(0o555)
    return folder / "out.png"


def _disk_full(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp / "out.png").write_bytes(OLD)
    real_save = Image.Image.save

    def full(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        real_save(self, fp, *args, **kwargs)  # write it all, then fail like a full disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    return tmp / "out.png"


def _exists(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp / "out.png").write_bytes(OLD)
    return tmp / "out.png"


def _is_folder(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp / "out.png").mkdir()
    return tmp / "out.png"


def _parent_is_file(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp / "out").write_bytes(OLD)
    return tmp / "out" / "a.png"


SAVE_ERRORS = [
    ("missing_folder", lambda t, m: t / "no" / "such" / "out.png", {}, ("does not exist", "mkdir")),
    ("readonly_folder", _readonly, {}, ("not writable", "choose another output folder")),
    ("disk_full", _disk_full, {}, ("disk is full", "free some space")),
    ("exists_no_overwrite", _exists, {"overwrite": False}, ("already exists", "another name")),
    ("output_is_folder", _is_folder, {}, ("is a folder", "file name")),
    ("parent_is_file", _parent_is_file, {}, ("is a file, not a folder",)),
    ("unknown_suffix", lambda t, m: t / "out.xyz", {}, ("unknown image format", ".png")),
]


@pytest.mark.parametrize(
    ("builder", "kwargs", "words"), [c[1:] for c in SAVE_ERRORS], ids=[c[0] for c in SAVE_ERRORS]
)
def test_bad_output_keeps_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builder: Callable, kwargs: dict, words: tuple
) -> None:
    path = builder(tmp_path, monkeypatch)
    before = _snapshot(tmp_path)
    with pytest.raises(ImageError) as info:
        save_image(path, np.full((20, 30, 3), 0.5, np.float32), **kwargs)
    message = str(info.value)
    assert type(info.value) is ImageError and str(path) in message and "\n" not in message
    for word in words:
        assert word in message, message
    assert _snapshot(tmp_path) == before  # earlier file intact, no temporary file left


def test_bad_image_to_save(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="NaN"):
        save_image(tmp_path / "a.png", np.full((4, 4, 3), np.nan, np.float32))
    with pytest.raises(ImageError, match=r"\(H, W, 3\)"):
        save_image(tmp_path / "a.png", np.zeros((4, 4, 2), np.uint8))  # (grey: saved as RGB)
    assert list(tmp_path.iterdir()) == []


def test_save_non_ascii_and_no_overwrite_when_free(tmp_path: Path) -> None:
    path = save_image(tmp_path / "Ölgemälde 東京.png", Q, overwrite=False)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), Q)
    assert [p.name for p in tmp_path.iterdir()] == ["Ölgemälde 東京.png"]


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 64 KiB tmpfs (needs root and mount rights; skipped otherwise)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root to mount a tmpfs; the mocked case covers it")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_real_full_disk_keeps_earlier_file(tiny_disk: Path) -> None:
    old = save_image(tiny_disk / "out.png", Q)
    before = old.read_bytes()
    noise = np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)  # ~120 kB
    with pytest.raises(ImageError, match="disk is full"):
        save_image(old, noise)
    assert old.read_bytes() == before
    assert [p.name for p in tiny_disk.iterdir()] == ["out.png"]


# --- settings ----------------------------------------------------------------------------

CONFIG_ERRORS = [
    ("unknown_layer", {"content_layers": ("conv4_3x",)}, "did you mean 'block4_conv3'"),
    ("negative_weight", {"style_weight": -1.0}, "style_weight must be >= 0"),
    ("zero_steps", {"sizes": (256, 512), "steps": (0, 10)}, "at least 1 step"),
    ("size_zero", {"sizes": (0,), "steps": (10,)}, "at least 32 px"),
    ("zero_learning_rate", {"learning_rate": 0.0}, "must be > 0"),
    ("unknown_optimizer", {"optimizer": "sgd"}, "optimizer must be one of adam, lbfgs"),
]


@pytest.mark.parametrize(
    ("changes", "words"), [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_bad_setting(changes: dict, words: str) -> None:
    from nststudy.config import PRESETS

    with pytest.raises(ValueError, match=words.replace("(", r"\(")) as info:
        PRESETS["default"].replace(**changes)
    assert "\n" not in str(info.value)


def test_unknown_preset_lists_valid_ones() -> None:
    from nststudy.config import PRESETS, get_preset

    with pytest.raises(ValueError, match="did you mean 'default'") as info:
        get_preset("defualt")
    assert all(name in str(info.value) for name in PRESETS)
    with pytest.raises(ValueError, match="at least 32 px"):
        PRESETS["default"].at_size(0)


# --- stylize refuses before any heavy work ---------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if stylize gets as far as building VGG19."""
    import importlib

    stylize_mod = importlib.import_module("nststudy.stylize")  # the package exports the function

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("stylize built the network before refusing")

    monkeypatch.setattr(stylize_mod, "FeatureExtractor", boom)


def _photo(tmp: Path, name: str, h: int, w: int) -> Path:
    Image.fromarray(np.resize(_noise(), (h, w, 3))).save(tmp / name)
    return tmp / name


SMALL = [  # (id, content (h, w), style (h, w), words)
    ("tiny_1x1_photo", (1, 1), (64, 64), ("photo.png: is only 1×1 px", "at least 16")),
    ("thin_3x500_photo", (3, 500), (64, 64), ("photo.png: is only 500×3 px",)),
    ("thin_20x500_photo", (20, 500), (64, 64), ("photo.png", "short side would be 3 px")),
    ("thin_style", (64, 64), (3, 500), ("style.png: is only 500×3 px",)),
    ("tiny_style", (64, 64), (1, 1), ("style.png", "use a larger image")),
]


@pytest.mark.parametrize(
    ("content", "style", "words"), [c[1:] for c in SMALL], ids=[c[0] for c in SMALL]
)
def test_too_small_for_vgg(
    tmp_path: Path, no_network: None, content: tuple, style: tuple, words: tuple
) -> None:
    from nststudy.config import PRESETS
    from nststudy.stylize import stylize

    photo, art = _photo(tmp_path, "photo.png", *content), _photo(tmp_path, "style.png", *style)
    before = _snapshot(tmp_path)
    with pytest.raises(ImageError) as info:
        stylize(photo, art, PRESETS["default"].replace(sizes=(64,), steps=(2,)))
    for word in words:
        assert word in str(info.value), str(info.value)
    assert _snapshot(tmp_path) == before


def test_blend_names_the_bad_style(no_network: None) -> None:
    from nststudy.config import PRESETS
    from nststudy.stylize import stylize

    good = np.full((64, 64, 3), 0.5, np.float32)
    with pytest.raises(ImageError, match="style image 2: is only 3×3 px"):
        stylize(good, [(good, 1.0), (good[:3, :3], 1.0)], PRESETS["preview"])


def test_stylize_refuses_what_memory_cannot_hold(
    no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy import resources
    from nststudy.config import PRESETS
    from nststudy.stylize import stylize

    monkeypatch.delenv(resources.IGNORE_ENV, raising=False)
    monkeypatch.setattr(resources, "available_memory", lambda: 700 * 2**20)
    monkeypatch.setattr(resources, "_on_gpu", lambda: False)  # the CPU case, on any machine
    photo = np.full((300, 400, 3), 0.5, np.float32)
    with pytest.raises(resources.ResourceError) as info:
        stylize(photo, photo, PRESETS["default"].at_size(2048))
    message = str(info.value)
    assert "2048×1536 px" in message and "700 MiB is available" in message
    assert "--size" in message and resources.IGNORE_ENV in message
    assert isinstance(info.value, ValueError)


# --- weights -----------------------------------------------------------------------------


def test_weights_env_pointing_at_another_h5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import h5py

    from nststudy import weights as nw

    other = tmp_path / "resnet50_weights.h5"
    with h5py.File(other, "w") as fh:  # a real HDF5 weights file, just not VGG19's
        fh.create_dataset("conv1/kernel", data=np.zeros((7, 7, 3, 64), np.float32))
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(other))
    with pytest.raises(nw.WeightsError) as info:
        nw.ensure_weights(download=False)
    message = str(info.value)
    assert str(other) in message and nw.VGG19_MD5 in message
    assert "NSTSTUDY_VGG19_WEIGHTS at a good copy, or unset it" in message and "\n" not in message
    with open(other, "ab") as fh:  # same size as VGG19's file, still refused (MD5)
        fh.truncate(nw.WEIGHTS_SIZE)
    with pytest.raises(nw.WeightsError, match="is not the VGG19 no-top weights"):
        nw.ensure_weights(download=False)


def test_downloaded_bytes_are_checked_before_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from nststudy import weights as nw

    class Tampered(io.BytesIO):
        def __enter__(self) -> Tampered:
            return self

    monkeypatch.setattr(nw.urllib.request, "urlopen", lambda *a, **k: Tampered(b"evil" * 99))
    dest = tmp_path / "models" / nw.WEIGHTS_FILENAME
    with pytest.raises(nw.WeightsError, match=nw.VGG19_MD5):
        nw._download_keras(dest, timeout=1.0)
    assert not dest.exists()  # nothing unverified lands in the Keras cache


# --- memory ------------------------------------------------------------------------------

GB = 2**30


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _meminfo(tmp: Path, gib: float) -> Path:
    return _tree(tmp, {"meminfo": f"MemTotal: 99 kB\nMemAvailable: {int(gib * 2**20)} kB\n"}) / (
        "meminfo"
    )


MEMORY_CASES = [
    # (id, files under the fake /sys/fs/cgroup, /proc/self/cgroup, expected GiB)
    (
        "v2_limit",
        {
            "memory.max": str(2 * GB),
            "memory.current": str(int(1.5 * GB)),
            "memory.stat": f"anon 1\ninactive_file {GB // 2}\n",
        },
        "0::/\n",
        1.0,
    ),
    ("v2_unlimited", {"memory.max": "max", "memory.current": "5"}, "0::/\n", 20.0),
    (  # memory.high only throttles, but a run pressed against it crawls: it counts as a limit
        "v2_high",
        {"memory.max": "max", "memory.high": str(GB), "memory.current": str(GB // 4)},
        "0::/\n",
        0.75,
    ),
    (
        "v2_nested_binder",
        {
            "user.slice/memory.max": "max",
            "user.slice/nb/memory.max": str(2 * GB),
            "user.slice/nb/memory.current": str(GB),
        },
        "0::/user.slice/nb\n",
        1.0,
    ),
    (
        "v1_docker_parent_tighter",
        {
            "memory/docker/abc/memory.limit_in_bytes": str(GB),
            "memory/docker/abc/memory.usage_in_bytes": str(GB // 4),
            "memory/docker/memory.limit_in_bytes": str(GB // 2),
            "memory/docker/memory.usage_in_bytes": str(int(0.4 * GB)),
        },
        "4:memory:/docker/abc\n1:cpu:/\n",
        0.1,
    ),
    (
        "v1_unlimited",
        {"memory/memory.limit_in_bytes": "9223372036854771712"},
        "4:memory:/\n",
        20.0,
    ),
    ("no_cgroup", {}, "", 20.0),
]


@pytest.mark.parametrize(
    ("files", "proc", "gib"), [c[1:] for c in MEMORY_CASES], ids=[c[0] for c in MEMORY_CASES]
)
def test_available_memory_reads_the_cgroup(
    tmp_path: Path, files: dict, proc: str, gib: float
) -> None:
    from nststudy.resources import available_memory

    root = _tree(tmp_path / "cg", files) if files else tmp_path / "none"
    (tmp_path / "proc_cgroup").write_text(proc)
    got = available_memory(root, tmp_path / "proc_cgroup", _meminfo(tmp_path, 20))
    assert got == pytest.approx(gib * GB, rel=1e-6)


def test_available_memory_here_is_plausible() -> None:
    from nststudy.resources import available_memory

    assert 50 * 2**20 < available_memory() < 2**50


def test_memory_estimate_shape() -> None:
    from nststudy.config import PRESETS
    from nststudy.resources import estimate_stylize_memory

    cfg = PRESETS["default"]
    sizes = [estimate_stylize_memory(s, s, cfg) for s in (128, 256, 512, 1024)]
    assert sizes == sorted(sizes)
    assert estimate_stylize_memory(512, 512, cfg.replace(optimizer="adam")) < sizes[2]
    shallow = cfg.replace(content_layers=("block2_conv1",), style_layers=("block1_conv1",))
    assert estimate_stylize_memory(512, 512, shallow) < sizes[2]
    # Growth per pixel: ≈ 4 kB (activations ×3, L-BFGS history) — a 2048² print needs tens
    # of GB, a 512² share a little over 1 GB.
    assert 0.7 * GB < sizes[2] < 3 * GB
    assert estimate_stylize_memory(2048, 2048, cfg) > 10 * GB


def test_largest_fitting_size_keeps_the_size_when_it_fits() -> None:
    from nststudy.config import PRESETS
    from nststudy.resources import estimate_stylize_memory, largest_fitting_size

    cfg = PRESETS["default"]
    assert largest_fitting_size(36, 48, cfg, 100 * GB) == 48  # not a multiple of 64: kept
    assert largest_fitting_size(375, 500, cfg, 100 * GB) == 500
    tight = estimate_stylize_memory(360, 480, cfg)  # 448 fits, 500 does not
    assert largest_fitting_size(375, 500, cfg, tight) == 448
    assert largest_fitting_size(375, 500, cfg, 1) == 32  # nothing fits


def test_check_fits_message_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from nststudy.config import PRESETS
    from nststudy.resources import IGNORE_ENV, ResourceError, check_fits

    monkeypatch.delenv(IGNORE_ENV, raising=False)
    cfg = PRESETS["default"]
    check_fits(384, 512, cfg, available=64 * GB)
    with pytest.raises(ResourceError) as info:
        check_fits(3072, 4096, cfg, available=4 * GB)
    message = str(info.value)
    assert "4096×3072 px" in message and "4.0 GiB is available" in message
    fits = int(message.split("--size ")[1].split(")")[0])
    assert 256 <= fits < 4096
    check_fits(round(3072 * fits / 4096), fits, cfg, available=4 * GB)  # the advice works
    with pytest.raises(ResourceError, match="less than even a 32 px painting") as info:
        check_fits(384, 512, cfg, available=100 * 2**20)  # no size fits: no size suggested
    assert "--size" not in str(info.value) and "close other notebooks" in str(info.value)
    monkeypatch.setenv(IGNORE_ENV, "1")
    check_fits(3072, 4096, cfg, available=4 * GB)


# --- runs that go wrong (real, small optimisations) ---------------------------------------


def _stage(photo: np.ndarray, texture: np.ndarray, **changes: object) -> object:
    from nststudy.config import PRESETS
    from nststudy.train import Stage, make_targets
    from nststudy.vgg import FeatureExtractor

    cfg = PRESETS["default"].replace(sizes=(64,), steps=(8,), style_weight=0.1, **changes)
    ex = FeatureExtractor(cfg.content_layers, cfg.style_layers)
    return Stage(ex, make_targets(ex, photo, [(texture, 1.0)]), cfg)


def _poison(stage: object, bad_calls: set[int], what: str) -> None:
    """Make the loss (or the gradient) non-finite on the given evaluation numbers."""
    import tensorflow as tf

    real = stage.loss_and_grad  # type: ignore[attr-defined]
    calls = [0]

    def poisoned(x: tf.Tensor) -> tuple[dict, tf.Tensor]:
        calls[0] += 1
        losses, grad = real(x)
        if calls[0] in bad_calls:
            nan = tf.constant(float("nan"))
            if what == "loss":
                losses = {**losses, "total": nan}
            else:
                grad = grad * nan
        return losses, grad

    stage.loss_and_grad = poisoned  # type: ignore[attr-defined]


@pytest.mark.slow
def test_adam_absurd_learning_rate_rolls_back_then_stops(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    from nststudy.train import DIVERGENCE_RETRIES, run_adam

    stage = _stage(photo, texture, optimizer="adam", learning_rate=1e30, clip=False)
    init = stage.from_pixels(photo)  # type: ignore[attr-defined]
    with pytest.warns(RuntimeWarning) as caught:
        result = run_adam(stage, init, 8)  # type: ignore[arg-type]
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert sum("lowered the learning rate" in m for m in messages) == DIVERGENCE_RETRIES
    assert "stopped and kept the best image" in messages[-1]
    assert result.stopped == "diverged" and np.isfinite(result.best_loss)
    assert np.isfinite(result.image).all() and 0 <= result.image.min() <= result.image.max() <= 1


@pytest.mark.slow
def test_adam_recovers_from_one_bad_step(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    from nststudy.train import run_adam

    stage = _stage(photo, texture, optimizer="adam")
    _poison(stage, {4}, "grad")
    with pytest.warns(RuntimeWarning, match="lowered the learning rate to 0.002"):
        result = run_adam(stage, stage.from_pixels(photo), 8)  # type: ignore[attr-defined]
    assert result.stopped is None and len(result.history) == 8
    assert result.best_loss < result.initial_loss


@pytest.mark.slow
def test_lbfgs_non_finite_loss_stops_with_best(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    from nststudy.train import run_lbfgs

    stage = _stage(photo, texture)
    _poison(stage, {5}, "loss")
    with pytest.warns(RuntimeWarning, match="L-BFGS stopped and kept the best image"):
        result = run_lbfgs(stage, stage.from_pixels(photo), 8)  # type: ignore[attr-defined]
    assert result.stopped == "diverged" and np.isfinite(result.best_loss)
    assert result.best_loss < result.initial_loss and np.isfinite(result.image).all()


@pytest.mark.slow
def test_style_identical_to_content(weights: Path, photo: np.ndarray) -> None:
    from nststudy.config import PRESETS
    from nststudy.stylize import stylize

    result = stylize(photo, photo, PRESETS["default"].replace(sizes=(64,), steps=(5,)))
    assert result.stopped is None and np.isfinite(result.final_loss)
    # Start = content = style: nothing to change, so the picture stays the photo.
    start = images.resize_longest(photo, 64)
    assert np.abs(result.image / 255.0 - start).mean() < 0.05


# --- the command line (subprocesses, as a user runs it) -----------------------------------

_CLI_IDS = {"zero_byte", "truncated_jpeg", "html_named_jpg", "missing", "decompression_bomb"}
CLI_CASES = [c for c in LOAD_ERRORS if c[0] in _CLI_IDS | {"directory"}]


def _paint(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    import sys

    cmd = [sys.executable, "-m", "nststudy", "paint", *args, "--size", "48", "--steps", "2"]
    return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600)


def _paint_available() -> bool:
    from nststudy.cli import build_parser

    return "paint" in build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


needs_paint = pytest.mark.skipif(not _paint_available(), reason="`nststudy paint` not there yet")


@needs_paint
@pytest.mark.parametrize("builder", [c[1] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_photo(tmp_path: Path, builder: Callable[[Path], Path]) -> None:
    path = builder(tmp_path)
    if path.is_dir():  # a folder is a batch for `paint`: an empty one is the bad input
        arg = path.name
        needle = f"{path.name}: the folder holds no images"
    else:
        arg, needle = path.name, f"{path.name}: "
    before = _snapshot(tmp_path)
    out = _paint(tmp_path, arg, "--style", "swirl")
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and sum(needle in line for line in lines) == 1, lines
    assert _snapshot(tmp_path) == before and not (tmp_path / "out").exists()


@needs_paint
def test_cli_bad_style_file_is_one_line(tmp_path: Path) -> None:
    Image.fromarray(_noise()).save(tmp_path / "ok.png")
    (tmp_path / "page.jpg").write_bytes(b"<!DOCTYPE html><html></html>")
    out = _paint(tmp_path, "ok.png", "--style", "page.jpg")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "page.jpg: is a web page" in out.stderr and not (tmp_path / "out").exists()


@needs_paint
def test_cli_single_bad_photo_is_exactly_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    out = _paint(tmp_path, "empty.jpg", "--style", "swirl")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr


@needs_paint
def test_cli_output_folder_under_a_file(tmp_path: Path) -> None:
    Image.fromarray(_noise()).save(tmp_path / "ok.png")
    (tmp_path / "afile").write_text("x")
    out = _paint(tmp_path, "ok.png", "--style", "swirl", "--out", "afile/sub")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "afile" in out.stderr and "Traceback" not in out.stderr


@needs_paint
def test_cli_tiny_photo_refused_before_painting(tmp_path: Path) -> None:
    Image.fromarray(_noise(1, 1)).save(tmp_path / "dot.png")
    out = _paint(tmp_path, "dot.png", "--style", "swirl")
    assert out.returncode == 2 and "dot.png: is only 1×1 px" in out.stderr, out.stderr
    assert not (tmp_path / "out").exists()


_SIGINT_SCRIPT = """
import sys
from skimage import data
from nststudy.config import PRESETS
from nststudy.images import save_image
from nststudy.stylize import stylize

def progress(step, losses, image):
    if step == 3:
        print("RUNNING", flush=True)

cfg = PRESETS["default"].replace(sizes=(48,), steps=(5000,), optimizer="adam")
result = stylize(data.chelsea(), data.coffee(), cfg, callback=progress)
save_image(sys.argv[1], result.image)
print("STOPPED", result.stopped, len(result.history), flush=True)
"""


@pytest.mark.slow
def test_sigint_mid_run_returns_best_image(weights: Path, tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT) while TensorFlow computes: the library returns the best image."""
    import signal
    import sys

    script = tmp_path / "run.py"
    script.write_text(_SIGINT_SCRIPT)
    out = tmp_path / "best.png"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # feel Ctrl-C even when the tests run in a background shell
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "RUNNING"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0
    word, stopped, steps = rest.split()
    assert (word, stopped) == ("STOPPED", "interrupt") and 3 <= int(steps) < 5000
    with Image.open(out) as im:
        im.verify()
    assert Image.open(out).size == (48, 32)


def test_a_stage_is_freed_with_its_last_reference(
    weights: Path, photo: np.ndarray, texture: np.ndarray
) -> None:
    """A stage's traced loss holds its graph and targets: it must not hold the stage too (a
    cycle, freed only when Python's cycle collector ran), and it is still traced only once."""
    import gc
    import weakref

    stage = _stage(photo, texture)
    x = stage.from_pixels(photo)  # type: ignore[attr-defined]
    stage.loss_and_grad(x), stage.loss_and_grad(x)  # type: ignore[attr-defined]
    assert stage.traces == 1  # type: ignore[attr-defined]
    gone = weakref.ref(stage)
    gc.disable()
    try:
        del stage
        assert gone() is None
    finally:
        gc.enable()
