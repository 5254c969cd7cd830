"""Images in, images out: loading, resizing, the VGG transform and its inverse, saving.

Every image the library hands around is a ``float32`` numpy array of shape ``(H, W, 3)``,
RGB, values in ``[0, 1]``. VGG19 wants something else: BGR channel order with the ImageNet
mean subtracted, values roughly in ``[-124, 152]`` (what ``keras.applications.vgg19.
preprocess_input`` produces). :func:`to_vgg` and :func:`from_vgg` convert between the two,
exactly and both ways; forgetting the inverse is one of the source article's bugs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "IMAGENET_MEAN_BGR",
    "MIN_SIZE",
    "ImageInput",
    "from_vgg",
    "load_image",
    "resize_longest",
    "save_image",
    "to_uint8",
    "to_vgg",
]

#: ImageNet channel means in B, G, R order, on the 0–255 scale (Caffe/Keras VGG convention).
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

#: Smallest side VGG19 can take: four 2×2 poolings come before block5_conv*, so 16 px.
MIN_SIZE = 16

ImageInput = str | os.PathLike | np.ndarray | Image.Image


def _flatten_to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1], compositing transparency on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
        grey = np.clip(arr / top, 0.0, 1.0).astype(np.float32)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode == "F":
        grey = np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if im.mode == "CMYK":
        im = im.convert("RGB")  # Pillow's conversion; ICC-managed conversion is out of scope
    im = im.convert("RGB")
    return np.asarray(im, dtype=np.float32) / 255.0


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, got {type(arr).__name__}")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"{name}: expected an array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"got {arr.shape}; pass one image, not a batch"
        )
    if arr.dtype == np.uint8:
        out = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        out = arr.astype(np.float32) / 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        out = arr.astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: the array contains NaN or infinity; clean it first")
        if out.size and (out.min() < -1e-3 or out.max() > 1.0 + 1e-3):
            raise ValueError(
                f"{name}: float images must be in [0, 1], got [{out.min():.3g}, {out.max():.3g}]; "
                "divide uint8 data by 255"
            )
        out = np.clip(out, 0.0, 1.0)
    elif arr.dtype == np.bool_:
        out = arr.astype(np.float32)
    else:
        raise ValueError(f"{name}: unsupported dtype {arr.dtype}; use uint8, uint16 or float")
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] == 4:
        alpha = out[..., 3:4]
        out = out[..., :3] * alpha + (1.0 - alpha)
    return np.ascontiguousarray(out, dtype=np.float32)


def _open_file(path: Path) -> np.ndarray:
    if not path.exists():
        raise ValueError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not an image file; name an image inside it")
    try:
        with Image.open(path) as im:
            n_frames = getattr(im, "n_frames", 1)
            if n_frames > 1:
                warnings.warn(f"{path}: has {n_frames} frames; using the first", stacklevel=3)
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            return _flatten_to_rgb(im)
    except Image.DecompressionBombError as err:
        raise ValueError(
            f"{path}: declares a huge size ({err}); if you trust it, set "
            "PIL.Image.MAX_IMAGE_PIXELS = None before loading"
        ) from None
    except UnidentifiedImageError:
        raise ValueError(
            f"{path}: is not an image Pillow can read; use a JPEG, PNG, WebP, TIFF or BMP file"
        ) from None
    except PermissionError:
        raise ValueError(
            f"{path}: cannot be read (permission denied); fix its permissions"
        ) from None
    except (OSError, SyntaxError) as err:
        raise ValueError(
            f"{path}: the image data is damaged or truncated ({err}); re-export or re-download it"
        ) from None


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
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    if (new_h, new_w) == (h, w):
        return img.astype(np.float32, copy=True)
    resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC
    channels = [
        np.asarray(Image.fromarray(img[..., c].astype(np.float32)).resize((new_w, new_h), resample))
        for c in range(img.shape[2])
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


def load_image(source: ImageInput, max_dim: int | None = None) -> np.ndarray:
    """Load a photo or painting as float32 RGB in [0, 1].

    Honours EXIF orientation; accepts RGB, RGBA/LA/P with transparency (composited on white),
    L, CMYK, 16-bit and ``I;16`` images, and numpy arrays (uint8, uint16 or float in [0, 1];
    ``(H, W)``, ``(H, W, 1|3|4)``). Animated images give their first frame with a warning.

    Args:
        source: a path, a ``PIL.Image.Image`` or a numpy array.
        max_dim: if given, shrink (never enlarge) so the longest side is at most this many
            pixels, keeping the aspect ratio.

    Returns:
        float32 array of shape ``(H, W, 3)`` with values in [0, 1].

    Raises:
        ValueError: if the file is missing, not an image, damaged, or the array is malformed;
            the message names the file and what to do.
    """
    if max_dim is not None and max_dim <= 0:
        raise ValueError(f"max_dim must be a positive number of pixels, got {max_dim}")
    if isinstance(source, Image.Image):
        img = _flatten_to_rgb(ImageOps.exif_transpose(source))
    elif isinstance(source, np.ndarray):
        img = _from_array(source, "array")
    elif isinstance(source, str | os.PathLike):
        img = _open_file(Path(source))
    else:
        raise ValueError(
            f"cannot load an image from {type(source).__name__}; pass a path, a PIL image "
            "or a numpy array"
        )
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{source if not isinstance(source, np.ndarray) else 'array'}: is empty")
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


def save_image(path: str | os.PathLike, img: np.ndarray, **pil_kwargs: Any) -> Path:
    """Write an image atomically: to a temporary file beside ``path``, then rename.

    A crash, a full disk or Ctrl-C never leaves a partial file, and an existing file at
    ``path`` is only replaced by a complete new one.

    Args:
        path: destination; the format follows the suffix (``.png``, ``.jpg``, ``.tif``, ...).
        img: float array ``(H, W, 3)`` in [0, 1] or uint8 ``(H, W, 3)``.
        **pil_kwargs: passed to ``PIL.Image.Image.save`` (``pnginfo``, ``icc_profile``, ``dpi``).

    Returns:
        The path written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"{path}: folder {path.parent} does not exist; create it first")
    arr = img if img.dtype == np.uint8 else to_uint8(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{path}: expected an (H, W, 3) image, got shape {arr.shape}")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown image format {path.suffix!r}; use .png, .jpg or .tif")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(arr).save(fh, format=fmt, **pil_kwargs)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
