"""Local control: where to paint and where to keep the photo.

A *mask* is a float32 array ``(H, W)`` in [0, 1]: **white (1) = stylize, black (0) = keep the
photo**, grey = a mix. Make one in any paint program (white brush on black), load it with
:func:`load_mask`, or let :func:`auto_foreground_mask` guess the subject.

Two places use a mask:

- pixel level, :func:`blend_with_mask` — mix the finished painting with the photo, with a
  Gaussian-feathered seam so the border does not show as a cut;
- feature level, ``stylize(photo, style, mask=...)`` — the style loss only sees the masked
  VGG features (the mask shrunk to each layer's size) and the content loss weighs 10× more
  outside it, so the texture is painted inside the mask and the photo is kept around it; a
  final feathered pixel blend then makes the unmasked area exactly the photo.
"""

from __future__ import annotations

import errno
import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from ._decode import ALLOW_HUGE_ENV, _bomb_message, _pixel_limit, upright
from ._env import env_flag
from ._image_errors import DENIED, TOO_LARGE, name_too_long
from ._tile_grid import same_aspect
from .images import ImageInput, load_image, resize_longest
from .postprocess import _photo_for, resize_to

__all__ = [
    "auto_foreground_mask",
    "blend_with_mask",
    "feather_mask",
    "load_mask",
    "read_mask",
]


