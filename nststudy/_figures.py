"""Pure functions behind :mod:`nststudy.widgets`: features, Gram data and their figures (the
losses' shares and figures are in :mod:`._loss_figures`).

Figures are ``matplotlib.figure.Figure`` objects made without pyplot, so they render
headless (Agg) and never pile up in pyplot's global list; :func:`figure_png` turns one into
PNG bytes for an ``ipywidgets.Image``. Their titles, axis labels and legends are looked up with
:func:`nststudy.i18n.t` when the figure is drawn, so they follow
:func:`~nststudy.i18n.set_language` (Chinese figures get the CJK font fallback first).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .config import STYLE_LAYERS
from .i18n import ensure_figure_font, t
from .images import load_image, to_vgg
from .vgg import FeatureExtractor, canonical_layer

__all__ = [
    "channel_pair_figure",
    "explorer_figure",
    "feature_maps",
    "figure_png",
    "gram_data",
    "gram_distance",
    "gram_figure",
    "short_name",
]

_CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_CACHE_BYTES = 256 * 2**20  # feature maps kept, at most (64–128 px course images are ~1 MB)
_LOCK = threading.Lock()


class _Figure(Figure):
    """A Figure that Jupyter shows as PNG even when pyplot's inline backend is not active.

    Creating one sets up the CJK font fallback first when the language is Chinese: text
    objects take their font when they are made, so it must be in place before any of them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        ensure_figure_font()
        super().__init__(*args, **kwargs)

    def _repr_png_(self) -> bytes:
        return figure_png(self)


def short_name(layer: str) -> str:
    """``"block4_conv2"`` → ``"conv4_2"`` (the paper's spelling, shorter on axes)."""
    return layer.replace("block", "conv", 1).replace("_conv", "_") if "conv" in layer else layer


def _as_image(image: Any) -> np.ndarray:
    return (
        image if isinstance(image, np.ndarray) and image.dtype == np.float32 else load_image(image)
    )


def _key(image: np.ndarray) -> str:
    digest = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16)
    return f"{image.shape}:{digest.hexdigest()}"


def feature_maps(image: Any, layer: str, extractor: FeatureExtractor | None = None) -> np.ndarray:
    """VGG19 activations of one image at one layer, cached per (image content, layer).

    Args:
        image: float32 ``(H, W, 3)`` in [0, 1] (or anything :func:`load_image` reads).
        layer: Keras or paper layer name.
        extractor: used when it taps ``layer``; else a shared extractor for the five style
            layers (one forward pass fills the cache for all of them) or for ``layer`` alone.

    Returns:
        float32 ``(H', W', C)``, values ≥ 0 (post-ReLU); read-only when it comes from the
        cache (``.copy()`` it to change it).
    """
    image, layer = _as_image(image), canonical_layer(layer)
    if extractor is not None and layer not in extractor.layers:
        extractor = None
    # bfloat16 features differ from float32 ones: each precision has its own cache entries
    image_key = f"{_key(image)}:{'float32' if extractor is None else extractor.precision}"
    key = (image_key, layer)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    if extractor is None:
        extractor = FeatureExtractor((), STYLE_LAYERS if layer in STYLE_LAYERS else (layer,))
    out = extractor(to_vgg(image)[None])
    with _LOCK:
        for name, value in out.items():
            cached = np.asarray(value[0], np.float32)
            cached.flags.writeable = False  # shared: a caller's `a /= 2` must not change it
            _CACHE[(image_key, name)] = cached
        while sum(v.nbytes for v in _CACHE.values()) > _CACHE_BYTES and len(_CACHE) > 1:
            _CACHE.popitem(last=False)
        return np.asarray(out[layer][0], np.float32)


def _gram(f: np.ndarray) -> np.ndarray:
    flat = f.reshape(-1, f.shape[-1]).astype(np.float64)
    return (flat.T @ flat / flat.shape[0]).astype(np.float32)


def gram_data(image: Any, layer: str, extractor: FeatureExtractor | None = None) -> np.ndarray:
    """Gram matrix ``(C, C)`` of ``image`` (float ``(H, W, 3)`` in [0, 1]) at ``layer``,
    divided by H·W like :func:`nststudy.losses.gram_matrix`."""
    return _gram(feature_maps(image, layer, extractor))


