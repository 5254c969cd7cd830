"""Property tests: whatever array or file comes in, load_image gives a valid image or ImageError.

The documented contract: a float32 ``(H, W, 3)`` array in [0, 1] with the source's H and W,
or an :class:`~nststudy.images.ImageError` (a ``ValueError``) whose message names the source.
For arrays, the tests also check *which* inputs are refused, against the documented rules.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from nststudy.images import ImageError, load_image

DTYPES = ["u1", "u2", ">u2", "i1", "i4", "i8", "u4", "f2", "f4", "f8", ">f4", "b1", "c8"]


def _documented_ok(arr: np.ndarray) -> bool:
    """The rules load_image's docstring states for arrays."""
    if arr.dtype.kind not in "buif" or arr.size == 0:
        return False
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4))):
        return False
    if arr.dtype.kind == "f":
        finite = bool(np.all(np.isfinite(arr)))
        return finite and float(arr.min()) >= -1e-3 and float(arr.max()) <= 1 + 1e-3
    if arr.dtype.kind in "ui" and not (arr.dtype.kind == "u" and arr.dtype.itemsize <= 2):
        return int(arr.min()) >= 0 and int(arr.max()) <= 255
    return True


def _check_valid(img: np.ndarray, h: int, w: int) -> None:
    assert img.shape == (h, w, 3) and img.dtype == np.float32
    assert np.all(np.isfinite(img)) and img.min() >= 0.0 and img.max() <= 1.0


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    h, w = draw(st.integers(0, 24)), draw(st.integers(1, 24))
    shape = draw(
        st.sampled_from(
            [(h, w), (h, w, 1), (h, w, 2), (h, w, 3), (h, w, 4), (h, w, 5), (1, h, w, 3)]
        )
    )
    if dtype.kind == "f" and draw(st.booleans()):  # mostly plausible images, sometimes anything
        elements = st.floats(0, 1, width=8 * min(dtype.itemsize, 4) if dtype.itemsize < 8 else 64)
        return draw(hnp.arrays(dtype, shape, elements=elements))
    if dtype.kind in "iu" and dtype.itemsize > 1 and draw(st.booleans()):
        return draw(hnp.arrays(dtype, shape, elements=st.integers(0, 255)))
    return draw(hnp.arrays(dtype, shape))


@settings(max_examples=300, deadline=None)
@given(arrays())
def test_any_array_gives_image_or_documented_error(arr: np.ndarray) -> None:
    expected_ok = _documented_ok(arr)
    try:
        img = load_image(arr)
    except ImageError as err:
        assert not expected_ok, f"refused a documented-valid array: {err}"
        assert str(err).startswith("array: ") and "\n" not in str(err)
        return
    assert expected_ok, "accepted an array the documentation says is refused"
    h, w = arr.shape[:2] if arr.ndim < 4 else arr.shape[1:3]
    _check_valid(img, h, w)


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"]
FORMATS = ["PNG", "JPEG", "TIFF", "BMP", "WEBP", "GIF"]


def _make(mode: str, h: int, w: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    if mode in ("I;16", "I"):
        arr = rng.integers(0, 65536, (h, w)).astype(np.uint16 if mode == "I;16" else np.int32)
        return Image.fromarray(arr, mode) if mode == "I" else Image.fromarray(arr)
    if mode == "F":
        return Image.fromarray(rng.uniform(-0.5, 1.5, (h, w)).astype(np.float32))
    rgba = Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "RGBA")
    if mode == "P":
        return rgba.convert("RGB").quantize(colors=int(rng.integers(2, 64)))
    return rgba.convert(mode)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mode=st.sampled_from(MODES),
    fmt=st.sampled_from(FORMATS),
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    seed=st.integers(0, 2**16),
    cut=st.one_of(st.none(), st.floats(0.0, 0.999)),
    max_dim=st.one_of(st.none(), st.integers(1, 50)),
)
def test_any_file_gives_image_or_error_naming_it(
    tmp_path: Path,
    mode: str,
    fmt: str,
    h: int,
    w: int,
    seed: int,
    cut: float | None,
    max_dim: int | None,
) -> None:
    buf = io.BytesIO()
    try:
        _make(mode, h, w, seed).save(buf, format=fmt)
    except (OSError, KeyError, ValueError, TypeError):
        assume(False)  # Pillow cannot write this mode in this format: nothing to test
    data = buf.getvalue()
    if cut is not None:
        data = data[: int(len(data) * cut)]
    path = tmp_path / f"p {mode.replace(';', '_')} {seed}.{fmt.lower()}"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = load_image(path, max_dim=max_dim)
    except ImageError as err:
        assert cut is not None, f"refused an intact {mode} {fmt}: {err}"
        assert str(err).startswith(f"{path}: ") and "\n" not in str(err)
        return
    if max_dim is None:
        _check_valid(img, h, w)
    else:
        assert max(img.shape[:2]) <= max(max_dim, 1)
        _check_valid(img, *img.shape[:2])
        if max(h, w) <= max_dim:
            assert img.shape[:2] == (h, w)  # never enlarged


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_rgb(tmp_path: Path, fmt: str) -> None:
    arr = np.zeros((12, 20, 3), np.uint8)
    arr[:, 10:] = (200, 40, 10)
    path = tmp_path / f"x.{fmt.lower()}"
    Image.fromarray(arr).save(path, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    img = load_image(path)
    _check_valid(img, 12, 20)
    np.testing.assert_allclose(img[:, 14:18].mean((0, 1)), np.array([200, 40, 10]) / 255, atol=0.08)
