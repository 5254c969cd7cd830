"""Sample style and content images that need no downloads.

Four procedural "paintings" evoke art movements with simulated brush strokes (``swirl``,
``brush``, ``drip``, ``mosaic``); three photo textures bundled with scikit-image (``bricks``,
``grass``, ``gravel``) are styles too, and :func:`content_photo` serves ``skimage.data`` photos.
Every image is a ``float32`` array of shape ``(H, W, 3)`` with values in ``[0, 1]``.

Procedural styles are scale-invariant: strokes are sized relative to the canvas, so one seed
gives the same picture at every ``size`` and only the detail changes. The painters live in
:mod:`nststudy._procedural`, their brush-stroke engine in :mod:`nststudy._canvas`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from skimage import data as skdata
from skimage.color import gray2rgb
from skimage.transform import resize

from ._procedural import GENERATORS

__all__ = ["CONTENT_PHOTOS", "STYLES", "StyleInfo", "content_photo", "list_styles", "make_style"]

MIN_SIZE, MAX_SIZE = 16, 4096


@dataclass(frozen=True)
class StyleInfo:
    """Description of one sample style.

    Attributes:
        name: Key accepted by :func:`make_style`.
        movement: Art movement (and artist) the image evokes.
        description: One-line description.
        procedural: True if drawn from a seed, False for a bundled photo texture.
    """

    name: str
    movement: str
    description: str
    procedural: bool


_TEXTURES: dict[str, Callable[[], np.ndarray]] = {
    "bricks": skdata.brick,
    "grass": skdata.grass,
    "gravel": skdata.gravel,
}
_PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": skdata.astronaut,
    "chelsea": skdata.chelsea,
    "coffee": skdata.coffee,
    "rocket": skdata.rocket,
    "motorcycle": lambda: skdata.stereo_motorcycle()[0],
    "hubble_deep_field": skdata.hubble_deep_field,
}
CONTENT_PHOTOS: tuple[str, ...] = tuple(_PHOTOS)
_MOVEMENTS = (  # name, movement, description
    ("swirl", "Post-impressionism (Van Gogh)", "Swirling impasto strokes in blue and yellow."),
    ("brush", "Impressionism (Monet)", "Short broken dabs of soft pastel colour on a lily pond."),
    ("drip", "Abstract expressionism (Pollock)", "Tangled drip lines and splatters on raw canvas."),
    ("mosaic", "Cubism (Picasso)", "Hatched angular facets, dark outlines, ochre and grey-blue."),
    ("bricks", "Photo texture", "Grayscale brick wall photo (skimage.data.brick)."),
    ("grass", "Photo texture", "Grayscale grass photo (skimage.data.grass)."),
    ("gravel", "Photo texture", "Grayscale gravel photo (skimage.data.gravel)."),
)
STYLES: dict[str, StyleInfo] = {r[0]: StyleInfo(*r, r[0] in GENERATORS) for r in _MOVEMENTS}


def _as_rgb(img: np.ndarray) -> np.ndarray:
    """uint8 gray or RGB(A) -> float32 (H, W, 3) in [0, 1]."""
    img = np.asarray(img, np.float32) / 255
    return gray2rgb(img) if img.ndim == 2 else img[..., :3]


def _check_int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{what} must be between {lo} and {hi}, got {value}")
    return int(value)


def _unknown(kind: str, name: object, valid: list[str]) -> ValueError:
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.0)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {kind} {name!r}. Valid names: {', '.join(valid)}.{hint}")


def _fit(img: np.ndarray, longest: int) -> np.ndarray:
    """Resize so the longest side is ``longest`` pixels, keeping the aspect ratio."""
    h, w = img.shape[:2]
    if max(h, w) == longest:
        return img
    f = longest / max(h, w)
    shape = (max(1, round(h * f)), max(1, round(w * f)), img.shape[2])
    return resize(img, shape, order=1, anti_aliasing=f < 1, preserve_range=True)


def list_styles() -> list[StyleInfo]:
    """Return descriptions of all styles accepted by :func:`make_style`, in display order."""
    return list(STYLES.values())


def make_style(name: str, size: int = 512, seed: int = 0) -> np.ndarray:
    """Create a style image.

    Args:
        name: A key of :data:`STYLES` (see :func:`list_styles`).
        size: Output side in pixels, 16..4096.  Procedural styles are ``size`` x ``size``;
            photo textures are resized so their longest side is ``size`` (aspect kept).
        seed: Non-negative seed; the same (name, size, seed) always gives the same image.
            Photo textures ignore it.

    Returns:
        float32 array of shape (H, W, 3) with values in [0, 1].

    Raises:
        ValueError: For an unknown name (the message lists valid names and suggests the
            closest) or an out-of-range size or seed.
    """
    if not isinstance(name, str) or name not in STYLES:
        raise _unknown("style", name, list(STYLES))
    size = _check_int(size, "size", MIN_SIZE, MAX_SIZE)
    seed = _check_int(seed, "seed", 0, 2**63 - 1)
    if name in GENERATORS:
        img = GENERATORS[name](size, np.random.default_rng(seed))
    else:
        img = _fit(_as_rgb(_TEXTURES[name]()), size)
    return np.ascontiguousarray(np.clip(img, 0, 1), dtype=np.float32)


def content_photo(name: str = "chelsea", max_dim: int | None = None) -> np.ndarray:
    """Load a colour photo bundled with scikit-image to use as content.

    Args:
        name: One of :data:`CONTENT_PHOTOS`.
        max_dim: If given (16..4096), resize so the longest side is ``max_dim`` pixels,
            keeping the aspect ratio (anti-aliased when shrinking).  None keeps the
            original size.

    Returns:
        float32 array of shape (H, W, 3) with values in [0, 1].

    Raises:
        ValueError: For an unknown name (the message lists valid names) or a bad max_dim.
    """
    if not isinstance(name, str) or name not in _PHOTOS:
        raise _unknown("content photo", name, list(CONTENT_PHOTOS))
    img = _as_rgb(_PHOTOS[name]())
    if max_dim is not None:
        img = _fit(img, _check_int(max_dim, "max_dim", MIN_SIZE, MAX_SIZE))
    return np.ascontiguousarray(np.clip(img, 0, 1), dtype=np.float32)