def gram_distance(images: Sequence[Any], style: Any, layer: str) -> list[float]:
    """Style loss of each image at one layer: ``mean((G_image − G_style)²)``, unweighted.

    Args:
        images: snapshots of a painting (float in [0, 1] or uint8), e.g. one every N steps.
        style: the style image.
        layer: the layer compared.
    """
    target = gram_data(style, layer)
    return [float(np.mean((gram_data(img, layer) - target) ** 2)) for img in images]


def figure_png(fig: Figure, dpi: int = 72) -> bytes:
    """PNG bytes of a figure (rendered with Agg; works without a display)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def gram_figure(
    gram: np.ndarray, title: str = "", channels: tuple[int, int] | None = None
) -> Figure:
    """Heatmap of a Gram matrix ``(C, C)``; ``channels=(c1, c2)`` rings the entry G[c1, c2]."""
    fig = _Figure(figsize=(5, 4.3))
    fig.subplots_adjust(left=0.12, right=0.95, bottom=0.12, top=0.9)
    _draw_gram(fig.add_subplot(), np.asarray(gram), title, channels)
    return fig


def _draw_gram(ax: Any, gram: np.ndarray, title: str, channels: tuple[int, int] | None) -> None:
    im = ax.imshow(gram, cmap="magma", interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set(title=title or t("fig.gram_title", n=gram.shape[0]))
    ax.set(xlabel=t("widget.channel_d"), ylabel=t("widget.channel_c"))
    if channels is not None:
        c1, c2 = channels
        ax.scatter([c2, c1], [c1, c2], s=120, facecolors="none", edgecolors="cyan", linewidths=2)


def _channel_maps(axes: Sequence[Any], fmaps: np.ndarray, c1: int, c2: int) -> float:
    channels = fmaps.shape[-1]
    for c in (c1, c2):
        if not 0 <= c < channels:
            raise ValueError(
                f"channel {c} is out of range: this layer has {channels} (0–{channels - 1})"
            )
    a, b = fmaps[..., c1], fmaps[..., c2]
    value = float(np.mean(a.astype(np.float64) * b))
    for ax, data, label in zip(
        axes,
        (a, b, a * b),
        (
            t("fig.channel", c=c1),
            t("fig.channel", c=c2),
            t("fig.product_mean", mean=f"{value:.4g}"),
        ),
        strict=True,
    ):
        ax.imshow(data, cmap="viridis")
        ax.set_title(label, fontsize=9)
        ax.set_axis_off()
    return value


def channel_pair_figure(
    image: Any, layer: str, c1: int, c2: int, extractor: FeatureExtractor | None = None
) -> Figure:
    """The feature maps of channels ``c1`` and ``c2`` at ``layer`` and their product, whose
    mean over positions is the Gram entry ``G[c1, c2]``."""
    fig = _Figure(figsize=(9, 3.2))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.8, wspace=0.05)
    _channel_maps(fig.subplots(1, 3), feature_maps(image, layer, extractor), c1, c2)
    fig.suptitle(t("fig.pair_title", layer=short_name(canonical_layer(layer)), c1=c1, c2=c2))
    return fig


def explorer_figure(
    image: Any,
    layer: str,
    c1: int,
    c2: int,
    distances: Sequence[float] | None = None,
    steps: Sequence[int] | None = None,
    current: int | None = None,
    title: str = "",
) -> Figure:
    """The Gram explorer's whole view: heatmap, distance curve (optional), channel pair."""
    fmaps = feature_maps(image, layer)
    fig = _Figure(figsize=(10, 6.6))
    grid = fig.add_gridspec(2, 3, height_ratios=(1.5, 1), left=0.07, right=0.97, bottom=0.02)
    grid.update(top=0.88, wspace=0.3, hspace=0.2)
    gram_ax = fig.add_subplot(grid[0, :] if distances is None else grid[0, :2])
    _draw_gram(gram_ax, _gram(fmaps), "", (c1, c2))
    if distances is not None:
        ax = fig.add_subplot(grid[0, 2])
        xs = list(steps) if steps is not None else list(range(len(distances)))
        ax.plot(xs, distances, "o-", ms=3)
        if current is not None:
            ax.plot([xs[current]], [distances[current]], "o", color="red", ms=8)
        ax.set(yscale="log", xlabel=t("fig.step"), title=t("fig.gram_distance"))
    _channel_maps([fig.add_subplot(grid[1, i]) for i in range(3)], fmaps, c1, c2)
    fig.suptitle(title or short_name(canonical_layer(layer)))
    return fig
