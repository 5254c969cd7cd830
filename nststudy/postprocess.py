"""After the painting: keep the photo's colours, enhance strokes, crop to a frame, print sizes.

Every function takes and returns float32 ``(H, W, 3)`` RGB images in [0, 1] (uint8 input is
accepted too, see :func:`nststudy.images.load_image`) and never changes its input.

- :func:`preserve_colors` — Gatys et al. (2016), *Preserving color in neural artistic style
  transfer*: keep the painting's brightness and take the photo's colours (luminance-only
  transfer), or match the painting's colour histograms to the photo's.
- :func:`enhance_strokes` — the source article's NL-means "strokes" step, honestly described:
  non-local means averages pixels whose neighbourhoods look alike. It removes fine grain and
  flattens areas into uniform patches, so brush strokes read as larger and cleaner — and it
  removes fine texture (small strokes, canvas grain) along with the noise.
- :func:`crop_to_ratio` and :func:`print_pixels` — fit a frame and turn ``"30x40cm"`` at 300
  DPI into a pixel size.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
from PIL import Image

from ._tile_grid import same_aspect
from .images import ImageInput, load_image, resize_longest

__all__ = [
    "COLOR_SPACES",
    "aspect_fits",
    "crop_to_ratio",
    "enhance_strokes",
    "noise_sigma",
    "parse_ratio",
    "preserve_colors",
    "print_pixels",
    "print_sides",
    "resize_to",
]

#: Colour spaces for luminance-only transfer: name → (rgb→space, space→rgb) in skimage.color.
COLOR_SPACES = ("yiq", "ycbcr", "lab")

_RESAMPLE = {
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}


def resize_to(img: np.ndarray, shape: tuple[int, int], method: str = "lanczos") -> np.ndarray:
    """Resize ``(H, W)`` or ``(H, W, C)`` float data to exactly ``shape = (H', W')``.

    Each channel is resampled by Pillow in 32-bit float mode (no 8-bit rounding); the result is
    clipped to [min(input, 0), max(input, 1)] (data in [0, 1] stays in [0, 1]), since Lanczos
    overshoots at edges.
    """
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"cannot resize to {shape}; both sides must be at least 1 px")
    if method not in _RESAMPLE:
        raise ValueError(f"method must be one of {', '.join(_RESAMPLE)}; got {method!r}")
    arr = np.asarray(img, dtype=np.float32)
    if arr.shape[:2] == (h, w):
        return arr.copy()
    planes = arr[..., None] if arr.ndim == 2 else arr
    out = np.stack(
        [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(planes[..., c])).resize(
                    (w, h), _RESAMPLE[method]
                )
            )
            for c in range(planes.shape[2])
        ],
        axis=2,
    )
    out = np.clip(out, arr.min(initial=0.0), arr.max(initial=1.0))
    return out[..., 0] if arr.ndim == 2 else out


def aspect_fits(painting: tuple[int, ...], photo: tuple[int, ...]) -> bool:
    """Whether a painting of shape ``(h, w, ...)`` can be the photo of shape ``photo`` resized.

    Rounding at the working size moves the aspect by up to 0.5 px of the painting's short side
    (≥ 16 px: 3.1 %), and a print made from it keeps that; a crop (4:5 of 3:4 is 6.5 %) or a
    turn moves it further."""
    (h, w), (ph, pw) = painting[:2], photo[:2]
    rounded = same_aspect(painting, photo) or same_aspect(photo, painting)
    return rounded or abs(np.log((w / h) / (pw / ph))) <= 0.035


def _photo_for(painting_shape: tuple[int, ...], photo: ImageInput, what: str) -> np.ndarray:
    """The photo resized to a painting of ``painting_shape`` ``(H, W, ...)``, float32 in [0, 1].

    Raises:
        ValueError: when the painting cannot be the photo resized (it was cropped or turned):
            stretching the photo onto it would put its colours and edges in the wrong places.
    """
    pic = load_image(photo)
    (h, w), (ph, pw) = painting_shape[:2], pic.shape[:2]
    if not aspect_fits(painting_shape, pic.shape):
        raise ValueError(
            f"{what}: the painting is {w}×{h} px but the photo {pw}×{ph}, another shape (cropped "
            "or turned?); crop or turn the photo the same way first (crop_to_ratio)"
        )
    return resize_to(pic, (h, w))


def _color_pair(space: str):  # -> (forward, inverse)
    from skimage import color

    pairs = {
        "yiq": (color.rgb2yiq, color.yiq2rgb),
        "ycbcr": (color.rgb2ycbcr, color.ycbcr2rgb),
        "lab": (color.rgb2lab, color.lab2rgb),
    }
    if space not in pairs:
        raise ValueError(f"space must be one of {', '.join(COLOR_SPACES)}; got {space!r}")
    return pairs[space]


def preserve_colors(
    painting: ImageInput, photo: ImageInput, method: str = "luminance", space: str = "yiq"
) -> np.ndarray:
    """Give the painting the photo's colours (Gatys et al. 2016).

    Args:
        painting: the stylised image, ``(H, W, 3)``.
        photo: the original photo (any size; it is resized to the painting's shape). For
            ``"luminance"`` it must have the painting's aspect ratio (``ValueError`` if not).
        method: ``"luminance"`` — keep the painting's luminance channel and take both chroma
            channels from the photo (the paper's luminance-only transfer, done after painting);
            ``"histogram"`` — ``skimage.exposure.match_histograms`` per RGB channel, which keeps
            the painting's texture and shifts its palette to the photo's.
        space: for ``"luminance"``: ``"yiq"`` (the paper's), ``"ycbcr"`` or ``"lab"``.

    Returns:
        float32 ``(H, W, 3)`` in [0, 1].
    """
    paint = load_image(painting)
    if method == "histogram":  # a global palette: the photo's shape does not matter
        from skimage.exposure import match_histograms

        pic = resize_to(load_image(photo), paint.shape[:2])
        out = match_histograms(paint, pic, channel_axis=-1)
    elif method == "luminance":
        pic = _photo_for(paint.shape, photo, "preserve_colors")
        forward, inverse = _color_pair(space)
        mixed = forward(pic)
        mixed[..., 0] = forward(paint)[..., 0]
        with warnings.catch_warnings():  # Lab → sRGB notes out-of-gamut values; we clip them
            warnings.simplefilter("ignore", UserWarning)
            out = inverse(mixed)
    else:
        raise ValueError(f"method must be 'luminance' or 'histogram'; got {method!r}")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def noise_sigma(img: np.ndarray) -> float:
    """Robust noise level σ of an image (Donoho's wavelet MAD estimator, Haar wavelet).

    ``median(|HH|) / 0.6745`` of the finest diagonal Haar detail coefficients, averaged over
    channels: what ``skimage.restoration.estimate_sigma`` computes (with a Daubechies wavelet),
    without needing PyWavelets.
    """
    arr = np.asarray(img, dtype=np.float64)
    arr = arr[: arr.shape[0] // 2 * 2, : arr.shape[1] // 2 * 2]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        return 0.0
    hh = (arr[0::2, 0::2] - arr[0::2, 1::2] - arr[1::2, 0::2] + arr[1::2, 1::2]) / 2.0
    return float(np.mean(np.median(np.abs(hh.reshape(-1, *arr.shape[2:])), axis=0)) / 0.6745)


def enhance_strokes(
    img: ImageInput, strength: float = 0.5, work_size: int | None = None
) -> np.ndarray:
    """Non-local-means smoothing that makes brush strokes read larger and cleaner.

    What it does to texture, honestly: NL-means replaces each pixel by an average of pixels
    whose 5×5 neighbourhoods look alike. Fine noise and grain vanish and similar areas flatten
    into uniform patches with crisp borders (edges between patches are kept), so the eye reads
    bigger, cleaner strokes. It also removes fine texture: small strokes and canvas-like grain
    disappear with the noise, and at strength 1 the picture looks posterised.

    Args:
        img: ``(H, W, 3)`` image.
        strength: 0 returns the image unchanged; 1 is strong. The filter's ``h`` is
            ``strength × 1.5 × σ`` where σ is the noise level estimated by :func:`noise_sigma`
            (at least 0.02, so clean images still change).
        work_size: the longest side the painting was made at, for a print larger than it:
            the filter's neighbourhoods are pixels, so at 2048 px they would only touch grain
            four times finer than the strokes seen at 512. The filter then runs on a copy at
            ``work_size`` and its change is scaled up and added: the print's strokes are the
            painting's, and the finer detail the print's tiles added stays.

    Returns:
        float32 ``(H, W, 3)`` in [0, 1].
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 (off) and 1 (strong), got {strength}")
    arr = load_image(img)
    if strength == 0:
        return arr
    if work_size is not None and max(arr.shape[:2]) > 1.25 * work_size:
        small = resize_longest(arr, work_size)
        change = _nl_means(small, strength) - small
        return np.clip(arr + resize_to(change, arr.shape[:2], "bicubic"), 0.0, 1.0)
    return _nl_means(arr, strength)


def _nl_means(arr: np.ndarray, strength: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    sigma = max(noise_sigma(arr), 0.02)
    out = denoise_nl_means(
        arr,
        h=strength * 1.5 * sigma,
        sigma=sigma,
        patch_size=5,
        patch_distance=6,
        fast_mode=True,
        channel_axis=-1,
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32)


_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:x×/]\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


def parse_ratio(ratio: str | tuple[float, float] | float) -> tuple[float, float]:
    """``"4:5"``, ``"4x5"``, ``(4, 5)`` or ``0.8`` → ``(4.0, 5.0)`` / ``(0.8, 1.0)``."""
    if isinstance(ratio, str):
        m = _RATIO.match(ratio)
        if not m:
            raise ValueError(
                f"cannot read the ratio {ratio!r}; write it like '4:5', '3:4' or '1:1'"
            )
        a, b = float(m.group(1)), float(m.group(2))
    elif isinstance(ratio, tuple | list) and len(ratio) == 2:
        a, b = float(ratio[0]), float(ratio[1])
    elif isinstance(ratio, int | float):
        a, b = float(ratio), 1.0
    else:
        raise ValueError(f"cannot read the ratio {ratio!r}; write it like '4:5'")
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise ValueError(f"ratio sides must be positive, got {ratio!r}; write it like '4:5'")
    if max(a, b) / min(a, b) > 20:
        raise ValueError(f"ratio {ratio!r} is more extreme than 20:1; choose a frame ratio")
    return a, b


def crop_to_ratio(img: ImageInput, ratio: str | tuple[float, float] | float = "4:5") -> np.ndarray:
    """Centre-crop an image to a frame ratio.

    The orientation follows the image: ``"4:5"`` crops a portrait photo to 4 wide × 5 high and a
    landscape photo to 5 wide × 4 high; a square image takes the ratio as written (width:height).

    Args:
        img: ``(H, W, 3)`` image (or ``(H, W)``).
        ratio: ``"W:H"`` such as ``"4:5"``, ``"3:4"``, ``"1:1"``, ``"2:3"``; or ``(W, H)``.

    Returns:
        The centre crop, float32, as large as fits.
    """
    grey = isinstance(img, np.ndarray) and img.ndim == 2
    arr = load_image(img)[..., 0] if grey else load_image(img)
    a, b = parse_ratio(ratio)
    h, w = arr.shape[:2]
    if w != h:
        long_, short = max(a, b), min(a, b)
        a, b = (long_, short) if w > h else (short, long_)
    target = a / b  # width / height
    if w / h > target:
        new_w, new_h = max(1, round(h * target)), h
    else:
        new_w, new_h = w, max(1, round(w / target))
    top, left = (h - new_h) // 2, (w - new_w) // 2
    return np.ascontiguousarray(arr[top : top + new_h, left : left + new_w]).astype(np.float32)


_PRINT = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)\s*(cm|mm|in|inch|inches|\")\s*$", re.IGNORECASE
)
_PER_INCH = {"cm": 2.54, "mm": 25.4, "in": 1.0, "inch": 1.0, "inches": 1.0, '"': 1.0}


def print_sides(spec: str) -> tuple[float, float, str]:
    """``"30x40cm"`` → ``(30.0, 40.0, "cm")``: the sides as written and the unit.

    Raises:
        ValueError: for an unreadable spec or a side that is not positive.
    """
    m = _PRINT.match(str(spec))
    if not m:
        raise ValueError(
            f"cannot read the print size {spec!r}; write it like '30x40cm', '8x10in' or '210x297mm'"
        )
    a, b, unit = float(m.group(1)), float(m.group(2)), m.group(3).lower()
    if a <= 0 or b <= 0:
        raise ValueError(f"print sides must be positive, got {spec!r}; write it like '30x40cm'")
    return a, b, unit


def print_pixels(spec: str, dpi: float = 300) -> int:
    """Longest side in pixels of a print ``spec`` at ``dpi`` dots per inch.

    >>> print_pixels("30x40cm", dpi=300)
    4724
    >>> print_pixels("8x10in", dpi=200)
    2000

    Args:
        spec: ``"WxH"`` plus a unit: ``cm``, ``mm`` or ``in`` (``"30x40cm"``, ``"8 x 10 in"``,
            ``"210x297mm"``); the order of the sides does not matter.
        dpi: print resolution (1–2400); write the same value into the saved file.

    Raises:
        ValueError: for an unreadable spec, a non-positive size or DPI, or a result under 32 px.
    """
    a, b, unit = print_sides(spec)
    if not 1 <= dpi <= 2400:
        raise ValueError(f"dpi must be between 1 and 2400, got {dpi}")
    pixels = round(max(a, b) / _PER_INCH[unit] * dpi)
    if pixels < 32:
        raise ValueError(f"{spec!r} at {dpi} DPI is only {pixels} px; choose a larger print or DPI")
    return pixels
