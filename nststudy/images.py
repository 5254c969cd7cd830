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
images and arrays in ``_decode``, the error messages in ``_image_errors``, what a saved
picture must be and the save itself in ``_saving`` (atomic, by ``_atomic``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._decode import ALLOW_HUGE_ENV, flatten_to_rgb, from_array, open_file, upright
from ._env import env_flag
from ._image_errors import ImageError, ImageNotice
from ._saving import _beyond_unit, as_uint8_picture, output_format, save_image, to_uint8

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
    huge = env_flag(ALLOW_HUGE_ENV) if allow_huge is None else bool(allow_huge)
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
