"""Turning whatever a user hands over into float32 RGB in [0, 1]: files, Pillow images, arrays.

The details behind :func:`nststudy.images.load_image`: checks on the path (missing, empty,
a folder, unreadable), Pillow's decompression-bomb limit, animated images (first frame), the
EXIF orientation, an embedded colour profile (converted to sRGB), every Pillow mode (16-bit,
float, palette, CMYK; transparency composited on white) and the dtypes and shapes an array
may have. Every failure is an :class:`~nststudy.images.ImageError` whose message names the
file and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import io
import re
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._image_errors import (
    DENIED,
    TOO_LARGE,
    ImageError,
    ImageNotice,
    missing_file,
    name_too_long,
    not_an_image,
)

__all__ = [
    "ALLOW_HUGE_ENV",
    "flatten_to_rgb",
    "from_array",
    "open_bytes",
    "open_file",
    "to_srgb",
    "upright",
]

#: Environment variable that, set to ``1``, lets :func:`load_image` open images over Pillow's
#: decompression-bomb limit (like ``allow_huge=True``).
ALLOW_HUGE_ENV = "NSTSTUDY_ALLOW_HUGE_IMAGES"

_LIMIT_LOCK = threading.Lock()
#: "sRGB" profiles that store light linearly (GIMP's "Linear sRGB", Elle Stone's "-g10"
#: profiles in Krita, scRGB): their primaries are sRGB's, their curve is not
_LINEAR = re.compile(r"linear|[-_ ]g10\b|scrgb")


def to_srgb(im: Image.Image, name: object = "image") -> Image.Image:
    """Convert an RGB/RGBA/CMYK, palette or grey image with an embedded colour profile other
    than sRGB (a phone's Display P3, a camera's Adobe RGB, a print shop's CMYK, a scan's grey
    "Dot Gain 20%") to sRGB, the colour space nststudy paints in and tags its files with; any
    other image is returned as it is."""
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("P", "PA"):  # a palette's colours are in the profile's space too
        im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return im
    if im.mode == "L" and "transparency" in im.info:  # (a grey colour key: kept, unconverted)
        return im
    from PIL import ImageCms

    if im.mode == "RGB" and "transparency" in im.info:  # a PNG's colour key names a colour
        im = im.convert("RGBA")  # in the profile's space: made alpha before colours move

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        said = ImageCms.getProfileDescription(source).lower()
        if im.mode != "CMYK" and "srgb" in said and not _LINEAR.search(said):
            return im  # already sRGB: no round trip through the colour engine
        out = ImageCms.profileToProfile(
            im,
            source,
            ImageCms.createProfile("sRGB"),
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode="RGBA" if im.mode == "RGBA" else "RGB",  # (grey "L": as RGB)
        )
        return out
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        warnings.warn(
            f"{name}: its embedded colour profile cannot be read; colours are taken as sRGB",
            ImageNotice,
            stacklevel=3,
        )
        return im


def flatten_to_rgb(im: Image.Image, name: object = "image") -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1], compositing transparency on white;
    an embedded colour profile is honoured (:func:`to_srgb`)."""
    # Pillow opens a 16-bit PGM (and, before Pillow 10.3, a 16-bit grey PNG) as mode "I";
    # their 8-bit kinds open as "L", so "I" from them is 16-bit however dark
    sixteen = im.format in ("PPM", "PNG")
    im = to_srgb(im, name)
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        sixteen = sixteen or im.mode.startswith("I;16") or arr.max(initial=0) > 255
        top = 65535.0 if sixteen else 255.0  # (a dark 16-bit frame is not an 8-bit one)
        grey = np.clip(arr / top, 0.0, 1.0).astype(np.float32)
        key = im.info.get("transparency")
        if isinstance(key, int) and not isinstance(key, bool):  # a colour key: on white
            grey[arr == key] = 1.0
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode == "F":
        grey = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        return np.repeat(np.clip(grey, 0.0, 1.0)[..., None], 3, axis=2)
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    im = im.convert("RGB")  # CMYK without a profile: Pillow's simple conversion
    return np.asarray(im, dtype=np.float32) / 255.0


