"""Images in, images out: loading, resizing, the VGG transform and its inverse, saving.

Every image the library hands around is a ``float32`` numpy array of shape ``(H, W, 3)``,
RGB, values in ``[0, 1]``. VGG19 wants something else: BGR channel order with the ImageNet
mean subtracted, values roughly in ``[-124, 152]`` (what ``keras.applications.vgg19.
preprocess_input`` produces). :func:`to_vgg` and :func:`from_vgg` convert between the two,
exactly and both ways; forgetting the inverse is one of the source article's bugs.

Whatever a phone or a shared drive hands over, loading and saving fail with one
:class:`ImageError` (a ``ValueError``) whose message names the file and says what to do —
never a traceback from inside Pillow — and :func:`save_image` never leaves a half-written
file or damages an earlier one.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "ALLOW_HUGE_ENV",
    "IMAGENET_MEAN_BGR",
    "MIN_SIZE",
    "ImageError",
    "ImageInput",
    "ImageNotice",
    "check_min_size",
    "from_vgg",
    "load_image",
    "resize_longest",
    "save_image",
    "scaled_shape",
    "to_uint8",
    "to_vgg",
]

#: ImageNet channel means in B, G, R order, on the 0–255 scale (Caffe/Keras VGG convention).
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

#: Smallest side, in pixels, that :func:`nststudy.stylize` accepts — for the source images and
#: for every working size. Four 2×2 poolings come before ``block5_conv*`` (the deepest layers
#: the presets tap), so a 16 px side is 1 px there; 15 px would be 0. Smaller images are
#: refused with an error rather than padded: padding would paint a made-up border and bias the
#: style statistics, and an image that small carries no picture worth painting.
MIN_SIZE = 16

#: Environment variable that, set to ``1``, lets :func:`load_image` open images over Pillow's
#: decompression-bomb limit (like ``allow_huge=True``).
ALLOW_HUGE_ENV = "NSTSTUDY_ALLOW_HUGE_IMAGES"

ImageInput = str | os.PathLike | np.ndarray | Image.Image

_LIMIT_LOCK = threading.Lock()
_FIX_FORMAT = "export it as JPEG or PNG and try again"
_DENIED = "cannot be read (permission denied); fix its permissions (chmod u+r) or copy it"


class ImageError(ValueError):
    """An image could not be read or written; the message names it and says what to do."""


class ImageNotice(UserWarning):
    """Something about an image was handled on the user's behalf (e.g. first GIF frame used)."""


def _flatten_to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1], compositing transparency on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
        grey = np.clip(arr / top, 0.0, 1.0).astype(np.float32)
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
    im = im.convert("RGB")  # CMYK: Pillow's conversion; ICC-managed conversion is out of scope
    return np.asarray(im, dtype=np.float32) / 255.0


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
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


def _sniff(path: Path) -> str:
    """A guess at what a file that Pillow refused really is, from its first bytes."""
    with contextlib.suppress(OSError), open(path, "rb") as fh:
        head = fh.read(512)
        if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
            return "heic"
        if head[4:12] == b"ftypavif":
            return "avif"
        signatures = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
        if head.startswith(signatures) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            return "damaged"
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<svg")):
            return "svg" if b"<svg" in head.lower() else "html"
        if head and all(32 <= c < 127 or c in b"\t\r\n" for c in head):
            return "text"
    return "unknown"


_NOT_AN_IMAGE = {
    "heic": "is an iPhone HEIC/HEIF photo, which Pillow cannot read; export it as JPEG "
    "(iPhone: Settings › Camera › Formats › Most Compatible) or `pip install pillow-heif`",
    "avif": f"is an AVIF image, which this Pillow cannot read; {_FIX_FORMAT}",
    "html": "is a web page (HTML), not an image: the browser saved the page; open the image "
    "itself (right-click › Open image in new tab) and save that",
    "svg": f"is a vector drawing (SVG/XML), not a photo; {_FIX_FORMAT}",
    "text": "is a text file, not an image; check that you picked the right file",
    "unknown": "is not an image Pillow can read; use a JPEG, PNG, WebP, TIFF, BMP or GIF file",
}


