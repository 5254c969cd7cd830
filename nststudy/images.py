"""Images in, images out: loading, resizing, the VGG transform and its inverse, saving.

Every image the library hands around is a ``float32`` numpy array of shape ``(H, W, 3)``,
RGB, values in ``[0, 1]``. VGG19 wants something else: BGR channel order with the ImageNet
mean subtracted, values roughly in ``[-124, 152]`` (what ``keras.applications.vgg19.
preprocess_input`` produces). :func:`to_vgg` and :func:`from_vgg` convert between the two,
both ways, exactly up to float32 rounding; forgetting the inverse is one of the source
article's bugs.

Whatever a phone or a shared drive hands over, loading and saving fail with one
:class:`ImageError` (a ``ValueError``) whose message names the file and says what to do —
never a traceback from inside Pillow — and :func:`save_image` never leaves a half-written
file or damages an earlier one.

This module is the public API; the details live in private modules: decoding files, Pillow
images and arrays in ``_decode``, the error messages in ``_image_errors``, the atomic write in
``_atomic``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._atomic import write_atomically
from ._decode import ALLOW_HUGE_ENV, flatten_to_rgb, from_array, open_file, upright
from ._image_errors import ImageError, ImageNotice, write_error

__all__ = [
    "ALLOW_HUGE_ENV",
    "IMAGENET_MEAN_BGR",
    "MIN_SIZE",
    "ImageError",
    "ImageInput",
    "ImageNotice",
    "as_uint8_picture",
    "check_min_size",
    "from_vgg",
    "load_image",
    "output_format",
    "resize_longest",
    "save_image",
    "scaled_shape",
    "shrink_longest",
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

ImageInput = str | os.PathLike | np.ndarray | Image.Image


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


def shrink_longest(img: np.ndarray, max_dim: int) -> np.ndarray:
    """:func:`resize_longest` to ``max_dim`` when the longest side is larger, else ``img``
    itself (never enlarged, never copied): no output uses more than its own size."""
    return resize_longest(img, max_dim) if max(img.shape[:2]) > max_dim else img


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


_FALSE = ("", "0", "false", "no", "off")  # what an environment flag set to "off" means


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in _FALSE


def load_image(
    source: ImageInput, max_dim: int | None = None, *, allow_huge: bool | None = None
) -> np.ndarray:
    """Load a photo or painting as float32 RGB in [0, 1].

    Honours EXIF orientation and an embedded colour profile (a phone's Display P3, Adobe RGB,
    CMYK: converted to sRGB); accepts RGB, RGBA/LA/P with transparency (composited on white),
    L, 1, CMYK, 16-bit and ``I;16`` images in any format Pillow reads (JPEG, PNG, WebP, TIFF,
    BMP, GIF, ...), and numpy arrays (or objects with ``__array__``, e.g. a tensor):
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
            img = flatten_to_rgb(upright(source, name))
        except Exception as err:
            raise ImageError(f"image: cannot be converted to RGB ({err}); re-open it") from None
    elif isinstance(source, str | os.PathLike):
        if not str(source).strip():
            raise ImageError("image path is empty; name an image file")
        name = str(source)
        img = open_file(Path(source).expanduser(), max_dim, huge)
    elif isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        name = "array"
        img = from_array(np.asarray(source), name)
    else:
        raise ImageError(
            f"cannot load an image from {type(source).__name__}; pass a path, a PIL image "
            "or a numpy array"
        )
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ImageError(f"{name}: is empty; pass an image with pixels")
    return img if max_dim is None else shrink_longest(img, max_dim)


def _checked(x: Any, fn: str, rgb: bool) -> Any:
    """``x`` for :func:`to_vgg` / :func:`from_vgg`: floats with 3 channels (TensorFlow floats
    as float32); a 0–255 image or integers are refused with the fix (``rgb``: ``x`` should be
    in [0, 1])."""
    if isinstance(x, np.ndarray):
        dtype, shape = x.dtype, x.shape
        floating = np.issubdtype(dtype, np.floating)
    else:
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        dtype, floating = x.dtype.name, x.dtype.is_floating
        shape = () if x.shape.rank is None else tuple(x.shape)
        if floating and x.dtype != tf.float32:
            x = tf.cast(x, tf.float32)
    if shape and shape[-1] not in (3, None):
        raise ValueError(f"{fn} expects (..., H, W, 3) images, got shape {shape}")
    if not floating:
        fix = "divide by 255 first, e.g. image / 255" if rgb else "give it as floats"
        raise ValueError(f"{fn} expects {'RGB in [0, 1]' if rgb else 'floats'}, got {dtype}; {fix}")
    # no ":=" here: to_vgg runs inside traced steps, and AutoGraph cannot convert one
    span = _beyond_unit(x) if rgb and isinstance(x, np.ndarray) else None
    if span:
        raise ValueError(
            f"{fn} expects RGB in [0, 1], got values from {span[0]:.4g} to {span[1]:.4g}; a "
            "0–255 image: divide it by 255 first (already VGG input: use it as it is)"
        )
    return x


def _beyond_unit(img: np.ndarray) -> tuple[float, float] | None:
    """``(min, max)`` of a float array far outside [0, 1] (a 0–255 image, most likely: beyond
    [-0.5, 1.5]), else ``None``."""
    if not img.size:
        return None
    lo, hi = float(img.min()), float(img.max())
    return (lo, hi) if lo < -0.5 or hi > 1.5 else None


def to_vgg(img: Any) -> Any:
    """RGB in [0, 1] → VGG19 input: BGR, 0–255 scale, ImageNet mean subtracted.

    Identical to ``keras.applications.vgg19.preprocess_input(img * 255)``. Works on numpy
    arrays and TensorFlow tensors of shape ``(..., H, W, 3)``, float32 out (integers, and
    arrays with values far outside [0, 1], such as a 0–255 image, are refused with the fix).
    """
    img = _checked(img, "to_vgg", rgb=True)
    if isinstance(img, np.ndarray):
        wide = img[..., ::-1].astype(np.promote_types(img.dtype, np.float32))  # not in float16
        return (wide * 255.0 - IMAGENET_MEAN_BGR).astype(np.float32)
    import tensorflow as tf

    return tf.reverse(img, axis=[-1]) * 255.0 - tf.constant(IMAGENET_MEAN_BGR)


def from_vgg(x: Any) -> Any:
    """The inverse of :func:`to_vgg` (exact up to float32 rounding): add the mean back,
    BGR → RGB, divide by 255.

    Values are not clipped (so the round trip loses nothing); clip or use :func:`to_uint8` to get a
    displayable image. ``(..., H, W, 3)`` floats in, float32 out.
    """
    x = _checked(x, "from_vgg", rgb=False)
    if isinstance(x, np.ndarray):
        return ((x + IMAGENET_MEAN_BGR)[..., ::-1] / 255.0).astype(np.float32)
    import tensorflow as tf

    return tf.reverse(x + tf.constant(IMAGENET_MEAN_BGR), axis=[-1]) / 255.0


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