def from_array(arr: np.ndarray, name: str) -> np.ndarray:
    """Validate and convert an array image; see :func:`load_image` for what is accepted."""
    if arr.dtype.kind not in "buif":
        raise ImageError(
            f"{name}: unsupported dtype {arr.dtype}; use uint8 (0–255), uint16 (0–65535) "
            "or float in [0, 1]"
        )
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        hint = "; pass one image, not a batch (e.g. x[0])" if arr.ndim == 4 else ""
        raise ImageError(
            f"{name}: expected an array of shape (H, W) or (H, W, 1|2|3|4), got {arr.shape}{hint}"
        )
    if arr.size == 0:
        raise ImageError(f"{name}: is empty (shape {arr.shape}); pass an image with pixels")
    if arr.dtype.kind == "b":
        out = arr.astype(np.float32)
    elif arr.dtype.kind == "u" and arr.dtype.itemsize <= 2:
        out = arr.astype(np.float32) / (255.0 if arr.dtype.itemsize == 1 else 65535.0)
    elif arr.dtype.kind in "ui":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise ImageError(
                f"{name}: integer ({arr.dtype}) values span [{lo}, {hi}], not 0–255; convert "
                "to uint8 (0–255) or uint16 (0–65535), or to float in [0, 1]"
            )
        out = arr.astype(np.float32) / 255.0  # small non-uint8 integers: read as 8-bit values
    else:
        if not np.all(np.isfinite(arr)):
            raise ImageError(
                f"{name}: the array contains NaN or infinity; replace them first "
                "(e.g. np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0))"
            )
        lo, hi = float(arr.min()), float(arr.max())  # before the cast: no float32 overflow
        if lo < -1e-3 or hi > 1.0 + 1e-3:
            raise ImageError(
                f"{name}: float images must be in [0, 1], got [{lo:.3g}, {hi:.3g}]; "
                "divide 0–255 data by 255 (or clip)"
            )
        out = np.clip(arr.astype(np.float32), 0.0, 1.0)
    if out.shape[2] in (2, 4):  # grey+alpha or RGB+alpha: composite on white
        alpha = out[..., -1:]
        out = out[..., :-1] * alpha + (1.0 - alpha)
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    return np.ascontiguousarray(out, dtype=np.float32)


@contextlib.contextmanager
def _pixel_limit(allow_huge: bool) -> Iterator[None]:
    """Lift Pillow's decompression-bomb limit while the image is read, when allowed."""
    if not allow_huge:
        with warnings.catch_warnings():
            # Between 1× and 2× the limit Pillow only warns; we let those load quietly and
            # refuse (clearly) only what Pillow itself refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
        return
    with _LIMIT_LOCK:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _bomb_message(path: Path | str, err: Exception, argument: bool = True) -> str:
    """The one-line refusal of a huge image; ``argument``: mention ``allow_huge=True`` (the
    functions that take it)."""
    numbers = [int(n) for n in re.findall(r"\d{4,}", str(err))]
    size = f"{numbers[0] / 1e6:.0f} megapixels (MP)" if numbers else "a huge size"
    limit = f", over Pillow's limit of {numbers[-1] / 1e6:.0f} MP" if len(numbers) > 1 else ""
    return (
        f"{path}: declares {size}{limit} (a possible 'decompression bomb'); if you trust the "
        f"file, set {ALLOW_HUGE_ENV}=1{' (in Python: allow_huge=True)' if argument else ''}, "
        "or shrink it first"
    )