def _missing(path: Path) -> ImageError:
    hint = ""
    with contextlib.suppress(OSError):
        if path.parent.is_dir():
            names = [p.name for _, p in zip(range(2000), path.parent.iterdir(), strict=False)]
            lower = {n.lower(): n for n in names}
            close = [lower[path.name.lower()]] if path.name.lower() in lower else []
            close = close or difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
    where = "" if path.parent.is_dir() else f"; the folder {path.parent} does not exist either"
    return ImageError(f"{path}: no such file{hint}{where}; check the path and its spelling")


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


def _bomb_message(path: Path, err: Exception) -> str:
    numbers = [int(n) for n in re.findall(r"\d{4,}", str(err))]
    size = f"{numbers[0] / 1e6:.0f} megapixels (MP)" if numbers else "a huge size"
    limit = f", over Pillow's limit of {numbers[-1] / 1e6:.0f} MP" if len(numbers) > 1 else ""
    return (
        f"{path}: declares {size}{limit} (a possible 'decompression bomb'); if you trust the "
        f"file, pass allow_huge=True or set {ALLOW_HUGE_ENV}=1, or shrink it first"
    )


def _open_file(path: Path, max_dim: int | None, allow_huge: bool) -> np.ndarray:
    try:
        if not path.exists():
            raise _missing(path)
        if path.is_dir():
            raise ImageError(f"{path}: is a folder, not an image file; name an image inside it")
        if not path.is_file():
            raise ImageError(f"{path}: is not a regular file (a device or pipe?); name an image")
        if path.stat().st_size == 0:
            raise ImageError(
                f"{path}: is empty (0 bytes): the copy or download did not finish; copy it again"
            )
    except PermissionError:
        raise ImageError(f"{path}: {_DENIED}") from None
    try:
        with _pixel_limit(allow_huge), Image.open(path) as im:
            n_frames = getattr(im, "n_frames", 1)
            if n_frames > 1:
                warnings.warn(
                    f"{path}: has {n_frames} frames (animated); using the first",
                    ImageNotice,
                    stacklevel=3,
                )
                im.seek(0)
            if max_dim is not None and im.format == "JPEG":
                im.draft(im.mode, (max_dim, max_dim))  # decode at 1/2, 1/4, 1/8: less memory
            return _flatten_to_rgb(_upright(im, path))
    except Image.DecompressionBombError as err:
        raise ImageError(_bomb_message(path, err)) from None
    except UnidentifiedImageError:
        kind = _sniff(path)
        if kind == "damaged":
            raise ImageError(
                f"{path}: the image data is damaged or truncated; copy or download it again"
            ) from None
        raise ImageError(f"{path}: {_NOT_AN_IMAGE[kind]}") from None
    except PermissionError:
        raise ImageError(f"{path}: {_DENIED}") from None
    except MemoryError:
        raise ImageError(
            f"{path}: too large to decode in the memory available; shrink it first"
        ) from None
    except Warning:  # a notice turned into an error by the caller's warning filters
        raise
    except Exception as err:  # OSError, SyntaxError, zlib/struct errors from a broken file
        raise ImageError(
            f"{path}: the image data is damaged or truncated ({err}); copy or re-export it"
        ) from None


def _upright(im: Image.Image, name: object) -> Image.Image:
    """Apply the EXIF orientation; an unreadable EXIF block is ignored with a notice."""
    try:
        return ImageOps.exif_transpose(im)
    except (OSError, SyntaxError):
        raise
    except Exception:
        warnings.warn(
            f"{name}: unreadable EXIF orientation; using the image as stored", ImageNotice, 4
        )
        return im


