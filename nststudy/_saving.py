"""Writing pictures: the checks a file's pixels must pass, and the atomic save.

:mod:`nststudy.images` re-exports all of it (:func:`save_image`, :func:`output_format`,
:func:`to_uint8`, :func:`as_uint8_picture`): import them from there.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._atomic import write_atomically
from ._image_errors import ImageError, write_error

__all__ = ["as_uint8_picture", "output_format", "save_image", "to_uint8"]


def _beyond_unit(img: np.ndarray) -> tuple[float, float] | None:
    """``(min, max)`` of a float array far outside [0, 1] (a 0–255 image, most likely: beyond
    [-0.5, 1.5]), else ``None``."""
    if not img.size:
        return None
    lo, hi = float(img.min()), float(img.max())
    return (lo, hi) if lo < -0.5 or hi > 1.5 else None


def to_uint8(img: np.ndarray) -> np.ndarray:
    """float image in [0, 1] → uint8 ``(H, W, 3)``, clipped and rounded."""
    return (np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def as_uint8_picture(img: Any, name: str | os.PathLike) -> np.ndarray:
    """``img`` as the uint8 ``(H, W, 3)`` array a file holds, checked as :func:`save_image`
    checks it (``name`` starts its errors).

    Raises:
        ImageError: a dtype, range, shape or NaN that no picture file can hold; the message
            says how to fix it and that nothing was written.
    """
    img = np.asarray(img)
    if img.dtype.kind not in "fbu" or (img.dtype.kind == "u" and img.dtype != np.uint8):
        raise ImageError(
            f"{name}: a {img.dtype} image; pass uint8 (0–255) or float in [0, 1] (for 16-bit "
            "data: img / 65535); nothing was written"
        )
    if img.dtype != np.uint8 and not np.all(np.isfinite(img)):
        raise ImageError(f"{name}: the image contains NaN or infinity; nothing was written")
    if img.dtype.kind == "f" and (span := _beyond_unit(img)):
        raise ImageError(
            f"{name}: float values span [{span[0]:.4g}, {span[1]:.4g}], not [0, 1]; "
            "divide by 255 if they are 0–255; nothing was written"
        )
    arr = img if img.dtype == np.uint8 else to_uint8(img)
    if (arr.ndim == 3 and arr.shape[2] == 1) or arr.ndim == 2:  # grey (a mask): as RGB
        arr = np.repeat(arr.reshape(*arr.shape[:2], 1), 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.size == 0:
        fix = (
            "drop its alpha channel: img[..., :3]"
            if arr.ndim == 3 and arr.shape[2] == 4
            else ("pass a picture (H, W, 3), or grey (H, W)")
        )
        raise ImageError(
            f"{name}: expected an (H, W, 3) image, got shape {arr.shape}; {fix}; nothing was "
            "written"
        )
    return arr


def save_image(
    path: str | os.PathLike, img: np.ndarray, *, overwrite: bool = True, **pil_kwargs: Any
) -> Path:
    """Write an image atomically: to a temporary file beside ``path``, then rename.

    A crash, a full disk or Ctrl-C never leaves a partial file, and an existing file at
    ``path`` is only replaced by a complete new one (or, with ``overwrite=False``, never).

    Args:
        path: destination; the format follows the suffix (``.png``, ``.jpg``, ``.tif``, ...).
        img: float array ``(H, W, 3)`` in [0, 1] (clipped; values far outside, such as a
            0–255 float image, are refused) or uint8 ``(H, W, 3)``; grey ``(H, W)`` or
            ``(H, W, 1)`` (a mask) is written as RGB.
        overwrite: replace an existing file (default); ``False`` refuses instead.
        **pil_kwargs: passed to ``PIL.Image.Image.save`` (``pnginfo``, ``icc_profile``, ``dpi``).

    Returns:
        The path written.

    Raises:
        ImageError: a ``ValueError`` naming the path and the fix when the folder is missing
            or read-only, the disk is full, the format is unknown, the file exists (with
            ``overwrite=False``) or ``img`` is malformed.
    """
    path = Path(path).expanduser()
    folder = path.parent
    try:  # (a name too long for the file system: Path.exists raises)
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            raise ImageError(
                f"{path}: the folder {folder} {what}; create it first (mkdir -p) or choose "
                "another output path"
            )
        if path.is_dir():
            raise ImageError(f"{path}: is a folder; give a file name such as {path / 'out.png'}")
        if not overwrite and path.exists():
            raise ImageError(f"{path}: already exists; choose another name or allow overwriting")
    except OSError as err:
        raise write_error(path, err) from None
    if hasattr(img, "image") and hasattr(img, "raw"):  # a stylize() Result, not its picture
        raise ImageError(f"{path}: got a stylize() result; pass its picture: result.image")
    arr = as_uint8_picture(img, path)
    write_atomically(path, arr, output_format(path), overwrite, pil_kwargs)
    return path


def output_format(path: str | os.PathLike) -> str:
    """Pillow's name of the format ``path``'s suffix asks for, when Pillow can write it.

    Check an output path with it *before* a long run, not after.

    Raises:
        ImageError: the suffix is missing or unknown, or names a format Pillow only reads
            (``.psd``, ``.xpm``, ...).
    """
    path = Path(path)
    Image.init()  # every plugin: the registry of writers is complete
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        what = "unknown image format" if fmt is None else "a format that can be read, not written:"
        raise ImageError(f"{path}: {what} {path.suffix!r}; use .png, .jpg or .tif")
    if fmt in ("PNG", "JPEG", "TIFF", "WEBP", "BMP"):  # the usual ones all take RGB
        return fmt
    try:  # some writers take no RGB (.xbm) or are placeholders that always fail (.h5, .wmf)
        Image.new("RGB", (1, 1)).save(io.BytesIO(), format=fmt)
    except Exception:
        raise ImageError(
            f"{path}: {path.suffix!r} cannot hold an RGB painting; use .png, .jpg or .tif"
        ) from None
    return fmt