def open_file(path: Path, max_dim: int | None, allow_huge: bool) -> np.ndarray:
    """Read an image file as float32 RGB in [0, 1] (first frame, upright, JPEG drafted to
    ``max_dim``), or raise an :class:`ImageError` naming the file and what to do."""
    try:
        if not path.exists():
            raise missing_file(path)
        if path.is_dir():
            raise ImageError(f"{path}: is a folder, not an image file; name an image inside it")
        if not path.is_file():
            raise ImageError(f"{path}: is not a regular file (a device or pipe?); name an image")
        if path.stat().st_size == 0:
            raise ImageError(
                f"{path}: is empty (0 bytes): the copy or download did not finish; copy it again"
            )
    except PermissionError:
        raise ImageError(f"{path}: {DENIED}") from None
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise name_too_long(path) from None
        raise
    return _decode(path, path, max_dim, allow_huge)


def open_bytes(data: bytes, name: str, max_dim: int | None, allow_huge: bool) -> np.ndarray:
    """:func:`open_file` for an image file's bytes (an upload); errors name it ``name``."""
    if not data:
        raise ImageError(f"{name}: is empty (0 bytes): the upload did not finish; try again")
    return _decode(io.BytesIO(data), name, max_dim, allow_huge)


#: Camera RAW files: TIFF-like, so Pillow opens their small embedded preview (160×120 in a
#: NEF) as if it were the photo, or calls the rest damaged
RAW_SUFFIXES = {".dng", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".orf"}
RAW_SUFFIXES |= {".rw2", ".raf", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".erf", ".mrw", ".kdc"}


def _decode(source: Path | IO[bytes], path: Path | str, max_dim: int | None, allow_huge: bool):
    if Path(str(path)).suffix.lower() in RAW_SUFFIXES:
        raise ImageError(
            f"{path}: is a camera RAW file, which nststudy cannot develop (only its small "
            "preview would be read); export it as JPEG or TIFF from your photo software first"
        )
    try:
        with _pixel_limit(allow_huge), Image.open(source) as im:
            n_frames = getattr(im, "n_frames", 1)
            if n_frames > 1 and im.format != "MPO":  # MPO: a phone JPEG's extra pictures
                warnings.warn(
                    f"{path}: has {n_frames} frames (animated); using the first",
                    ImageNotice,
                    stacklevel=3,
                )
                im.seek(0)
            if max_dim is not None and im.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG
                im.draft(im.mode, (max_dim, max_dim))  # decode at 1/2, 1/4, 1/8: less memory
            return flatten_to_rgb(upright(im, path), path)
    except Image.DecompressionBombError as err:
        raise ImageError(_bomb_message(path, err)) from None
    except UnidentifiedImageError:
        head = source.getvalue()[:512] if isinstance(source, io.BytesIO) else None
        raise not_an_image(path, head) from None
    except PermissionError:
        raise ImageError(f"{path}: {DENIED}") from None
    except MemoryError:
        raise ImageError(f"{path}: {TOO_LARGE}") from None
    except Warning:  # a notice turned into an error by the caller's warning filters
        raise
    except Exception as err:  # OSError, SyntaxError, zlib/struct errors from a broken file
        raise ImageError(
            f"{path}: the image data is damaged or truncated ({err}); copy or re-export it"
        ) from None


def upright(im: Image.Image, name: object) -> Image.Image:
    """Apply the EXIF orientation; an unreadable EXIF block is ignored with a notice.

    The pixels are decoded first, so that damaged image data still raises (to the caller's
    "damaged or truncated" error) while a damaged EXIF block — Pillow raises ``SyntaxError``
    ("not a TIFF file") for it — only costs the orientation.
    """
    im.load()
    try:
        out = ImageOps.exif_transpose(im)
        out.format = im.format  # (its copy forgets it: flatten_to_rgb reads a PGM's depth by it)
        return out
    except MemoryError:  # the turn itself ran out of memory: the caller says so
        raise
    except Exception:
        warnings.warn(
            f"{name}: unreadable EXIF orientation; using the image as stored", ImageNotice, 4
        )
        return im