def resize_longest(img: np.ndarray, size: int) -> np.ndarray:
    """Resize so the longest side is ``size`` pixels, keeping the aspect ratio.

    Args:
        img: float32 array ``(H, W, 3)`` in [0, 1].
        size: target length of the longest side, in pixels (> 0).

    Returns:
        float32 array ``(H', W', 3)`` in [0, 1] with ``max(H', W') == size`` (Lanczos when
        shrinking, bicubic when enlarging).
    """
    if size <= 0:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    h, w = img.shape[:2]
    new_h, new_w = scaled_shape((h, w), size)
    if (new_h, new_w) == (h, w):
        return img.astype(np.float32, copy=True)
    resample = Image.Resampling.LANCZOS if size < max(h, w) else Image.Resampling.BICUBIC
    channels = [
        np.asarray(Image.fromarray(img[..., c].astype(np.float32)).resize((new_w, new_h), resample))
        for c in range(img.shape[2])
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


def scaled_shape(shape: tuple[int, ...], size: int) -> tuple[int, int]:
    """``(H', W')`` that :func:`resize_longest` gives an image of ``shape`` at ``size``."""
    h, w = shape[:2]
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def check_min_size(shape: tuple[int, ...], size: int | None, name: str) -> None:
    """Refuse an image whose short side is under :data:`MIN_SIZE`, as given or at ``size``.

    Args:
        shape: the image's shape ``(H, W, ...)``.
        size: the longest side it will be painted at, or ``None`` to check the image as is.
        name: how to call it in the message (a file name, "the photo", "style image 2").

    Raises:
        ImageError: naming the image, the sizes and what to do.
    """
    h, w = shape[:2]
    if min(h, w) < MIN_SIZE:
        raise ImageError(
            f"{name}: is only {w}×{h} px; VGG19 needs at least {MIN_SIZE} px on each side "
            "(four 2×2 poolings); use a larger image"
        )
    if size is not None and min(scaled_shape(shape, size)) < MIN_SIZE:
        raise ImageError(
            f"{name}: is {w}×{h} px, so at {size} px its short side would be "
            f"{min(scaled_shape(shape, size))} px, under VGG19's minimum of {MIN_SIZE}; crop it "
            "to a less extreme aspect ratio or paint at a larger size"
        )


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def load_image(
    source: ImageInput, max_dim: int | None = None, *, allow_huge: bool | None = None
) -> np.ndarray:
    """Load a photo or painting as float32 RGB in [0, 1].

    Honours EXIF orientation; accepts RGB, RGBA/LA/P with transparency (composited on white),
    L, 1, CMYK, 16-bit and ``I;16`` images in any format Pillow reads (JPEG, PNG, WebP, TIFF,
    BMP, GIF, ...), and numpy arrays (or anything ``np.asarray`` takes, e.g. a tensor):
    ``(H, W)`` or ``(H, W, 1|2|3|4)`` (grey, grey+alpha, RGB, RGBA), dtype bool, uint8,
    uint16, other integers with values 0–255, or float in [0, 1] (NaN/inf refused).
    Animated images give their first frame with an :class:`ImageNotice` warning. Any size
    from 1×1 loads; :func:`nststudy.stylize` itself needs :data:`MIN_SIZE`.

    Args:
        source: a path, a ``PIL.Image.Image`` or an array.
        max_dim: if given, shrink (never enlarge) so the longest side is at most this many
            pixels, keeping the aspect ratio (JPEGs are decoded at reduced scale: less memory).
        allow_huge: open images over Pillow's decompression-bomb limit
            (``2 × PIL.Image.MAX_IMAGE_PIXELS``, 179 megapixels with Pillow 13). ``None``
            (default) reads the environment variable ``NSTSTUDY_ALLOW_HUGE_IMAGES=1``.

    Returns:
        float32 array of shape ``(H, W, 3)`` with values in [0, 1].

    Raises:
        ImageError: a ``ValueError`` when the file is missing, empty, a folder, unreadable,
            not an image, damaged or truncated, too large, or the array is malformed; the
            message names the file (or "array") and what to do.
    """
    if max_dim is not None and max_dim <= 0:
        raise ValueError(f"max_dim must be a positive number of pixels, got {max_dim}")
    huge = _env_flag(ALLOW_HUGE_ENV) if allow_huge is None else bool(allow_huge)
    name = "image"
    if isinstance(source, Image.Image):
        try:
            img = _flatten_to_rgb(_upright(source, name))
        except Exception as err:
            raise ImageError(f"image: cannot be converted to RGB ({err}); re-open it") from None
    elif isinstance(source, str | os.PathLike):
        if not str(source).strip():
            raise ImageError("image path is empty; name an image file")
        name = str(source)
        img = _open_file(Path(source), max_dim, huge)
    elif isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        name = "array"
        img = _from_array(np.asarray(source), name)
    else:
        raise ImageError(
            f"cannot load an image from {type(source).__name__}; pass a path, a PIL image "
            "or a numpy array"
        )
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ImageError(f"{name}: is empty; pass an image with pixels")
    if max_dim is not None and max(img.shape[:2]) > max_dim:
        img = resize_longest(img, max_dim)
    return img


def to_vgg(img: Any) -> Any:
    """RGB in [0, 1] → VGG19 input: BGR, 0–255 scale, ImageNet mean subtracted.

    Identical to ``keras.applications.vgg19.preprocess_input(img * 255)``. Works on numpy
    arrays and TensorFlow tensors of shape ``(..., H, W, 3)``.
    """
    if isinstance(img, np.ndarray):
        return (img[..., ::-1] * 255.0 - IMAGENET_MEAN_BGR).astype(np.float32)
    import tensorflow as tf

    return tf.reverse(img, axis=[-1]) * 255.0 - tf.constant(IMAGENET_MEAN_BGR)


def from_vgg(x: Any) -> Any:
    """The exact inverse of :func:`to_vgg`: add the mean back, BGR → RGB, divide by 255.

    Values are not clipped (so the round trip is exact); clip or use :func:`to_uint8` to get a
    displayable image.
    """
    if isinstance(x, np.ndarray):
        return ((x + IMAGENET_MEAN_BGR)[..., ::-1] / 255.0).astype(np.float32)
    import tensorflow as tf

    return tf.reverse(x + tf.constant(IMAGENET_MEAN_BGR), axis=[-1]) / 255.0


def to_uint8(img: np.ndarray) -> np.ndarray:
    """float image in [0, 1] → uint8 ``(H, W, 3)``, clipped and rounded."""
    return (np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _write_error(path: Path, err: OSError) -> ImageError:
    folder = path.parent
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "is read-only" if err.errno == errno.EROFS else "is not writable (permission denied)"
        return ImageError(
            f"{path}: cannot write there: the folder {folder} {why}; choose another output "
            "folder or fix its permissions"
        )
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return ImageError(
            f"{path}: the disk is full (or over quota); free some space or write elsewhere "
            "(any earlier file there is unchanged)"
        )
    if isinstance(err, IsADirectoryError):
        return ImageError(f"{path}: is a folder; give a file name such as {path / 'out.png'}")
    return ImageError(f"{path}: could not be written ({err}); try another output path")


def save_image(
    path: str | os.PathLike, img: np.ndarray, *, overwrite: bool = True, **pil_kwargs: Any
) -> Path:
    """Write an image atomically: to a temporary file beside ``path``, then rename.

    A crash, a full disk or Ctrl-C never leaves a partial file, and an existing file at
    ``path`` is only replaced by a complete new one (or, with ``overwrite=False``, never).

    Args:
        path: destination; the format follows the suffix (``.png``, ``.jpg``, ``.tif``, ...).
        img: float array ``(H, W, 3)`` in [0, 1] or uint8 ``(H, W, 3)``.
        overwrite: replace an existing file (default); ``False`` refuses instead.
        **pil_kwargs: passed to ``PIL.Image.Image.save`` (``pnginfo``, ``icc_profile``, ``dpi``).

    Returns:
        The path written.

    Raises:
        ImageError: a ``ValueError`` naming the path and the fix when the folder is missing
            or read-only, the disk is full, the format is unknown, the file exists (with
            ``overwrite=False``) or ``img`` is malformed.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ImageError(
            f"{path}: the folder {folder} {what}; create it first (mkdir -p) or choose another "
            "output path"
        )
    if path.is_dir():
        raise ImageError(f"{path}: is a folder; give a file name such as {path / 'out.png'}")
    if not overwrite and path.exists():
        raise ImageError(f"{path}: already exists; choose another name or allow overwriting")
    img = np.asarray(img)
    if img.dtype != np.uint8 and not np.all(np.isfinite(img)):
        raise ImageError(f"{path}: the image contains NaN or infinity; nothing was written")
    arr = img if img.dtype == np.uint8 else to_uint8(img)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.size == 0:
        raise ImageError(f"{path}: expected an (H, W, 3) image, got shape {arr.shape}")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unknown image format {path.suffix!r}; use .png, .jpg or .tif")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as err:
        raise _write_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(arr).save(fh, format=fmt, **pil_kwargs)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved picture is a normal file
        _commit(tmp, path, overwrite)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise _write_error(path, err) from None
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _commit(tmp: str, path: Path, overwrite: bool) -> None:
    """Move the finished temporary file into place (atomically refusing to clobber if asked)."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists, atomically
    except FileExistsError:
        raise ImageError(
            f"{path}: already exists; choose another name or allow overwriting"
        ) from None
    except OSError:  # no hard links (FAT/exFAT sticks, some network drives)
        if path.exists():
            raise ImageError(
                f"{path}: already exists; choose another name or allow overwriting"
            ) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)