def _mask_from_pil(im: Image.Image, name: object = "the mask") -> np.ndarray:
    im = upright(im, name)  # a damaged EXIF block only costs the turn, with a notice
    if im.mode in ("P", "PA") or (im.mode in ("L", "RGB") and "transparency" in im.info):
        im = im.convert("RGBA")  # a palette, or a colour marked transparent (PNG tRNS)
    if im.mode in ("RGBA", "LA", "RGBa", "La"):
        # A painted-on layer: transparent = black (keep the photo).
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32) / 255.0
        grey = np.asarray(im.convert("RGB").convert("L"), dtype=np.float32) / 255.0
        return grey * rgba[..., 3]
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return load_image(im)[..., 0]
    return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def _grey(rgb: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R 601 weights, as Pillow's ``convert("L")``) of RGB in [0, 1]."""
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def read_mask(path: str | os.PathLike, data: bytes | None = None) -> np.ndarray:
    """Read a mask file at its own size: float32 ``(h, w)`` in [0, 1] (see :func:`load_mask`).

    ``data``: the file's bytes (an upload), ``path`` then only names it in messages.

    Raises:
        ValueError: naming the file, when it is missing or not a readable image.
    """
    path = Path(path).expanduser()
    try:
        if data is None and not path.is_file():
            raise ValueError(f"{path}: no such mask file; check the path")
    except OSError as err:  # a name too long for the file system: Path.is_file raises
        if err.errno != errno.ENAMETOOLONG:
            raise
        raise name_too_long(path) from None
    try:  # a mask at a huge photo's size obeys the photo's opt-in (NSTSTUDY_ALLOW_HUGE_IMAGES)
        with (
            _pixel_limit(env_flag(ALLOW_HUGE_ENV)),
            Image.open(path if data is None else io.BytesIO(data)) as im,
        ):
            return _mask_from_pil(im, path)
    except Image.DecompressionBombError as err:
        raise ValueError(_bomb_message(path, err, argument=False)) from None
    except PermissionError:
        raise ValueError(f"{path}: {DENIED}") from None
    except MemoryError:
        raise ValueError(f"{path}: {TOO_LARGE}") from None
    except Warning:  # a notice turned into an error by the caller's warning filters
        raise
    except Exception as err:  # not an image, damaged, a mode Pillow cannot turn into grey
        raise ValueError(
            f"{path}: cannot read it as an image ({err}); save the mask as PNG"
        ) from None


def load_mask(src: ImageInput, shape: tuple[int, ...], name: str | None = None) -> np.ndarray:
    """Load a mask image and resize it to ``shape``.

    Args:
        src: a path, PIL image or array. Colour images are converted to grey (luminance);
            images with transparency count transparent pixels as black; arrays may be bool,
            uint8, uint16 or float in [0, 1], shaped ``(H, W)`` or ``(H, W, 1|3|4)``.
        shape: the photo's shape ``(H, W)`` or ``(H, W, 3)``; the mask is resized to it
            (bilinear). A warning says when the aspect ratios differ by more than 2 %.
        name: the mask's file name for that warning, when ``src`` is already read.

    Returns:
        float32 ``(H, W)`` in [0, 1]: 1 = stylize, 0 = keep the photo.
    """
    if isinstance(src, Image.Image):
        mask = _mask_from_pil(src)
    elif isinstance(src, np.ndarray):
        if src.dtype.kind in "iu" and src.size and src.ndim in (2, 3) and src.max() <= 1:
            src = src.astype(bool)  # a 0/1 mask, e.g. (a > 0.5).astype(int): not 0–255 grey
        if src.ndim == 3 and src.shape[2] == 4:  # RGBA: transparent = keep the photo
            mask = _grey(load_image(src[..., :3])) * load_image(src[..., 3])[..., 0]
        elif src.ndim == 2 or (src.ndim == 3 and src.shape[2] in (1, 3)):
            mask = _grey(load_image(src))
        else:
            raise ValueError(
                f"mask: expected an array (H, W) or (H, W, 1|3|4), got shape {src.shape}"
            )
    elif isinstance(src, str | os.PathLike):
        mask = read_mask(src)
    else:
        raise ValueError(f"cannot load a mask from {type(src).__name__}; pass a path or an array")
    mask = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    h, w = int(shape[0]), int(shape[1])
    mh, mw = mask.shape
    rounded = same_aspect((h, w), (mh, mw)) or same_aspect((mh, mw), (h, w))  # a pixel off
    if abs(np.log((mw / mh) / (w / h))) > 0.02 and not rounded:
        name = src if isinstance(src, str | os.PathLike) else name
        name = f"{name}: the mask" if name else "the mask"
        turned = abs(np.log((mh / mw) / (w / h))) <= 0.02  # sideways: one of them was rotated
        warnings.warn(
            f"{name} is {mw}×{mh} px but the photo is {w}×{h}: it is stretched to fit; "
            + (
                "it looks turned by 90° (phones store photos sideways with an EXIF rotation): "
                "save the mask upright, as the photo is shown"
                if turned
                else "draw the mask on a copy of the photo to keep them aligned"
            ),
            stacklevel=2,
        )
    return resize_to(mask, (h, w), method="bilinear")


def auto_foreground_mask(photo: ImageInput, work_size: int = 256) -> np.ndarray:
    """A simple automatic guess of the photo's subject (1) versus background (0).

    Only a guess — draw your own mask when it is wrong. The method: cut the photo into about
    200 SLIC superpixels; a superpixel is "background-like" when its mean Lab colour is close
    to the superpixels along a border of the picture. Each of the four borders votes (so a
    subject touching one edge is still found); Otsu's threshold splits the vote; a closing,
    hole filling and keeping the largest region clean the result. When that leaves almost
    nothing or almost everything, a centred ellipse is returned with a warning.

    Args:
        photo: ``(H, W, 3)`` image.
        work_size: the guess is made at this longest side (for speed), then resized back.

    Returns:
        float32 ``(H, W)``, values 0 or 1. Use ``1 - mask`` to paint only the background.
    """
    from scipy import ndimage
    from skimage import color, filters, segmentation

    img = load_image(photo)
    h, w = img.shape[:2]
    small = resize_longest(img, min(work_size, max(h, w)))
    lab = color.rgb2lab(small)
    segments = segmentation.slic(
        small, n_segments=200, compactness=10, start_label=0, channel_axis=-1
    )
    n = int(segments.max()) + 1
    counts = np.maximum(np.bincount(segments.ravel(), minlength=n), 1)
    means = np.stack(
        [
            np.bincount(segments.ravel(), lab[..., c].ravel(), minlength=n) / counts
            for c in range(3)
        ],
        axis=1,
    )
    votes = np.zeros(n)
    for edge in (segments[0], segments[-1], segments[:, 0], segments[:, -1]):
        border = np.unique(edge)
        dist = np.linalg.norm(means[:, None, :] - means[None, border, :], axis=2).min(axis=1)
        votes += dist / max(dist.max(), 1e-6)
    saliency = votes[segments]
    fg = saliency > filters.threshold_otsu(saliency) if np.ptp(saliency) > 0 else saliency > 1
    # closed with the border padded by copies of itself: a subject cut off by the frame
    # keeps its pixels up to the edge (scipy's closing erodes from an empty outside)
    fg = ndimage.binary_closing(np.pad(fg, 2, mode="edge"), iterations=2)[2:-2, 2:-2]
    fg = ndimage.binary_fill_holes(fg)
    labels, count = ndimage.label(fg)
    if count > 1:
        sizes = ndimage.sum(fg, labels, range(1, count + 1))
        fg = labels == (int(np.argmax(sizes)) + 1)
    fraction = fg.mean()
    if not 0.02 <= fraction <= 0.95:
        warnings.warn(
            f"no clear subject found (the guess covered {fraction:.0%} of the picture); using a "
            "centred ellipse — draw a mask instead",
            stacklevel=2,
        )
        yy, xx = np.ogrid[0:h, 0:w]  # broadcast: no full-size coordinate grids
        return ((((yy - h / 2) / (0.35 * h)) ** 2 + ((xx - w / 2) / (0.35 * w)) ** 2) <= 1).astype(
            np.float32
        )
    full = resize_to(fg.astype(np.float32), (h, w), method="bilinear")
    return (full >= 0.5).astype(np.float32)


def blend_with_mask(
    painting: ImageInput,
    photo: ImageInput,
    mask: ImageInput,
    feather: float = 0.02,
    invert: bool = False,
) -> np.ndarray:
    """Painting where the mask is white, photo where it is black, with a soft seam.

    Args:
        painting: ``(H, W, 3)`` stylised image.
        photo: the original photo, resized to the painting (same aspect ratio, else
            ``ValueError``: a cropped painting needs the photo cropped the same way).
        mask: ``(h, w)`` mask, path or image (see :func:`load_mask`; resized to the painting).
        feather: Gaussian blur of the mask, σ as a fraction of the painting's longest side
            (0.02 → about 10 px at 512 px); 0 keeps a hard edge.
        invert: swap the roles (e.g. ``invert=True`` with :func:`auto_foreground_mask` paints
            only the background and keeps the subject as photographed).

    Returns:
        float32 ``(H, W, 3)`` in [0, 1]: ``m·painting + (1 − m)·photo``.
    """
    paint = load_image(painting)
    shape = paint.shape[:2]
    pic = _photo_for(paint.shape, photo, "blend_with_mask")
    m = load_mask(mask, shape)
    if invert:
        m = 1.0 - m
    m = feather_mask(m, feather)[..., None]
    return np.clip(m * paint + (1.0 - m) * pic, 0.0, 1.0).astype(np.float32)


def feather_mask(mask: np.ndarray, feather: float = 0.02) -> np.ndarray:
    """The soft mask :func:`blend_with_mask` mixes with: ``mask`` ``(H, W)`` blurred by a
    Gaussian of σ = ``feather`` × its longest side (0 = unchanged), clipped to [0, 1]."""
    if not 0 <= feather <= 0.5:  # also refuses NaN
        raise ValueError(
            f"feather is a fraction of the longest side, from 0 to 0.5 (e.g. 0.02), got {feather}"
        )
    m = np.asarray(mask, np.float32)
    if feather > 0:
        from scipy.ndimage import gaussian_filter

        m = gaussian_filter(m, sigma=feather * max(m.shape), mode="nearest")
    return np.clip(m, 0.0, 1.0)
